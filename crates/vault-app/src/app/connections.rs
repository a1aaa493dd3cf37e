//! The OAuth connections screen: providers (presets or any issuer), and the grants the app
//! connects, refreshes and disconnects. Every step is the agent's protocol operation, exactly
//! as `vault oauth`, `vault login`, `vault refresh` and `vault logout` send it.
//!
//! Owns the logins this app started: their page (so the window can ask for it to be opened
//! again, but never for an arbitrary address) and whether the user cancelled them. It must
//! never hand a token to the window: a refresh answers with the token, which is dropped here.

use vault_agent::protocol::{NewProvider, Op, PresetInfo, Response};
use vault_core::ErrorCode;
use vault_core::model::ProviderMeta;

use super::{App, PendingLogin, lock, unexpected};
use crate::error::{AppError, AppErrorCode, AppResult};
use crate::host::Host;
use crate::views::{ConnectRequest, Connecting, Disconnected, ItemView};

/// How long a browser login may take, as `vault login`'s default.
const LOGIN_TIMEOUT_SECS: u64 = 300;

/// The longest a device-flow login is waited for, whatever the provider allows.
const DEVICE_TIMEOUT_CAP_SECS: u64 = 1800;

impl<H: Host> App<H> {
    /// The built-in providers, for the "add a provider" picker.
    pub fn oauth_presets(&self) -> AppResult<Vec<PresetInfo>> {
        match self.op(Op::OauthPresets)? {
            Response::Presets { presets } => Ok(presets),
            other => Err(unexpected("presets", &other)),
        }
    }

    /// The configured providers (never a client secret: only whether there is one).
    pub fn oauth_providers(&self) -> AppResult<Vec<ProviderMeta>> {
        match self.op(Op::OauthProviders)? {
            Response::Providers { providers } => Ok(providers),
            other => Err(unexpected("providers", &other)),
        }
    }

    /// Adds a provider from a preset, or any issuer through discovery (run by the agent). The
    /// client secret goes on to the agent, which stores it sealed; it is not kept here.
    pub fn add_provider(&self, provider: NewProvider) -> AppResult<ProviderMeta> {
        match self.op(Op::OauthAdd { provider })? {
            Response::Provider { provider } => Ok(provider),
            other => Err(unexpected("add provider", &other)),
        }
    }

    /// Removes a provider; its grants stay (and can still be disconnected).
    pub fn remove_provider(&self, name: &str) -> AppResult<()> {
        self.op(Op::OauthRemove {
            name: name.to_owned(),
        })
        .map(|_| ())
    }

    /// Starts a login and, in the browser flow, opens the system browser on its page. The
    /// outcome comes from [`App::connect_wait`].
    pub fn connect(&self, request: ConnectRequest) -> AppResult<Connecting> {
        let ConnectRequest {
            provider,
            name,
            scopes,
            device,
        } = request;
        let grant = name.clone().unwrap_or_else(|| provider.clone());
        let prompt = match self.op(Op::LoginStart {
            provider: provider.clone(),
            name,
            scopes,
            device,
        })? {
            Response::LoginStarted { prompt } => prompt,
            other => return Err(unexpected("login", &other)),
        };
        let device = prompt.user_code.is_some();
        let timeout_secs = if device {
            prompt
                .expires_in_secs
                .unwrap_or(LOGIN_TIMEOUT_SECS)
                .clamp(1, DEVICE_TIMEOUT_CAP_SECS)
        } else {
            LOGIN_TIMEOUT_SECS
        };
        let page = prompt
            .url_complete
            .clone()
            .unwrap_or_else(|| prompt.url.clone());
        lock(&self.inner.state).logins.insert(
            prompt.login,
            PendingLogin {
                page: page.clone(),
                timeout_secs,
                cancelled: false,
            },
        );
        // The device flow is for signing in on another device: nothing opens unasked.
        let browser_opened = !device && self.inner.host.open_browser(&page).is_ok();
        Ok(Connecting {
            prompt,
            provider,
            grant,
            browser_opened,
        })
    }

    /// Waits for a login this app started: the new grant, or `None` when the user cancelled
    /// it. Blocks until the browser comes back (minutes at most), on a connection of its own.
    pub fn connect_wait(&self, login: u64) -> AppResult<Option<ItemView>> {
        let Some(timeout_secs) = lock(&self.inner.state)
            .logins
            .get(&login)
            .map(|p| p.timeout_secs)
        else {
            return Err(no_such_login());
        };
        let result = self.op_alone(Op::LoginWait {
            login,
            timeout_secs,
        });
        let cancelled = lock(&self.inner.state)
            .logins
            .remove(&login)
            .is_some_and(|p| p.cancelled);
        match result {
            Ok(Response::Item { item }) => {
                let view = ItemView::new(item, self.now(), self.lead_days());
                self.refresh_attention();
                Ok(Some(view))
            }
            Ok(other) => Err(unexpected("login", &other)),
            Err(_) if cancelled => Ok(None),
            Err(e) => {
                // Timed out or refused: the callback port closes now, not later.
                let _ = self.op(Op::LoginCancel { login });
                Err(e)
            }
        }
    }

    /// Abandons a login this app started: its wait answers `None` and the callback port closes.
    pub fn connect_cancel(&self, login: u64) -> AppResult<()> {
        match lock(&self.inner.state).logins.get_mut(&login) {
            Some(p) => p.cancelled = true,
            None => return Ok(()),
        }
        self.op(Op::LoginCancel { login }).map(|_| ())
    }

    /// Opens a started login's page in the browser (again, or for the device flow here).
    pub fn open_login_page(&self, login: u64) -> AppResult<()> {
        let page = lock(&self.inner.state)
            .logins
            .get(&login)
            .map(|p| p.page.clone())
            .ok_or_else(no_such_login)?;
        self.inner
            .host
            .open_browser(&page)
            .map_err(|e| AppError::app(AppErrorCode::Browser, e.to_string()))
    }

    /// Refreshes a grant now. The new access token stays in the vault; the window gets the
    /// grant's metadata. A provider that cannot be reached is an error even though the old
    /// token may still be valid: the user asked for a refresh and did not get one.
    pub fn refresh_grant(&self, name: &str) -> AppResult<ItemView> {
        match self.op(Op::Refresh {
            name: name.to_owned(),
        })? {
            Response::Refreshed { item, warning } => {
                if let Some(w) = warning {
                    return Err(AppError::vault(ErrorCode::ProviderUnavailable, w));
                }
                Ok(ItemView::new(item, self.now(), self.lead_days()))
            }
            other => Err(unexpected("refresh", &other)),
        }
    }

    /// Revokes a grant at its provider (where it can) and deletes it.
    pub fn disconnect(&self, name: &str) -> AppResult<Disconnected> {
        let outcome = match self.op(Op::Logout {
            name: name.to_owned(),
        })? {
            Response::LoggedOut { revoked, problem } => Disconnected {
                name: name.to_owned(),
                revoked,
                problem,
            },
            other => return Err(unexpected("logout", &other)),
        };
        self.refresh_attention();
        Ok(outcome)
    }

    /// The app is quitting: logins still waiting for the browser are abandoned.
    pub(super) fn cancel_logins(&self) {
        let logins: Vec<u64> = lock(&self.inner.state).logins.keys().copied().collect();
        for login in logins {
            let _ = self.connect_cancel(login);
        }
    }
}

fn no_such_login() -> AppError {
    AppError::vault(
        ErrorCode::LoginFailed,
        "no such login in progress in this window; connect again",
    )
}

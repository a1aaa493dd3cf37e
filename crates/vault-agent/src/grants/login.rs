//! Logins: starting one (a callback server for the browser, or a device code), waiting for
//! it, cancelling it, and storing the grant it brings.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use vault_core::model::NewGrant;
use vault_core::{ErrorCode, GrantTokens, Item, SecretValue, Timestamp};
use vault_oauth::{DeviceLogin, Login, LoginOptions, TokenSet};

use super::{Grants, Result, VaultAccess, after, expiry, lock, provider_of};
use crate::protocol::LoginPrompt;
use crate::protocol::WireError;

/// A login waiting for the user.
enum Flow {
    Browser(Login),
    Device(DeviceLogin),
}

pub(super) struct Pending {
    vault: PathBuf,
    grant: String,
    provider: String,
    scopes: Vec<String>,
    flow: Flow,
    started: Instant,
}

/// Logins nobody waited for are dropped (their callback servers closed) after this.
const ABANDONED_LOGIN: Duration = Duration::from_secs(30 * 60);

/// A browser login being waited on, listed in `waiting` (for `login_cancel`) until dropped.
struct Waiting<'a> {
    waiting: &'a Mutex<HashMap<u64, vault_oauth::Canceller>>,
    login: u64,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        lock(self.waiting).remove(&self.login);
    }
}

impl Grants {
    /// Starts a login: binds the callback server (browser) or asks for a device code.
    pub fn login_start(
        &self,
        v: &mut impl VaultAccess,
        provider: &str,
        name: Option<String>,
        scopes: Vec<String>,
        device: bool,
    ) -> Result<LoginPrompt> {
        let (meta, secret) = v.with(|vault| vault.provider(provider))?;
        let grant = name.unwrap_or_else(|| meta.name.clone());
        vault_core::names::check_item_name(&grant)?;
        // Refuse early when the name belongs to an API key: the login would be wasted.
        match v.with(|vault| vault.item(&grant)) {
            Ok(item) if item.meta.as_grant().is_none() => {
                return Err(WireError::from(vault_core::Error::AlreadyExists {
                    name: grant,
                }));
            }
            _ => {}
        }
        let scopes = if scopes.is_empty() {
            meta.scopes.clone()
        } else {
            scopes
        };
        let oauth = provider_of(&meta, secret)?;
        let options = LoginOptions {
            scopes: scopes.clone(),
            extra_params: Vec::new(),
        };
        let http = self.http()?;
        let (flow, prompt) = if device {
            let d = DeviceLogin::start(&http, &oauth, &options)?;
            let prompt = LoginPrompt {
                login: 0,
                url: d.verification_uri().to_owned(),
                user_code: Some(d.user_code().to_owned()),
                url_complete: d.verification_uri_complete().map(str::to_owned),
                expires_in_secs: Some(d.expires_in().as_secs()),
            };
            (Flow::Device(d), prompt)
        } else {
            let l = Login::start(&http, &oauth, &options)?;
            let prompt = LoginPrompt {
                login: 0,
                url: l.url().to_owned(),
                user_code: None,
                url_complete: None,
                expires_in_secs: None,
            };
            (Flow::Browser(l), prompt)
        };
        let id = login_id()?;
        let mut logins = lock(&self.logins);
        logins.retain(|_, p| p.started.elapsed() < ABANDONED_LOGIN);
        logins.insert(
            id,
            Pending {
                vault: v.path().to_owned(),
                grant,
                provider: meta.name,
                scopes,
                flow,
                started: Instant::now(),
            },
        );
        Ok(LoginPrompt {
            login: id,
            ..prompt
        })
    }

    /// Waits for a started login, then stores the grant (replacing one of the same name).
    pub fn login_wait(
        &self,
        v: &mut impl VaultAccess,
        login: u64,
        timeout: Duration,
        clock: &dyn Fn() -> Timestamp,
    ) -> Result<Item> {
        let pending = lock(&self.logins).remove(&login).ok_or_else(|| {
            WireError::new(
                ErrorCode::LoginFailed,
                "no such login in progress (it finished, was cancelled or timed out); start it again",
            )
        })?;
        if pending.vault != v.path() {
            return Err(WireError::new(
                ErrorCode::LoginFailed,
                "that login was started for another vault",
            ));
        }
        let tokens = match pending.flow {
            Flow::Browser(l) => {
                lock(&self.waiting).insert(login, l.canceller());
                // Removed on every way out, a panic's unwinding included: the canceller holds
                // the callback server, which would otherwise go on listening.
                let _waiting = Waiting {
                    waiting: &self.waiting,
                    login,
                };
                l.wait(timeout)?
            }
            Flow::Device(d) => d.wait(timeout)?,
        };
        let now = clock();
        let new = new_grant(
            &pending.grant,
            &pending.provider,
            pending.scopes,
            tokens,
            now,
        );
        let item = v.with(|vault| vault.save_grant(new, true, now))?;
        // A fresh login clears any back-off of the old grant.
        lock(&self.backoff).remove(&(v.path().to_owned(), item.id));
        Ok(item)
    }

    /// Abandons a login: one not yet waited on is dropped; a browser login being waited on
    /// ends its wait with "cancelled" and closes its callback port.
    pub fn login_cancel(&self, login: u64) {
        lock(&self.logins).remove(&login);
        if let Some(c) = lock(&self.waiting).remove(&login) {
            c.cancel();
        }
    }
}

fn new_grant(
    name: &str,
    provider: &str,
    requested: Vec<String>,
    tokens: TokenSet,
    now: Timestamp,
) -> NewGrant {
    let claims = tokens.id_claims();
    NewGrant {
        name: name.to_owned(),
        provider: provider.to_owned(),
        tokens: GrantTokens {
            access_token: SecretValue::new(tokens.access_token.expose()),
            refresh_token: tokens
                .refresh_token
                .as_ref()
                .map(|t| SecretValue::new(t.expose())),
        },
        expires: expiry(&tokens, now),
        refresh_expires: after(tokens.refresh_expires_in, now),
        token_type: tokens.token_type,
        // RFC 6749 §5.1: no `scope` in the answer means the scopes requested were granted.
        scopes: tokens.scopes.unwrap_or(requested),
        subject: claims.sub,
        email: claims.email,
        env: Vec::new(),
    }
}

fn login_id() -> Result<u64> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|_| {
        WireError::new(
            ErrorCode::Internal,
            "the operating system's random number generator failed",
        )
    })?;
    // JSON numbers above 2^53 lose precision in JavaScript clients (the desktop app).
    Ok(u64::from_le_bytes(bytes) & ((1 << 53) - 1))
}

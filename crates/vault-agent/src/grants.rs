//! OAuth in the agent: provider configurations, logins in progress, valid access tokens
//! (single-flight refresh), logout and background refresh.
//!
//! Network I/O never runs inside a vault access: a refresh reads the grant (vault), exchanges
//! the refresh token (network, holding only that grant's lock), then commits (vault). One
//! refresh per grant at a time, across threads (a mutex per grant) and across processes (an
//! exclusive `flock` on a per-grant lock file beside the vault), so `--no-agent` processes and
//! the agent never race each other into a provider's refresh-token reuse detection. A rotated
//! refresh token is committed before the new access token is handed out; failures leave the
//! stored tokens as they were. Nothing here logs or prints a token.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use jiff::SignedDuration;
use vault_core::model::{GrantMeta, ProviderMeta, RefreshedTokens};
use vault_core::{
    ErrorCode, Grant, GrantStatus, Item, ItemId, ItemMeta, SecretValue, Timestamp, Vault,
};
use vault_oauth::{Http, Provider, TokenKind, TokenSet};

use crate::protocol::{NewProvider, PresetInfo, WireError};

mod login;

use crate::refresh_gate::{self, Quiet, RefreshGate};
use login::Pending;

impl From<vault_oauth::Error> for WireError {
    fn from(e: vault_oauth::Error) -> Self {
        use vault_oauth::Error as E;
        let code = match &e {
            E::InvalidGrant { .. } => ErrorCode::NeedsRelogin,
            E::Network { .. } | E::Server { .. } => ErrorCode::ProviderUnavailable,
            E::Denied { .. }
            | E::StateMismatch
            | E::IssuerMismatch { .. }
            | E::Timeout { .. }
            | E::Cancelled
            | E::Callback(_) => ErrorCode::LoginFailed,
            E::Config(_) | E::Unsupported(_) => ErrorCode::Invalid,
            _ => ErrorCode::Provider,
        };
        WireError::new(code, e.to_string())
    }
}

type Result<T, E = WireError> = std::result::Result<T, E>;

/// How the grant code reaches an unlocked vault. Each call is one short critical section; no
/// network I/O happens inside `with`.
pub trait VaultAccess {
    /// The vault file (to place per-grant lock files beside it).
    fn path(&self) -> &Path;
    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut Vault) -> vault_core::Result<T>,
    ) -> vault_core::Result<T>;
}

/// Foreground refreshes retry transient failures this many times, waiting 1 s, then 2 s.
const FOREGROUND_RETRIES: u32 = 2;
/// Background refresh back-off: 30 s, doubling up to 15 min.
const BACKOFF_START_SECS: i64 = 30;
const BACKOFF_MAX_SECS: i64 = 15 * 60;

type FlightKey = (PathBuf, ItemId);

/// The OAuth state of an agent (or of an in-process service).
#[derive(Default)]
pub struct Grants {
    http: Mutex<Option<Http>>,
    flights: Mutex<HashMap<FlightKey, Arc<Mutex<()>>>>,
    logins: Mutex<HashMap<u64, Pending>>,
    /// Browser logins a client is waiting on, so `LoginCancel` can end the wait (and close
    /// the callback port) from another connection.
    waiting: Mutex<HashMap<u64, vault_oauth::Canceller>>,
    backoff: Mutex<HashMap<FlightKey, (Timestamp, u32)>>,
    /// Refreshes in flight, which a lock waits for (see [`RefreshGate`]).
    gate: RefreshGate,
}

impl std::fmt::Debug for Grants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Grants")
            .field("logins", &lock(&self.logins).len())
            .finish_non_exhaustive()
    }
}

/// A poisoned lock only means another thread panicked while holding it; the data it guards
/// (maps of locks and pending logins) stays consistent, so carry on.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The result of [`Grants::token`].
#[derive(Debug)]
pub struct ValidToken {
    pub item: Item,
    pub value: SecretValue,
    /// The refresh failed transiently but the current token is still valid.
    pub warning: Option<String>,
}

/// What `vault logout` achieved at the provider.
#[derive(Debug)]
pub struct LogoutOutcome {
    pub revoked: bool,
    pub problem: Option<String>,
}

impl Grants {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops new refreshes and waits for those in flight to commit: call before dropping a
    /// vault's key, and keep the guard until it is dropped.
    pub fn quiesce(&self) -> Quiet<'_> {
        self.gate.quiesce(refresh_gate::MAX_WAIT)
    }

    fn http(&self) -> Result<Http> {
        let mut slot = lock(&self.http);
        if let Some(h) = slot.as_ref() {
            return Ok(h.clone());
        }
        let h = Http::new()?;
        *slot = Some(h.clone());
        Ok(h)
    }

    /// Where a provider's grants' tokens may be sent: its own hosts, else its preset's API
    /// hosts (none for a provider found by discovery until it is given some).
    pub fn provider_hosts(p: &ProviderMeta) -> Vec<vault_core::hosts::HostRule> {
        match &p.hosts {
            Some(hosts) => hosts.clone(),
            None => p
                .preset
                .as_deref()
                .and_then(vault_oauth::preset)
                .map(|preset| {
                    preset
                        .api_hosts
                        .iter()
                        .filter_map(|h| h.parse().ok())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Every built-in preset.
    pub fn presets() -> Vec<PresetInfo> {
        vault_oauth::presets()
            .into_iter()
            .map(|p| PresetInfo {
                id: p.id.into(),
                title: p.title.into(),
                default_scopes: p.default_scopes.iter().map(|s| (*s).to_owned()).collect(),
                console: p.console.into(),
                client_secret_required: p.quirks.client_secret_required,
                device_flow: p.endpoints.device_authorization.is_some(),
            })
            .collect()
    }

    /// Resolves a new provider (preset or discovery) and stores it.
    pub fn add_provider(
        &self,
        v: &mut impl VaultAccess,
        new: NewProvider,
        now: Timestamp,
    ) -> Result<ProviderMeta> {
        let NewProvider {
            name,
            preset,
            issuer,
            client_id,
            client_secret,
            scopes,
            hosts,
            replace,
        } = new;
        let hosts = if hosts.is_empty() {
            None
        } else {
            Some(
                vault_core::hosts::parse_all(&hosts)
                    .map_err(|e| WireError::new(ErrorCode::Invalid, e.to_string()))?,
            )
        };
        let (preset_id, endpoints, default_scopes) = match (&preset, &issuer) {
            (Some(id), _) => {
                let p = vault_oauth::preset(id).ok_or_else(|| {
                    WireError::new(
                        ErrorCode::Invalid,
                        format!(
                            "no preset named {id:?}; presets are {}",
                            vault_oauth::presets()
                                .iter()
                                .map(|p| p.id)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
                if p.quirks.client_secret_required && client_secret.is_none() {
                    return Err(WireError::new(
                        ErrorCode::Invalid,
                        format!(
                            "{} requires a client secret; pass --client-secret-stdin",
                            p.title
                        ),
                    ));
                }
                let scopes = p.default_scopes.iter().map(|s| (*s).to_owned()).collect();
                (Some(p.id.to_owned()), p.endpoints, scopes)
            }
            (None, Some(issuer)) => {
                let found = vault_oauth::discover(&self.http()?, issuer)?;
                let wanted = ["openid", "email", "offline_access"];
                let scopes = wanted
                    .iter()
                    .filter(|s| {
                        found
                            .scopes_supported
                            .as_ref()
                            .is_none_or(|list| list.iter().any(|x| x == *s))
                    })
                    .map(|s| (*s).to_owned())
                    .collect();
                (None, found.endpoints, scopes)
            }
            (None, None) => {
                return Err(WireError::new(
                    ErrorCode::Invalid,
                    "give a preset (--preset github) or an issuer URL (--issuer https://...)",
                ));
            }
        };
        let meta = ProviderMeta {
            name,
            preset: preset_id,
            issuer: endpoints.issuer.clone().or(issuer),
            client_id,
            has_client_secret: client_secret.is_some(),
            scopes: if scopes.is_empty() {
                default_scopes
            } else {
                scopes
            },
            authorization_endpoint: endpoints.authorization,
            token_endpoint: endpoints.token,
            revocation_endpoint: endpoints.revocation,
            device_authorization_endpoint: endpoints.device_authorization,
            iss_parameter_supported: endpoints.iss_parameter_supported,
            hosts,
            created: now,
            updated: now,
        };
        let secret = client_secret.map(|s| s.into_inner());
        let stored = meta.clone();
        v.with(|vault| vault.save_provider(stored, secret, replace, now))?;
        Ok(meta)
    }

    /// The one way to get an access token: valid for `min_valid` (capped at half the token's
    /// lifetime), refreshed first when needed, one refresh per grant at a time.
    pub fn token(
        &self,
        v: &mut impl VaultAccess,
        name: &str,
        min_valid: SignedDuration,
        clock: &dyn Fn() -> Timestamp,
    ) -> Result<ValidToken> {
        self.token_with(v, name, min_valid, clock, FOREGROUND_RETRIES, false)
    }

    /// Refreshes now, whatever the expiry.
    pub fn refresh_now(
        &self,
        v: &mut impl VaultAccess,
        name: &str,
        clock: &dyn Fn() -> Timestamp,
    ) -> Result<ValidToken> {
        self.token_with(
            v,
            name,
            SignedDuration::ZERO,
            clock,
            FOREGROUND_RETRIES,
            true,
        )
    }

    fn token_with(
        &self,
        v: &mut impl VaultAccess,
        name: &str,
        min_valid: SignedDuration,
        clock: &dyn Fn() -> Timestamp,
        retries: u32,
        force: bool,
    ) -> Result<ValidToken> {
        let first = v.with(|vault| vault.grant(name))?;
        if !force && usable(&first.meta, clock(), min_valid) {
            return Ok(valid(first, None));
        }
        let key = (v.path().to_owned(), first.id);
        let flight = Arc::clone(lock(&self.flights).entry(key.clone()).or_default());
        let _thread_guard = lock(&flight);
        let _process_guard = ProcessLock::acquire(v.path(), &first.id)?;

        // Someone may have refreshed while this waited: take theirs.
        let current = v.with(|vault| vault.grant(name))?;
        if current.id != first.id {
            return Err(WireError::new(
                ErrorCode::NotFound,
                format!("{name:?} was replaced while waiting; try again"),
            ));
        }
        let now = clock();
        if current.meta.generation != first.meta.generation
            && current.meta.status == GrantStatus::Ok
            && current.meta.valid_for(now, SignedDuration::ZERO)
        {
            return Ok(valid(current, None));
        }
        if !force && usable(&current.meta, now, min_valid) {
            return Ok(valid(current, None));
        }
        if let GrantStatus::NeedsRelogin { reason } = &current.meta.status {
            return Err(relogin(name, &current.meta.provider, reason));
        }
        let Some(refresh_token) = current.tokens.refresh_token.clone() else {
            return if current.meta.valid_for(now, SignedDuration::ZERO) {
                Ok(valid(current, None))
            } else {
                Err(WireError::new(
                    ErrorCode::NeedsRelogin,
                    format!(
                        "the access token of {name:?} has expired and the provider gave no refresh token; run `vault login {} --as {name}`",
                        current.meta.provider
                    ),
                ))
            };
        };
        if self.gate.is_spent(&refresh_token) {
            return Err(relogin(
                name,
                &current.meta.provider,
                "the provider replaced its refresh token, and the new one could not be stored",
            ));
        }
        let (meta, secret) = v.with(|vault| vault.provider(&current.meta.provider))?;
        let provider = provider_of(&meta, secret)?;
        let http = self.http()?;

        // From here until the answer is committed, a lock waits for this refresh.
        let Some(_in_flight) = self.gate.begin() else {
            return Err(WireError::new(ErrorCode::Locked, "the vault is locking"));
        };
        let mut attempt = 0;
        let outcome = loop {
            // Network I/O: no vault access is held here, only this grant's locks.
            let result = vault_oauth::refresh(&http, &provider, &token_of(&refresh_token));
            match result {
                Err(e) if e.is_transient() && attempt < retries && !self.gate.locking() => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_secs(u64::from(attempt)));
                }
                other => break other,
            }
        };
        let now = clock();
        match outcome {
            Ok(tokens) => {
                let rotated = tokens.refresh_token.is_some();
                let refreshed = refreshed_tokens(tokens, now);
                let generation = current.meta.generation;
                let commit = v.with(|vault| vault.commit_refresh(name, generation, refreshed, now));
                if commit.is_err() && rotated {
                    // The provider has spent the old token; presenting it again could get the
                    // whole grant revoked.
                    self.gate.spend(refresh_token);
                }
                let (grant, committed) = commit?;
                lock(&self.backoff).remove(&key);
                if !committed && !grant.meta.valid_for(now, SignedDuration::ZERO) {
                    return Err(WireError::new(
                        ErrorCode::Busy,
                        format!("{name:?} changed while refreshing; try again"),
                    ));
                }
                Ok(valid(grant, None))
            }
            Err(e) if e.needs_relogin() => {
                let message = e.to_string();
                v.with(|vault| vault.record_refresh_failure(name, true, &message, now))?;
                Err(relogin(name, &current.meta.provider, &message))
            }
            Err(e) => {
                let failure = WireError::from(e);
                v.with(|vault| vault.record_refresh_failure(name, false, &failure.message, now))?;
                // The current token may still serve: failures lose nothing. (Not when the
                // caller asked for a refresh: it wants to know.)
                if !force && current.meta.valid_for(now, SignedDuration::from_secs(5)) {
                    let warning = format!(
                        "could not refresh {name:?} ({}); the stored tokens are unchanged and the current token is valid until {}",
                        failure.message,
                        current
                            .meta
                            .expires
                            .map_or_else(|| "unknown".to_owned(), |x| x.to_string())
                    );
                    return Ok(valid(current, Some(warning)));
                }
                Err(WireError::new(
                    failure.code,
                    format!(
                        "cannot refresh {name:?}: {}; the stored tokens are unchanged",
                        failure.message
                    ),
                ))
            }
        }
    }

    /// Revokes at the provider (refresh token first: with most providers that ends the whole
    /// grant), then deletes the grant. Revocation failures are reported, not fatal.
    pub fn logout(
        &self,
        v: &mut impl VaultAccess,
        name: &str,
        clock: &dyn Fn() -> Timestamp,
    ) -> Result<LogoutOutcome> {
        let grant = v.with(|vault| vault.grant(name))?;
        let key = (v.path().to_owned(), grant.id);
        let flight = Arc::clone(lock(&self.flights).entry(key.clone()).or_default());
        let _thread_guard = lock(&flight);
        let _process_guard = ProcessLock::acquire(v.path(), &grant.id)?;
        // Re-read under the lock: a refresh may have rotated the tokens meanwhile.
        let grant = v.with(|vault| vault.grant(name))?;
        let provider = match v.with(|vault| vault.provider(&grant.meta.provider)) {
            Ok((meta, secret)) => Some(provider_of(&meta, secret)?),
            Err(_) => None,
        };
        let mut outcome = LogoutOutcome {
            revoked: false,
            problem: None,
        };
        match &provider {
            None => {
                outcome.problem = Some(format!(
                    "provider {:?} is no longer configured; nothing was revoked",
                    grant.meta.provider
                ));
            }
            Some(p) if p.endpoints.revocation.is_none() => {
                outcome.problem = Some(format!(
                    "{} has no revocation endpoint; revoke the app in its settings if needed",
                    p.name
                ));
            }
            Some(p) => {
                let http = self.http()?;
                let mut tokens = Vec::new();
                if let Some(r) = &grant.tokens.refresh_token {
                    tokens.push((token_of(r), TokenKind::Refresh));
                }
                tokens.push((token_of(&grant.tokens.access_token), TokenKind::Access));
                let mut ok = true;
                for (token, kind) in &tokens {
                    if let Err(e) = vault_oauth::revoke(&http, p, token, *kind) {
                        ok = false;
                        outcome.problem = Some(format!("revocation failed: {e}"));
                        break;
                    }
                }
                outcome.revoked = ok;
            }
        }
        v.with(|vault| vault.remove_grant(name, outcome.revoked, clock()))?;
        lock(&self.backoff).remove(&key);
        ProcessLock::remove(v.path(), &grant.id);
        Ok(outcome)
    }

    /// Refreshes every grant of this vault that expires within `lead`, once each, honouring
    /// back-off after transient failures. For the agent's background timer. Returns what it
    /// did, grant by grant.
    pub fn refresh_due(
        &self,
        v: &mut impl VaultAccess,
        lead: SignedDuration,
        clock: &dyn Fn() -> Timestamp,
    ) -> Vec<(String, Result<(), WireError>)> {
        let items = match v.with(|vault| vault.listing(None, None)) {
            Ok(items) => items,
            Err(e) => return vec![(String::new(), Err(e.into()))],
        };
        let mut report = Vec::new();
        for item in items {
            let ItemMeta::Grant(meta) = &item.meta else {
                continue;
            };
            let now = clock();
            if meta.status != GrantStatus::Ok || !meta.refreshable || meta.valid_for(now, lead) {
                continue;
            }
            let key = (v.path().to_owned(), item.id);
            if let Some((next, _)) = lock(&self.backoff).get(&key)
                && *next > now
            {
                continue;
            }
            let result = self
                .token_with(v, &meta.name, lead, clock, 0, false)
                .map(|_| ());
            if let Err(f) = &result
                && f.code == ErrorCode::ProviderUnavailable
            {
                let mut backoff = lock(&self.backoff);
                let failures = backoff.get(&key).map_or(0, |(_, n)| *n) + 1;
                let secs = (BACKOFF_START_SECS << (failures - 1).min(10)).min(BACKOFF_MAX_SECS);
                backoff.insert(key, (clock() + SignedDuration::from_secs(secs), failures));
            }
            report.push((meta.name.clone(), result));
        }
        report
    }
}

fn usable(meta: &GrantMeta, now: Timestamp, min_valid: SignedDuration) -> bool {
    meta.status == GrantStatus::Ok && meta.valid_for(now, meta.refresh_margin(min_valid))
}

fn valid(grant: Grant, warning: Option<String>) -> ValidToken {
    let Grant { id, meta, tokens } = grant;
    ValidToken {
        item: Item {
            id,
            meta: ItemMeta::Grant(meta),
        },
        value: tokens.access_token,
        warning,
    }
}

fn relogin(name: &str, provider: &str, reason: &str) -> WireError {
    WireError::new(
        ErrorCode::NeedsRelogin,
        format!("{name:?} needs a new login ({reason}); run `vault login {provider} --as {name}`"),
    )
}

fn token_of(value: &SecretValue) -> vault_oauth::Token {
    vault_oauth::Token::new(value.expose())
}

/// A configured client from a stored provider configuration (quirks from its preset).
fn provider_of(meta: &ProviderMeta, secret: Option<SecretValue>) -> Result<Provider> {
    let quirks = meta
        .preset
        .as_deref()
        .and_then(vault_oauth::preset)
        .map(|p| p.quirks)
        .unwrap_or_default();
    let provider = Provider {
        name: meta.name.clone(),
        endpoints: vault_oauth::Endpoints {
            issuer: meta.issuer.clone(),
            authorization: meta.authorization_endpoint.clone(),
            token: meta.token_endpoint.clone(),
            revocation: meta.revocation_endpoint.clone(),
            device_authorization: meta.device_authorization_endpoint.clone(),
            iss_parameter_supported: meta.iss_parameter_supported,
        },
        quirks,
        client_id: meta.client_id.clone(),
        client_secret: secret.map(|s| token_of(&s)),
    };
    provider.check()?;
    Ok(provider)
}

/// `now + lifetime`, for the lifetimes a token response gives.
fn after(lifetime: Option<std::time::Duration>, now: Timestamp) -> Option<Timestamp> {
    lifetime.and_then(|d| {
        let secs = i64::try_from(d.as_secs()).ok()?;
        now.checked_add(SignedDuration::from_secs(secs)).ok()
    })
}

fn expiry(tokens: &TokenSet, now: Timestamp) -> Option<Timestamp> {
    after(tokens.expires_in, now)
}

fn refreshed_tokens(tokens: TokenSet, now: Timestamp) -> RefreshedTokens {
    let expires = expiry(&tokens, now);
    RefreshedTokens {
        access_token: SecretValue::new(tokens.access_token.expose()),
        refresh_token: tokens
            .refresh_token
            .as_ref()
            .map(|t| SecretValue::new(t.expose())),
        token_type: tokens.token_type,
        scopes: tokens.scopes,
        expires,
        refresh_expires: after(tokens.refresh_expires_in, now),
    }
}

/// An exclusive `flock` on `<vault dir>/.<vault file>.grants/<grant id>.lock`, held while a
/// grant is refreshed or revoked, so separate processes on one vault take turns too.
struct ProcessLock {
    _file: File,
}

impl ProcessLock {
    fn dir(vault: &Path) -> PathBuf {
        let name = vault
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "vault".into());
        vault
            .parent()
            .unwrap_or(Path::new("."))
            .join(format!(".{name}.grants"))
    }

    fn acquire(vault: &Path, id: &ItemId) -> Result<ProcessLock> {
        let dir = Self::dir(vault);
        let io = |e: std::io::Error| {
            WireError::new(
                ErrorCode::Io,
                format!("cannot lock the grant in {}: {e}", dir.display()),
            )
        };
        vault_core::platform::create_private_dir_all(&dir).map_err(io)?;
        let file = vault_core::platform::private_file_options()
            .and_then(|mut o| {
                o.create(true)
                    .truncate(false)
                    .write(true)
                    .open(dir.join(format!("{id}.lock")))
            })
            .map_err(io)?;
        file.lock().map_err(io)?;
        Ok(ProcessLock { _file: file })
    }

    fn remove(vault: &Path, id: &ItemId) {
        let _ = std::fs::remove_file(Self::dir(vault).join(format!("{id}.lock")));
    }
}

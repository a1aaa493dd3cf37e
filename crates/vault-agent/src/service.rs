//! Answers protocol requests against unlocked vaults.
//!
//! The same code serves the agent's socket and the CLI's `--no-agent` mode. It owns the
//! unlocked [`Vault`]s; locking drops them, which zeroizes their keys. It is shared by the
//! agent's connection threads, so it locks internally, and it never holds its lock across a
//! key derivation: one client typing a password does not stall the others.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiff::SignedDuration;
use vault_core::model::AuditEvent;
use vault_core::{Error, LockedVault, Timestamp, Vault};

use crate::grants::{Grants, VaultAccess};

mod ops;
mod proxy;
mod resolve;
mod share;
mod sync;

use crate::protocol::{
    BUILD, Event, Op, PROTOCOL, Request, Response, VaultStatus, WireError, WireSecret,
};
use ops::{done, run_op};
use resolve::{GrantTokens, resolve};

/// Where `now` comes from: the system clock in binaries, a fixed one in tests.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// The idle time after which the agent locks, unless configured otherwise.
pub const DEFAULT_LOCK_AFTER: Duration = Duration::from_secs(15 * 60);

pub struct Service {
    state: Mutex<State>,
    clock: Clock,
    /// Subscribers to lock-state and item changes; a closed receiver is dropped at the next
    /// event.
    watchers: Mutex<Vec<Sender<Event>>>,
    /// OAuth: logins in progress, per-grant refresh locks, back-off.
    grants: Grants,
    /// Audit entries of runs, written after the answer has gone (see [`Self::defer_writes`]).
    deferred: Mutex<Vec<(PathBuf, AuditEvent, Timestamp)>>,
    defer: AtomicBool,
    /// `vault run --proxy`: the proxy (started by the first such run) and the vaults' CAs.
    proxy: proxy::ProxyHub,
    /// Sync: invitations waiting for their device.
    sync: sync::SyncHub,
}

struct State {
    unlocked: HashMap<PathBuf, Vault>,
    /// The last request that used or unlocked a vault (status queries do not count).
    last_used: Instant,
    lock_after: Option<Duration>,
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Service")
            .field("unlocked", &state.unlocked.keys().collect::<Vec<_>>())
            .field("lock_after", &state.lock_after)
            .finish()
    }
}

impl Service {
    pub fn new(clock: Clock) -> Self {
        Service {
            state: Mutex::new(State {
                unlocked: HashMap::new(),
                last_used: Instant::now(),
                lock_after: Some(DEFAULT_LOCK_AFTER),
            }),
            clock,
            watchers: Mutex::new(Vec::new()),
            grants: Grants::new(),
            deferred: Mutex::new(Vec::new()),
            defer: AtomicBool::new(false),
            proxy: proxy::ProxyHub::default(),
            sync: sync::SyncHub::default(),
        }
    }

    /// Writes the audit entry of a run after the answer instead of before it, so `vault run`
    /// does not wait for a synchronous commit. The agent turns this on and calls
    /// [`Self::write_deferred`] once each answer is sent; in-process, entries are written at once.
    pub fn defer_writes(&self, on: bool) {
        self.defer.store(on, Ordering::Relaxed);
    }

    /// Writes deferred audit entries, one transaction per vault. A failure here loses audit
    /// entries, never a secret or an item.
    pub fn write_deferred(&self) {
        let pending = std::mem::take(&mut *self.deferred.lock().unwrap_or_else(|e| e.into_inner()));
        if pending.is_empty() {
            return;
        }
        let mut by_vault: BTreeMap<PathBuf, Vec<(AuditEvent, Timestamp)>> = BTreeMap::new();
        for (path, event, at) in pending {
            by_vault.entry(path).or_default().push((event, at));
        }
        let mut state = self.state();
        for (path, events) in by_vault {
            if let Some(v) = state.unlocked.get_mut(&path) {
                let _ = v.record_all(events);
            }
        }
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// The state, even if a thread panicked while holding it: every change to it is a single
    /// map insert or removal, so it is never left half-done.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_unlocked(&self) -> bool {
        !self.state().unlocked.is_empty()
    }

    /// Whether every unlocked vault's key is locked in memory (kept out of swap).
    pub fn keys_locked_in_memory(&self) -> bool {
        self.state().unlocked.values().all(Vault::is_memory_locked)
    }

    pub fn set_lock_after(&self, lock_after: Option<Duration>) {
        self.state().lock_after = lock_after;
        self.notify();
    }

    /// Drops every unlocked vault (and with it every key), after writing pending audit entries.
    pub fn lock_all(&self) {
        let _quiet = self.grants.quiesce();
        self.write_deferred();
        let dropped = std::mem::take(&mut self.state().unlocked);
        self.proxy.forget(None);
        if !dropped.is_empty() {
            drop(dropped);
            self.notify();
        }
    }

    /// Locks everything when nothing has used a vault for the configured idle time. Returns
    /// whether it locked.
    pub fn lock_if_idle(&self, now: Instant) -> bool {
        let idle = {
            let state = self.state();
            !state.unlocked.is_empty()
                && state
                    .lock_after
                    .is_some_and(|after| now.saturating_duration_since(state.last_used) >= after)
        };
        if idle {
            self.lock_all();
        }
        idle
    }

    /// The unlocked vaults and the time left before each locks.
    pub fn status(&self, now: Instant) -> (Vec<VaultStatus>, Option<u64>) {
        let state = self.state();
        (state.statuses(now), state.lock_after.map(|d| d.as_secs()))
    }

    /// Lock-state and item changes from now on; the current state is not sent (ask
    /// [`Self::status`]).
    pub fn subscribe(&self) -> Receiver<Event> {
        let (tx, rx) = channel();
        // Under the service lock: what changed before this point was announced to the
        // subscribers of then (or to nobody) and is not this one's news; what changes after
        // it is announced to it too.
        let state = self.state();
        for v in state.unlocked.values() {
            let _ = v.take_changes();
        }
        self.watchers().push(tx);
        rx
    }

    fn watchers(&self) -> MutexGuard<'_, Vec<Sender<Event>>> {
        self.watchers.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn notify(&self) {
        let vaults = self.state().statuses(Instant::now());
        self.send(&Event::LockState(vaults));
    }

    fn send(&self, event: &Event) {
        self.watchers().retain(|w| w.send(event.clone()).is_ok());
    }

    /// Tells subscribers which items changed since the last call, in every unlocked vault:
    /// the agent calls it after each request, and on its tick for what happened elsewhere (a
    /// background refresh or sync round, a process that opened the file itself). Without a
    /// subscriber the changes are only forgotten, so their record never grows.
    pub fn announce_changes(&self) {
        let listening = !self.watchers().is_empty();
        let mut events = Vec::new();
        {
            let state = self.state();
            for (path, v) in &state.unlocked {
                if !listening {
                    v.forget_changes();
                    continue;
                }
                match v.take_changes() {
                    Ok(items) if !items.is_empty() => events.push(Event::Changed {
                        vault: path.clone(),
                        items,
                    }),
                    _ => {}
                }
            }
        }
        for event in &events {
            self.send(event);
        }
    }

    /// Makes `vault` unlocked, replacing an older unlocked copy.
    fn insert(&self, path: PathBuf, vault: Vault) {
        // The file may be another vault now (a restore): its proxy CA is read again.
        self.proxy.forget(Some(&path));
        {
            let mut state = self.state();
            state.last_used = Instant::now();
            state.unlocked.insert(path, vault);
        }
        self.notify();
    }

    pub fn handle(&self, request: Request) -> Response {
        match request {
            Request::Hello { .. } => Response::Hello {
                protocol: PROTOCOL.to_owned(),
                build: BUILD.to_owned(),
                pid: std::process::id(),
                replaced: false,
            },
            Request::Status => {
                let (vaults, lock_after_secs) = self.status(Instant::now());
                Response::Status {
                    vaults,
                    lock_after_secs,
                }
            }
            // A stream of events needs a connection; in-process there is nothing to stream.
            Request::Subscribe => Response::error(&Error::Invalid(
                "subscriptions are served by the agent only".into(),
            )),
            Request::Configure { lock_after_secs } => {
                self.set_lock_after(lock_after_secs.map(Duration::from_secs));
                Response::Ok
            }
            Request::Lock { vault: Some(path) } => {
                let _quiet = self.grants.quiesce();
                let dropped = self.state().unlocked.remove(&path);
                self.proxy.forget(Some(&path));
                if dropped.is_some() {
                    drop(dropped);
                    self.notify();
                }
                Response::Ok
            }
            Request::Lock { vault: None } => {
                self.lock_all();
                Response::Ok
            }
            // The socket server handles quitting; in-process there is nothing to stop.
            Request::Quit => Response::Ok,
            Request::Init {
                vault,
                password,
                kdf,
            } => match Vault::create(&vault, &password.0, kdf, self.now()) {
                Ok(v) => {
                    self.insert(vault, v);
                    Response::Ok
                }
                Err(e) => Response::error(&e),
            },
            Request::Unlock { vault, password } => {
                match LockedVault::open(&vault).and_then(|l| l.unlock(&password.0)) {
                    Ok(v) => {
                        self.insert(vault, v);
                        Response::Ok
                    }
                    Err(e) => Response::error(&e),
                }
            }
            Request::CheckPassword { vault, password } => {
                if !self.state().unlocked.contains_key(&vault) {
                    return Response::Ok;
                }
                match LockedVault::open(&vault).and_then(|l| l.check_password(&password.0)) {
                    Ok(()) => Response::Ok,
                    Err(e) => Response::error(&e),
                }
            }
            Request::ChangePassword {
                vault,
                current,
                new,
                kdf,
            } => {
                let now = self.now();
                let result = LockedVault::open(&vault)
                    .and_then(|l| l.unlock(&current.0))
                    .and_then(|mut v| v.change_password(&new.0, kdf, now).map(|()| v));
                match result {
                    Ok(v) => {
                        let erased = v.erased();
                        self.insert(vault, v);
                        done(erased)
                    }
                    Err(e) => Response::error(&e),
                }
            }
            Request::Vault { vault, op } if op.is_oauth() => self.oauth(vault, op),
            Request::Vault { vault, op } if op.is_proxy() => self.proxy_op(&vault, op),
            Request::Vault {
                vault,
                op: Op::Scan { request },
            } => self.scan(&vault, &request, Arc::default()),
            Request::Vault { vault, op } if op.is_sync() => self.sync_op(&vault, op),
            Request::Vault { vault, op } if op.is_share() => self.share_op(&vault, op),
            Request::Vault { vault, mut op } => {
                // `--proxy` turns the answer's values into placeholders, after resolving.
                let proxied = match &mut op {
                    Op::Resolve {
                        proxy,
                        references,
                        program,
                        ..
                    } => proxy.take().map(|mut p| {
                        p.program.clone_from(program);
                        (*p, references.clone())
                    }),
                    _ => None,
                };
                // OAuth grants among the values asked for get their tokens first (refreshing,
                // with network I/O, outside the service lock); the rest is answered under it.
                // A project file not allowed as it is gets nothing, not even a refresh of the
                // grants it names: it is checked first (and again under the lock, below).
                let tokens = match &op {
                    Op::Resolve {
                        references,
                        items,
                        tags,
                        min_valid_secs,
                        project,
                        ..
                    } if !self.project_refused(&vault, project.as_ref()) => {
                        self.grant_tokens(&vault, references, items, tags, *min_valid_secs)
                    }
                    _ => GrantTokens::new(),
                };
                if matches!(op, Op::Audit { .. }) {
                    // The log shows every run, including those answered a moment ago.
                    self.write_deferred();
                }
                let now = self.now();
                let mut state = self.state();
                let current = state.unlocked.get(&vault).map(Vault::is_current);
                match current {
                    Some(Err(e)) => return Response::error(&e),
                    Some(Ok(true)) => {
                        if let Some(v) = state.unlocked.get_mut(&vault) {
                            let passive = op.is_passive();
                            let allowance = match &op {
                                Op::Allow { path, .. } | Op::Deny { path } => Some(path.clone()),
                                _ => None,
                            };
                            let (mut response, audit) = match run(v, op, now, &tokens) {
                                Ok(r) => r,
                                Err(e) => (Response::error(&e), None),
                            };
                            if let Some((request, references)) = proxied {
                                response = self.proxy.open(
                                    v,
                                    &vault,
                                    self.clock.clone(),
                                    &references,
                                    response,
                                    request,
                                );
                            }
                            if !passive {
                                state.last_used = Instant::now();
                            }
                            drop(state);
                            if let Some(path) = allowance
                                && !matches!(response, Response::Error(_))
                            {
                                self.send(&Event::ProjectFile {
                                    vault: vault.clone(),
                                    path,
                                });
                            }
                            if let Some(event) = audit {
                                self.deferred
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .push((vault, event, now));
                                if !self.defer.load(Ordering::Relaxed) {
                                    self.write_deferred();
                                }
                            }
                            return response;
                        }
                    }
                    // Replaced or removed under us: forget it, so the client unlocks the file
                    // that is there now (or hears that none is).
                    Some(Ok(false)) => {
                        let dropped = state.unlocked.remove(&vault);
                        drop(state);
                        drop(dropped);
                        self.proxy.forget(Some(&vault));
                        self.notify();
                    }
                    None => drop(state),
                }
                // Say what is wrong with the file before asking for a password.
                match LockedVault::open(&vault) {
                    Ok(_) => Response::error(&Error::Locked),
                    Err(e) => Response::error(&e),
                }
            }
        }
    }
}

/// An unlocked vault of this service, reached by path; each access takes the service lock
/// for that call only, so a grant's network I/O never blocks other clients.
struct Shared<'a> {
    service: &'a Service,
    path: PathBuf,
    /// Whether an access counts as use for the idle lock (not for background refreshes).
    touch: bool,
}

impl VaultAccess for Shared<'_> {
    fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut Vault) -> vault_core::Result<T>,
    ) -> vault_core::Result<T> {
        self.service.with_vault(&self.path, self.touch, f)
    }
}

impl Service {
    /// Runs `f` on the unlocked vault at `path` under the service lock, as a vault operation
    /// does: a vault replaced on disk is forgotten, a locked one answers `locked`.
    fn with_vault<T>(
        &self,
        path: &Path,
        touch: bool,
        f: impl FnOnce(&mut Vault) -> vault_core::Result<T>,
    ) -> vault_core::Result<T> {
        let mut state = self.state();
        match state.unlocked.get(path).map(Vault::is_current) {
            Some(Err(e)) => return Err(e),
            Some(Ok(true)) => {
                if let Some(v) = state.unlocked.get_mut(path) {
                    let result = f(v);
                    if touch {
                        state.last_used = Instant::now();
                    }
                    return result;
                }
            }
            Some(Ok(false)) => {
                let dropped = state.unlocked.remove(path);
                drop(state);
                drop(dropped);
                self.proxy.forget(Some(path));
                self.notify();
            }
            None => drop(state),
        }
        LockedVault::open(path)?;
        Err(Error::Locked)
    }

    /// `vault scan`: the vault's secrets are read under the lock, the files outside it (a
    /// large tree takes seconds, and other clients are not kept waiting), until `stop` is set
    /// (the server sets it when the client went away).
    pub(crate) fn scan(
        &self,
        vault: &Path,
        request: &vault_scan::Request,
        stop: Arc<AtomicBool>,
    ) -> Response {
        let secrets = match self.with_vault(vault, true, |v| v.known_secrets()) {
            Ok(s) => s,
            Err(e) => return Response::error(&e),
        };
        let matcher = vault_scan::Matcher::new(secrets, true);
        Response::Scanned {
            report: vault_scan::scan_until(request, &matcher, stop),
        }
    }

    fn oauth(&self, vault: PathBuf, op: Op) -> Response {
        let grants = &self.grants;
        let mut v = Shared {
            service: self,
            path: vault,
            touch: true,
        };
        let clock: &dyn Fn() -> Timestamp = self.clock.as_ref();
        let result: Result<Response, WireError> = (|| {
            // Everything needs the vault unlocked (presets too: one rule for clients).
            v.with(|_| Ok(()))?;
            Ok(match op {
                Op::OauthPresets => Response::Presets {
                    presets: Grants::presets(),
                },
                Op::OauthProviders => Response::Providers {
                    providers: v.with(|vault| vault.providers())?,
                },
                Op::OauthAdd { provider } => Response::Provider {
                    provider: grants.add_provider(&mut v, provider, clock())?,
                },
                Op::OauthRemove { name } => {
                    let now = clock();
                    v.with(|vault| vault.remove_provider(&name, now))?;
                    Response::Ok
                }
                Op::OauthHosts { name, hosts } => {
                    let hosts = hosts
                        .map(|h| vault_core::hosts::parse_all(&h))
                        .transpose()
                        .map_err(|e| Error::Invalid(e.to_string()))?;
                    let now = clock();
                    Response::Provider {
                        provider: v.with(|vault| vault.set_provider_hosts(&name, hosts, now))?,
                    }
                }
                Op::LoginStart {
                    provider,
                    name,
                    scopes,
                    device,
                } => Response::LoginStarted {
                    prompt: grants.login_start(&mut v, &provider, name, scopes, device)?,
                },
                Op::LoginWait {
                    login,
                    timeout_secs,
                } => Response::Item {
                    item: grants.login_wait(
                        &mut v,
                        login,
                        Duration::from_secs(timeout_secs),
                        clock,
                    )?,
                },
                Op::LoginCancel { login } => {
                    grants.login_cancel(login);
                    Response::Ok
                }
                Op::Token {
                    name,
                    min_valid_secs,
                } => {
                    let secs = i64::try_from(min_valid_secs).unwrap_or(i64::MAX);
                    let t = match grants.token(
                        &mut v,
                        &name,
                        SignedDuration::from_secs(secs),
                        clock,
                    ) {
                        // A provider of that name, and no grant yet: say how to get one.
                        Err(e) if e.code == vault_core::ErrorCode::NotFound => {
                            let folded = vault_core::names::fold(&name);
                            let providers = v.with(|vault| vault.providers()).unwrap_or_default();
                            if providers
                                .iter()
                                .any(|p| vault_core::names::fold(&p.name) == folded)
                            {
                                return Err(WireError::new(
                                    vault_core::ErrorCode::NotFound,
                                    format!(
                                        "no grant named {name:?} yet; `vault login {name}` signs \
                                         in with the provider of that name"
                                    ),
                                ));
                            }
                            return Err(e);
                        }
                        r => r?,
                    };
                    Response::Token {
                        item: t.item,
                        value: WireSecret::new(t.value),
                        warning: t.warning,
                    }
                }
                Op::Refresh { name } => {
                    let t = grants.refresh_now(&mut v, &name, clock)?;
                    Response::Refreshed {
                        item: t.item,
                        warning: t.warning,
                    }
                }
                Op::Logout { name } => {
                    let o = grants.logout(&mut v, &name, clock)?;
                    Response::LoggedOut {
                        revoked: o.revoked,
                        problem: o.problem,
                    }
                }
                _ => Response::Error(WireError::new(
                    vault_core::ErrorCode::Internal,
                    "not an OAuth operation",
                )),
            })
        })();
        result.unwrap_or_else(Response::Error)
    }

    /// Access tokens of every grant a `resolve` names (by reference, by name or by tag),
    /// refreshed as needed, each through the grant's single flight.
    /// A valid access token of grant `name` in the vault at `vault`: the call behind
    /// [`Op::Token`], for code inside the agent (such as the `vault://` reference resolver of
    /// `vault run`). Refreshes first when the token expires within `min_valid` (capped at half
    /// its lifetime); single-flight per grant; counts as use of the vault.
    pub fn grant_token(
        &self,
        vault: &Path,
        name: &str,
        min_valid: SignedDuration,
    ) -> Result<crate::grants::ValidToken, WireError> {
        let mut v = Shared {
            service: self,
            path: vault.to_owned(),
            touch: true,
        };
        self.grants
            .token(&mut v, name, min_valid, self.clock.as_ref())
    }

    /// Refreshes, in every unlocked vault, the grants that expire within `lead` (with back-off
    /// after transient failures). The agent calls this on a timer while unlocked; returns the
    /// grants it tried and how each went.
    pub fn refresh_due(&self, lead: SignedDuration) -> Vec<(String, Result<(), WireError>)> {
        let paths: Vec<PathBuf> = self.state().unlocked.keys().cloned().collect();
        let clock: &dyn Fn() -> Timestamp = self.clock.as_ref();
        let mut report = Vec::new();
        for path in paths {
            let mut v = Shared {
                service: self,
                path,
                touch: false,
            };
            report.extend(self.grants.refresh_due(&mut v, lead, clock));
        }
        report
    }
}

impl State {
    fn statuses(&self, now: Instant) -> Vec<VaultStatus> {
        let left = self.lock_after.map(|after| {
            after
                .saturating_sub(now.saturating_duration_since(self.last_used))
                .as_secs()
        });
        let mut out: Vec<VaultStatus> = self
            .unlocked
            .keys()
            .map(|p| VaultStatus {
                path: p.clone(),
                unlocked: true,
                locks_in_secs: left,
            })
            .collect();
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }
}

fn secret(value: vault_core::SecretValue) -> WireSecret {
    WireSecret::new(value)
}

/// Runs one operation; the second value is an audit entry to write after answering.
fn run(
    v: &mut Vault,
    op: Op,
    now: Timestamp,
    tokens: &GrantTokens,
) -> Result<(Response, Option<AuditEvent>), Error> {
    if let Op::Resolve {
        references,
        items,
        tags,
        min_valid_secs: _,
        program,
        project,
        proxy: _,
    } = op
    {
        // One read transaction for the allowance and every value: one consistent state of the
        // vault, and a third less time for a run of 20 references.
        let resolved = v.reading(|v| {
            if let Some(p) = project
                && let Some(refusal) = v.project_file_refusal(&p.path, &p.digest, &p.hooks)?
            {
                let response = Response::ProjectFileRefused {
                    path: p.path,
                    refusal,
                };
                return Ok(Err(response));
            }
            resolve(v, references, items, tags, now, tokens).map(Ok)
        })?;
        let (response, used) = match resolved {
            Ok(resolved) => resolved,
            Err(refused) => return Ok((refused, None)),
        };
        // Only a run that was handed values is worth a line in the log.
        let audit = program
            .filter(|_| !used.is_empty())
            .map(|program| AuditEvent::Run {
                program,
                items: used.into_iter().collect(),
            });
        return Ok((response, audit));
    }
    // Every value that leaves the vault is in the log, with what asked for it.
    let asked_by = match &op {
        Op::Get { program, .. } => Some(program.clone().unwrap_or_else(|| "vault get".into())),
        _ => None,
    };
    let response = run_op(v, op, now)?;
    let audit = match (&response, asked_by) {
        (Response::Secret { item, .. }, Some(program)) => Some(AuditEvent::Run {
            program,
            items: vec![item.meta.name().to_owned()],
        }),
        _ => None,
    };
    Ok((response, audit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::NewKey;
    use vault_core::crypto::KdfParams;
    use vault_core::{ErrorCode, SecretValue};

    fn service() -> Service {
        let now: Timestamp = "2026-05-01T00:00:00Z".parse().unwrap();
        Service::new(Arc::new(move || now))
    }

    fn pw() -> WireSecret {
        WireSecret::new(SecretValue::new("pw for tests"))
    }

    #[test]
    fn locked_until_unlocked_then_serves() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let s = service();
        let r = s.handle(Request::Init {
            vault: path.clone(),
            password: pw(),
            kdf: KdfParams::MINIMUM,
        });
        assert!(matches!(r, Response::Ok), "{r:?}");
        s.lock_all();
        let list = || Request::Vault {
            vault: path.clone(),
            op: Op::List {
                query: None,
                tag: None,
            },
        };
        assert!(matches!(
            s.handle(list()),
            Response::Error(WireError {
                code: ErrorCode::Locked,
                ..
            })
        ));
        let r = s.handle(Request::Unlock {
            vault: path.clone(),
            password: WireSecret::new(SecretValue::new("nope")),
        });
        assert!(matches!(
            r,
            Response::Error(WireError {
                code: ErrorCode::WrongPassword,
                ..
            })
        ));
        assert!(matches!(
            s.handle(Request::Unlock {
                vault: path.clone(),
                password: pw()
            }),
            Response::Ok
        ));
        assert!(matches!(s.handle(list()), Response::Items { items } if items.is_empty()));
    }

    #[test]
    fn missing_vault_is_reported_before_locked() {
        let dir = tempfile::tempdir().unwrap();
        let s = service();
        let r = s.handle(Request::Vault {
            vault: dir.path().join("none.db"),
            op: Op::Get {
                name: "x".into(),
                program: None,
            },
        });
        assert!(
            matches!(
                r,
                Response::Error(WireError {
                    code: ErrorCode::NoVault,
                    ..
                })
            ),
            "{r:?}"
        );
    }

    #[test]
    fn idle_lock_and_subscribers_see_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let s = service();
        s.set_lock_after(Some(Duration::from_secs(60)));
        let events = s.subscribe();
        let r = s.handle(Request::Init {
            vault: path.clone(),
            password: pw(),
            kdf: KdfParams::MINIMUM,
        });
        assert!(matches!(r, Response::Ok), "{r:?}");
        let unlocked = match events.recv().unwrap() {
            Event::LockState(vaults) => vaults,
            Event::Changed { .. } | Event::ProjectFile { .. } => Vec::new(),
        };
        assert_eq!(unlocked.len(), 1);
        assert_eq!(unlocked[0].path, path);
        assert!(unlocked[0].locks_in_secs.unwrap() > 55);

        assert!(!s.lock_if_idle(Instant::now()), "not idle yet");
        assert!(s.is_unlocked());
        assert!(s.lock_if_idle(Instant::now() + Duration::from_secs(61)));
        assert!(!s.is_unlocked());
        assert_eq!(
            events.recv().unwrap(),
            Event::LockState(Vec::new()),
            "locking is announced"
        );

        s.set_lock_after(None);
        let _ = events.recv().unwrap();
        s.handle(Request::Unlock {
            vault: path,
            password: pw(),
        });
        let _ = events.recv().unwrap();
        assert!(!s.lock_if_idle(Instant::now() + Duration::from_secs(86_400 * 365)));
        assert!(s.is_unlocked(), "lock-after never: stays unlocked");
    }

    /// What a request changed is announced by name, once; a change by another process is
    /// found at the next announcement; without subscribers nothing is kept.
    #[test]
    fn subscribers_hear_which_items_changed_wherever_they_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let s = service();
        s.handle(Request::Init {
            vault: path.clone(),
            password: pw(),
            kdf: KdfParams::MINIMUM,
        });
        let op = |op: Op| {
            let r = s.handle(Request::Vault {
                vault: path.clone(),
                op,
            });
            assert!(!matches!(r, Response::Error(_)), "{r:?}");
        };
        let add = |name: &str| Op::Add {
            key: NewKey::new(name, secret(vault_core::SecretValue::new("v1"))),
        };
        // Before anyone listens: forgotten, never announced later.
        op(add("EARLY"));
        s.announce_changes();
        let events = s.subscribe();
        s.announce_changes();
        assert!(
            events.try_recv().is_err(),
            "nothing changed since subscribing"
        );

        op(add("STRIPE_KEY"));
        op(Op::Rotate {
            name: "STRIPE_KEY".into(),
            value: secret(vault_core::SecretValue::new("v2")),
            expires: None,
        });
        s.announce_changes();
        assert_eq!(
            events.try_recv().unwrap(),
            Event::Changed {
                vault: path.clone(),
                items: vec!["STRIPE_KEY".into()]
            }
        );
        assert!(events.try_recv().is_err(), "once");

        // Another process writes the file itself.
        let mut other = LockedVault::open(&path).unwrap().unlock(&pw().0).unwrap();
        let now = Timestamp::now();
        other
            .rotate("EARLY", &vault_core::SecretValue::new("v2"), now)
            .unwrap();
        other.remove("STRIPE_KEY", now).unwrap();
        s.announce_changes();
        assert_eq!(
            events.try_recv().unwrap(),
            Event::Changed {
                vault: path,
                items: vec!["EARLY".into(), "STRIPE_KEY".into()]
            }
        );
    }

    #[test]
    fn asking_what_is_due_does_not_keep_the_vault_unlocked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let s = service();
        s.set_lock_after(Some(Duration::from_secs(60)));
        s.handle(Request::Init {
            vault: path.clone(),
            password: pw(),
            kdf: KdfParams::MINIMUM,
        });
        let op = |op: Op| {
            s.handle(Request::Vault {
                vault: path.clone(),
                op,
            })
        };
        let mut key = NewKey {
            name: "old".into(),
            value: WireSecret::new(SecretValue::new("v")),
            env: vec![],
            service: None,
            tags: vec!["ci".into()],
            notes: String::new(),
            rotation: vault_core::RotationPolicy::Every { days: 30 },
            expires: None,
            last_rotated: Some("2026-01-01T00:00:00Z".parse().unwrap()),
            hosts: None,
            fields: Default::default(),
            secret_fields: Default::default(),
        };
        assert!(matches!(
            op(Op::Add { key: key.clone() }),
            Response::Item { .. }
        ));
        key.name = "new".into();
        key.tags = vec![];
        key.last_rotated = None;
        assert!(matches!(op(Op::Add { key }), Response::Item { .. }));
        // Used 50 s ago; a due query now must not restart the 60 s.
        let used = Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        let report = match op(Op::Due {
            lead_days: 14,
            tag: None,
        }) {
            Response::Due { report } => report,
            other => unreachable!("{other:?}"),
        };
        // The service's clock says 2026-05-01: `old` (due 01-31) is overdue, `new` is fine.
        assert_eq!(report.counts.overdue, 1);
        assert_eq!(report.items[0].name, "old");
        assert_eq!(report.now, "2026-05-01T00:00:00Z".parse().unwrap());
        assert!(
            s.lock_if_idle(used + Duration::from_secs(60)),
            "the due query did not count as use"
        );
        // Filtered by tag, and answered `locked` once locked.
        assert!(matches!(
            op(Op::Due {
                lead_days: 14,
                tag: Some("nope".into())
            }),
            Response::Error(WireError {
                code: ErrorCode::Locked,
                ..
            })
        ));
    }
}

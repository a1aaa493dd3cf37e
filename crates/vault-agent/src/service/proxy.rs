//! `vault run --proxy`, the agent's side: a resolve's values become placeholders bound to
//! their items' hosts, a session is opened on the agent's one proxy (started on first use),
//! and the session ends when the program's process does.
//!
//! Each vault has its own CA, made on its first `--proxy` run and kept sealed in it (its key
//! is never written anywhere else); each session's program gets the certificate in a CA bundle
//! in the agent's private folder, removed with the session.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use vault_core::model::{AuditEvent, ItemMeta};
use vault_core::refs::Reference;
use vault_core::vault::{PROXY_CA, Record};
use vault_core::{Error, SecretValue, Timestamp, Vault, names};
use vault_proxy::ca::Minter;
use vault_proxy::chain::UpstreamProxy;
use vault_proxy::table::Binding;
use vault_proxy::{Proxy, Secrets, SessionSpec, Unavailable, ca, placeholder};

use super::Service;
use crate::protocol::{
    Op, ProxyRequest, ProxySent, ProxySession, ProxySessionInfo, Resolution, Response, WireError,
    WireSecret,
};

/// How long an access token put into a request must stay valid: the request in flight (capped
/// at half the token's lifetime by the refresh logic).
const MIN_VALID: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// Loopback names a program reaches directly unless some secret of its run goes there.
const LOOPBACK: &[&str] = &["localhost", "127.0.0.1", "::1"];

/// A vault's CA: what signs its sessions' leaves, and its certificate.
type VaultCa = (Arc<Minter>, Vec<u8>);

/// A session as the agent knows it: what `vault proxy ls` shows besides the proxy's counts.
struct Running {
    vault: PathBuf,
    program: String,
    pid: u32,
    started: Timestamp,
    items: Vec<String>,
    strict: bool,
    bundle: PathBuf,
    secrets: Arc<VaultSecrets>,
}

/// The open sessions by id; an entry goes when its process ends or the user ends it.
type Registry = Arc<Mutex<HashMap<String, Running>>>;

/// The agent's proxy, once a run has asked for it.
#[derive(Default)]
pub(super) struct ProxyHub {
    running: Mutex<Option<Arc<Proxy>>>,
    sessions: Registry,
    /// Each unlocked vault's CA, opened once; forgotten when the vault is locked.
    cas: Mutex<HashMap<PathBuf, VaultCa>>,
    /// The service itself, for sessions to read values through, and the private folder the
    /// sessions' CA bundles go in; set by [`Service::attach_proxy`].
    attached: OnceLock<(Weak<Service>, PathBuf)>,
}

impl std::fmt::Debug for ProxyHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyHub").finish_non_exhaustive()
    }
}

/// Values for one session, read from the unlocked vault at each request.
struct VaultSecrets {
    service: Weak<Service>,
    vault: PathBuf,
    /// The session's items that are OAuth grants (their tokens may need a refresh); every
    /// other item is an API key.
    grants: std::collections::HashSet<String>,
    /// API keys' values as last read, with the vault's version stamp at that read: a request
    /// reads the stamp (one SQLite pragma) instead of the item's rows and their decryption, and
    /// any change to the vault, here or by another process, reads them again. Emptied when the
    /// vault locks ([`ProxyHub::forget`]): a locked vault's values are not kept here either.
    read: Mutex<HashMap<String, (Stamp, SecretValue)>>,
}

/// [`Vault::version_stamp`].
type Stamp = (i64, u64);

impl VaultSecrets {
    fn forget(&self) {
        self.read.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

impl Service {
    /// `vault proxy ls` and `vault proxy end`: the vault must be unlocked (its sessions are
    /// its business), and listing is not use (the app polls it while the view is open).
    pub(super) fn proxy_op(&self, vault: &Path, op: Op) -> Response {
        let listing = matches!(op, Op::ProxySessions);
        if let Err(e) = self.with_vault(vault, !listing, |_| Ok(())) {
            return Response::error(&e);
        }
        match op {
            Op::ProxySessions => Response::ProxySessions {
                sessions: self.proxy.list(vault),
            },
            Op::ProxyEnd { id } => {
                if self.proxy.end(vault, &id) {
                    Response::Ok
                } else {
                    Response::Error(WireError::new(
                        vault_core::ErrorCode::NotFound,
                        format!(
                            "no running `vault run --proxy` session {id:?}: see `vault proxy ls`"
                        ),
                    ))
                }
            }
            _ => Response::error(&Error::Invalid("not a proxy operation".into())),
        }
    }

    /// Lets `vault run --proxy` sessions read values from this service while it lives; their
    /// CA bundles go in `dir` (the agent's private folder). Without it (in-process, `--no-agent`)
    /// `--proxy` is refused: the proxy must outlive the command that asked for it.
    pub fn attach_proxy(self: &Arc<Self>, dir: PathBuf) {
        let _ = self.proxy.attached.set((Arc::downgrade(self), dir));
    }

    /// An API key's current value, read at each request: a rotation is used from the next
    /// request on, and a locked vault gives nothing. Proxy use does not count as use for the
    /// idle lock (a program polling an API would keep the vault open for ever).
    fn proxy_key_value(
        &self,
        vault: &Path,
        item: &str,
        read: &Mutex<HashMap<String, (Stamp, SecretValue)>>,
    ) -> Result<SecretValue, Unavailable> {
        let state = self.state();
        let Some(v) = state.unlocked.get(vault) else {
            return Err(Unavailable::Locked);
        };
        let stamp = v
            .version_stamp()
            .map_err(|e| Unavailable::Gone(e.to_string()))?;
        let mut read = read.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, value)) = read.get(item)
            && *at == stamp
        {
            return Ok(value.clone());
        }
        match v.api_key(item) {
            Ok(key) => {
                read.insert(item.to_owned(), (stamp, key.value.clone()));
                Ok(key.value)
            }
            Err(Error::NotFound { .. }) => {
                Err(Unavailable::Gone("it is no longer in the vault".into()))
            }
            Err(e) => Err(Unavailable::Gone(e.to_string())),
        }
    }

    /// A grant's access token, refreshed (network I/O) outside the service lock, one refresh
    /// per grant at a time, as for `vault token`.
    fn proxy_token(&self, vault: &Path, item: &str) -> Result<SecretValue, Unavailable> {
        if !self.state().unlocked.contains_key(vault) {
            return Err(Unavailable::Locked);
        }
        let mut v = super::Shared {
            service: self,
            path: vault.to_owned(),
            touch: false,
        };
        match self
            .grants
            .token(&mut v, item, MIN_VALID, self.clock.as_ref())
        {
            Ok(t) => Ok(t.value),
            Err(e) if e.code == vault_core::ErrorCode::Locked => Err(Unavailable::Locked),
            Err(e) => Err(Unavailable::Gone(e.message)),
        }
    }
}

impl Secrets for VaultSecrets {
    fn value(&self, item: &str) -> Result<SecretValue, Unavailable> {
        match self.service.upgrade() {
            None => Err(Unavailable::Locked),
            Some(service) if self.grants.contains(item) => service.proxy_token(&self.vault, item),
            Some(service) => service.proxy_key_value(&self.vault, item, &self.read),
        }
    }

    fn value_now(&self, item: &str) -> Option<Result<SecretValue, Unavailable>> {
        (!self.grants.contains(item)).then(|| self.value(item))
    }

    fn refused(&self, item: &str, destination: &str) {
        let Some(service) = self.service.upgrade() else {
            return;
        };
        let event = AuditEvent::ProxyRefused {
            item: item.to_owned(),
            destination: destination.to_owned(),
        };
        let now = service.now();
        // A locked vault cannot record it; the program's stderr and the 403 still say it.
        if let Some(v) = service.state().unlocked.get_mut(&self.vault) {
            let _ = v.record_all(vec![(event, now)]);
        }
    }
}

/// Whether a reference asks for an item's secret (its value or token) rather than a field of
/// its metadata, which goes to the program as it is.
fn wants_secret(r: &Reference) -> bool {
    matches!(r.field.as_deref(), None | Some("value" | "token"))
}

impl ProxyHub {
    fn running(
        &self,
        clock: Arc<dyn Fn() -> Timestamp + Send + Sync>,
    ) -> Result<Arc<Proxy>, String> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(proxy) = running.as_ref() {
            return Ok(proxy.clone());
        }
        let proxy = Arc::new(Proxy::start(clock).map_err(|e| e.to_string())?);
        *running = Some(proxy.clone());
        Ok(proxy)
    }

    /// The vault's CA (made and stored on first use) and its certificate.
    fn ca(&self, v: &mut Vault, vault: &Path, now: Timestamp) -> Result<VaultCa, String> {
        let mut cas = self.cas.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((minter, der)) = cas.get(vault) {
            return Ok((minter.clone(), der.clone()));
        }
        let parts = match v.own_record(PROXY_CA).map_err(|e| e.to_string())? {
            Some(r) => ca::CaParts {
                cert_der: r.public,
                key_pkcs8: r.secret,
            },
            None => {
                let parts = ca::generate(now).map_err(|e| e.to_string())?;
                v.put_own_record(
                    PROXY_CA,
                    &Record {
                        public: parts.cert_der.clone(),
                        secret: parts.key_pkcs8.clone(),
                    },
                )
                .map_err(|e| format!("cannot store the proxy's CA in the vault: {e}"))?;
                parts
            }
        };
        let minter = Arc::new(Minter::new(&parts, now).map_err(|e| e.to_string())?);
        cas.insert(vault.to_owned(), (minter.clone(), parts.cert_der.clone()));
        Ok((minter, parts.cert_der))
    }

    /// The vault's sessions, oldest first, with what each has done so far.
    fn list(&self, vault: &Path) -> Vec<ProxySessionInfo> {
        let Some(proxy) = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        else {
            return Vec::new();
        };
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let mut list: Vec<ProxySessionInfo> = sessions
            .iter()
            .filter(|(_, r)| r.vault == vault)
            .filter_map(|(id, r)| {
                let activity = proxy.activity(id)?;
                Some(ProxySessionInfo {
                    id: id.clone(),
                    program: r.program.clone(),
                    pid: r.pid,
                    started: r.started,
                    items: r.items.clone(),
                    strict: r.strict,
                    requests: activity.requests,
                    sent: activity
                        .sent
                        .into_iter()
                        .map(|s| ProxySent {
                            destination: s.destination,
                            items: s.items,
                            requests: s.requests,
                        })
                        .collect(),
                    refusals: activity.refusals,
                    recent_refusals: activity.recent_refusals,
                })
            })
            .collect();
        list.sort_by(|a, b| a.started.cmp(&b.started).then_with(|| a.id.cmp(&b.id)));
        list
    }

    /// Ends one of the vault's sessions; `false`: it has none of that id.
    fn end(&self, vault: &Path, id: &str) -> bool {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        // Another vault's session is not this vault's to end (nor to confirm exists).
        if sessions.get(id).is_none_or(|r| r.vault != vault) {
            return false;
        }
        let Some(running) = sessions.remove(id) else {
            return false;
        };
        drop(sessions);
        if let Some(proxy) = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            proxy.close(id);
        }
        let _ = fs::remove_file(&running.bundle);
        true
    }

    /// Forgets vaults' CAs when they are locked: their keys go with the rest. `None`: all.
    /// (A session still running keeps its own reference until it ends, so its program's open
    /// connections are not cut; it adds no value while the vault is locked.)
    pub(super) fn forget(&self, vault: Option<&Path>) {
        let mut cas = self.cas.lock().unwrap_or_else(|e| e.into_inner());
        match vault {
            Some(path) => {
                cas.remove(path);
            }
            None => cas.clear(),
        }
        drop(cas);
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        for running in sessions.values() {
            if vault.is_none_or(|path| running.vault == path) {
                running.secrets.forget();
            }
        }
    }

    /// Turns a resolve's answer into placeholders and a session. What cannot go through the
    /// proxy is reported like a reference that does not resolve, so nothing starts.
    pub(super) fn open(
        &self,
        v: &mut Vault,
        vault: &Path,
        clock: Arc<dyn Fn() -> Timestamp + Send + Sync>,
        references: &[Reference],
        response: Response,
        request: ProxyRequest,
    ) -> Response {
        let Response::Resolved {
            references: answers,
            selected,
            mut missing,
            attention,
            proxy: _,
        } = response
        else {
            return response;
        };
        let (Some((service, dir)), Some(pid)) = (self.attached.get(), request.pid) else {
            return Response::error(&Error::Invalid(
                "vault run --proxy needs the agent, which runs the proxy: drop --no-agent".into(),
            ));
        };
        let mut bindings: Vec<Binding> = Vec::new();
        let mut grants = std::collections::HashSet::new();
        let mut stand_in = |item: &str, value: WireSecret| -> Result<WireSecret, String> {
            if request
                .plain
                .iter()
                .any(|p| names::fold(p) == names::fold(item))
            {
                return Ok(value);
            }
            if let Some(b) = bindings.iter().find(|b| b.item == item) {
                return Ok(WireSecret::new(SecretValue::new(b.placeholder.clone())));
            }
            let hosts = match v.item(item).map(|i| i.meta) {
                Ok(ItemMeta::ApiKey(m)) => m.allowed_hosts(),
                Ok(ItemMeta::Grant(g)) => match v.provider(&g.provider) {
                    Ok((p, _)) => {
                        grants.insert(item.to_owned());
                        crate::grants::Grants::provider_hosts(&p)
                    }
                    Err(e) => return Err(format!("{item}: {e}")),
                },
                Err(e) => return Err(format!("{item}: {e}")),
            };
            if hosts.is_empty() {
                let how = match v.item(item).map(|i| i.meta) {
                    Ok(ItemMeta::Grant(g)) => {
                        format!("`vault oauth edit {} --host HOST`", g.provider)
                    }
                    _ => format!("`vault edit {item} --add-host HOST`"),
                };
                return Err(format!(
                    "{item} has no allowed hosts, so --proxy would send it nowhere: add one with \
                     {how}, or pass it in plain with --plain {item}"
                ));
            }
            let stand_in = placeholder::placeholder(value.0.expose())
                .map_err(|_| "the system's random number generator failed".to_owned())?;
            bindings.push(Binding {
                item: item.to_owned(),
                placeholder: stand_in.clone(),
                hosts,
            });
            Ok(WireSecret::new(SecretValue::new(stand_in)))
        };
        let mut answers_out = Vec::with_capacity(answers.len());
        for (answer, r) in answers.into_iter().zip(references) {
            answers_out.push(match answer {
                Resolution::Value { item, value } if wants_secret(r) => {
                    match stand_in(&item, value) {
                        Ok(value) => Resolution::Value { item, value },
                        Err(message) => Resolution::Unresolved { message },
                    }
                }
                other => other,
            });
        }
        let mut selected_out = Vec::with_capacity(selected.len());
        for mut s in selected {
            match stand_in(&s.item, s.value) {
                Ok(value) => {
                    s.value = value;
                    selected_out.push(s);
                }
                Err(message) => missing.push(message),
            }
        }
        let failed = !missing.is_empty()
            || answers_out
                .iter()
                .any(|a| matches!(a, Resolution::Unresolved { .. }));
        let proxy = if failed {
            // Nothing starts: no session to open.
            None
        } else {
            let now = clock();
            let opened = self.ca(v, vault, now).and_then(|ca| {
                let proxy = self.running(clock)?;
                let secrets = Arc::new(VaultSecrets {
                    service: service.clone(),
                    vault: vault.to_owned(),
                    grants,
                    read: Mutex::new(HashMap::new()),
                });
                let opened = Opened {
                    vault: vault.to_owned(),
                    started: now,
                    registry: self.sessions.clone(),
                };
                session(&proxy, dir, &request, pid, bindings, ca, secrets, opened)
            });
            match opened {
                Ok(session) => Some(session),
                Err(message) => return Response::error(&Error::Invalid(message)),
            }
        };
        Response::Resolved {
            references: answers_out,
            selected: selected_out,
            missing,
            attention,
            proxy,
        }
    }
}

/// Where a new session is recorded.
struct Opened {
    vault: PathBuf,
    started: Timestamp,
    registry: Registry,
}

/// Opens the session on `proxy`, writes its program's CA bundle, and watches `pid`: the
/// session and its bundle end with the process.
#[allow(clippy::too_many_arguments)]
fn session(
    proxy: &Arc<Proxy>,
    dir: &Path,
    request: &ProxyRequest,
    pid: u32,
    bindings: Vec<Binding>,
    (minter, ca_der): VaultCa,
    secrets: Arc<VaultSecrets>,
    opened: Opened,
) -> Result<ProxySession, String> {
    let mut extra_roots = Vec::new();
    for text in &request.extra_roots_pem {
        extra_roots
            .extend(ca::read_pem_certificates(text).map_err(|e| format!("--proxy-ca-file: {e}"))?);
    }
    let no_proxy = LOOPBACK
        .iter()
        .filter(|name| {
            !bindings
                .iter()
                .any(|b| b.hosts.iter().any(|h| h.host() == **name))
        })
        .map(|name| (*name).to_owned())
        .collect();
    // The program's stderr (the same file after `vault run` becomes the program): where
    // refusals (and with -v, substitutions) are said.
    let log = fs::OpenOptions::new()
        .append(true)
        .open(format!("/proc/{pid}/fd/2"))
        .ok()
        .map(|f| Box::new(f) as Box<dyn Write + Send>);
    let raw_pid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        .ok_or("the program's process id is not valid")?;
    let pidfd = rustix::process::pidfd_open(raw_pid, rustix::process::PidfdFlags::empty())
        .map_err(|e| format!("cannot watch process {pid}: {e}"))?;
    let items: Vec<String> = bindings.iter().map(|b| b.item.clone()).collect();
    let keys = proxy
        .open(SessionSpec {
            bindings,
            strict: request.strict,
            verbose: request.verbose,
            log,
            extra_roots,
            secrets: secrets.clone(),
            minter,
            upstream_proxy: request.upstream.clone().map(|u| UpstreamProxy {
                all: u.all,
                http: u.http,
                https: u.https,
                no: u.no,
            }),
        })
        .map_err(|e| e.to_string())?;
    let bundle = dir.join(format!("proxy-{}.pem", keys.id));
    let trusted: Vec<String> = request.trusted_pem.iter().cloned().collect();
    let written = vault_core::platform::private_file_options()
        .and_then(|mut options| options.write(true).create_new(true).open(&bundle))
        .and_then(|mut f| {
            f.write_all(ca::child_bundle(&ca_der, &trusted, &request.extra_roots_pem).as_bytes())
        });
    if let Err(e) = written {
        proxy.close(&keys.id);
        let _ = fs::remove_file(&bundle);
        return Err(format!(
            "cannot write the CA bundle {}: {e}",
            bundle.display()
        ));
    }
    // Recorded before the watcher starts, so that its removal (at once, for a process already
    // gone) always comes after: an entry added after it would stay for ever.
    opened
        .registry
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            keys.id.clone(),
            Running {
                vault: opened.vault,
                program: request.program.clone().unwrap_or_else(|| "?".to_owned()),
                pid,
                started: opened.started,
                items,
                strict: request.strict,
                bundle: bundle.clone(),
                secrets,
            },
        );
    let (id, file, watched) = (keys.id.clone(), bundle.clone(), proxy.clone());
    let registry = opened.registry.clone();
    let watcher = std::thread::Builder::new()
        .name("vault-proxy-session".into())
        .spawn(move || {
            let mut fds = [rustix::event::PollFd::new(
                &pidfd,
                rustix::event::PollFlags::IN,
            )];
            // Readable once the process has exited; an interrupted poll just polls again.
            while rustix::event::poll(&mut fds, None).is_err() {}
            registry
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id);
            watched.close(&id);
            let _ = fs::remove_file(&file);
        });
    if let Err(e) = watcher {
        opened
            .registry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&keys.id);
        proxy.close(&keys.id);
        let _ = fs::remove_file(&bundle);
        return Err(format!("cannot watch process {pid}: {e}"));
    }
    Ok(ProxySession {
        url: WireSecret::new(SecretValue::new(keys.url().as_str())),
        ca_bundle: bundle,
        no_proxy,
    })
}

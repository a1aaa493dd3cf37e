//! Answers protocol requests against unlocked vaults.
//!
//! The same code serves the agent's socket and the CLI's `--no-agent` mode. It owns the
//! unlocked [`Vault`]s; locking drops them, which zeroizes their keys.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use std::time::Duration;

use jiff::SignedDuration;
use vault_core::model::{ApiKey, ItemMeta};
use vault_core::{Error, LockedVault, NewApiKey, Timestamp, Vault, dotenv};

use crate::grants::{Failure, Grants, VaultAccess};
use crate::protocol::{NewKey, Op, PROTOCOL_VERSION, Request, Response, VaultStatus, WireSecret};

/// Where `now` comes from: the system clock in binaries, a fixed one in tests.
pub type Clock = Box<dyn Fn() -> Timestamp + Send>;

pub struct Service {
    unlocked: HashMap<PathBuf, Vault>,
    clock: Clock,
    build: String,
    grants: Grants,
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service")
            .field("unlocked", &self.unlocked.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Service {
    pub fn new(clock: Clock, build: impl Into<String>) -> Self {
        Service {
            unlocked: HashMap::new(),
            clock,
            build: build.into(),
            grants: Grants::new(),
        }
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    pub fn is_unlocked(&self) -> bool {
        !self.unlocked.is_empty()
    }

    pub fn unlocked_paths(&self) -> impl Iterator<Item = &Path> {
        self.unlocked.keys().map(PathBuf::as_path)
    }

    /// Drops every unlocked vault (and with it every key).
    pub fn lock_all(&mut self) {
        self.unlocked.clear();
    }

    pub fn handle(&mut self, request: Request) -> Response {
        match request {
            Request::Hello { .. } => Response::Hello {
                protocol: PROTOCOL_VERSION,
                build: self.build.clone(),
                pid: std::process::id(),
            },
            Request::Status => Response::Status {
                vaults: self
                    .unlocked
                    .keys()
                    .map(|p| VaultStatus {
                        path: p.clone(),
                        unlocked: true,
                        locks_in_secs: None,
                    })
                    .collect(),
                lock_after_secs: None,
            },
            Request::Lock { vault: Some(path) } => {
                self.unlocked.remove(&path);
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
                    self.unlocked.insert(vault, v);
                    Response::Ok
                }
                Err(e) => Response::error(&e),
            },
            Request::Unlock { vault, password } => {
                match LockedVault::open(&vault).and_then(|l| l.unlock(&password.0)) {
                    Ok(v) => {
                        self.unlocked.insert(vault, v);
                        Response::Ok
                    }
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
                        self.unlocked.insert(vault, v);
                        Response::Ok
                    }
                    Err(e) => Response::error(&e),
                }
            }
            Request::Vault { vault, op } if is_oauth(&op) => self.oauth(vault, op),
            Request::Vault { vault, op } => {
                let now = self.now();
                match self.unlocked.get_mut(&vault) {
                    Some(v) => run(v, op, now).unwrap_or_else(|e| Response::error(&e)),
                    // Say what is wrong with the file before asking for a password.
                    None => match LockedVault::open(&vault) {
                        Ok(_) => Response::error(&Error::Locked),
                        Err(e) => Response::error(&e),
                    },
                }
            }
        }
    }
}

/// Operations answered by [`Grants`]: they may talk to a provider, so they run outside any
/// single vault access.
fn is_oauth(op: &Op) -> bool {
    matches!(
        op,
        Op::OauthPresets
            | Op::OauthProviders
            | Op::OauthAdd { .. }
            | Op::OauthRemove { .. }
            | Op::LoginStart { .. }
            | Op::LoginWait { .. }
            | Op::LoginCancel { .. }
            | Op::Token { .. }
            | Op::Refresh { .. }
            | Op::Logout { .. }
    )
}

/// An unlocked vault of this service, reached by path on every access.
struct Unlocked<'a> {
    map: &'a mut HashMap<PathBuf, Vault>,
    path: PathBuf,
}

impl VaultAccess for Unlocked<'_> {
    fn path(&self) -> &Path {
        &self.path
    }

    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut Vault) -> vault_core::Result<T>,
    ) -> vault_core::Result<T> {
        match self.map.get_mut(&self.path) {
            Some(v) => f(v),
            // Say what is wrong with the file before asking for a password.
            None => match LockedVault::open(&self.path) {
                Ok(_) => Err(Error::Locked),
                Err(e) => Err(e),
            },
        }
    }
}

impl Service {
    fn oauth(&mut self, vault: PathBuf, op: Op) -> Response {
        let Service {
            unlocked,
            clock,
            grants,
            ..
        } = self;
        let mut v = Unlocked {
            map: unlocked,
            path: vault,
        };
        let clock: &dyn Fn() -> Timestamp = clock.as_ref();
        let result: Result<Response, Failure> = (|| {
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
                    let t = grants.token(&mut v, &name, SignedDuration::from_secs(secs), clock)?;
                    Response::Token {
                        item: t.item,
                        value: WireSecret::new(t.value),
                        warning: t.warning,
                    }
                }
                Op::Refresh { name } => {
                    let t = grants.refresh_now(&mut v, &name, clock)?;
                    Response::Token {
                        item: t.item,
                        value: WireSecret::new(t.value),
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
                _ => Response::Error {
                    code: vault_core::ErrorCode::Internal,
                    message: "not an OAuth operation".into(),
                },
            })
        })();
        result.unwrap_or_else(|f| Response::Error {
            code: f.code,
            message: f.message,
        })
    }

    /// Refreshes, in every unlocked vault, the grants that expire within `lead` (with back-off
    /// after transient failures). The agent calls this on a timer while unlocked; returns the
    /// grants it tried and how each went.
    pub fn refresh_due(&mut self, lead: SignedDuration) -> Vec<(String, Result<(), Failure>)> {
        let paths: Vec<PathBuf> = self.unlocked.keys().cloned().collect();
        let Service {
            unlocked,
            clock,
            grants,
            ..
        } = self;
        let clock: &dyn Fn() -> Timestamp = clock.as_ref();
        let mut report = Vec::new();
        for path in paths {
            let mut v = Unlocked {
                map: unlocked,
                path,
            };
            report.extend(grants.refresh_due(&mut v, lead, clock));
        }
        report
    }
}

fn secret(value: vault_core::SecretValue) -> WireSecret {
    WireSecret::new(value)
}

fn run(v: &mut Vault, op: Op, now: Timestamp) -> Result<Response, Error> {
    Ok(match op {
        Op::Ping => Response::Ok,
        Op::List { query, tag } => {
            let needle = query.as_deref().map(str::to_lowercase);
            let items = v
                .items()?
                .into_iter()
                .filter(|i| needle.as_deref().is_none_or(|n| i.meta.matches(n)))
                .filter(|i| {
                    tag.as_deref()
                        .is_none_or(|t| i.meta.tags().iter().any(|x| x == t))
                })
                .collect();
            Response::Items { items }
        }
        Op::Describe { name } => Response::Item {
            item: v.item(&name)?,
        },
        Op::Get { name } => {
            let ApiKey { id, meta, value } = v.api_key(&name)?;
            Response::Secret {
                item: vault_core::Item {
                    id,
                    meta: ItemMeta::ApiKey(meta),
                },
                value: secret(value),
            }
        }
        Op::Add { key } => {
            let NewKey {
                name,
                value,
                env,
                service,
                tags,
                notes,
                rotation,
                expires,
            } = key;
            let new = NewApiKey {
                name,
                value: value.into_inner(),
                env,
                service,
                tags,
                notes,
                rotation,
                expires,
            };
            Response::Item {
                item: v.add_api_key(new, now)?,
            }
        }
        Op::Edit { name, edit } => Response::Item {
            item: v.edit_api_key(&name, edit, now)?,
        },
        Op::Rotate { name, value } => Response::Version {
            version: v.rotate(&name, &value.0, now)?,
        },
        Op::History { name } => Response::Versions {
            versions: v.history(&name)?,
        },
        Op::VersionValue { name, version } => Response::Value {
            value: secret(v.version_value(&name, version)?),
        },
        Op::Rollback { name, to } => Response::Version {
            version: v.rollback(&name, to, now)?,
        },
        Op::Remove { name } => {
            v.remove(&name, now)?;
            Response::Ok
        }
        Op::Import {
            entries,
            tags,
            on_conflict,
        } => {
            let entries = entries
                .into_iter()
                .map(|e| dotenv::Entry {
                    key: e.key,
                    value: e.value.into_inner(),
                    line: e.line,
                })
                .collect();
            Response::Imported {
                report: v.import(entries, &tags, on_conflict, now)?,
            }
        }
        Op::Export => Response::Secrets {
            items: v
                .export(now)?
                .into_iter()
                .map(|k| {
                    (
                        vault_core::Item {
                            id: k.id,
                            meta: ItemMeta::ApiKey(k.meta),
                        },
                        secret(k.value),
                    )
                })
                .collect(),
        },
        Op::Audit { limit } => Response::Audit {
            entries: v.audit_log(limit)?,
        },
        // Routed to `Service::oauth` before this point.
        Op::OauthPresets
        | Op::OauthProviders
        | Op::OauthAdd { .. }
        | Op::OauthRemove { .. }
        | Op::LoginStart { .. }
        | Op::LoginWait { .. }
        | Op::LoginCancel { .. }
        | Op::Token { .. }
        | Op::Refresh { .. }
        | Op::Logout { .. } => return Err(Error::Invalid("not a vault operation".into())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vault_core::crypto::KdfParams;
    use vault_core::{ErrorCode, SecretValue};

    fn service() -> Service {
        let now: Timestamp = "2026-05-01T00:00:00Z".parse().unwrap();
        Service::new(Box::new(move || now), "test")
    }

    fn pw() -> WireSecret {
        WireSecret::new(SecretValue::new("pw for tests"))
    }

    #[test]
    fn locked_until_unlocked_then_serves() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.db");
        let mut s = service();
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
            Response::Error {
                code: ErrorCode::Locked,
                ..
            }
        ));
        let r = s.handle(Request::Unlock {
            vault: path.clone(),
            password: WireSecret::new(SecretValue::new("nope")),
        });
        assert!(matches!(
            r,
            Response::Error {
                code: ErrorCode::WrongPassword,
                ..
            }
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
        let mut s = service();
        let r = s.handle(Request::Vault {
            vault: dir.path().join("none.db"),
            op: Op::Get { name: "x".into() },
        });
        assert!(
            matches!(
                r,
                Response::Error {
                    code: ErrorCode::NoVault,
                    ..
                }
            ),
            "{r:?}"
        );
    }
}

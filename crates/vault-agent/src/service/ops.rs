//! One operation on an unlocked vault: the request's fields in, the vault's answer out.

use vault_core::attention;
use vault_core::model::{ApiKey, ItemMeta};
use vault_core::trust::Allowance;
use vault_core::{Error, NewApiKey, Timestamp, Vault, dotenv};

use super::secret;
use crate::protocol::{NewKey, Op, Response, into_secret_fields, wire_fields};

pub(super) fn run_op(v: &mut Vault, op: Op, now: Timestamp) -> Result<Response, Error> {
    Ok(match op {
        Op::Ping => Response::Ok,
        Op::List { query, tag } => Response::Items {
            items: v.listing(query.as_deref(), tag.as_deref())?,
        },
        Op::Describe { name } => Response::Item {
            item: v.item(&name)?,
        },
        Op::Get { name, .. } => {
            let ApiKey {
                id,
                meta,
                value,
                secret_fields,
            } = v.api_key(&name)?;
            Response::Secret {
                item: vault_core::Item {
                    id,
                    meta: ItemMeta::ApiKey(meta),
                },
                value: secret(value),
                fields: wire_fields(secret_fields),
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
                last_rotated,
                hosts,
                fields,
                secret_fields,
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
                last_rotated,
                hosts,
                fields,
                secret_fields: into_secret_fields(secret_fields),
            };
            Response::Item {
                item: v.add_api_key(new, now)?,
            }
        }
        Op::Edit {
            name,
            edit,
            secret_fields,
        } => Response::Item {
            item: v.edit_api_key_with(&name, edit, into_secret_fields(secret_fields), now)?,
        },
        Op::Rotate {
            name,
            value,
            expires,
        } => Response::Version {
            version: v.rotate_expiring(&name, &value.0, expires, now)?,
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
        Op::SyncResolve { name, take_other } => Response::Settled {
            settled: v.resolve_conflict(&name, take_other, now)?,
        },
        Op::MarkRefused { name, by } => Response::Item {
            item: v.mark_refused(&name, by, now)?,
        },
        Op::Remove { name } => {
            v.remove(&name, now)?;
            done(v.erased())
        }
        Op::Import {
            entries,
            tags,
            on_conflict,
        } => {
            let entries = entries
                .into_iter()
                .map(|e| {
                    (
                        dotenv::Entry {
                            key: e.key,
                            value: e.value.into_inner(),
                            line: e.line,
                        },
                        e.meta.map(|mut meta| {
                            meta.secret_fields = into_secret_fields(e.secret_fields);
                            meta
                        }),
                    )
                })
                .collect();
            Response::Imported {
                report: v.import_with(entries, &tags, on_conflict, now)?,
            }
        }
        Op::Backup { path } => Response::BackedUp {
            items: v.backup(&path, now)?,
        },
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
                        wire_fields(k.secret_fields),
                    )
                })
                .collect(),
        },
        Op::Audit { limit } => Response::Audit {
            entries: v.audit_log(limit)?,
        },
        Op::Due { lead_days, tag } => {
            let items = v.listing(None, tag.as_deref())?;
            Response::Due {
                report: attention::report_with(
                    items.iter().map(|i| &**i),
                    now,
                    lead_days,
                    &attention::Exposure {
                        devices_before: v.sync_exposed_before()?,
                        members: v.share_exposures()?,
                    },
                ),
            }
        }
        // Routed to `Service::oauth` before this point.
        Op::OauthPresets
        | Op::OauthProviders
        | Op::OauthAdd { .. }
        | Op::OauthRemove { .. }
        | Op::OauthHosts { .. }
        | Op::LoginStart { .. }
        | Op::LoginWait { .. }
        | Op::LoginCancel { .. }
        | Op::Token { .. }
        | Op::Refresh { .. }
        | Op::Logout { .. }
        // Routed to `Service::proxy_op` before this point.
        | Op::ProxySessions
        | Op::ProxyEnd { .. }
        // Routed to `Service::scan`, outside the lock.
        | Op::Scan { .. }
        | Op::SyncInit { .. }
        | Op::Sync
        | Op::SyncStatus
        | Op::SyncRemoveDevice { .. }
        | Op::SyncInvite
        | Op::SyncInviteWait { .. }
        | Op::SyncJoin { .. }
        | Op::SyncCompact
        | Op::ShareWhoami
        | Op::ShareList
        | Op::ShareAdd { .. }
        | Op::ShareAccept { .. }
        | Op::ShareRemove { .. } => return Err(Error::Invalid("not a vault operation".into())),
        Op::Resolve { .. } => {
            return Err(Error::Invalid("resolve is answered by `run`".into()));
        }
        Op::Allow { path, digest, vars } => {
            v.allow_project_file(
                Allowance {
                    path,
                    digest,
                    vars,
                    allowed_at: now,
                },
                now,
            )?;
            Response::Ok
        }
        Op::Deny { path } => Response::Denied {
            existed: v.deny_project_file(&path, now)?,
        },
        Op::Allowance { path } => Response::Allowance {
            allowance: v.allowance(&path)?,
        },
    })
}

/// `ok`, or `erase_pending` when an erasing write left its old rows in the WAL.
pub(super) fn done(erased: vault_core::Erased) -> Response {
    match erased {
        vault_core::Erased::Done => Response::Ok,
        vault_core::Erased::Pending => Response::ErasePending,
    }
}

//! `resolve`: the values of `vault run`, `vault env` and `vault inject`, in one answer.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use vault_core::model::ApiKey;
use vault_core::refs::Reference;
use vault_core::{Error, Timestamp, Vault};

use std::path::Path;

use jiff::SignedDuration;
use vault_core::model::ItemMeta;

use super::{Shared, secret};
use crate::grants::VaultAccess;
use crate::protocol::{DueWarning, Injection, Resolution, Response};

/// The values of a run. A reference or name that does not resolve is reported, not fatal: the
/// client lists every problem at once. A damaged or tampered vault is fatal.
pub(super) fn resolve(
    v: &Vault,
    references: Vec<Reference>,
    items: Vec<String>,
    tags: Vec<String>,
    now: Timestamp,
    tokens: &GrantTokens,
) -> Result<(Response, BTreeSet<String>), Error> {
    let mut used = BTreeMap::new();
    let mut used_grants = BTreeSet::new();
    let mut answers = Vec::with_capacity(references.len());
    for r in references {
        answers.push(match lookup(v, &r.item) {
            Ok(Found::Grant) => match (r.field.as_deref(), grant_token(tokens, &r.item)) {
                (None | Some("value" | "token"), Ok(t)) => {
                    used_grants.insert(t.name.clone());
                    Resolution::Value {
                        item: t.name.clone(),
                        value: secret(t.value.clone()),
                    }
                }
                (Some(field), Ok(_)) => Resolution::Unresolved {
                    message: format!("{r}: an OAuth grant has no field {field:?}; use its token"),
                },
                (_, Err(message)) => Resolution::Unresolved {
                    message: format!("{r}: {message}"),
                },
            },
            Ok(Found::Key(key)) => match key.field(r.field.as_deref().unwrap_or("value")) {
                Ok(value) => {
                    let item = key.meta.name.clone();
                    used.insert(item.clone(), key.meta);
                    Resolution::Value {
                        item,
                        value: secret(value),
                    }
                }
                Err(e) => Resolution::Unresolved {
                    message: format!("{r}: {e}"),
                },
            },
            Ok(Found::Missing) => Resolution::Unresolved {
                message: format!("{r}: no item named {:?}", r.item),
            },
            Err(e) => return Err(e),
        });
    }
    let mut selected = Vec::new();
    let mut missing = Vec::new();
    let mut keys = Vec::new();
    let mut grants = Vec::new();
    for name in items {
        match lookup(v, &name)? {
            Found::Key(key) => keys.push(*key),
            Found::Grant => grants.push(name),
            Found::Missing => missing.push(format!("no item named {name:?}")),
        }
    }
    for tag in tags {
        let tagged = v.listing(None, Some(&tag))?;
        if tagged.is_empty() {
            missing.push(format!("no item is tagged {tag:?}"));
        }
        for item in tagged {
            match lookup(v, item.meta.name())? {
                Found::Key(key) => keys.push(*key),
                Found::Grant => grants.push(item.meta.name().to_owned()),
                Found::Missing => {}
            }
        }
    }
    for name in grants {
        match grant_token(tokens, &name) {
            Ok(t) => {
                for env in &t.env {
                    selected.push(Injection {
                        env: env.clone(),
                        item: t.name.clone(),
                        value: secret(t.value.clone()),
                    });
                }
                used_grants.insert(t.name.clone());
            }
            Err(message) => missing.push(format!("{name}: {message}")),
        }
    }
    for key in keys {
        for env in &key.meta.env {
            selected.push(Injection {
                env: env.clone(),
                item: key.meta.name.clone(),
                value: secret(key.value.clone()),
            });
        }
        used.insert(key.meta.name.clone(), key.meta);
    }
    // Only what is already past: a run is no place for "due soon".
    let attention = used
        .values()
        .filter_map(|meta| {
            let (reason, since) = meta.schedule().check(now, jiff::SignedDuration::ZERO)?;
            Some(DueWarning {
                item: meta.name.clone(),
                reason,
                since,
            })
        })
        .collect();
    let response = Response::Resolved {
        references: answers,
        selected,
        missing,
        attention,
        proxy: None,
    };
    let mut names: BTreeSet<String> = used.into_keys().collect();
    names.extend(used_grants);
    Ok((response, names))
}

/// What a name is in the vault.
enum Found {
    Key(Box<ApiKey>),
    /// An OAuth grant: its token comes from the prefetched [`GrantTokens`].
    Grant,
    Missing,
}

fn lookup(v: &Vault, name: &str) -> Result<Found, Error> {
    match v.api_key(name) {
        Ok(k) => Ok(Found::Key(Box::new(k))),
        Err(Error::NotFound { .. }) => Ok(Found::Missing),
        Err(e) => match v.item(name) {
            Ok(item) if item.meta.as_grant().is_some() => Ok(Found::Grant),
            _ => Err(e),
        },
    }
}

/// A grant's access token, fetched (and refreshed) before the resolve ran.
pub(super) struct PrefetchedToken {
    pub name: String,
    pub env: Vec<String>,
    pub value: vault_core::SecretValue,
}

/// Grant tokens by folded name, or why there is none.
pub(super) type GrantTokens = HashMap<String, Result<PrefetchedToken, String>>;

fn grant_token<'a>(tokens: &'a GrantTokens, name: &str) -> Result<&'a PrefetchedToken, String> {
    match tokens.get(&vault_core::names::fold(name)) {
        Some(Ok(t)) => Ok(t),
        Some(Err(message)) => Err(message.clone()),
        None => Err("the grant appeared while resolving; try again".into()),
    }
}

/// Tokens are fetched (and refreshed, with network I/O) before the service lock is taken for
/// the resolve itself.
impl super::Service {
    /// Whether `project` is a project file the vault would refuse (or cannot say: locked,
    /// unreadable), in which case the resolve that follows reports why.
    pub(super) fn project_refused(
        &self,
        vault: &Path,
        project: Option<&crate::protocol::ProjectFileUse>,
    ) -> bool {
        let Some(p) = project else {
            return false;
        };
        let mut v = Shared {
            service: self,
            path: vault.to_owned(),
            touch: false,
        };
        !matches!(
            v.with(|vault| vault.project_file_refusal(&p.path, &p.digest, &p.hooks)),
            Ok(None)
        )
    }

    pub(super) fn grant_tokens(
        &self,
        vault: &Path,
        references: &[Reference],
        items: &[String],
        tags: &[String],
        min_valid_secs: u64,
    ) -> GrantTokens {
        let mut v = Shared {
            service: self,
            path: vault.to_owned(),
            touch: true,
        };
        let Ok(all) = v.with(|vault| vault.listing(None, None)) else {
            // Locked or unreadable: the resolve itself reports it.
            return GrantTokens::new();
        };
        let named: BTreeSet<String> = references
            .iter()
            .map(|r| vault_core::names::fold(&r.item))
            .chain(items.iter().map(|n| vault_core::names::fold(n)))
            .collect();
        let min_valid =
            SignedDuration::from_secs(i64::try_from(min_valid_secs).unwrap_or(i64::MAX));
        let mut out = GrantTokens::new();
        for item in all {
            let ItemMeta::Grant(g) = &item.meta else {
                continue;
            };
            let folded = vault_core::names::fold(&g.name);
            if !named.contains(&folded) && !g.tags.iter().any(|t| tags.contains(t)) {
                continue;
            }
            let result = self
                .grants
                .token(&mut v, &g.name, min_valid, self.clock.as_ref())
                .map(|t| PrefetchedToken {
                    name: g.name.clone(),
                    env: g.env.clone(),
                    value: t.value,
                })
                .map_err(|f| f.message);
            out.insert(folded, result);
        }
        out
    }
}

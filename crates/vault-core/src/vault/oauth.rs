//! OAuth grants (logins, refreshes, logouts) and provider configurations.

use jiff::Timestamp;
use zeroize::Zeroizing;

use super::crypt::{At, LABEL_PROVIDER_META, LABEL_PROVIDER_SECRET, RowCells};
use super::{Vault, check_value, dedup};
use crate::crypto::random_array;
use crate::error::{Error, Result};
use crate::model::{
    AuditEvent, Grant, GrantMeta, GrantStatus, GrantTokens, Item, ItemId, ItemKind, ItemMeta,
    NewGrant, PROVIDER_KIND_CODE, ProviderMeta, RefreshedTokens,
};
use crate::names::{check_env_name, check_item_name, env_name_for, fold};
use crate::secret::SecretValue;
use crate::store::{ItemRow, cell_aad};

impl Vault {
    /// A grant with its tokens.
    pub fn grant(&self, name: &str) -> Result<Grant> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let (row, id, meta) = crypt.find_grant(&db, name)?;
        let tokens = crypt.open_tokens(&id, &db.secret(&row.id)?)?;
        Ok(Grant { id, meta, tokens })
    }

    /// Stores the outcome of a login. With `replace`, an existing grant of that name takes the
    /// new tokens (a re-login); an API key of that name is never replaced.
    pub fn save_grant(&mut self, new: NewGrant, replace: bool, now: Timestamp) -> Result<Item> {
        check_value(&new.tokens.access_token)?;
        if let Some(r) = &new.tokens.refresh_token {
            check_value(r)?;
        }
        check_item_name(&new.name)?;
        let mut env = new.env;
        if env.is_empty() {
            env.push(env_name_for(&new.name));
        }
        for e in &env {
            check_env_name(e)?;
        }
        dedup(&mut env);
        let (store, crypt) = self.parts();
        store.write_erasing(&crypt, |db| {
            let existing = db.item_by_tag(&crypt.name_tag(&new.name))?;
            let mut meta = GrantMeta {
                name: new.name.clone(),
                env,
                tags: Vec::new(),
                notes: String::new(),
                provider: new.provider.clone(),
                token_type: new.token_type,
                scopes: new.scopes,
                expires: new.expires,
                refresh_expires: new.refresh_expires,
                obtained: now,
                subject: new.subject,
                email: new.email,
                created: now,
                updated: now,
                last_refresh: None,
                refreshable: new.tokens.refresh_token.is_some(),
                status: GrantStatus::Ok,
                last_error: None,
                generation: 1,
            };
            let item = match existing {
                None => {
                    let id = ItemId(random_array()?);
                    let at = At::new(id);
                    let item_meta = ItemMeta::Grant(meta);
                    let row = ItemRow {
                        id: id.0,
                        kind: ItemKind::Grant.code(),
                        name_tag: crypt.name_tag(&new.name),
                        meta: crypt.seal_meta(at, &item_meta)?,
                        rev: at.rev,
                    };
                    db.insert_item(&row, &crypt.seal_tokens(at, &new.tokens)?)?;
                    Item {
                        id,
                        meta: item_meta,
                    }
                }
                Some(row) => {
                    let old = crypt.item(&row)?;
                    let ItemMeta::Grant(old_meta) = old.meta else {
                        return Err(Error::AlreadyExists { name: new.name });
                    };
                    if !replace {
                        return Err(Error::AlreadyExists { name: new.name });
                    }
                    // A re-login keeps what the user set on the grant.
                    meta.env = old_meta.env;
                    meta.tags = old_meta.tags;
                    meta.notes = old_meta.notes;
                    meta.created = old_meta.created;
                    meta.generation = old_meta.generation + 1;
                    crypt.write_grant(db, &row, &old.id, meta.clone(), Some(&new.tokens))?;
                    Item {
                        id: old.id,
                        meta: ItemMeta::Grant(meta),
                    }
                }
            };
            crypt.audit(
                db,
                AuditEvent::GrantLoggedIn {
                    name: new.name,
                    provider: new.provider,
                },
                now,
            )?;
            Ok(item)
        })
    }

    /// Commits a refresh, if the grant is still at `generation` (nobody else refreshed it in
    /// between); otherwise nothing is written and the current grant is returned unchanged with
    /// `false`.
    pub fn commit_refresh(
        &mut self,
        name: &str,
        generation: u64,
        refreshed: RefreshedTokens,
        now: Timestamp,
    ) -> Result<(Grant, bool)> {
        check_value(&refreshed.access_token)?;
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let (row, id, mut meta) = crypt.find_grant(db, name)?;
            let old = crypt.open_tokens(&id, &db.secret(&row.id)?)?;
            if meta.generation != generation {
                return Ok((
                    Grant {
                        id,
                        meta,
                        tokens: old,
                    },
                    false,
                ));
            }
            // A refresh that keeps the old refresh token keeps its end too (RFC 6749 §6).
            if refreshed.refresh_token.is_some() {
                meta.refresh_expires = refreshed.refresh_expires;
            }
            let tokens = GrantTokens {
                access_token: refreshed.access_token,
                refresh_token: refreshed.refresh_token.or(old.refresh_token),
            };
            meta.token_type = refreshed.token_type;
            if let Some(scopes) = refreshed.scopes {
                meta.scopes = scopes;
            }
            meta.expires = refreshed.expires;
            meta.obtained = now;
            meta.updated = now;
            meta.last_refresh = Some(now);
            meta.refreshable = tokens.refresh_token.is_some();
            meta.status = GrantStatus::Ok;
            meta.last_error = None;
            meta.generation += 1;
            crypt.write_grant(db, &row, &id, meta.clone(), Some(&tokens))?;
            Ok((Grant { id, meta, tokens }, true))
        })
    }

    /// Records a failed refresh; the tokens stay as they are. `needs_relogin` marks the grant
    /// (and audits it); otherwise `error` is kept as the last transient failure.
    pub fn record_refresh_failure(
        &mut self,
        name: &str,
        needs_relogin: bool,
        error: &str,
        now: Timestamp,
    ) -> Result<GrantMeta> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let (row, id, mut meta) = crypt.find_grant(db, name)?;
            meta.updated = now;
            if needs_relogin {
                let first = meta.status == GrantStatus::Ok;
                meta.status = GrantStatus::NeedsRelogin {
                    reason: error.to_owned(),
                };
                meta.last_error = None;
                if first {
                    crypt.audit(
                        db,
                        AuditEvent::GrantNeedsRelogin {
                            name: meta.name.clone(),
                        },
                        now,
                    )?;
                }
            } else {
                meta.last_error = Some(error.to_owned());
            }
            crypt.write_grant(db, &row, &id, meta.clone(), None)?;
            Ok(meta)
        })
    }

    /// Deletes a grant after `vault logout`.
    pub fn remove_grant(&mut self, name: &str, revoked: bool, now: Timestamp) -> Result<()> {
        let (store, crypt) = self.parts();
        store.write_erasing(&crypt, |db| {
            let (row, _, meta) = crypt.find_grant(db, name)?;
            db.delete_item(&row.id)?;
            crypt.audit(
                db,
                AuditEvent::GrantLoggedOut {
                    name: meta.name,
                    revoked,
                },
                now,
            )
        })
    }

    /// Every provider configuration, sorted by name.
    pub fn providers(&self) -> Result<Vec<ProviderMeta>> {
        let crypt = self.crypt_parts();
        let mut out = self
            .store
            .db()
            .items()?
            .iter()
            .filter(|row| row.kind == PROVIDER_KIND_CODE)
            .map(|row| crypt.provider(row))
            .collect::<Result<Vec<_>>>()?;
        out.sort_by_cached_key(|p| fold(&p.name));
        Ok(out)
    }

    /// A provider configuration and its client secret, if it has one.
    pub fn provider(&self, name: &str) -> Result<(ProviderMeta, Option<SecretValue>)> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let (row, meta) = crypt.find_provider(&db, name)?;
        let secret = if meta.has_client_secret {
            let sealed = db.secret(&row.id)?;
            let aad = cell_aad(&row.id, sealed.rev);
            let bytes = crypt.open(LABEL_PROVIDER_SECRET, &aad, &sealed.blob, || {
                format!("the client secret of provider {:?}", meta.name)
            })?;
            Some(SecretValue::from_utf8(bytes).map_err(|_| {
                crypt.tampered(format!("the client secret of provider {:?}", meta.name))
            })?)
        } else {
            None
        };
        Ok((meta, secret))
    }

    /// Adds a provider configuration, or replaces one with `replace`.
    pub fn save_provider(
        &mut self,
        mut meta: ProviderMeta,
        client_secret: Option<SecretValue>,
        replace: bool,
        now: Timestamp,
    ) -> Result<()> {
        check_item_name(&meta.name)?;
        if meta.client_id.trim().is_empty() {
            return Err(Error::invalid("the client id is empty"));
        }
        if let Some(s) = &client_secret {
            check_value(s)?;
        }
        meta.has_client_secret = client_secret.is_some();
        meta.updated = now;
        let (store, crypt) = self.parts();
        store.write_erasing(&crypt, |db| {
            let tag = crypt.provider_tag(&meta.name);
            let (at, existing) = match db.item_by_tag(&tag)? {
                Some(row) if !replace => {
                    let old = crypt.provider(&row)?;
                    return Err(Error::ProviderExists { name: old.name });
                }
                Some(row) => {
                    meta.created = crypt.provider(&row)?.created;
                    (At::of(&row).next(), true)
                }
                None => {
                    meta.created = now;
                    (At::new(ItemId(random_array()?)), false)
                }
            };
            let json = Zeroizing::new(
                serde_json::to_vec(&meta).map_err(|e| Error::invalid(e.to_string()))?,
            );
            // A provider without a secret still has a secret cell: an empty sealed record.
            let secret_plain = client_secret
                .as_ref()
                .map(|s| s.expose().as_bytes())
                .unwrap_or_default();
            crypt.put_row(
                db,
                at,
                existing,
                RowCells {
                    kind: PROVIDER_KIND_CODE,
                    name_tag: tag,
                    meta: (LABEL_PROVIDER_META, &json),
                    secret: (LABEL_PROVIDER_SECRET, secret_plain),
                },
            )?;
            crypt.audit(
                db,
                AuditEvent::ProviderAdded {
                    name: meta.name.clone(),
                },
                now,
            )
        })
    }

    /// Sets where the provider's grants' tokens may be sent (`None`: its preset's hosts).
    pub fn set_provider_hosts(
        &mut self,
        name: &str,
        hosts: Option<Vec<crate::hosts::HostRule>>,
        now: Timestamp,
    ) -> Result<ProviderMeta> {
        let (mut meta, secret) = self.provider(name)?;
        meta.hosts = hosts.map(|mut h| {
            let mut seen = std::collections::HashSet::new();
            h.retain(|r| seen.insert(r.clone()));
            h
        });
        self.save_provider(meta.clone(), secret, true, now)?;
        self.provider(name).map(|(meta, _)| meta)
    }

    /// Removes a provider configuration; refused while a grant uses it.
    pub fn remove_provider(&mut self, name: &str, now: Timestamp) -> Result<()> {
        let users: Vec<String> = self
            .items()?
            .into_iter()
            .filter_map(|i| match i.meta {
                ItemMeta::Grant(g) if fold(&g.provider) == fold(name) => Some(g.name),
                _ => None,
            })
            .collect();
        if !users.is_empty() {
            return Err(Error::invalid(format!(
                "provider {name:?} is used by {}; `vault logout` them first",
                users.join(", ")
            )));
        }
        let (store, crypt) = self.parts();
        store.write_erasing(&crypt, |db| {
            let (row, meta) = crypt.find_provider(db, name)?;
            db.delete_item(&row.id)?;
            crypt.audit(db, AuditEvent::ProviderRemoved { name: meta.name }, now)
        })
    }
}

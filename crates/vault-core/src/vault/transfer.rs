//! Moving items in and out of the vault: dotenv imports and exports, and backups.

use std::path::Path;

use jiff::Timestamp;

use super::bundle::Bundle;
use super::crypt::Crypt;
use super::{LockedVault, Vault, check_secret_fields, check_value, insert_row, normalize};
use crate::dotenv::Entry;
use crate::error::{Error, Result};
use crate::formats;
use crate::model::{
    ApiKey, ApiKeyMeta, AuditEvent, ImportReport, ImportedMeta, Item, ItemMeta, OnConflict,
    Recognised, Skipped,
};
use crate::names::check_tag;
use crate::rotation::RotationPolicy;

impl Vault {
    /// Imports dotenv entries in one transaction: all of them land, or none.
    pub fn import(
        &mut self,
        entries: Vec<Entry>,
        tags: &[String],
        on_conflict: OnConflict,
        now: Timestamp,
    ) -> Result<ImportReport> {
        let entries = entries.into_iter().map(|e| (e, None)).collect();
        self.import_with(entries, tags, on_conflict, now)
    }

    /// Like [`Self::import`], each entry with the metadata a new item takes (from a JSON
    /// export) when it has some; `tags` are added to its own.
    pub fn import_with(
        &mut self,
        entries: Vec<(Entry, Option<ImportedMeta>)>,
        tags: &[String],
        on_conflict: OnConflict,
        now: Timestamp,
    ) -> Result<ImportReport> {
        for tag in tags {
            check_tag(tag)?;
        }
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let mut report = ImportReport::default();
            for (Entry { key, value, line }, given) in entries {
                if let Err(e) = check_value(&value) {
                    report.skipped.push(Skipped {
                        line,
                        key: Some(key),
                        reason: e.to_string(),
                    });
                    continue;
                }
                match db.item_by_tag(&crypt.name_tag(&key))? {
                    None => {
                        // A recognised value brings its provider and rotation policy; the env
                        // name stays the file's.
                        let format = formats::detect(value.expose());
                        let mut secret = Bundle::plain(value);
                        let meta = match given {
                            Some(m) => {
                                check_secret_fields(&m.secret_fields)?;
                                secret.fields = m.secret_fields;
                                let mut all_tags = m.tags;
                                all_tags.extend(tags.iter().cloned());
                                // What the source left unsaid, a recognised value tells
                                // (another manager's entry has no service or policy).
                                let service = m
                                    .service
                                    .or_else(|| format.map(|f| f.service.id.to_owned()));
                                let rotation = match (m.rotation, format) {
                                    (RotationPolicy::Default, Some(f)) => f.policy(),
                                    (r, _) => r,
                                };
                                ApiKeyMeta {
                                    name: key.clone(),
                                    env: m.env,
                                    service,
                                    tags: all_tags,
                                    notes: m.notes,
                                    created: now,
                                    updated: now,
                                    // Never in the future: a due date counts from it.
                                    last_rotated: m.last_rotated.map_or(now, |t| t.min(now)),
                                    rotation,
                                    expires: m.expires,
                                    version: 1,
                                    hosts: m.hosts,
                                    fields: m.fields,
                                    secret_fields: secret.names(),
                                    refused: None,
                                    conflict: None,
                                }
                            }
                            None => ApiKeyMeta {
                                name: key.clone(),
                                env: vec![key.clone()],
                                service: format.map(|f| f.service.id.to_owned()),
                                tags: tags.to_vec(),
                                notes: String::new(),
                                created: now,
                                updated: now,
                                last_rotated: now,
                                rotation: format.map(|f| f.policy()).unwrap_or_default(),
                                expires: None,
                                version: 1,
                                hosts: None,
                                fields: Default::default(),
                                secret_fields: Vec::new(),
                                refused: None,
                                conflict: None,
                            },
                        };
                        let meta = normalize(meta)?;
                        insert_row(db, &crypt, meta, &secret)?;
                        if let Some(f) = format {
                            report.recognised.push(Recognised::new(&key, f));
                        }
                        report.added.push(key);
                    }
                    Some(_) if on_conflict == OnConflict::Skip => report.skipped.push(Skipped {
                        line,
                        key: Some(key),
                        reason:
                            "an item with this name exists (use --rotate-existing to update it)"
                                .into(),
                    }),
                    Some(row) => {
                        let (row, id, mut meta) = match crypt.item(&row)? {
                            Item {
                                id,
                                meta: ItemMeta::ApiKey(meta),
                            } => (row, id, meta),
                            Item {
                                meta: ItemMeta::Grant(_),
                                ..
                            } => {
                                report.skipped.push(Skipped {
                                    line,
                                    key: Some(key),
                                    reason: "an OAuth grant has this name".into(),
                                });
                                continue;
                            }
                        };
                        let current = crypt.open_secret(&id, &db.secret(&row.id)?)?;
                        // A source that says what the credential's fields are now (an
                        // export's or another manager's entry, an AWS key joined with its
                        // id) replaces the item's secret fields with its own and sets its
                        // plain ones over the item's: a new key id and an old session token
                        // would not go together. A source that says nothing (a dotenv line)
                        // leaves the item's fields as they are.
                        let (fields, plain) = match given {
                            Some(m) if !(m.fields.is_empty() && m.secret_fields.is_empty()) => {
                                check_secret_fields(&m.secret_fields)?;
                                (m.secret_fields, m.fields)
                            }
                            _ => (current.fields.clone(), Default::default()),
                        };
                        let new = Bundle { value, fields };
                        let plain_changes =
                            plain.iter().any(|(k, v)| meta.fields.get(k) != Some(v));
                        meta.fields.extend(plain);
                        if current.ct_eq(&new) && !plain_changes {
                            report.skipped.push(Skipped {
                                line,
                                key: Some(key),
                                reason: "unchanged".into(),
                            });
                            continue;
                        }
                        crypt.replace_value(db, &row, &id, &mut meta, &new, now)?;
                        report.rotated.push(key);
                    }
                }
            }
            crypt.audit(
                db,
                AuditEvent::Imported {
                    added: report.added.len(),
                    rotated: report.rotated.len(),
                },
                now,
            )?;
            Ok(report)
        })
    }

    /// Every API key with its value, sorted by name, for export. Recorded in the audit log.
    pub fn export(&mut self, now: Timestamp) -> Result<Vec<ApiKey>> {
        let items = self.items()?;
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item.meta {
                ItemMeta::ApiKey(meta) => {
                    let Bundle { value, fields } = self
                        .crypt_parts()
                        .open_secret(&item.id, &self.store.db().secret(item.id.as_bytes())?)?;
                    out.push(ApiKey {
                        id: item.id,
                        meta,
                        value,
                        secret_fields: fields,
                    });
                }
                // Grants are not exported: tokens are tied to this client and refresh in place.
                ItemMeta::Grant(_) => {}
            }
        }
        let (store, crypt) = self.parts();
        let count = out.len();
        store.append_log(&crypt, |db| {
            crypt.audit(db, AuditEvent::Exported { count }, now)
        })?;
        Ok(out)
    }

    /// Writes an exact copy of the vault to `dest`, a new file (mode 0600): still encrypted,
    /// opened with the same master password, with everything in it (history, grants,
    /// providers, allowed project files, the audit log). The copy is opened and every row of
    /// it checked against its commitment before this returns; a copy that fails is removed.
    /// Returns how many items it holds.
    pub fn backup(&mut self, dest: &Path, now: Timestamp) -> Result<usize> {
        // Never copy rows this process has not checked.
        self.verify_rows()?;
        let items = self.items()?.len();
        self.store.copy_to(dest)?;
        let checked = (|| {
            let copy = LockedVault::open(dest)?;
            if copy.header.digest() != self.header.digest() {
                return Err(Error::Tampered {
                    path: dest.to_owned(),
                    what: "its header, which differs from the vault it was copied from".into(),
                });
            }
            copy.store.verify(&Crypt {
                key: &self.key,
                vault_id: &self.header.vault_id,
                path: dest,
            })
        })();
        if let Err(e) = checked {
            let _ = std::fs::remove_file(dest);
            return Err(e);
        }
        let path = dest.display().to_string();
        let (store, crypt) = self.parts();
        store.append_log(&crypt, |db| {
            crypt.audit(db, AuditEvent::BackedUp { path, items }, now)
        })?;
        Ok(items)
    }
}

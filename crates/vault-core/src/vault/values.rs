//! An API key's values over time: rotation, history, rollback, and a server's refusal of the
//! current value. Each change is a new version; history is never rewritten.

use jiff::Timestamp;

use super::bundle::Bundle;
use super::{Vault, check_value};
use crate::error::{Error, Result};
use crate::model::{AuditEvent, Item, ItemMeta, Settled, Version};
use crate::secret::SecretValue;

impl Vault {
    /// Records a new value; the previous one is kept as a version. Returns the new version.
    /// An expiry belonged to the replaced value and is cleared: see [`Self::rotate_expiring`].
    pub fn rotate(&mut self, name: &str, value: &SecretValue, now: Timestamp) -> Result<u32> {
        self.rotate_expiring(name, value, None, now)
    }

    /// [`Self::rotate`], the new value expiring at `expires` (in the future), or never.
    pub fn rotate_expiring(
        &mut self,
        name: &str,
        value: &SecretValue,
        expires: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<u32> {
        check_value(value)?;
        if expires.is_some_and(|e| e <= now) {
            return Err(Error::invalid(
                "the new value's expiry is in the past; give a later date",
            ));
        }
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let (row, id, mut meta) = crypt.find_api_key(db, name)?;
            let current = crypt.open_secret(&id, &db.secret(&row.id)?)?;
            if current.value.ct_eq(value) {
                return Err(Error::invalid(format!(
                    "the new value of {:?} is the same as the current one",
                    meta.name
                )));
            }
            meta.expires = expires;
            // The secret fields go with the item, not with one value.
            let secret = Bundle {
                value: value.clone(),
                fields: current.fields,
            };
            crypt.replace_value(db, &row, &id, &mut meta, &secret, now)?;
            crypt.audit(
                db,
                AuditEvent::ItemRotated {
                    name: meta.name.clone(),
                    version: meta.version,
                },
                now,
            )?;
            Ok(meta.version)
        })
    }

    /// Marks the current value of an API key as refused by `by` (the URL git used), or, with
    /// `None`, as accepted again. Nothing is written when the mark is already as asked.
    pub fn mark_refused(&mut self, name: &str, by: Option<String>, now: Timestamp) -> Result<Item> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let (row, id, mut meta) = crypt.find_api_key(db, name)?;
            let unchanged = match (&by, &meta.refused) {
                (Some(by), Some(r)) => &r.by == by,
                (None, None) => true,
                _ => false,
            };
            if unchanged {
                return Ok(Item {
                    id,
                    meta: ItemMeta::ApiKey(meta),
                });
            }
            let event = match &by {
                Some(by) => AuditEvent::ItemRefused {
                    name: meta.name.clone(),
                    by: by.clone(),
                },
                None => AuditEvent::ItemAccepted {
                    name: meta.name.clone(),
                    by: meta.refused.take().map(|r| r.by).unwrap_or_default(),
                },
            };
            meta.refused = by.map(|by| crate::model::Refused { at: now, by });
            let meta = ItemMeta::ApiKey(meta);
            let secret = crypt.open_secret(&id, &db.secret(&row.id)?)?;
            crypt.write_api_key_meta(db, &row, row.name_tag.clone(), &meta, &secret)?;
            crypt.audit(db, event, now)?;
            Ok(Item { id, meta })
        })
    }

    /// Every value the item has had, oldest first; the last is the current one.
    pub fn history(&self, name: &str) -> Result<Vec<Version>> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let (row, id, meta) = crypt.find_api_key(&db, name)?;
        let mut out = Vec::new();
        for (vid, blob) in db.versions(&row.id)? {
            out.push(crypt.open_version(&id, &vid, &blob)?.0);
        }
        out.push(Version {
            version: meta.version,
            set_at: meta.last_rotated,
            replaced_at: None,
        });
        Ok(out)
    }

    /// A previous value, by version number.
    pub fn version_value(&self, name: &str, version: u32) -> Result<SecretValue> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let (row, id, meta) = crypt.find_api_key(&db, name)?;
        if version == meta.version {
            return Ok(crypt.open_secret(&id, &db.secret(&row.id)?)?.value);
        }
        for (vid, blob) in db.versions(&row.id)? {
            let (info, secret) = crypt.open_version(&id, &vid, &blob)?;
            if info.version == version {
                return Ok(secret.value);
            }
        }
        Err(Error::invalid(format!(
            "{:?} has no version {version}",
            meta.name
        )))
    }

    /// Makes a previous value current again, as a new version (history is never rewritten).
    /// Without `to`, restores the value before the current one.
    pub fn rollback(&mut self, name: &str, to: Option<u32>, now: Timestamp) -> Result<u32> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let (row, id, mut meta) = crypt.find_api_key(db, name)?;
            let mut versions = Vec::new();
            for (vid, blob) in db.versions(&row.id)? {
                versions.push(crypt.open_version(&id, &vid, &blob)?);
            }
            let target = match to {
                Some(v) if v == meta.version => {
                    return Err(Error::invalid(format!(
                        "version {v} of {:?} is already current",
                        meta.name
                    )));
                }
                Some(v) => versions.into_iter().find(|(info, _)| info.version == v),
                None => versions.into_iter().max_by_key(|(info, _)| info.version),
            };
            let Some((info, secret)) = target else {
                return Err(Error::invalid(match to {
                    Some(v) => format!("{:?} has no version {v}", meta.name),
                    None => format!("{:?} has no previous value", meta.name),
                }));
            };
            // The expiry was the replaced value's; the restored one's is not known. The
            // secret fields come back as they were with that value.
            meta.expires = None;
            crypt.replace_value(db, &row, &id, &mut meta, &secret, now)?;
            crypt.audit(
                db,
                AuditEvent::ItemRolledBack {
                    name: meta.name.clone(),
                    to_version: info.version,
                    version: meta.version,
                },
                now,
            )?;
            Ok(meta.version)
        })
    }

    /// Settles an item flagged "changed on two devices" (see
    /// [`crate::model::ApiKeyMeta::conflict`]): keeps the current value, or with `take_other`
    /// makes the value that lost current again, as a new version (history is kept either
    /// way). The flag clears here, and on the other devices at their next sync: the settled
    /// item travels unflagged, after the versions they flagged.
    pub fn resolve_conflict(
        &mut self,
        name: &str,
        take_other: bool,
        now: Timestamp,
    ) -> Result<Settled> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let (row, id, mut meta) = crypt.find_api_key(db, name)?;
            let Some(conflict) = meta.conflict.take() else {
                return Err(Error::invalid(format!(
                    "{:?} was not changed on two devices; nothing to resolve",
                    meta.name
                )));
            };
            if take_other {
                let mut other = None;
                for (vid, blob) in db.versions(&row.id)? {
                    let (info, secret) = crypt.open_version(&id, &vid, &blob)?;
                    if info.version == conflict.version {
                        other = Some(secret);
                    }
                }
                let Some(secret) = other else {
                    return Err(Error::invalid(format!(
                        "the other value of {:?} (version {}) is no longer in its history",
                        meta.name, conflict.version
                    )));
                };
                // As a rollback: the expiry was the replaced value's.
                meta.expires = None;
                crypt.replace_value(db, &row, &id, &mut meta, &secret, now)?;
            } else {
                let secret = crypt.open_secret(&id, &db.secret(&row.id)?)?;
                let name_tag = row.name_tag.clone();
                crypt.write_api_key_meta(
                    db,
                    &row,
                    name_tag,
                    &ItemMeta::ApiKey(meta.clone()),
                    &secret,
                )?;
            }
            crypt.audit(
                db,
                AuditEvent::SyncConflictResolved {
                    name: meta.name.clone(),
                    with: conflict.with.clone(),
                    took_other: take_other,
                },
                now,
            )?;
            Ok(Settled {
                name: meta.name,
                with: conflict.with,
                took_other: take_other,
                version: meta.version,
                other_version: conflict.version,
            })
        })
    }
}

//! Project files the user allowed with `vault allow`: path, content digest and the hook
//! variables allowed, sealed like items and found by a keyed tag of the path (so the file
//! reveals neither which projects the user works on nor how many).

use jiff::Timestamp;

use super::Vault;
use super::crypt::{At, LABEL_ALLOWANCE_META, LABEL_ALLOWANCE_SECRET, RowCells};
use crate::crypto::random_array;
use crate::error::{Error, Result};
use crate::model::{ALLOWANCE_KIND_CODE, AuditEvent, ItemId};
use crate::trust::{Allowance, Refusal};

impl Vault {
    /// Records (or replaces) the allowance of a project file.
    pub fn allow_project_file(&mut self, allowance: Allowance, now: Timestamp) -> Result<()> {
        if allowance.path.is_empty() || allowance.digest.len() != 64 {
            return Err(Error::invalid(
                "an allowance needs a path and a SHA-256 digest",
            ));
        }
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let tag = crypt.allowance_tag(&allowance.path);
            let existing = db.item_by_tag(&tag)?;
            let at = match &existing {
                Some(row) => {
                    crypt.allowance(row)?;
                    At::of(row).next()
                }
                None => At::new(ItemId(random_array()?)),
            };
            let json = serde_json::to_vec(&allowance).map_err(|e| Error::invalid(e.to_string()))?;
            crypt.put_row(
                db,
                at,
                existing.is_some(),
                RowCells {
                    kind: ALLOWANCE_KIND_CODE,
                    name_tag: tag,
                    meta: (LABEL_ALLOWANCE_META, &json),
                    secret: (LABEL_ALLOWANCE_SECRET, &[]),
                },
            )?;
            crypt.audit(
                db,
                AuditEvent::ProjectFileAllowed {
                    path: allowance.path.clone(),
                    vars: allowance.vars.clone(),
                },
                now,
            )
        })
    }

    /// Forgets a project file's allowance; `false` when it had none.
    pub fn deny_project_file(&mut self, path: &str, now: Timestamp) -> Result<bool> {
        let (store, crypt) = self.parts();
        store.write_erasing(&crypt, |db| {
            let Some(row) = db.item_by_tag(&crypt.allowance_tag(path))? else {
                return Ok(false);
            };
            crypt.allowance(&row)?;
            db.delete_item(&row.id)?;
            crypt.audit(
                db,
                AuditEvent::ProjectFileDenied {
                    path: path.to_owned(),
                },
                now,
            )?;
            Ok(true)
        })
    }

    /// The allowance recorded for the project file at `path` (canonical), if any.
    pub fn allowance(&self, path: &str) -> Result<Option<Allowance>> {
        let crypt = self.crypt_parts();
        match self.store.db().item_by_tag(&crypt.allowance_tag(path))? {
            Some(row) => Ok(Some(crypt.allowance(&row)?)),
            None => Ok(None),
        }
    }

    /// Why the project file at `path`, with content `digest`, setting the hook variables
    /// `hooks`, may not be used; `None` when it may.
    pub fn project_file_refusal(
        &self,
        path: &str,
        digest: &str,
        hooks: &[String],
    ) -> Result<Option<Refusal>> {
        Ok(match self.allowance(path)? {
            None => Some(Refusal::NotAllowed),
            Some(a) => a.check(digest, hooks),
        })
    }
}

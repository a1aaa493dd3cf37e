//! Changing the master password retires the old one. A new data key is generated and every
//! sealed row (items, grants, providers, previous values, audit entries) and every name tag is
//! moved to it in one transaction, then the WAL is truncated: a copy of the file taken before,
//! or an old header spliced into today's file, opens nothing written under the new password.
//! Rewrapping the old data key alone would leave it, and every row, readable with the old one.

use jiff::Timestamp;

use super::crypt::{
    At, Crypt, LABEL_ALLOWANCE_META, LABEL_ALLOWANCE_SECRET, LABEL_AUDIT, LABEL_META,
    LABEL_PROVIDER_META, LABEL_PROVIDER_SECRET, LABEL_RECORD_META, LABEL_RECORD_SECRET,
    LABEL_SECRET, LABEL_VERSION,
};
use super::{Scheme, Vault, derive, key_aad, key_aad_row};
use crate::crypto::{DataKey, KdfParams, random_array};
use crate::error::{Error, Result};
use crate::model::{ALLOWANCE_KIND_CODE, AuditEvent, ItemId, PROVIDER_KIND_CODE, RECORD_KIND_CODE};
use crate::secret::SecretValue;
use crate::store::{Db, Header, ItemRow, cell_aad};

impl Vault {
    /// Changes the master password (and optionally the KDF cost) under a new data key. All of
    /// it lands or none: a crash leaves the vault opening with exactly one of the two passwords.
    pub fn change_password(
        &mut self,
        new_password: &SecretValue,
        kdf: Option<KdfParams>,
        now: Timestamp,
    ) -> Result<()> {
        if new_password.is_empty() {
            return Err(Error::invalid("the master password cannot be empty"));
        }
        let kdf = kdf.unwrap_or(self.header.kdf);
        kdf.check()
            .map_err(|p| Error::invalid(format!("key-derivation parameters {p}")))?;
        let key = DataKey::generate()?;
        let mut header = Header {
            kdf,
            salt: random_array()?,
            ..self.header.clone()
        };
        let master = derive(self.path(), new_password, &header.salt, &kdf)?;
        header.key_check = master.check_value().to_vec();
        header.wrapped_key =
            master.wrap(&key, &key_aad(&header, &key_aad_row(&header, Scheme::Sum)))?;
        let vault_id = self.header.vault_id;
        let path = self.path.clone();
        let new = Crypt {
            key: &key,
            vault_id: &vault_id,
            path: &path,
        };
        let (store, old) = self.parts();
        // The rows are checked under the old key inside the transaction, whatever was checked
        // at unlock: the key derivation above takes seconds, and a row rolled back meanwhile
        // would otherwise be re-sealed under the new key and committed to for good. Then the
        // commitment is recomputed whole under the new key, last.
        store.write_whole_erasing(|db| {
            old.verify_commitment(db)?;
            reseal_all(db, &old, &new)?;
            db.update_header(&header)?;
            new.audit(db, AuditEvent::PasswordChanged, now)?;
            new.recommit(db)
        })?;
        store.expect_header(&header);
        self.key = key;
        self.header = header;
        self.cache.replace(None);
        Ok(())
    }
}

/// Moves every row from `old`'s key to `new`'s. A row that does not open under `old` stops
/// the change (it is reported as tampering and nothing is written).
fn reseal_all(db: &Db<'_>, old: &Crypt<'_>, new: &Crypt<'_>) -> Result<()> {
    for row in db.items()? {
        let (name_tag, meta_label, secret_label) = if row.kind == PROVIDER_KIND_CODE {
            let meta = old.provider(&row)?;
            (
                new.provider_tag(&meta.name),
                LABEL_PROVIDER_META,
                LABEL_PROVIDER_SECRET,
            )
        } else if row.kind == ALLOWANCE_KIND_CODE {
            let allowance = old.allowance(&row)?;
            (
                new.allowance_tag(&allowance.path),
                LABEL_ALLOWANCE_META,
                LABEL_ALLOWANCE_SECRET,
            )
        } else if row.kind == RECORD_KIND_CODE {
            let record = old.record(&row)?;
            (
                new.record_tag(&record.name),
                LABEL_RECORD_META,
                LABEL_RECORD_SECRET,
            )
        } else {
            let item = old.item(&row)?;
            (new.name_tag(item.meta.name()), LABEL_META, LABEL_SECRET)
        };
        let what = || "a row being re-sealed".to_owned();
        let to = At::of(&row).next();
        let meta = reseal(
            old,
            new,
            meta_label,
            (&At::of(&row).aad(), &to.aad()),
            &row.meta,
            what,
        )?;
        let sealed = db.secret(&row.id)?;
        let from = cell_aad(&row.id, sealed.rev);
        let secret = reseal(
            old,
            new,
            secret_label,
            (&from, &to.aad()),
            &sealed.blob,
            what,
        )?;
        let id = ItemId(row.id);
        for (version_id, blob) in db.versions(&row.id)? {
            let at = Crypt::version_row(&id, &version_id);
            let sealed = reseal(old, new, LABEL_VERSION, (&at, &at), &blob, || {
                format!("a previous value of item {id}")
            })?;
            db.update_version(&version_id, &sealed)?;
        }
        db.update_item(
            &ItemRow {
                name_tag,
                meta,
                rev: to.rev,
                ..row
            },
            &secret,
        )?;
    }
    for (id, blob) in db.audit(usize::MAX)? {
        let sealed = reseal(old, new, LABEL_AUDIT, (&id, &id), &blob, || {
            "an audit entry".into()
        })?;
        db.update_audit(&id, &sealed)?;
    }
    Ok(())
}

/// Opens `blob` under `old` at associated-data row `rows.0`, seals it under `new` at `rows.1`.
fn reseal(
    old: &Crypt<'_>,
    new: &Crypt<'_>,
    label: &'static str,
    rows: (&[u8], &[u8]),
    blob: &[u8],
    what: impl FnOnce() -> String,
) -> Result<Vec<u8>> {
    let plain = old.open(label, rows.0, blob, what)?;
    new.seal(label, rows.1, &plain)
}

//! The vault's own keys, which are neither items nor the user's settings: the proxy's CA for
//! now. Sealed like items (the public part too: it names nothing, but it is the vault's) and
//! found by a keyed tag of their name, so the file shows only that some record exists.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::Vault;
use super::crypt::{At, Crypt, LABEL_RECORD_META, LABEL_RECORD_SECRET, RowCells};
use crate::crypto::random_array;
use crate::error::Result;
use crate::model::{ItemId, RECORD_KIND_CODE};
use crate::store::{Db, cell_aad};

/// The name of the record holding `vault run --proxy`'s certificate authority.
pub const PROXY_CA: &str = "proxy-ca";

#[derive(Serialize, Deserialize)]
pub(super) struct RecordMeta {
    pub name: String,
    pub public: Vec<u8>,
}

/// A key pair of the vault's: `public` may be shown (a certificate), `secret` never leaves
/// the process that opened the vault.
pub struct Record {
    pub public: Vec<u8>,
    pub secret: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("public", &self.public.len())
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// The record called `name`, if the vault has one.
    pub fn own_record(&self, name: &str) -> Result<Option<Record>> {
        read_record(&self.crypt_parts(), &self.store.db(), name)
    }

    /// Stores (or replaces) the record called `name`.
    pub fn put_own_record(&mut self, name: &str, record: &Record) -> Result<()> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| write_record(&crypt, db, name, record))
    }
}

/// The record called `name`, read inside a transaction (or outside one).
pub(super) fn read_record(crypt: &Crypt<'_>, db: &Db<'_>, name: &str) -> Result<Option<Record>> {
    let Some(row) = db.item_by_tag(&crypt.record_tag(name))? else {
        return Ok(None);
    };
    let meta = crypt.record(&row)?;
    let sealed = db.secret(&row.id)?;
    let secret = crypt.open(
        LABEL_RECORD_SECRET,
        &cell_aad(&row.id, sealed.rev),
        &sealed.blob,
        || format!("the secret of the vault's {name}"),
    )?;
    Ok(Some(Record {
        public: meta.public,
        secret,
    }))
}

/// Stores (or replaces) the record called `name` inside a write transaction.
pub(super) fn write_record(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    name: &str,
    record: &Record,
) -> Result<()> {
    let tag = crypt.record_tag(name);
    let existing = db.item_by_tag(&tag)?;
    let at = match &existing {
        Some(row) => {
            crypt.record(row)?;
            At::of(row).next()
        }
        None => At::new(ItemId(random_array()?)),
    };
    let meta = RecordMeta {
        name: name.to_owned(),
        public: record.public.clone(),
    };
    let json = serde_json::to_vec(&meta).map_err(|e| crate::Error::invalid(e.to_string()))?;
    crypt.put_row(
        db,
        at,
        existing.is_some(),
        RowCells {
            kind: RECORD_KIND_CODE,
            name_tag: tag,
            meta: (LABEL_RECORD_META, &json),
            secret: (LABEL_RECORD_SECRET, &record.secret),
        },
    )
}

/// Deletes the record called `name`, if there is one, inside a write transaction.
pub(super) fn delete_record(crypt: &Crypt<'_>, db: &Db<'_>, name: &str) -> Result<()> {
    if let Some(row) = db.item_by_tag(&crypt.record_tag(name))? {
        crypt.record(&row)?;
        db.delete_item(&row.id)?;
    }
    Ok(())
}

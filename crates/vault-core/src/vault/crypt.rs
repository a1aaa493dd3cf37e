//! Sealing and opening rows with the data key: the labels and associated data that bind each
//! blob to its vault, table, column and row, and the lookups that check index against content.

use std::path::Path;

use jiff::Timestamp;
use zeroize::Zeroizing;

use super::bundle::Bundle;
use crate::crypto::envelope::OpenError;
use crate::crypto::{Aad, DataKey, random_array};
use crate::error::{Error, Result};
use crate::model::{
    ALLOWANCE_KIND_CODE, ApiKeyMeta, AuditEntry, AuditEvent, GrantMeta, GrantTokens, Item, ItemId,
    ItemKind, ItemMeta, PROVIDER_KIND_CODE, ProviderMeta, RECORD_KIND_CODE, Version,
};
use crate::names::fold;
use crate::secret::SecretValue;
use crate::store::{Changes, Commit, Db, ItemRow, Sealed, cell_aad};
use crate::trust::Allowance;

/// Name-tag namespace of items (API keys and grants share it: `vault://NAME` is one).
pub(super) const NS_ITEM: u8 = 1;
/// Name-tag namespace of OAuth provider configurations (a provider and a grant may share a name).
pub(super) const NS_PROVIDER: u8 = 2;
/// Name-tag namespace of allowed project files (tagged by canonical path).
pub(super) const NS_ALLOWANCE: u8 = 3;
/// Name-tag namespace of the vault's own records (`proxy-ca`).
pub(super) const NS_RECORD: u8 = 4;

pub(super) const LABEL_KEY: &str = "vault.data_key";
pub(super) const LABEL_META: &str = "items.meta";
pub(super) const LABEL_SECRET: &str = "items.secret";
pub(super) const LABEL_VERSION: &str = "item_versions";
pub(super) const LABEL_AUDIT: &str = "audit";
pub(super) const LABEL_PROVIDER_META: &str = "providers.meta";
pub(super) const LABEL_PROVIDER_SECRET: &str = "providers.secret";
pub(super) const LABEL_COMMITMENT: &str = "vault.commitment";
pub(super) const LABEL_ALLOWANCE_META: &str = "allowances.meta";
/// An allowance holds nothing secret; its secret cell is an empty sealed record.
pub(super) const LABEL_ALLOWANCE_SECRET: &str = "allowances.secret";
pub(super) const LABEL_RECORD_META: &str = "records.meta";
pub(super) const LABEL_RECORD_SECRET: &str = "records.secret";

/// Sealing and opening with the data key, for one vault. Borrowed apart from the store so a
/// write transaction can seal while it holds the connection.
/// Where a cell of an item row is sealed: the row and its revision, both in the associated data
/// (see [`cell_aad`]). Every write of a row seals both its cells at the next revision.
#[derive(Clone, Copy, Debug)]
pub(super) struct At {
    pub id: ItemId,
    pub rev: i64,
}

impl At {
    pub(super) fn of(row: &ItemRow) -> At {
        At {
            id: ItemId(row.id),
            rev: row.rev,
        }
    }

    /// A row about to be inserted.
    pub(super) fn new(id: ItemId) -> At {
        At { id, rev: 1 }
    }

    /// The same row's next revision.
    pub(super) fn next(self) -> At {
        At {
            rev: self.rev + 1,
            ..self
        }
    }

    pub(super) fn aad(&self) -> Vec<u8> {
        cell_aad(&self.id.0, self.rev)
    }
}

/// What [`Crypt::put_row`] writes: the row's kind and index entry, and each cell's label and
/// plaintext.
pub(super) struct RowCells<'a> {
    pub kind: i64,
    pub name_tag: Vec<u8>,
    pub meta: (&'static str, &'a [u8]),
    pub secret: (&'static str, &'a [u8]),
}

pub(super) struct Crypt<'a> {
    pub key: &'a DataKey,
    pub vault_id: &'a [u8; 16],
    pub path: &'a Path,
}

impl Crypt<'_> {
    pub(super) fn tampered(&self, what: String) -> Error {
        Error::Tampered {
            path: self.path.to_owned(),
            what,
        }
    }

    pub(super) fn seal(
        &self,
        label: &'static str,
        row: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        self.key.seal(
            &Aad {
                vault_id: self.vault_id,
                label,
                row,
            },
            plaintext,
        )
    }

    pub(super) fn open(
        &self,
        label: &'static str,
        row: &[u8],
        blob: &[u8],
        what: impl FnOnce() -> String,
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.key
            .open(
                &Aad {
                    vault_id: self.vault_id,
                    label,
                    row,
                },
                blob,
            )
            .map_err(|e| match e {
                OpenError::Malformed | OpenError::Unauthentic => self.tampered(what()),
            })
    }

    pub(super) fn name_tag(&self, name: &str) -> Vec<u8> {
        self.key.name_tag(NS_ITEM, &fold(name)).to_vec()
    }

    pub(super) fn seal_meta(&self, at: At, meta: &ItemMeta) -> Result<Vec<u8>> {
        let json =
            Zeroizing::new(serde_json::to_vec(meta).map_err(|e| Error::invalid(e.to_string()))?);
        self.seal(LABEL_META, &at.aad(), &json)
    }

    /// An item and its index entry, checked against each other: a swapped entry would
    /// otherwise answer one name with another item.
    pub(super) fn item(&self, row: &ItemRow) -> Result<Item> {
        let id = ItemId(row.id);
        let json = self.open(LABEL_META, &At::of(row).aad(), &row.meta, || {
            format!("item {id}")
        })?;
        let meta: ItemMeta = serde_json::from_slice(&json).map_err(|_| Error::Corrupt {
            path: self.path.to_owned(),
            reason: format!("item {id} has a record this version cannot read"),
        })?;
        if ItemKind::from_code(row.kind) != Some(meta.kind())
            || self.name_tag(meta.name()) != row.name_tag
        {
            return Err(self.tampered(format!("the index entry of item {id}")));
        }
        Ok(Item { id, meta })
    }

    pub(super) fn seal_secret(&self, at: At, secret: &Bundle) -> Result<Vec<u8>> {
        self.seal(LABEL_SECRET, &at.aad(), &secret.encode())
    }

    pub(super) fn open_secret(&self, id: &ItemId, sealed: &Sealed) -> Result<Bundle> {
        let aad = cell_aad(&id.0, sealed.rev);
        let what = || format!("the value of item {id}");
        let bytes = self.open(LABEL_SECRET, &aad, &sealed.blob, what)?;
        Bundle::decode(&bytes).ok_or_else(|| self.tampered(what()))
    }

    pub(super) fn version_row(item: &ItemId, version_id: &[u8; 16]) -> [u8; 32] {
        let mut row = [0u8; 32];
        row[..16].copy_from_slice(item.as_bytes());
        row[16..].copy_from_slice(version_id);
        row
    }

    /// A previous value: `u32 length || version JSON || secret cell bytes` (see [`Bundle`]).
    pub(super) fn seal_version(
        &self,
        item: &ItemId,
        version_id: &[u8; 16],
        info: &Version,
        secret: &Bundle,
    ) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(info).map_err(|e| Error::invalid(e.to_string()))?;
        let len =
            u32::try_from(json.len()).map_err(|_| Error::invalid("version record too large"))?;
        let bytes = secret.encode();
        let mut plain = Zeroizing::new(Vec::with_capacity(4 + json.len() + bytes.len()));
        plain.extend_from_slice(&len.to_be_bytes());
        plain.extend_from_slice(&json);
        plain.extend_from_slice(&bytes);
        self.seal(LABEL_VERSION, &Self::version_row(item, version_id), &plain)
    }

    pub(super) fn open_version(
        &self,
        item: &ItemId,
        version_id: &[u8; 16],
        blob: &[u8],
    ) -> Result<(Version, Bundle)> {
        let what = || format!("a previous value of item {item}");
        let plain = self.open(
            LABEL_VERSION,
            &Self::version_row(item, version_id),
            blob,
            what,
        )?;
        let bad = || self.tampered(what());
        let len_bytes: [u8; 4] = plain
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad)?;
        let len = u32::from_be_bytes(len_bytes) as usize;
        let json = plain.get(4..4 + len).ok_or_else(bad)?;
        let info: Version = serde_json::from_slice(json).map_err(|_| bad())?;
        let secret = Bundle::decode(&plain[4 + len..]).ok_or_else(bad)?;
        Ok((info, secret))
    }

    pub(super) fn seal_audit(
        &self,
        event: AuditEvent,
        now: Timestamp,
    ) -> Result<([u8; 16], Vec<u8>)> {
        let id: [u8; 16] = random_array()?;
        let json = serde_json::to_vec(&AuditEntry { at: now, event })
            .map_err(|e| Error::invalid(e.to_string()))?;
        Ok((id, self.seal(LABEL_AUDIT, &id, &json)?))
    }

    pub(super) fn audit(&self, db: &Db<'_>, event: AuditEvent, now: Timestamp) -> Result<()> {
        let (id, blob) = self.seal_audit(event, now)?;
        db.insert_audit(&id, &blob)
    }

    pub(super) fn find(&self, db: &Db<'_>, name: &str) -> Result<(ItemRow, Item)> {
        let row = db
            .item_by_tag(&self.name_tag(name))?
            .ok_or_else(|| Error::NotFound {
                name: name.to_owned(),
            })?;
        let item = self.item(&row)?;
        Ok((row, item))
    }

    pub(super) fn find_api_key(
        &self,
        db: &Db<'_>,
        name: &str,
    ) -> Result<(ItemRow, ItemId, ApiKeyMeta)> {
        let (row, item) = self.find(db, name)?;
        match item.meta {
            ItemMeta::ApiKey(meta) => Ok((row, item.id, meta)),
            ItemMeta::Grant(meta) => Err(Error::invalid(format!(
                "{:?} is an OAuth grant, not an API key; `vault token {}` prints its access token",
                meta.name, meta.name
            ))),
        }
    }

    pub(super) fn find_grant(
        &self,
        db: &Db<'_>,
        name: &str,
    ) -> Result<(ItemRow, ItemId, GrantMeta)> {
        let (row, item) = self.find(db, name)?;
        match item.meta {
            ItemMeta::Grant(meta) => Ok((row, item.id, meta)),
            ItemMeta::ApiKey(meta) => Err(Error::invalid(format!(
                "{:?} is an API key, not an OAuth grant",
                meta.name
            ))),
        }
    }

    /// A grant's tokens as one sealed JSON record (`a`: access, `r`: refresh).
    pub(super) fn seal_tokens(&self, at: At, tokens: &GrantTokens) -> Result<Vec<u8>> {
        let record = serde_json::json!({
            "a": tokens.access_token.expose(),
            "r": tokens.refresh_token.as_ref().map(SecretValue::expose),
        });
        let json =
            Zeroizing::new(serde_json::to_vec(&record).map_err(|e| Error::invalid(e.to_string()))?);
        // The `Value` held copies of the tokens; it is dropped here, the sealed bytes stay.
        drop(record);
        self.seal(LABEL_SECRET, &at.aad(), &json)
    }

    pub(super) fn open_tokens(&self, id: &ItemId, sealed: &Sealed) -> Result<GrantTokens> {
        #[derive(serde::Deserialize)]
        struct Record {
            a: String,
            r: Option<String>,
        }
        let aad = cell_aad(&id.0, sealed.rev);
        let bytes = self.open(LABEL_SECRET, &aad, &sealed.blob, || {
            format!("the tokens of item {id}")
        })?;
        let record: Record = serde_json::from_slice(&bytes)
            .map_err(|_| self.tampered(format!("the tokens of item {id}")))?;
        Ok(GrantTokens {
            access_token: SecretValue::from(record.a),
            refresh_token: record.r.map(SecretValue::from),
        })
    }

    pub(super) fn provider_tag(&self, name: &str) -> Vec<u8> {
        self.key.name_tag(NS_PROVIDER, &fold(name)).to_vec()
    }

    pub(super) fn provider(&self, row: &ItemRow) -> Result<ProviderMeta> {
        let json = self.open(LABEL_PROVIDER_META, &At::of(row).aad(), &row.meta, || {
            "a provider configuration".into()
        })?;
        let meta: ProviderMeta = serde_json::from_slice(&json).map_err(|_| Error::Corrupt {
            path: self.path.to_owned(),
            reason: "a provider configuration has a record this version cannot read".into(),
        })?;
        if self.provider_tag(&meta.name) != row.name_tag {
            return Err(self.tampered("the index entry of a provider configuration".into()));
        }
        Ok(meta)
    }

    pub(super) fn find_provider(&self, db: &Db<'_>, name: &str) -> Result<(ItemRow, ProviderMeta)> {
        let row = db
            .item_by_tag(&self.provider_tag(name))?
            .filter(|r| r.kind == PROVIDER_KIND_CODE)
            .ok_or_else(|| Error::NoProvider {
                name: name.to_owned(),
            })?;
        let meta = self.provider(&row)?;
        Ok((row, meta))
    }

    pub(super) fn record_tag(&self, name: &str) -> Vec<u8> {
        self.key.name_tag(NS_RECORD, name).to_vec()
    }

    /// A record's public part, checked against its index entry like an item.
    pub(super) fn record(&self, row: &ItemRow) -> Result<super::records::RecordMeta> {
        let json = self.open(LABEL_RECORD_META, &At::of(row).aad(), &row.meta, || {
            "one of the vault's own keys".into()
        })?;
        let meta: super::records::RecordMeta = serde_json::from_slice(&json)
            .map_err(|_| self.tampered("one of the vault's own keys".into()))?;
        if row.kind != RECORD_KIND_CODE || self.record_tag(&meta.name) != row.name_tag {
            return Err(self.tampered("the index entry of one of the vault's own keys".into()));
        }
        Ok(meta)
    }

    pub(super) fn allowance_tag(&self, path: &str) -> Vec<u8> {
        self.key.name_tag(NS_ALLOWANCE, path).to_vec()
    }

    /// An allowance, checked against its index entry like an item.
    pub(super) fn allowance(&self, row: &ItemRow) -> Result<Allowance> {
        let json = self.open(LABEL_ALLOWANCE_META, &At::of(row).aad(), &row.meta, || {
            "an allowed project file".into()
        })?;
        let a: Allowance = serde_json::from_slice(&json)
            .map_err(|_| self.tampered("an allowed project file".into()))?;
        if row.kind != ALLOWANCE_KIND_CODE || self.allowance_tag(&a.path) != row.name_tag {
            return Err(self.tampered("the index entry of an allowed project file".into()));
        }
        Ok(a)
    }

    /// Writes a provider's or an allowance's two cells at `at`: a new row, or (with `replace`)
    /// over the existing one, whose next revision `at` must be.
    pub(super) fn put_row(
        &self,
        db: &Db<'_>,
        at: At,
        replace: bool,
        cells: RowCells<'_>,
    ) -> Result<()> {
        let (meta_label, meta) = cells.meta;
        let (secret_label, secret) = cells.secret;
        let row = ItemRow {
            id: at.id.0,
            kind: cells.kind,
            name_tag: cells.name_tag,
            meta: self.seal(meta_label, &at.aad(), meta)?,
            rev: at.rev,
        };
        let secret = self.seal(secret_label, &at.aad(), secret)?;
        if replace {
            db.update_item(&row, &secret)
        } else {
            db.insert_item(&row, &secret)
        }
    }

    /// Writes a grant's metadata and tokens (the new ones, or the current ones again) over its
    /// row, at its next revision.
    pub(super) fn write_grant(
        &self,
        db: &Db<'_>,
        row: &ItemRow,
        id: &ItemId,
        meta: GrantMeta,
        tokens: Option<&GrantTokens>,
    ) -> Result<()> {
        let at = At::of(row).next();
        let meta = ItemMeta::Grant(meta);
        let secret = match tokens {
            Some(t) => self.seal_tokens(at, t)?,
            None => self.seal_tokens(at, &self.open_tokens(id, &db.secret(&row.id)?)?)?,
        };
        db.update_item(
            &ItemRow {
                meta: self.seal_meta(at, &meta)?,
                rev: at.rev,
                ..row.clone()
            },
            &secret,
        )
    }

    /// Writes an API key's metadata over its row at the next revision, its secret cell (as
    /// the caller opened it) re-sealed with it.
    pub(super) fn write_api_key_meta(
        &self,
        db: &Db<'_>,
        row: &ItemRow,
        name_tag: Vec<u8>,
        meta: &ItemMeta,
        secret: &Bundle,
    ) -> Result<()> {
        let at = At::of(row).next();
        db.update_item(
            &ItemRow {
                name_tag,
                meta: self.seal_meta(at, meta)?,
                rev: at.rev,
                ..row.clone()
            },
            &self.seal_secret(at, secret)?,
        )
    }

    /// Moves the current value (with its secret fields) into history and makes `secret`
    /// current as a new version.
    pub(super) fn replace_value(
        &self,
        db: &Db<'_>,
        row: &ItemRow,
        id: &ItemId,
        meta: &mut ApiKeyMeta,
        secret: &Bundle,
        now: Timestamp,
    ) -> Result<()> {
        let current = self.open_secret(id, &db.secret(&row.id)?)?;
        let version_id: [u8; 16] = random_array()?;
        let info = Version {
            version: meta.version,
            set_at: meta.last_rotated,
            replaced_at: Some(now),
        };
        db.insert_version(
            &version_id,
            &row.id,
            meta.version,
            &self.seal_version(id, &version_id, &info, &current)?,
        )?;
        meta.version += 1;
        meta.last_rotated = now;
        meta.updated = now;
        meta.secret_fields = secret.names();
        // A refusal was the replaced value's; a new value is the user's answer to a conflict.
        meta.refused = None;
        meta.conflict = None;
        // A restored version's secret field wins over a plain one given its name since.
        meta.fields
            .retain(|name, _| !secret.fields.contains_key(name));
        let at = At::of(row).next();
        let row = ItemRow {
            meta: self.seal_meta(at, &ItemMeta::ApiKey(meta.clone()))?,
            rev: at.rev,
            ..row.clone()
        };
        db.update_item(&row, &self.seal_secret(at, secret)?)
    }
}

/// The commitment's accumulator: the sum, modulo 2^256, of the rows' keyed tags (big-endian).
/// A sum is a multiset hash (MSet-Add-Hash, Clarke et al., ASIACRYPT 2003): with tags from a
/// keyed PRF the attacker cannot compute, no other multiset of rows sums to the same value, and
/// a row present twice counts twice. Format 3 used an XOR, which is only a set hash: two copies
/// of one row cancel.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Sum([u8; 32]);

impl Sum {
    fn add(&mut self, tag: &[u8; 32]) {
        let mut carry = 0u16;
        for (a, t) in self.0.iter_mut().zip(tag).rev() {
            let v = u16::from(*a) + u16::from(*t) + carry;
            *a = v as u8;
            carry = v >> 8;
        }
    }

    fn sub(&mut self, tag: &[u8; 32]) {
        let mut borrow = 0i16;
        for (a, t) in self.0.iter_mut().zip(tag).rev() {
            let v = i16::from(*a) - i16::from(*t) - borrow;
            *a = v.rem_euclid(256) as u8;
            borrow = i16::from(v < 0);
        }
    }
}

/// The associated-data row of the sealed commitment: format 4's sum is sealed apart from
/// format 3's XOR, so one can never be taken for the other.
const COMMITMENT_SUM_ROW: &[u8] = b"sum mod 2^256";

impl Crypt<'_> {
    fn sum(&self, images: &[Vec<u8>]) -> Sum {
        let mut acc = Sum([0; 32]);
        for image in images {
            acc.add(&self.key.row_tag(image));
        }
        acc
    }

    fn stored(&self, db: &Db<'_>, row: &[u8]) -> Result<[u8; 32]> {
        let what = || "the vault's commitment to its rows".to_owned();
        let blob = db.commitment()?.ok_or_else(|| self.tampered(what()))?;
        let plain = self.open(LABEL_COMMITMENT, row, &blob, what)?;
        plain[..].try_into().map_err(|_| self.tampered(what()))
    }

    fn store_sum(&self, db: &Db<'_>, acc: &Sum) -> Result<()> {
        db.set_commitment(&self.seal(LABEL_COMMITMENT, COMMITMENT_SUM_ROW, &acc.0)?)
    }

    /// Computes the commitment from every row and stores it (a new vault, a new key, a vault
    /// from before format 4).
    pub(super) fn recommit(&self, db: &Db<'_>) -> Result<()> {
        db.forget_changes();
        self.store_sum(db, &self.sum(&db.images()?))
    }

    fn mismatch(&self) -> Error {
        self.tampered("its rows (one was removed, added back or replaced by an older copy)".into())
    }

    /// Checks every row against the stored commitment: one deleted, added back, duplicated or
    /// replaced by an older copy (of this vault's own) is tampering.
    pub(super) fn verify_commitment(&self, db: &Db<'_>) -> Result<()> {
        let stored = self.stored(db, COMMITMENT_SUM_ROW)?;
        let actual = self.sum(&db.images()?);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&stored[..], &actual.0[..])) {
            return Err(self.mismatch());
        }
        Ok(())
    }

    /// Checks a format-3 vault's rows against its XOR commitment, before the step to format 4.
    /// Sound here because `images` refuses a duplicated row, which is what an XOR misses.
    pub(super) fn verify_format3_commitment(&self, db: &Db<'_>) -> Result<()> {
        let stored = self.stored(db, &[])?;
        let mut actual = [0u8; 32];
        for image in db.images()? {
            for (a, t) in actual.iter_mut().zip(self.key.row_tag(&image)) {
                *a ^= t;
            }
        }
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&stored[..], &actual[..])) {
            return Err(self.mismatch());
        }
        Ok(())
    }
}

impl Commit for Crypt<'_> {
    fn apply(&self, db: &Db<'_>, changes: &Changes) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        let mut acc = Sum(self.stored(db, COMMITMENT_SUM_ROW)?);
        for image in &changes.added {
            acc.add(&self.key.row_tag(image));
        }
        for image in &changes.removed {
            acc.sub(&self.key.row_tag(image));
        }
        self.store_sum(db, &acc)
    }

    fn verify(&self, db: &Db<'_>) -> Result<()> {
        self.verify_commitment(db)
    }
}

#[cfg(test)]
mod tests {
    use super::Sum;

    fn n(x: u64) -> [u8; 32] {
        let mut out = [0u8; 32];
        out[24..].copy_from_slice(&x.to_be_bytes());
        out
    }

    #[test]
    fn the_sum_carries_wraps_and_undoes() {
        let mut a = Sum(n(u64::MAX));
        a.add(&n(1));
        let mut want = [0u8; 32];
        want[23] = 1;
        assert_eq!(a.0, want, "carry into the next byte");
        a.sub(&n(1));
        assert_eq!(a.0, n(u64::MAX));
        let mut z = Sum([0; 32]);
        z.sub(&n(1));
        assert_eq!(z.0, [0xff; 32], "wraps modulo 2^256");
        z.add(&n(1));
        assert_eq!(z.0, [0; 32]);
    }

    #[test]
    fn a_tag_counted_twice_does_not_cancel() {
        let t = [0x5a; 32];
        let mut a = Sum([7; 32]);
        a.add(&t);
        a.add(&t);
        assert_ne!(a.0, [7; 32]);
        a.sub(&t);
        a.sub(&t);
        assert_eq!(a.0, [7; 32]);
    }
}

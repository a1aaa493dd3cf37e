//! An item row as it travels between devices (its record), and applying a record or a
//! deletion to this vault's rows, with the merge's decision.
//!
//! A record is `kind (u8) || metadata length (u32) || metadata JSON || secret cell plaintext`:
//! exactly what the row's two cells hold, opened, so every kind of row (API keys, grants,
//! provider configurations) travels the same way and is sealed again under this vault's key at
//! the same id. A conflict mark is each device's own: it travels only to say whether the
//! sender had settled the item (see [`put`]).

use jiff::Timestamp;
use zeroize::Zeroizing;

use super::super::bundle::Bundle;
use super::super::crypt::{
    At, Crypt, LABEL_META, LABEL_PROVIDER_META, LABEL_PROVIDER_SECRET, LABEL_SECRET, RowCells,
};
use crate::crypto::random_array;
use crate::error::{Error, Result};
use crate::model::{
    ApiKeyMeta, Conflict, ItemId, ItemKind, ItemMeta, PROVIDER_KIND_CODE, ProviderMeta, Version,
};
use crate::store::{Db, ItemRow, cell_aad};

/// The kinds of rows that sync: API keys, grants and provider configurations. Allowed project
/// files are paths on one machine, and records are each vault's own.
pub(super) fn synced(kind: i64) -> bool {
    kind == ItemKind::ApiKey.code() || kind == ItemKind::Grant.code() || kind == PROVIDER_KIND_CODE
}

fn labels(kind: i64) -> (&'static str, &'static str) {
    if kind == PROVIDER_KIND_CODE {
        (LABEL_PROVIDER_META, LABEL_PROVIDER_SECRET)
    } else {
        (LABEL_META, LABEL_SECRET)
    }
}

/// The record of row `id`, for a put.
pub(super) fn export(crypt: &Crypt<'_>, db: &Db<'_>, row: &ItemRow) -> Result<Vec<u8>> {
    let meta = if row.kind == PROVIDER_KIND_CODE {
        serde_json::to_vec(&crypt.provider(row)?)
    } else {
        serde_json::to_vec(&crypt.item(row)?.meta)
    }
    .map_err(|e| Error::invalid(e.to_string()))?;
    let sealed = db.secret(&row.id)?;
    let secret = crypt.open(
        labels(row.kind).1,
        &cell_aad(&row.id, sealed.rev),
        &sealed.blob,
        || format!("the secret of item {}", ItemId(row.id)),
    )?;
    let kind = u8::try_from(row.kind).map_err(|_| Error::invalid("unknown row kind"))?;
    let len = u32::try_from(meta.len()).map_err(|_| Error::invalid("metadata too large"))?;
    let mut out = Vec::with_capacity(5 + meta.len() + secret.len());
    out.push(kind);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(&secret);
    Ok(out)
}

/// A record read back, checked to be one this version can store.
pub(super) struct Incoming {
    pub kind: i64,
    pub meta: Parsed,
    pub secret: Zeroizing<Vec<u8>>,
}

pub(super) enum Parsed {
    Item(ItemMeta),
    Provider(ProviderMeta),
}

impl Incoming {
    pub(super) fn name(&self) -> &str {
        self.meta.name()
    }
}

impl Parsed {
    fn name(&self) -> &str {
        match self {
            Parsed::Item(m) => m.name(),
            Parsed::Provider(p) => &p.name,
        }
    }
}

pub(super) fn parse(record: &[u8]) -> Option<Incoming> {
    let kind = i64::from(*record.first()?);
    let len = u32::from_be_bytes(record.get(1..5)?.try_into().ok()?) as usize;
    let meta = record.get(5..5 + len)?;
    let secret = Zeroizing::new(record.get(5 + len..)?.to_vec());
    let meta = if kind == PROVIDER_KIND_CODE {
        Parsed::Provider(serde_json::from_slice(meta).ok()?)
    } else {
        let m: ItemMeta = serde_json::from_slice(meta).ok()?;
        if m.kind().code() != kind {
            return None;
        }
        // The secret must be one this version opens.
        match &m {
            ItemMeta::ApiKey(_) => {
                Bundle::decode(&secret)?;
            }
            ItemMeta::Grant(_) => {
                serde_json::from_slice::<serde_json::Value>(&secret).ok()?;
            }
        }
        Parsed::Item(m)
    };
    crate::names::check_item_name(meta.name()).ok()?;
    Some(Incoming { kind, meta, secret })
}

/// How an applied record is marked when it was concurrent with this device's version.
pub(super) struct Mark<'a> {
    pub with: &'a str,
    pub now: Timestamp,
}

fn tag_of(crypt: &Crypt<'_>, meta: &Parsed) -> Vec<u8> {
    match meta {
        Parsed::Item(m) => crypt.name_tag(m.name()),
        Parsed::Provider(p) => crypt.provider_tag(&p.name),
    }
}

/// A name no other row of the same namespace holds: `NAME`, else `NAME (2)`, `NAME (3)`...
fn free_name(crypt: &Crypt<'_>, db: &Db<'_>, meta: &mut Parsed, id: &[u8; 16]) -> Result<Vec<u8>> {
    let base = meta.name().to_owned();
    for n in 1u32.. {
        let name = if n == 1 {
            base.clone()
        } else {
            format!("{base} ({n})")
        };
        match &mut *meta {
            Parsed::Item(ItemMeta::ApiKey(m)) => m.name = name,
            Parsed::Item(ItemMeta::Grant(g)) => g.name = name,
            Parsed::Provider(p) => p.name = name,
        }
        let tag = tag_of(crypt, meta);
        match db.item_by_tag(&tag)? {
            Some(other) if other.id != *id => continue,
            _ => return Ok(tag),
        }
    }
    Err(Error::invalid("no free name"))
}

fn write(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    id: [u8; 16],
    existing: Option<&ItemRow>,
    kind: i64,
    mut meta: Parsed,
    secret: &[u8],
) -> Result<i64> {
    let tag = free_name(crypt, db, &mut meta, &id)?;
    let json = Zeroizing::new(
        match &meta {
            Parsed::Item(m) => serde_json::to_vec(m),
            Parsed::Provider(p) => serde_json::to_vec(p),
        }
        .map_err(|e| Error::invalid(e.to_string()))?,
    );
    let at = match existing {
        Some(row) => At::of(row).next(),
        None => At::new(ItemId(id)),
    };
    let (meta_label, secret_label) = labels(kind);
    crypt.put_row(
        db,
        at,
        existing.is_some(),
        RowCells {
            kind,
            name_tag: tag,
            meta: (meta_label, &json),
            secret: (secret_label, secret),
        },
    )?;
    Ok(at.rev)
}

fn current_api_key(crypt: &Crypt<'_>, db: &Db<'_>, row: &ItemRow) -> Result<(ApiKeyMeta, Bundle)> {
    let item = crypt.item(row)?;
    let ItemMeta::ApiKey(meta) = item.meta else {
        return Err(Error::invalid("not an API key"));
    };
    let bundle = crypt.open_secret(&item.id, &db.secret(&row.id)?)?;
    Ok((meta, bundle))
}

/// Keeps `value` as a previous value of the item, numbered `number`.
fn keep_in_history(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    id: [u8; 16],
    number: u32,
    set_at: Timestamp,
    value: &Bundle,
    now: Timestamp,
) -> Result<()> {
    let version_id: [u8; 16] = random_array()?;
    let info = Version {
        version: number,
        set_at,
        replaced_at: Some(now),
    };
    db.insert_version(
        &version_id,
        &id,
        number,
        &crypt.seal_version(&ItemId(id), &version_id, &info, value)?,
    )
}

/// Makes `incoming` the item's current version. The value it replaces (if different) goes to
/// history first; `mark` flags the item when the two were concurrent. Returns the row's new
/// revision.
pub(super) fn put(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    id: [u8; 16],
    incoming: Incoming,
    mark: Option<Mark<'_>>,
    now: Timestamp,
) -> Result<i64> {
    let existing = db.item_by_id(&id)?;
    if let Some(row) = &existing
        && row.kind != incoming.kind
    {
        return Err(crypt.tampered(format!("item {} changed kind in sync", ItemId(id))));
    }
    let Incoming {
        kind,
        mut meta,
        secret,
    } = incoming;
    if let Parsed::Item(ItemMeta::ApiKey(new)) = &mut meta {
        // The sender's mark named its own view; only whether it had one is read here.
        let sender_settled = new.conflict.take().is_none();
        if let Some(row) = &existing {
            new.conflict = match over_current(crypt, db, row, new, &secret, now)? {
                // A change that followed this device's version, from a device that had
                // settled the item (`vault sync resolve`), settles it here too.
                Over::SameValue(_) if mark.is_none() && sender_settled => None,
                Over::SameValue(flag) => flag,
                Over::Replaced(version) => mark.map(|m| Conflict {
                    at: m.now,
                    with: m.with.to_owned(),
                    version,
                }),
            };
        }
    }
    write(crypt, db, id, existing.as_ref(), kind, meta, &secret)
}

/// What an incoming API key did to this device's current value.
enum Over {
    /// The values are the same; this device's conflict flag, if any.
    SameValue(Option<Conflict>),
    /// This device's value went to history as this version.
    Replaced(u32),
}

/// Lays an incoming API key over this device's current version: the version number keeps
/// counting up, and a different value goes to history.
fn over_current(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    row: &ItemRow,
    new: &mut ApiKeyMeta,
    secret: &[u8],
    now: Timestamp,
) -> Result<Over> {
    let (cur, value) = current_api_key(crypt, db, row)?;
    let incoming_value =
        Bundle::decode(secret).ok_or_else(|| Error::invalid("a synced value does not parse"))?;
    if value.ct_eq(&incoming_value) {
        new.version = new.version.max(cur.version);
        return Ok(Over::SameValue(cur.conflict));
    }
    keep_in_history(
        crypt,
        db,
        row.id,
        cur.version,
        cur.last_rotated,
        &value,
        now,
    )?;
    new.version = new.version.max(cur.version + 1);
    Ok(Over::Replaced(cur.version))
}

/// The incoming version lost to this device's: its value is kept in the item's history and
/// the item flagged (API keys; other rows keep the winner only). Returns the new revision, or
/// `None` when nothing changed.
pub(super) fn keep_loser(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    id: [u8; 16],
    incoming: Incoming,
    mark: Mark<'_>,
    now: Timestamp,
) -> Result<Option<i64>> {
    let Some(row) = db.item_by_id(&id)? else {
        return Ok(None);
    };
    if row.kind != ItemKind::ApiKey.code() || incoming.kind != row.kind {
        return Ok(None);
    }
    let (mut cur, value) = current_api_key(crypt, db, &row)?;
    let loser = Bundle::decode(&incoming.secret)
        .ok_or_else(|| Error::invalid("a synced value does not parse"))?;
    if value.ct_eq(&loser) {
        return Ok(None);
    }
    let set_at = match &incoming.meta {
        Parsed::Item(ItemMeta::ApiKey(m)) => m.last_rotated,
        _ => now,
    };
    keep_in_history(crypt, db, id, cur.version, set_at, &loser, now)?;
    cur.conflict = Some(Conflict {
        at: mark.now,
        with: mark.with.to_owned(),
        version: cur.version,
    });
    cur.version += 1;
    let at = At::of(&row).next();
    crypt.write_api_key_meta(
        db,
        &row,
        row.name_tag.clone(),
        &ItemMeta::ApiKey(cur),
        &value,
    )?;
    Ok(Some(at.rev))
}

/// What becomes of an item new to this device whose name a local item holds.
pub(super) enum Twin {
    /// A different item: both are kept, the incoming one renamed (`NAME (2)`).
    No,
    /// The same key, and the local item is the one kept: the incoming one is not stored.
    KeepLocal,
    /// The same key, and the incoming item is the one kept: the local one (this id) goes.
    KeepIncoming([u8; 16]),
}

/// Whether `incoming`, an API key this device has never held under `id`, is the key of a
/// local item of the same name: the same value and secret fields, and the same settings
/// (variables, service, tags, notes, fields, hosts, rotation, expiry). That is the same key
/// added on two machines before they synced (the storage's key a machine needs before it can
/// join through S3, above all); without this both would be kept and one called `NAME (2)` on
/// every device. Every device keeps the one with the smaller id, so they all end with the same
/// item whichever saw the other first. A local item with earlier values in its history is not
/// given up (its history is this device's own and would go with it): both are kept then.
pub(super) fn twin(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    id: [u8; 16],
    incoming: &Incoming,
) -> Result<Twin> {
    let Parsed::Item(ItemMeta::ApiKey(new)) = &incoming.meta else {
        return Ok(Twin::No);
    };
    if db.item_by_id(&id)?.is_some() {
        return Ok(Twin::No);
    }
    let Some(row) = db.item_by_tag(&crypt.name_tag(&new.name))? else {
        return Ok(Twin::No);
    };
    if row.kind != ItemKind::ApiKey.code() {
        return Ok(Twin::No);
    }
    let (local, value) = current_api_key(crypt, db, &row)?;
    let same_settings = local.env == new.env
        && local.service == new.service
        && local.tags == new.tags
        && local.notes == new.notes
        && local.fields == new.fields
        && local.secret_fields == new.secret_fields
        && local.hosts == new.hosts
        && local.rotation == new.rotation
        && local.expires == new.expires;
    let same_value = Bundle::decode(&incoming.secret).is_some_and(|v| v.ct_eq(&value));
    if !(same_settings && same_value) {
        return Ok(Twin::No);
    }
    if row.id < id {
        Ok(Twin::KeepLocal)
    } else if db.versions(&row.id)?.is_empty() {
        Ok(Twin::KeepIncoming(row.id))
    } else {
        Ok(Twin::No)
    }
}

/// A deletion from another device.
pub(super) fn delete(db: &Db<'_>, id: [u8; 16]) -> Result<()> {
    if let Some(row) = db.item_by_id(&id)?
        && synced(row.kind)
    {
        db.delete_item(&id)?;
    }
    Ok(())
}

//! The vault: a locked file, or an unlocked one holding the data key.
//!
//! Every user-visible change is one SQLite transaction that also appends its audit entry, so a
//! crash leaves either the old or the new state. Sealing is `crypt`'s, OAuth grants and providers
//! are `oauth`'s, imports and exports `transfer`'s, an API key's versions (rotation, history,
//! rollback) `values`'s.

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;

use crate::crypto::{Aad, DataKey, KdfParams, MasterKey, random_array};
use crate::error::{Error, Result};
use crate::model::{
    ApiKey, ApiKeyEdit, ApiKeyMeta, AuditEntry, AuditEvent, Item, ItemId, ItemKind, ItemMeta,
    NewApiKey, SecretFields,
};
use crate::names::{check_env_name, check_item_name, check_tag, env_name_for, fold};
use crate::secret::SecretValue;
use crate::store::{Db, Erased, FORMAT_VERSION, Header, ItemRow, Store};

mod bundle;
mod crypt;
mod known;
mod listing;
pub use known::{KnownSecret, SecretRole};
mod oauth;
mod records;
pub use records::{PROXY_CA, Record};
mod rekey;
mod sync;
pub use sync::{
    SNAPSHOT_EVERY, ShareInfo, ShareState, Shared, SyncDevice, SyncRound, SyncSource, SyncStatus,
    share,
};
mod transfer;
mod trust;
mod values;

use bundle::Bundle;
use crypt::{At, Crypt, LABEL_AUDIT, LABEL_KEY};
use listing::Listing;

/// Values larger than this are refused: API keys and tokens are far smaller, and the value
/// must fit in a child's environment.
const MAX_VALUE_LEN: usize = 64 * 1024;

/// A vault file, opened and checked, not yet unlocked.
#[derive(Debug)]
pub struct LockedVault {
    store: Store,
    header: Header,
}

impl LockedVault {
    /// Opens the vault at `path`. Nothing is written until it is unlocked.
    pub fn open(path: &Path) -> Result<LockedVault> {
        let store = Store::open(path)?;
        let header = store.db().header()?;
        Ok(LockedVault { store, header })
    }

    pub fn path(&self) -> &Path {
        self.store.path()
    }

    pub fn kdf(&self) -> KdfParams {
        self.header.kdf
    }

    /// Whether `password` is this vault's master password (one key derivation; nothing is
    /// unwrapped or read): for a command that was given a password while the vault is already
    /// unlocked, which must still fail on a wrong one.
    pub fn check_password(&self, password: &SecretValue) -> Result<()> {
        let master = derive(self.path(), password, &self.header.salt, &self.header.kdf)?;
        if master.verifies(&self.header.key_check) {
            Ok(())
        } else {
            Err(Error::WrongPassword)
        }
    }

    /// Derives the master key and unwraps the data key. A wrong password changes nothing.
    pub fn unlock(self, password: &SecretValue) -> Result<Vault> {
        let LockedVault { mut store, header } = self;
        let tampered = |what: &str| Error::Tampered {
            path: store.path().to_owned(),
            what: what.into(),
        };
        let committed = store.db().commitment()?.is_some();
        let format = store.format()?;
        let scheme = match (format, committed) {
            (4..=FORMAT_VERSION, true) => Scheme::Sum,
            (4..=FORMAT_VERSION, false) => {
                return Err(tampered("the vault's commitment to its rows"));
            }
            (3, true) => Scheme::Xor,
            // Migrated from before format 3 (`Store::open` stops at format 3's tables).
            (_, false) => Scheme::None,
            (_, true) => return Err(tampered("the vault's format version")),
        };
        let master = derive(store.path(), password, &header.salt, &header.kdf)?;
        let unwrapped = master.unwrap(
            &header.wrapped_key,
            &key_aad(&header, &key_aad_row(&header, scheme)),
        );
        // The check value tells a wrong password from a damaged wrapped key. When it fails
        // but the key unwraps anyway, the password was right and the check value was altered.
        let key = match (master.verifies(&header.key_check), unwrapped) {
            (true, Ok(key)) => key,
            (true, Err(_)) => return Err(tampered("the wrapped data key")),
            (false, Ok(_)) => return Err(tampered("the password check value")),
            (false, Err(_)) => return Err(Error::WrongPassword),
        };
        store.expect_header(&header);
        let path = store.path().to_owned();
        let mut vault = Vault {
            store,
            header,
            key,
            path,
            cache: RefCell::new(None),
        };
        match scheme {
            Scheme::Sum => {
                vault.verify_rows()?;
                if format < FORMAT_VERSION {
                    // Formats 5 and 6 changed nothing already stored, only what a row may
                    // hold from now on: the mark keeps older builds out.
                    let (store, crypt) = vault.parts();
                    store.write(&crypt, |db| Store::set_format(db, FORMAT_VERSION))?;
                }
            }
            Scheme::Xor | Scheme::None => vault.upgrade(&master, scheme)?,
        }
        vault.store.finish_others_erasure();
        Ok(vault)
    }
}

/// How the file's commitment is computed, which its data key's wrapping says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    /// None yet: a vault from before format 3, committed at its first unlock.
    None,
    /// Format 3's XOR of row tags.
    Xor,
    /// Format 4's sum of row tags.
    Sum,
}

fn derive(
    path: &Path,
    password: &SecretValue,
    salt: &[u8; 16],
    kdf: &KdfParams,
) -> Result<MasterKey> {
    kdf.check().map_err(|p| Error::UnsafeKdf {
        path: path.to_owned(),
        problem: p.to_string(),
    })?;
    MasterKey::derive(password.expose().as_bytes(), salt, kdf)
        .map_err(|e| Error::invalid(format!("cannot derive the key from the password: {e}")))
}

/// The wrapped key's associated data binds the KDF parameters and salt: changing them in the
/// file makes the data key fail to unwrap. From format 3 it also says how the vault commits to
/// its rows, so removing the commitment (to have it recomputed over tampered rows, as for a
/// vault from before format 3) or setting the format back to 3 (to have rows checked by the
/// XOR a duplicated row cancels in) leaves a key that no longer unwraps.
fn key_aad_row(h: &Header, scheme: Scheme) -> Vec<u8> {
    let mut row = Vec::with_capacity(56);
    row.extend_from_slice(&h.kdf.encode());
    row.extend_from_slice(&h.salt);
    match scheme {
        Scheme::None => {}
        Scheme::Xor => row.extend_from_slice(b"commitment"),
        Scheme::Sum => row.extend_from_slice(b"commitment sum"),
    }
    row
}

fn key_aad<'a>(h: &'a Header, row: &'a [u8]) -> Aad<'a> {
    Aad {
        vault_id: &h.vault_id,
        label: LABEL_KEY,
        row,
    }
}

/// An unlocked vault.
#[derive(Debug)]
pub struct Vault {
    store: Store,
    header: Header,
    key: DataKey,
    /// The store's path, held apart so sealing can name it while a transaction runs.
    path: std::path::PathBuf,
    /// Every item's metadata, while unlocked (`listing`).
    cache: RefCell<Option<Listing>>,
}

impl Vault {
    /// Creates a new vault at `path` (never over an existing file).
    pub fn create(
        path: &Path,
        password: &SecretValue,
        kdf: KdfParams,
        now: Timestamp,
    ) -> Result<Vault> {
        if password.is_empty() {
            return Err(Error::invalid("the master password cannot be empty"));
        }
        kdf.check()
            .map_err(|p| Error::invalid(format!("key-derivation parameters {p}")))?;
        let key = DataKey::generate()?;
        let mut header = Header {
            vault_id: random_array()?,
            kdf,
            salt: random_array()?,
            key_check: Vec::new(),
            wrapped_key: Vec::new(),
        };
        let master = derive(path, password, &header.salt, &kdf)?;
        header.key_check = master.check_value().to_vec();
        header.wrapped_key =
            master.wrap(&key, &key_aad(&header, &key_aad_row(&header, Scheme::Sum)))?;
        let mut store = Store::create(path, &header)?;
        store.expect_header(&header);
        let path = store.path().to_owned();
        let mut vault = Vault {
            store,
            header,
            key,
            path,
            cache: RefCell::new(None),
        };
        let (store, crypt) = vault.parts();
        store.write_whole(|db| {
            crypt.audit(db, AuditEvent::VaultCreated, now)?;
            crypt.recommit(db)
        })?;
        Ok(vault)
    }

    /// The first unlock of a vault from before format 4, in one transaction: a format-3 vault's
    /// rows are checked against its XOR commitment (a vault from before format 3 has none: its
    /// rows are trusted as format 2 trusted them), the commitment is computed again as a sum,
    /// the data key rewrapped to say so, and the format set to 4.
    fn upgrade(&mut self, master: &MasterKey, from: Scheme) -> Result<()> {
        let mut header = self.header.clone();
        header.wrapped_key = master.wrap(
            &self.key,
            &key_aad(&header, &key_aad_row(&header, Scheme::Sum)),
        )?;
        let (store, crypt) = self.parts();
        store.write_whole(|db| {
            if from == Scheme::Xor {
                crypt.verify_format3_commitment(db)?;
            }
            db.update_header(&header)?;
            Store::set_format(db, FORMAT_VERSION)?;
            crypt.recommit(db)
        })?;
        store.expect_header(&header);
        self.header = header;
        Ok(())
    }

    /// Checks the schema and every row against the commitment (see `Commit`), and remembers
    /// which state of the file was checked: another connection's commit makes
    /// [`Self::is_current`] (and the next write) check again.
    fn verify_rows(&self) -> Result<()> {
        self.store.verify(&self.crypt_parts())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn kdf(&self) -> KdfParams {
        self.header.kdf
    }

    /// Whether the file at this vault's path is still the one unlocked, in a format this build
    /// reads. A long-lived holder (the agent) checks before each use and forgets the vault when
    /// it was replaced, so nothing is written to an unlinked file.
    pub fn is_current(&self) -> Result<bool> {
        if !self.store.is_current()? {
            return Ok(false);
        }
        // Another process wrote (or someone edited the file): its schema and rows are checked
        // before anything is served from them.
        if !self.store.is_verified()? {
            if self.store.format()? != FORMAT_VERSION {
                return Err(Error::Altered {
                    path: self.path.clone(),
                    what: "its format version was set back".into(),
                });
            }
            self.verify_rows()?;
        }
        // An erasure left pending by an earlier write, now that the reader may have let go.
        let _ = self.store.retry_erase();
        Ok(true)
    }

    /// Whether every erasing change so far (`remove`, `change_password`, ...) is gone from the
    /// files too, or still in the WAL because another process was reading the vault (retried
    /// by [`Self::is_current`] and the next erasing write).
    pub fn erased(&self) -> Erased {
        self.store.erased()
    }

    /// Tries again to clear the WAL of erased rows, without waiting.
    pub fn retry_erase(&self) -> Result<Erased> {
        self.store.retry_erase()
    }

    /// Whether the data key's pages are locked in memory (kept out of swap).
    pub fn is_memory_locked(&self) -> bool {
        self.key.is_memory_locked()
    }

    fn crypt_parts(&self) -> Crypt<'_> {
        Crypt {
            key: &self.key,
            vault_id: &self.header.vault_id,
            path: &self.path,
        }
    }

    /// Splits the vault into its store (for a transaction) and the crypto it needs.
    fn parts(&mut self) -> (&mut Store, Crypt<'_>) {
        let Vault {
            store,
            header,
            key,
            path,
            cache: _,
        } = self;
        (
            store,
            Crypt {
                key,
                vault_id: &header.vault_id,
                path,
            },
        )
    }

    /// Every item's metadata (never values), sorted by name.
    pub fn items(&self) -> Result<Vec<Item>> {
        self.search(None, None)
    }

    /// Items whose name, env names, tags or service contain `query` (case-insensitive) and
    /// that carry `tag`, sorted by name; never values.
    pub fn search(&self, query: Option<&str>, tag: Option<&str>) -> Result<Vec<Item>> {
        Ok(self
            .listing(query, tag)?
            .into_iter()
            .map(|item| Item::clone(&item))
            .collect())
    }

    /// Like [`Self::search`], sharing the listing's copies instead of cloning each item: what
    /// a holder that only reads them (the agent answering `vault ls`) asks for.
    pub fn listing(&self, query: Option<&str>, tag: Option<&str>) -> Result<Vec<Arc<Item>>> {
        self.with_listing(|listing| listing.search(query, tag))
    }

    /// Names of the items added, changed or removed since the last call, by this process or
    /// another (SQLite's `data_version`), sorted: what the agent tells its subscribers. A
    /// deleted or renamed item goes by the name it had (a renamed one by both). The first call
    /// reads every item's metadata (the listing) and reports what changed since then only.
    pub fn take_changes(&self) -> Result<Vec<String>> {
        self.with_listing(Listing::take_changed)
    }

    /// Drops the record of changes [`Self::take_changes`] would report, without reading the
    /// file (when nobody is listening).
    pub fn forget_changes(&self) {
        if let Some(listing) = self.cache.borrow_mut().as_mut() {
            let _ = listing.take_changed();
        }
    }

    /// `f` over the listing, brought up to the file's state first.
    fn with_listing<T: Default>(&self, f: impl FnOnce(&mut Listing) -> T) -> Result<T> {
        let stamp = self.store.version_stamp()?;
        let mut cache = self.cache.borrow_mut();
        let crypt = self.crypt_parts();
        match cache.as_mut() {
            Some(listing) if listing.stamp() == stamp => {}
            Some(listing) => {
                let touched = self.store.take_touched();
                listing.refresh(&crypt, &self.store.db(), stamp, touched)?;
            }
            None => {
                let _ = self.store.take_touched();
                *cache = Some(Listing::fill(&crypt, &self.store.db(), stamp)?);
            }
        }
        Ok(cache.as_mut().map(f).unwrap_or_default())
    }

    /// One item's metadata.
    pub fn item(&self, name: &str) -> Result<Item> {
        Ok(self.crypt_parts().find(&self.store.db(), name)?.1)
    }

    /// An API key with its value.
    /// Runs `f` over one read transaction: every read in it sees the same state of the file,
    /// and costs no lock of its own (a `vault run` of 20 references reads 40 rows).
    pub fn reading<T>(&self, f: impl FnOnce(&Self) -> Result<T>) -> Result<T> {
        let snapshot = self.store.begin_read()?;
        let out = f(self);
        drop(snapshot);
        out
    }

    pub fn api_key(&self, name: &str) -> Result<ApiKey> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let (row, id, meta) = crypt.find_api_key(&db, name)?;
        let Bundle { value, fields } = crypt.open_secret(&id, &db.secret(&row.id)?)?;
        Ok(ApiKey {
            id,
            meta,
            value,
            secret_fields: fields,
        })
    }

    pub fn add_api_key(&mut self, new: NewApiKey, now: Timestamp) -> Result<Item> {
        check_value(&new.value)?;
        let NewApiKey {
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
        } = new;
        check_secret_fields(&secret_fields)?;
        let last_rotated = match last_rotated {
            Some(t) if t > now => {
                return Err(Error::invalid(
                    "the last rotation date is in the future; give the date the key was issued",
                ));
            }
            Some(t) => t,
            None => now,
        };
        let meta = ApiKeyMeta {
            name,
            env,
            service,
            tags,
            notes,
            created: now,
            updated: now,
            last_rotated,
            rotation,
            expires,
            version: 1,
            hosts,
            fields,
            secret_fields: secret_fields.keys().cloned().collect(),
            refused: None,
            conflict: None,
        };
        let meta = normalize(meta)?;
        let secret = Bundle {
            value,
            fields: secret_fields,
        };
        let (store, crypt) = self.parts();
        let item = insert_api_key(store, &crypt, meta, &secret, now)?;
        Ok(item)
    }

    /// Changes metadata; the value is changed only by [`Vault::rotate`].
    pub fn edit_api_key(&mut self, name: &str, edit: ApiKeyEdit, now: Timestamp) -> Result<Item> {
        self.edit_api_key_with(name, edit, SecretFields::new(), now)
    }

    /// [`Self::edit_api_key`], also setting secret fields (a plain field of the same name
    /// becomes secret, and `edit.fields` setting a secret field's name makes it plain). A
    /// change to the secret fields is a new version of the item, the previous ones kept in
    /// its history with the value they went with.
    pub fn edit_api_key_with(
        &mut self,
        name: &str,
        edit: ApiKeyEdit,
        secrets: SecretFields,
        now: Timestamp,
    ) -> Result<Item> {
        check_secret_fields(&secrets)?;
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let (row, id, mut meta) = crypt.find_api_key(db, name)?;
            let mut secret = crypt.open_secret(&id, &db.secret(&row.id)?)?;
            let mut secret_changed = false;
            let old_name = meta.name.clone();
            let ApiKeyEdit {
                rename,
                env,
                service,
                tags,
                notes,
                rotation,
                expires,
                hosts,
                fields,
            } = edit;
            if let Some(n) = rename {
                meta.name = n;
            }
            if let Some(e) = env {
                meta.env = e;
            }
            if let Some(s) = service {
                meta.service = s;
            }
            if let Some(t) = tags {
                meta.tags = t;
            }
            if let Some(n) = notes {
                meta.notes = n;
            }
            if let Some(r) = rotation {
                meta.rotation = r;
            }
            if let Some(x) = expires {
                meta.expires = x;
            }
            if let Some(h) = hosts {
                meta.hosts = h
                    .map(|h| crate::hosts::parse_all(&h))
                    .transpose()
                    .map_err(|e| Error::invalid(e.to_string()))?;
            }
            for (field, value) in fields.into_iter().flatten() {
                match value {
                    Some(value) => {
                        secret_changed |= secret.fields.remove(&field).is_some();
                        meta.fields.insert(field, value);
                    }
                    None if meta.fields.remove(&field).is_some() => {}
                    None if secret.fields.remove(&field).is_some() => secret_changed = true,
                    None => {
                        return Err(Error::invalid(format!(
                            "{:?} has no field {field:?} to remove",
                            meta.name
                        )));
                    }
                }
            }
            for (field, value) in secrets {
                meta.fields.remove(&field);
                if !secret.fields.get(&field).is_some_and(|v| v.ct_eq(&value)) {
                    secret.fields.insert(field, value);
                    secret_changed = true;
                }
            }
            meta.secret_fields = secret.names();
            meta.updated = now;
            let mut meta = normalize(meta)?;
            let name_tag = crypt.name_tag(&meta.name);
            if name_tag != row.name_tag && db.item_by_tag(&name_tag)?.is_some() {
                return Err(Error::AlreadyExists { name: meta.name });
            }
            let event = if fold(&old_name) != fold(&meta.name) || old_name != meta.name {
                AuditEvent::ItemRenamed {
                    from: old_name,
                    to: meta.name.clone(),
                }
            } else {
                AuditEvent::ItemEdited {
                    name: meta.name.clone(),
                }
            };
            if secret_changed {
                let row = ItemRow { name_tag, ..row };
                crypt.replace_value(db, &row, &id, &mut meta, &secret, now)?;
                let meta = ItemMeta::ApiKey(meta);
                crypt.audit(db, event, now)?;
                return Ok(Item { id, meta });
            }
            let meta = ItemMeta::ApiKey(meta);
            // The secret cell was opened above: re-sealed as it is, not opened again.
            crypt.write_api_key_meta(db, &row, name_tag, &meta, &secret)?;
            crypt.audit(db, event, now)?;
            Ok(Item { id, meta })
        })
    }

    /// Deletes an item and its history.
    pub fn remove(&mut self, name: &str, now: Timestamp) -> Result<()> {
        let (store, crypt) = self.parts();
        store.write_erasing(&crypt, |db| {
            let (row, item) = crypt.find(db, name)?;
            db.delete_item(&row.id)?;
            crypt.audit(
                db,
                AuditEvent::ItemRemoved {
                    name: item.meta.name().to_owned(),
                },
                now,
            )
        })
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>> {
        let crypt = self.crypt_parts();
        let mut out = Vec::new();
        for (id, blob) in self.store.db().audit(limit)? {
            let json = crypt.open(LABEL_AUDIT, &id, &blob, || "an audit entry".into())?;
            out.push(
                serde_json::from_slice(&json)
                    .map_err(|_| crypt.tampered("an audit entry".into()))?,
            );
        }
        Ok(out)
    }

    /// Appends an audit entry on its own (for events outside the vault, such as `vault run`).
    pub fn record(&mut self, event: AuditEvent, now: Timestamp) -> Result<()> {
        self.record_all(vec![(event, now)])
    }

    /// Appends several audit entries in one transaction (one disk sync for a burst of runs).
    pub fn record_all(&mut self, events: Vec<(AuditEvent, Timestamp)>) -> Result<()> {
        let (store, crypt) = self.parts();
        store.append_log(&crypt, |db| {
            for (event, at) in events {
                crypt.audit(db, event, at)?;
            }
            Ok(())
        })
    }

    /// A pair that differs whenever items may have changed, by this process or another: what
    /// a cache of values read from this vault is keyed on.
    pub fn version_stamp(&self) -> Result<(i64, u64)> {
        self.store.version_stamp()
    }

    /// Whether another connection has committed since `last` (from a previous call).
    pub fn data_version(&self) -> Result<i64> {
        self.store.data_version()
    }
}

fn insert_api_key(
    store: &mut Store,
    crypt: &Crypt<'_>,
    meta: ApiKeyMeta,
    secret: &Bundle,
    now: Timestamp,
) -> Result<Item> {
    store.write(crypt, |db| {
        let name = meta.name.clone();
        let item = insert_row(db, crypt, meta, secret)?;
        crypt.audit(db, AuditEvent::ItemAdded { name }, now)?;
        Ok(item)
    })
}

fn insert_row(db: &Db<'_>, crypt: &Crypt<'_>, meta: ApiKeyMeta, secret: &Bundle) -> Result<Item> {
    let name_tag = crypt.name_tag(&meta.name);
    if db.item_by_tag(&name_tag)?.is_some() {
        return Err(Error::AlreadyExists { name: meta.name });
    }
    let id = ItemId(random_array()?);
    let at = At::new(id);
    let meta = ItemMeta::ApiKey(meta);
    let row = ItemRow {
        id: id.0,
        kind: ItemKind::ApiKey.code(),
        name_tag,
        meta: crypt.seal_meta(at, &meta)?,
        rev: at.rev,
    };
    db.insert_item(&row, &crypt.seal_secret(at, secret)?)?;
    Ok(Item { id, meta })
}

/// Checks and tidies metadata: valid names, at least one env name, no duplicates.
fn normalize(mut meta: ApiKeyMeta) -> Result<ApiKeyMeta> {
    check_item_name(&meta.name)?;
    if meta.env.is_empty() {
        meta.env.push(env_name_for(&meta.name));
    }
    for e in &meta.env {
        check_env_name(e)?;
    }
    dedup(&mut meta.env);
    for t in &meta.tags {
        check_tag(t)?;
    }
    dedup(&mut meta.tags);
    if let Some(hosts) = &mut meta.hosts {
        let mut seen = std::collections::HashSet::new();
        hosts.retain(|h| seen.insert(h.clone()));
    }
    meta.service = meta
        .service
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    for (name, value) in &meta.fields {
        crate::model::check_field(name, value)?;
    }
    if let Some(both) = meta
        .secret_fields
        .iter()
        .find(|f| meta.fields.contains_key(*f))
    {
        return Err(Error::invalid(format!(
            "{both:?} is given both as a plain field and as a secret field"
        )));
    }
    Ok(meta)
}

/// Secret fields obey the rules of plain ones (name, length, no NUL: see [`Bundle`]).
fn check_secret_fields(fields: &SecretFields) -> Result<()> {
    for (name, value) in fields {
        crate::model::check_field(name, value.expose())?;
    }
    Ok(())
}

fn dedup(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(x.clone()));
}

fn check_value(value: &SecretValue) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid("the value is empty"));
    }
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::invalid(format!(
            "the value is longer than {} KiB",
            MAX_VALUE_LEN / 1024
        )));
    }
    if value.expose().contains('\0') {
        return Err(Error::invalid(
            "the value contains a NUL byte, which an environment variable cannot hold",
        ));
    }
    Ok(())
}

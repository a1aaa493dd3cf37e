//! The vault: a locked file, or an unlocked one holding the data key.
//!
//! Every user-visible change is one SQLite transaction that also appends its audit entry, so a
//! crash leaves either the old or the new state. Sealing happens here, with associated data that
//! binds each blob to its vault, table, column and row.

use std::path::Path;

use jiff::Timestamp;
use zeroize::Zeroizing;

use crate::crypto::envelope::OpenError;
use crate::crypto::{Aad, DataKey, KdfParams, MasterKey, random_array};
use crate::dotenv::Entry;
use crate::error::{Error, Result};
use crate::model::{
    ApiKey, ApiKeyEdit, ApiKeyMeta, AuditEntry, AuditEvent, ImportReport, Item, ItemId, ItemKind,
    ItemMeta, NewApiKey, OnConflict, Skipped, Version,
};
use crate::names::{check_env_name, check_item_name, check_tag, env_name_for, fold};
use crate::secret::SecretValue;
use crate::store::{Db, Header, ItemRow, Store};

/// Name-tag namespace of items (API keys and, later, grants share it: `vault://NAME` is one).
const NS_ITEM: u8 = 1;
/// Values larger than this are refused: API keys and tokens are far smaller, and the value
/// must fit in a child's environment.
const MAX_VALUE_LEN: usize = 64 * 1024;

const LABEL_KEY: &str = "vault.data_key";
const LABEL_META: &str = "items.meta";
const LABEL_SECRET: &str = "items.secret";
const LABEL_VERSION: &str = "item_versions";
const LABEL_AUDIT: &str = "audit";

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

    /// Derives the master key and unwraps the data key. A wrong password changes nothing.
    pub fn unlock(self, password: &SecretValue) -> Result<Vault> {
        let LockedVault { store, header } = self;
        let master = derive(store.path(), password, &header.salt, &header.kdf)?;
        let unwrapped = master.unwrap(
            &header.wrapped_key,
            &key_aad(&header, &key_aad_row(&header)),
        );
        let tampered = |what: &str| Error::Tampered {
            path: store.path().to_owned(),
            what: what.into(),
        };
        // The check value tells a wrong password from a damaged wrapped key. When it fails
        // but the key unwraps anyway, the password was right and the check value was altered.
        let key = match (master.verifies(&header.key_check), unwrapped) {
            (true, Ok(key)) => key,
            (true, Err(_)) => return Err(tampered("the wrapped data key")),
            (false, Ok(_)) => return Err(tampered("the password check value")),
            (false, Err(_)) => return Err(Error::WrongPassword),
        };
        let path = store.path().to_owned();
        Ok(Vault {
            store,
            header,
            key,
            path,
        })
    }
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
/// file makes the data key fail to unwrap.
fn key_aad_row(h: &Header) -> [u8; 28] {
    let mut row = [0u8; 28];
    row[..12].copy_from_slice(&h.kdf.encode());
    row[12..].copy_from_slice(&h.salt);
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
}

/// Sealing and opening with the data key, for one vault. Borrowed apart from the store so a
/// write transaction can seal while it holds the connection.
struct Crypt<'a> {
    key: &'a DataKey,
    vault_id: &'a [u8; 16],
    path: &'a Path,
}

impl Crypt<'_> {
    fn tampered(&self, what: String) -> Error {
        Error::Tampered {
            path: self.path.to_owned(),
            what,
        }
    }

    fn seal(&self, label: &'static str, row: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        self.key.seal(
            &Aad {
                vault_id: self.vault_id,
                label,
                row,
            },
            plaintext,
        )
    }

    fn open(
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

    fn name_tag(&self, name: &str) -> Vec<u8> {
        self.key.name_tag(NS_ITEM, &fold(name)).to_vec()
    }

    fn seal_meta(&self, id: &ItemId, meta: &ItemMeta) -> Result<Vec<u8>> {
        let json =
            Zeroizing::new(serde_json::to_vec(meta).map_err(|e| Error::invalid(e.to_string()))?);
        self.seal(LABEL_META, id.as_bytes(), &json)
    }

    fn item(&self, row: &ItemRow) -> Result<Item> {
        let id = ItemId(row.id);
        let json = self.open(LABEL_META, &row.id, &row.meta, || format!("item {id}"))?;
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

    fn seal_secret(&self, id: &ItemId, value: &SecretValue) -> Result<Vec<u8>> {
        self.seal(LABEL_SECRET, id.as_bytes(), value.expose().as_bytes())
    }

    fn open_secret(&self, id: &ItemId, blob: &[u8]) -> Result<SecretValue> {
        let bytes = self.open(LABEL_SECRET, id.as_bytes(), blob, || {
            format!("the value of item {id}")
        })?;
        SecretValue::from_utf8(bytes).map_err(|_| self.tampered(format!("the value of item {id}")))
    }

    fn version_row(item: &ItemId, version_id: &[u8; 16]) -> [u8; 32] {
        let mut row = [0u8; 32];
        row[..16].copy_from_slice(item.as_bytes());
        row[16..].copy_from_slice(version_id);
        row
    }

    /// A previous value: `u32 length || version JSON || value bytes`.
    fn seal_version(
        &self,
        item: &ItemId,
        version_id: &[u8; 16],
        info: &Version,
        value: &SecretValue,
    ) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(info).map_err(|e| Error::invalid(e.to_string()))?;
        let len =
            u32::try_from(json.len()).map_err(|_| Error::invalid("version record too large"))?;
        let mut plain = Zeroizing::new(Vec::with_capacity(4 + json.len() + value.len()));
        plain.extend_from_slice(&len.to_be_bytes());
        plain.extend_from_slice(&json);
        plain.extend_from_slice(value.expose().as_bytes());
        self.seal(LABEL_VERSION, &Self::version_row(item, version_id), &plain)
    }

    fn open_version(
        &self,
        item: &ItemId,
        version_id: &[u8; 16],
        blob: &[u8],
    ) -> Result<(Version, SecretValue)> {
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
        let value =
            SecretValue::from_utf8(Zeroizing::new(plain[4 + len..].to_vec())).map_err(|_| bad())?;
        Ok((info, value))
    }

    fn seal_audit(&self, event: AuditEvent, now: Timestamp) -> Result<([u8; 16], Vec<u8>)> {
        let id: [u8; 16] = random_array()?;
        let json = serde_json::to_vec(&AuditEntry { at: now, event })
            .map_err(|e| Error::invalid(e.to_string()))?;
        Ok((id, self.seal(LABEL_AUDIT, &id, &json)?))
    }

    fn audit(&self, db: &Db<'_>, event: AuditEvent, now: Timestamp) -> Result<()> {
        let (id, blob) = self.seal_audit(event, now)?;
        db.insert_audit(&id, &blob)
    }

    fn find(&self, db: &Db<'_>, name: &str) -> Result<(ItemRow, Item)> {
        let row = db
            .item_by_tag(&self.name_tag(name))?
            .ok_or_else(|| Error::NotFound {
                name: name.to_owned(),
            })?;
        let item = self.item(&row)?;
        Ok((row, item))
    }

    fn find_api_key(&self, db: &Db<'_>, name: &str) -> Result<(ItemRow, ItemId, ApiKeyMeta)> {
        let (row, item) = self.find(db, name)?;
        match item.meta {
            ItemMeta::ApiKey(meta) => Ok((row, item.id, meta)),
        }
    }

    /// Moves the current value into history and makes `value` current as a new version.
    fn replace_value(
        &self,
        db: &Db<'_>,
        row: &ItemRow,
        id: &ItemId,
        meta: &mut ApiKeyMeta,
        value: &SecretValue,
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
        let row = ItemRow {
            meta: self.seal_meta(id, &ItemMeta::ApiKey(meta.clone()))?,
            ..row.clone()
        };
        db.update_item(&row, Some(&self.seal_secret(id, value)?))
    }
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
        header.wrapped_key = master.wrap(&key, &key_aad(&header, &key_aad_row(&header)))?;
        let store = Store::create(path, &header)?;
        let path = store.path().to_owned();
        let mut vault = Vault {
            store,
            header,
            key,
            path,
        };
        let crypt = vault.crypt_parts();
        let (id, blob) = crypt.seal_audit(AuditEvent::VaultCreated, now)?;
        vault.store.write(|db| db.insert_audit(&id, &blob))?;
        Ok(vault)
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
        self.store.is_current()
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
        let crypt = self.crypt_parts();
        let mut items = self
            .store
            .db()
            .items()?
            .iter()
            .map(|row| crypt.item(row))
            .collect::<Result<Vec<_>>>()?;
        items.sort_by_cached_key(|i| fold(i.meta.name()));
        Ok(items)
    }

    /// One item's metadata.
    pub fn item(&self, name: &str) -> Result<Item> {
        Ok(self.crypt_parts().find(&self.store.db(), name)?.1)
    }

    /// An API key with its value.
    pub fn api_key(&self, name: &str) -> Result<ApiKey> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let (row, id, meta) = crypt.find_api_key(&db, name)?;
        let value = crypt.open_secret(&id, &db.secret(&row.id)?)?;
        Ok(ApiKey { id, meta, value })
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
        } = new;
        let meta = ApiKeyMeta {
            name,
            env,
            service,
            tags,
            notes,
            created: now,
            updated: now,
            last_rotated: now,
            rotation,
            expires,
            version: 1,
        };
        let meta = normalize(meta)?;
        let (store, crypt) = self.parts();
        let item = insert_api_key(store, &crypt, meta, &value, now)?;
        Ok(item)
    }

    /// Changes metadata; the value is changed only by [`Vault::rotate`].
    pub fn edit_api_key(&mut self, name: &str, edit: ApiKeyEdit, now: Timestamp) -> Result<Item> {
        let (store, crypt) = self.parts();
        store.write(|db| {
            let (row, id, mut meta) = crypt.find_api_key(db, name)?;
            let old_name = meta.name.clone();
            let ApiKeyEdit {
                rename,
                env,
                service,
                tags,
                notes,
                rotation,
                expires,
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
            meta.updated = now;
            let meta = normalize(meta)?;
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
            let meta = ItemMeta::ApiKey(meta);
            db.update_item(
                &ItemRow {
                    name_tag,
                    meta: crypt.seal_meta(&id, &meta)?,
                    ..row
                },
                None,
            )?;
            crypt.audit(db, event, now)?;
            Ok(Item { id, meta })
        })
    }

    /// Records a new value; the previous one is kept as a version. Returns the new version.
    pub fn rotate(&mut self, name: &str, value: &SecretValue, now: Timestamp) -> Result<u32> {
        check_value(value)?;
        let (store, crypt) = self.parts();
        store.write(|db| {
            let (row, id, mut meta) = crypt.find_api_key(db, name)?;
            let current = crypt.open_secret(&id, &db.secret(&row.id)?)?;
            if current.ct_eq(value) {
                return Err(Error::invalid(format!(
                    "the new value of {:?} is the same as the current one",
                    meta.name
                )));
            }
            crypt.replace_value(db, &row, &id, &mut meta, value, now)?;
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
            return crypt.open_secret(&id, &db.secret(&row.id)?);
        }
        for (vid, blob) in db.versions(&row.id)? {
            let (info, value) = crypt.open_version(&id, &vid, &blob)?;
            if info.version == version {
                return Ok(value);
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
        store.write(|db| {
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
            let Some((info, value)) = target else {
                return Err(Error::invalid(match to {
                    Some(v) => format!("{:?} has no version {v}", meta.name),
                    None => format!("{:?} has no previous value", meta.name),
                }));
            };
            crypt.replace_value(db, &row, &id, &mut meta, &value, now)?;
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

    /// Deletes an item and its history.
    pub fn remove(&mut self, name: &str, now: Timestamp) -> Result<()> {
        let (store, crypt) = self.parts();
        store.write(|db| {
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

    /// Changes the master password (and optionally the KDF cost). Only the data key is
    /// re-wrapped; no item is touched.
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
        let mut header = Header {
            kdf,
            salt: random_array()?,
            ..self.header.clone()
        };
        let master = derive(self.path(), new_password, &header.salt, &kdf)?;
        header.key_check = master.check_value().to_vec();
        header.wrapped_key = master.wrap(&self.key, &key_aad(&header, &key_aad_row(&header)))?;
        let (store, crypt) = self.parts();
        store.write(|db| {
            db.update_header(&header)?;
            crypt.audit(db, AuditEvent::PasswordChanged, now)
        })?;
        self.header = header;
        Ok(())
    }

    /// Imports dotenv entries in one transaction: all of them land, or none.
    pub fn import(
        &mut self,
        entries: Vec<Entry>,
        tags: &[String],
        on_conflict: OnConflict,
        now: Timestamp,
    ) -> Result<ImportReport> {
        for tag in tags {
            check_tag(tag)?;
        }
        let (store, crypt) = self.parts();
        store.write(|db| {
            let mut report = ImportReport::default();
            for Entry { key, value, line } in entries {
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
                        let meta = normalize(ApiKeyMeta {
                            name: key.clone(),
                            env: vec![key.clone()],
                            service: None,
                            tags: tags.to_vec(),
                            notes: String::new(),
                            created: now,
                            updated: now,
                            last_rotated: now,
                            rotation: Default::default(),
                            expires: None,
                            version: 1,
                        })?;
                        insert_row(db, &crypt, meta, &value)?;
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
                        };
                        let current = crypt.open_secret(&id, &db.secret(&row.id)?)?;
                        if current.ct_eq(&value) {
                            report.skipped.push(Skipped {
                                line,
                                key: Some(key),
                                reason: "unchanged".into(),
                            });
                            continue;
                        }
                        crypt.replace_value(db, &row, &id, &mut meta, &value, now)?;
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
                    let value = self
                        .crypt_parts()
                        .open_secret(&item.id, &self.store.db().secret(item.id.as_bytes())?)?;
                    out.push(ApiKey {
                        id: item.id,
                        meta,
                        value,
                    });
                }
            }
        }
        let (store, crypt) = self.parts();
        let count = out.len();
        store.write(|db| crypt.audit(db, AuditEvent::Exported { count }, now))?;
        Ok(out)
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
        store.write(|db| {
            for (event, at) in events {
                crypt.audit(db, event, at)?;
            }
            Ok(())
        })
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
    value: &SecretValue,
    now: Timestamp,
) -> Result<Item> {
    store.write(|db| {
        let name = meta.name.clone();
        let item = insert_row(db, crypt, meta, value)?;
        crypt.audit(db, AuditEvent::ItemAdded { name }, now)?;
        Ok(item)
    })
}

fn insert_row(
    db: &Db<'_>,
    crypt: &Crypt<'_>,
    meta: ApiKeyMeta,
    value: &SecretValue,
) -> Result<Item> {
    let name_tag = crypt.name_tag(&meta.name);
    if db.item_by_tag(&name_tag)?.is_some() {
        return Err(Error::AlreadyExists { name: meta.name });
    }
    let id = ItemId(random_array()?);
    let meta = ItemMeta::ApiKey(meta);
    let row = ItemRow {
        id: id.0,
        kind: ItemKind::ApiKey.code(),
        name_tag,
        meta: crypt.seal_meta(&id, &meta)?,
    };
    db.insert_item(&row, &crypt.seal_secret(&id, value)?)?;
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
    meta.service = meta
        .service
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    Ok(meta)
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

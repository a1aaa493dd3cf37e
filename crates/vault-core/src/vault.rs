//! The vault: a locked file, or an unlocked one holding the data key.
//!
//! Every user-visible change is one SQLite transaction that also appends its audit entry, so a
//! crash leaves either the old or the new state. Sealing happens here, with associated data that
//! binds each blob to its vault, table, column and row.

use std::cell::RefCell;
use std::path::Path;

use jiff::Timestamp;
use zeroize::Zeroizing;

use crate::crypto::envelope::OpenError;
use crate::crypto::{Aad, DataKey, KdfParams, MasterKey, random_array};
use crate::dotenv::Entry;
use crate::error::{Error, Result};
use crate::formats;
use crate::model::{
    ApiKey, ApiKeyEdit, ApiKeyMeta, AuditEntry, AuditEvent, Grant, GrantMeta, GrantStatus,
    GrantTokens, ImportReport, Item, ItemId, ItemKind, ItemMeta, NewApiKey, NewGrant, OnConflict,
    PROVIDER_KIND_CODE, ProviderMeta, Recognised, RefreshedTokens, Skipped, Version,
};
use crate::names::{check_env_name, check_item_name, check_tag, env_name_for, fold};
use crate::secret::SecretValue;
use crate::store::{Db, Header, ItemRow, Store};

/// Name-tag namespace of items (API keys and grants share it: `vault://NAME` is one).
const NS_ITEM: u8 = 1;
/// Name-tag namespace of OAuth provider configurations (a provider and a grant may share a name).
const NS_PROVIDER: u8 = 2;
/// Values larger than this are refused: API keys and tokens are far smaller, and the value
/// must fit in a child's environment.
const MAX_VALUE_LEN: usize = 64 * 1024;

const LABEL_KEY: &str = "vault.data_key";
const LABEL_META: &str = "items.meta";
const LABEL_SECRET: &str = "items.secret";
const LABEL_VERSION: &str = "item_versions";
const LABEL_AUDIT: &str = "audit";
const LABEL_PROVIDER_META: &str = "providers.meta";
const LABEL_PROVIDER_SECRET: &str = "providers.secret";

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
            cache: RefCell::new(None),
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
    cache: RefCell<Option<ItemCache>>,
}

/// Every item's decrypted metadata, kept while the vault is unlocked, so that listing and
/// searching a large vault costs no decryption. Valid while nothing has committed since it was
/// filled (by this process or another). It holds no values.
#[derive(Debug)]
struct ItemCache {
    stamp: (i64, u64),
    /// Sorted by folded name.
    items: Vec<Item>,
    /// Per item, what a search looks in (name, env names, tags, service), folded.
    search_text: Vec<String>,
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

    /// An item and its index entry, checked against each other: a swapped entry would
    /// otherwise answer one name with another item.
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
            ItemMeta::Grant(meta) => Err(Error::invalid(format!(
                "{:?} is an OAuth grant, not an API key; `vault token {}` prints its access token",
                meta.name, meta.name
            ))),
        }
    }

    fn find_grant(&self, db: &Db<'_>, name: &str) -> Result<(ItemRow, ItemId, GrantMeta)> {
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
    fn seal_tokens(&self, id: &ItemId, tokens: &GrantTokens) -> Result<Vec<u8>> {
        let record = serde_json::json!({
            "a": tokens.access_token.expose(),
            "r": tokens.refresh_token.as_ref().map(SecretValue::expose),
        });
        let json =
            Zeroizing::new(serde_json::to_vec(&record).map_err(|e| Error::invalid(e.to_string()))?);
        // The `Value` held copies of the tokens; it is dropped here, the sealed bytes stay.
        drop(record);
        self.seal(LABEL_SECRET, id.as_bytes(), &json)
    }

    fn open_tokens(&self, id: &ItemId, blob: &[u8]) -> Result<GrantTokens> {
        #[derive(serde::Deserialize)]
        struct Record {
            a: String,
            r: Option<String>,
        }
        let bytes = self.open(LABEL_SECRET, id.as_bytes(), blob, || {
            format!("the tokens of item {id}")
        })?;
        let record: Record = serde_json::from_slice(&bytes)
            .map_err(|_| self.tampered(format!("the tokens of item {id}")))?;
        Ok(GrantTokens {
            access_token: SecretValue::from(record.a),
            refresh_token: record.r.map(SecretValue::from),
        })
    }

    fn provider_tag(&self, name: &str) -> Vec<u8> {
        self.key.name_tag(NS_PROVIDER, &fold(name)).to_vec()
    }

    fn provider(&self, row: &ItemRow) -> Result<ProviderMeta> {
        let json = self.open(LABEL_PROVIDER_META, &row.id, &row.meta, || {
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

    fn find_provider(&self, db: &Db<'_>, name: &str) -> Result<(ItemRow, ProviderMeta)> {
        let row = db
            .item_by_tag(&self.provider_tag(name))?
            .filter(|r| r.kind == PROVIDER_KIND_CODE)
            .ok_or_else(|| Error::NoProvider {
                name: name.to_owned(),
            })?;
        let meta = self.provider(&row)?;
        Ok((row, meta))
    }

    /// Writes a grant's metadata (and tokens, when given) over its row.
    fn write_grant(
        &self,
        db: &Db<'_>,
        row: &ItemRow,
        id: &ItemId,
        meta: GrantMeta,
        tokens: Option<&GrantTokens>,
    ) -> Result<()> {
        let meta = ItemMeta::Grant(meta);
        let secret = tokens.map(|t| self.seal_tokens(id, t)).transpose()?;
        db.update_item(
            &ItemRow {
                meta: self.seal_meta(id, &meta)?,
                ..row.clone()
            },
            secret.as_deref(),
        )
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
            cache: RefCell::new(None),
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
        let stamp = self.store.version_stamp()?;
        let mut cache = self.cache.borrow_mut();
        if cache.as_ref().is_none_or(|c| c.stamp != stamp) {
            *cache = Some(self.fill_cache(stamp)?);
        }
        let Some(cache) = cache.as_ref() else {
            return Ok(Vec::new());
        };
        let needle = query.map(fold);
        Ok(cache
            .items
            .iter()
            .zip(&cache.search_text)
            .filter(|(_, text)| needle.as_deref().is_none_or(|n| text.contains(n)))
            .filter(|(item, _)| tag.is_none_or(|t| item.meta.tags().iter().any(|x| x == t)))
            .map(|(item, _)| item.clone())
            .collect())
    }

    /// Decrypts every item's metadata, on all cores: it is the one place a large vault is read
    /// whole.
    fn fill_cache(&self, stamp: (i64, u64)) -> Result<ItemCache> {
        use rayon::prelude::*;
        let crypt = self.crypt_parts();
        let rows = self.store.db().items()?;
        let mut items = rows
            .par_iter()
            .filter(|row| row.kind != PROVIDER_KIND_CODE)
            .map(|row| {
                let item = crypt.item(row)?;
                let key = fold(item.meta.name());
                let text = item.meta.search_text();
                Ok((key, item, text))
            })
            .collect::<Result<Vec<_>>>()?;
        items.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let (items, search_text) = items.into_iter().map(|(_, i, t)| (i, t)).unzip();
        Ok(ItemCache {
            stamp,
            items,
            search_text,
        })
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
            last_rotated,
        } = new;
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
                        // A recognised value brings its provider and rotation policy; the env
                        // name stays the file's.
                        let format = formats::detect(value.expose());
                        let meta = normalize(ApiKeyMeta {
                            name: key.clone(),
                            env: vec![key.clone()],
                            service: format.map(|f| f.provider.id.to_owned()),
                            tags: tags.to_vec(),
                            notes: String::new(),
                            created: now,
                            updated: now,
                            last_rotated: now,
                            rotation: format.map(|f| f.policy()).unwrap_or_default(),
                            expires: None,
                            version: 1,
                        })?;
                        insert_row(db, &crypt, meta, &value)?;
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
                // Grants are not exported: tokens are tied to this client and refresh in place.
                ItemMeta::Grant(_) => {}
            }
        }
        let (store, crypt) = self.parts();
        let count = out.len();
        store.append_log(|db| crypt.audit(db, AuditEvent::Exported { count }, now))?;
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
        store.append_log(|db| {
            for (event, at) in events {
                crypt.audit(db, event, at)?;
            }
            Ok(())
        })
    }

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
        store.write(|db| {
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
                    let item_meta = ItemMeta::Grant(meta);
                    let row = ItemRow {
                        id: id.0,
                        kind: ItemKind::Grant.code(),
                        name_tag: crypt.name_tag(&new.name),
                        meta: crypt.seal_meta(&id, &item_meta)?,
                    };
                    db.insert_item(&row, &crypt.seal_tokens(&id, &new.tokens)?)?;
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
        store.write(|db| {
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
        store.write(|db| {
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
        store.write(|db| {
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
            let blob = db.secret(&row.id)?;
            let bytes = crypt.open(LABEL_PROVIDER_SECRET, &row.id, &blob, || {
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
        store.write(|db| {
            let tag = crypt.provider_tag(&meta.name);
            let (id, existing) = match db.item_by_tag(&tag)? {
                Some(row) if !replace => {
                    let old = crypt.provider(&row)?;
                    return Err(Error::AlreadyExists { name: old.name });
                }
                Some(row) => {
                    meta.created = crypt.provider(&row)?.created;
                    (row.id, true)
                }
                None => {
                    meta.created = now;
                    (random_array()?, false)
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
            let row = ItemRow {
                id,
                kind: PROVIDER_KIND_CODE,
                name_tag: tag,
                meta: crypt.seal(LABEL_PROVIDER_META, &id, &json)?,
            };
            let secret = crypt.seal(LABEL_PROVIDER_SECRET, &id, secret_plain)?;
            if existing {
                db.update_item(&row, Some(&secret))?;
            } else {
                db.insert_item(&row, &secret)?;
            }
            crypt.audit(
                db,
                AuditEvent::ProviderAdded {
                    name: meta.name.clone(),
                },
                now,
            )
        })
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
        store.write(|db| {
            let (row, meta) = crypt.find_provider(db, name)?;
            db.delete_item(&row.id)?;
            crypt.audit(db, AuditEvent::ProviderRemoved { name: meta.name }, now)
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

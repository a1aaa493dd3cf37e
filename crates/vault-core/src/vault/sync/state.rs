//! What a synced vault remembers of sync, sealed in the vault's records (so the commitment
//! covers it like every row): `sync` holds this device's keys and the sync keys, `sync-state`
//! the state below, and `sync-out-<seq>` each segment this device sealed until the remote has
//! it. Each is in its record's secret cell, raw: a record's public part is JSON, where bytes
//! would be an array of numbers, four times the size and a tenth of the speed to read (the
//! state of 10,000 items is a megabyte). The first builds kept the state in `sync`'s public
//! part; it is read from there when `sync-state` does not exist yet.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use vault_sync::{DeviceId, DeviceKeys, DevicePublic, Head, SyncKey, Version};
use zeroize::Zeroizing;

use super::super::crypt::Crypt;
use super::super::records::{Record, delete_record, read_record, write_record};
use crate::error::{Error, Result};
use crate::store::Db;

pub(super) const SYNC_RECORD: &str = "sync";
const STATE_RECORD: &str = "sync-state";
/// A share's records: `share-<id>` (keys), `share-<id>-state`, `share-<id>-out-<seq>`.
const SHARE_PREFIX: &str = "share-";

/// Whose sync a state is: the vault's own (between its devices), or one share (between the
/// device that shares and one member's device), each with its own keys, logs and records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Space<'a> {
    Own,
    /// A share, by id (its owner's device id in it, hex).
    Share(&'a str),
}

impl Space<'_> {
    fn keys_record(self) -> String {
        match self {
            Space::Own => SYNC_RECORD.to_owned(),
            Space::Share(id) => format!("{SHARE_PREFIX}{id}"),
        }
    }

    fn state_record(self) -> String {
        match self {
            Space::Own => STATE_RECORD.to_owned(),
            Space::Share(id) => format!("{SHARE_PREFIX}{id}-state"),
        }
    }

    pub fn outbox_record(self, seq: u64) -> String {
        match self {
            Space::Own => format!("sync-out-{seq:016x}"),
            Space::Share(id) => format!("{SHARE_PREFIX}{id}-out-{seq:016x}"),
        }
    }
}

/// What a share is to this vault.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub(super) enum ShareRole {
    /// This device shares items with a member.
    Host {
        member: String,
        /// The member's age recipient (`age1...`) the share's key was sealed to.
        recipient: String,
        /// What the member gets (`tag:staging`, `name:STRIPE_*`...).
        selector: Vec<String>,
        /// The member's device, once it has accepted (its first segment opened under the key).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        member_device: Option<DeviceId>,
        /// When the member's log last brought something.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        member_seen: Option<Timestamp>,
        /// Removed: nothing more is sent, and what it held is due for rotation.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ended: Option<Timestamp>,
        /// The items the member could read when removed, by id (hex).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        exposed: Vec<String>,
    },
    /// This vault receives a share.
    Member {
        /// The sharing device's name, as its first segment gives it.
        owner: String,
        /// The share's id: the sharing device's id in it.
        id: String,
    },
}

/// One device as this one knows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct DeviceEntry {
    pub public: DevicePublic,
    pub name: String,
    /// Removed: nothing it wrote after this segment is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_after: Option<u64>,
}

/// An item as last synced: the row's revision then, and the item's version.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub(super) struct Tracked {
    pub rev: i64,
    pub version: Version,
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct State {
    pub url: String,
    /// This device's name, as the others show it.
    pub name: String,
    pub devices: BTreeMap<DeviceId, DeviceEntry>,
    /// How far each device's log has been applied (this device's: how far it was written).
    pub heads: BTreeMap<DeviceId, Head>,
    /// The epoch whose key seals this device's next segment.
    pub epoch: u32,
    /// Synced items, by id (hex).
    pub items: BTreeMap<String, Tracked>,
    /// Deleted items, by id (hex): the version the deletion removed.
    pub deleted: BTreeMap<String, Version>,
    /// Segments of this device's not yet known to be on the remote.
    pub outbox: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync: Option<Timestamp>,
    /// A device was removed at this time: values set before it may be in its hands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_before: Option<Timestamp>,
    /// What the last sync noticed and did not apply (a removed device still writing, a
    /// branch of an unknown device).
    #[serde(default)]
    pub notes: Vec<String>,
    /// This device was removed by another: it syncs no more.
    #[serde(default)]
    pub removed: bool,
    /// A share's state: what the share is to this vault (`None`: the vault's own sync).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<ShareRole>,
}

/// The secret part: this device's keys and every sync key it holds.
pub(super) struct Secrets {
    pub device: DeviceKeys,
    pub keys: BTreeMap<u32, SyncKey>,
}

#[derive(Serialize, Deserialize)]
struct StoredSecrets {
    device: String,
    keys: BTreeMap<u32, String>,
}

impl Secrets {
    pub fn key(&self, epoch: u32) -> Option<SyncKey> {
        self.keys.get(&epoch).cloned()
    }

    fn encode(&self) -> Result<Zeroizing<Vec<u8>>> {
        let device = Zeroizing::new(
            String::from_utf8(self.device.to_secret().to_vec())
                .map_err(|_| Error::invalid("device keys are not text"))?,
        );
        let keys: BTreeMap<u32, String> = self
            .keys
            .iter()
            .map(|(e, k)| (*e, vault_sync::hex::encode(k.expose())))
            .collect();
        let stored = StoredSecrets {
            device: device.to_string(),
            keys,
        };
        let out =
            Zeroizing::new(serde_json::to_vec(&stored).map_err(|e| Error::invalid(e.to_string()))?);
        let StoredSecrets { device, keys } = stored;
        drop(Zeroizing::new(device));
        for (_, k) in keys {
            drop(Zeroizing::new(k));
        }
        Ok(out)
    }

    fn decode(crypt: &Crypt<'_>, bytes: &[u8]) -> Result<Secrets> {
        let bad = || crypt.tampered("the vault's sync keys".into());
        let stored: StoredSecrets = serde_json::from_slice(bytes).map_err(|_| bad())?;
        let StoredSecrets { device, keys } = stored;
        let device = Zeroizing::new(device);
        let device = DeviceKeys::from_secret(device.as_bytes()).map_err(|_| bad())?;
        let mut out = BTreeMap::new();
        for (epoch, hex) in keys {
            let hex = Zeroizing::new(hex);
            let bytes = Zeroizing::new(vault_sync::hex::decode(&hex).ok_or_else(bad)?);
            out.insert(
                epoch,
                SyncKey::from_bytes(epoch, &bytes).map_err(|_| bad())?,
            );
        }
        Ok(Secrets { device, keys: out })
    }
}

pub(super) fn load(crypt: &Crypt<'_>, db: &Db<'_>) -> Result<Option<(State, Secrets)>> {
    load_in(crypt, db, Space::Own)
}

pub(super) fn load_in(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    space: Space<'_>,
) -> Result<Option<(State, Secrets)>> {
    let Some(record) = read_record(crypt, db, &space.keys_record())? else {
        return Ok(None);
    };
    let state_bytes = match read_record(crypt, db, &space.state_record())? {
        Some(r) => r.secret,
        None => Zeroizing::new(record.public),
    };
    let state: State = serde_json::from_slice(&state_bytes)
        .map_err(|_| crypt.tampered("the vault's sync state".into()))?;
    let secrets = Secrets::decode(crypt, &record.secret)?;
    Ok(Some((state, secrets)))
}

pub(super) fn save(crypt: &Crypt<'_>, db: &Db<'_>, state: &State, secrets: &Secrets) -> Result<()> {
    save_in(crypt, db, Space::Own, state, secrets)
}

/// Deletes `space`'s state and keys (its outbox is the caller's).
pub(super) fn delete_space(crypt: &Crypt<'_>, db: &Db<'_>, space: Space<'_>) -> Result<()> {
    delete_record(crypt, db, &space.state_record())?;
    delete_record(crypt, db, &space.keys_record())
}

pub(super) fn save_in(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    space: Space<'_>,
    state: &State,
    secrets: &Secrets,
) -> Result<()> {
    let state = Record {
        public: Vec::new(),
        secret: Zeroizing::new(
            serde_json::to_vec(state).map_err(|e| Error::invalid(e.to_string()))?,
        ),
    };
    write_record(crypt, db, &space.state_record(), &state)?;
    let keys = Record {
        public: Vec::new(),
        secret: secrets.encode()?,
    };
    write_record(crypt, db, &space.keys_record(), &keys)
}

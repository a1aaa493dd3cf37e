//! Compaction: this device writes a signed snapshot of what it holds (every live item at its
//! synced version, the devices, tombstones, and how far each log was applied), and a new
//! device's first round starts from the newest one a trusted device wrote instead of replaying
//! every segment since the vault first synced (`vault-sync`'s `snapshot` has the format).

use vault_sync::snapshot::{self, SnapshotDevice, SnapshotHeader};
use vault_sync::{DeviceId, Op, OpHeader};

use super::super::Vault;
use super::super::crypt::Crypt;
use super::state::{DeviceEntry, Secrets, State, load};
use super::{Received, SyncSource, apply, local_changes, not_set_up};
use crate::error::{Error, Result};
use crate::store::Db;

/// How many segments of its own a device writes between two snapshots of the background.
pub const SNAPSHOT_EVERY: u64 = 256;

impl Vault {
    /// A snapshot of this vault's sync to put on the remote, when one is due: this device's
    /// log is `every` segments past `newest` (its newest snapshot on the remote), everything
    /// it sealed is pushed and nothing changed since its last round (the snapshot then holds
    /// exactly what its log says). Returns the head it follows and its bytes.
    pub fn sync_snapshot(&self, newest: Option<u64>, every: u64) -> Result<Option<(u64, Vec<u8>)>> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let (state, secrets) = load(&crypt, &db)?.ok_or_else(not_set_up)?;
        let me = secrets.device.id();
        let Some(head) = state.heads.get(&me).copied() else {
            return Ok(None);
        };
        let behind = head.seq.saturating_sub(newest.unwrap_or(0));
        if state.removed
            || !state.outbox.is_empty()
            || behind == 0
            || behind < every
            || local_changes(&db, &state)? > 0
        {
            return Ok(None);
        }
        let key = secrets
            .key(state.epoch)
            .ok_or_else(|| crypt.tampered("the vault's sync keys".into()))?;
        let header = SnapshotHeader {
            heads: state.heads.iter().map(|(d, h)| (*d, *h)).collect(),
            devices: state
                .devices
                .values()
                .map(|d| SnapshotDevice {
                    public: d.public.clone(),
                    name: d.name.clone(),
                    removed_after: d.removed_after,
                })
                .collect(),
            deleted: state.deleted.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            epoch: state.epoch,
            exposed_before_ms: state.exposed_before.map(|t| t.as_millisecond()),
        };
        let mut items = Vec::with_capacity(state.items.len());
        for (id, tracked) in &state.items {
            let Some(uid) = vault_sync::hex::decode_array::<16>(id) else {
                continue;
            };
            let row = db
                .item_by_id(&uid)?
                .ok_or_else(|| Error::invalid("an item disappeared during compaction"))?;
            items.push(Op::new(
                OpHeader::Put {
                    item: uid,
                    version: tracked.version,
                    base: None,
                },
                apply::export(&crypt, &db, &row)?,
            ));
        }
        let bytes = snapshot::seal(&secrets.device, &key, &head, &header, &items)?;
        Ok(Some((head.seq, bytes)))
    }
}

/// On a device that has read no other device's log yet, the newest snapshot a device it
/// trusts wrote: its devices and tombstones taken, every log's head set to where it stands,
/// and its items returned for the merge. Nothing when there is none.
pub(super) fn start_from_snapshot(
    _crypt: &Crypt<'_>,
    _db: &Db<'_>,
    state: &mut State,
    secrets: &Secrets,
    source: &dyn SyncSource,
    me: DeviceId,
) -> Result<Vec<Received>> {
    if state.share.is_some() || state.heads.keys().any(|d| *d != me) {
        return Ok(Vec::new());
    }
    let mut best: Option<(u64, DeviceId, snapshot::Snapshot)> = None;
    for (writer, seq) in source.snapshots()? {
        let Some(entry) = state.devices.get(&writer) else {
            continue;
        };
        if writer == me || entry.removed_after.is_some() {
            continue;
        }
        let bytes = source.read_snapshot(writer, seq)?;
        let opened = snapshot::open(&bytes, &entry.public, |e| secrets.key(e))?;
        let covered: u64 = opened.header.heads.iter().map(|(_, h)| h.seq).sum();
        if best.as_ref().is_none_or(|(c, _, _)| covered > *c) {
            best = Some((covered, writer, opened));
        }
    }
    let Some((_, writer, snap)) = best else {
        return Ok(Vec::new());
    };
    for d in snap.header.devices {
        d.public.check()?;
        let entry = state.devices.entry(d.public.id).or_insert(DeviceEntry {
            public: d.public,
            name: d.name,
            removed_after: None,
        });
        if let Some(last) = d.removed_after {
            entry.removed_after = Some(entry.removed_after.map_or(last, |l| l.min(last)));
        }
    }
    for (device, head) in snap.header.heads {
        if device != me {
            state.heads.insert(device, head);
        }
    }
    state.deleted.extend(snap.header.deleted);
    // A removal the snapshot covers: what `vault due` lists as held by a removed device is
    // the same here as on the device that read it.
    if let Some(t) = snap
        .header
        .exposed_before_ms
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
    {
        state.exposed_before = Some(state.exposed_before.map_or(t, |e| e.max(t)));
    }
    if secrets.key(snap.header.epoch).is_some() {
        state.epoch = state.epoch.max(snap.header.epoch);
    }
    Ok(snap
        .items
        .into_iter()
        .map(|op| Received {
            author: writer,
            seq: snap.head.seq,
            op,
        })
        .collect())
}

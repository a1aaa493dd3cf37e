//! This vault's side of sync (the `vault-sync` crate has the formats, the merge rules and the
//! git engine; ARCHITECTURE.md has the design).
//!
//! A sync round is one transaction: this device's changes since the last round become
//! operations (a put for each row whose revision moved, a delete for each row gone), the other
//! devices' new segments are read from the fetched mirror and checked (a refused log stops the
//! round and leaves the vault as it was), their item operations are merged in version order,
//! and this device's segment is sealed into the outbox, all committed together: a crash leaves
//! the round done or not done, never half. The outbox is then appended to the mirror and pushed;
//! a segment stays in the outbox until the remote is known to have it.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use vault_sync::merge::{self, Decision, Local};
use vault_sync::{
    DeviceId, DeviceKeys, DevicePublic, Op, OpHeader, SyncKey, Version, next_clock, segment,
};
use zeroize::Zeroizing;

use super::Vault;
use super::crypt::Crypt;
use super::records::{Record, delete_record, read_record, write_record};
use crate::error::{Error, Result};
use crate::store::Db;

mod apply;
mod compact;
mod logs;
mod pair;
mod selector;
pub mod share;
mod share_policy;
mod state;

pub use compact::SNAPSHOT_EVERY;
pub use share::{ShareInfo, ShareState, Shared};
use state::{DeviceEntry, Secrets, Space, State, Tracked, load, load_in, save, save_in};

/// Where a round reads the other devices' logs: an engine's local copy, fetched (vault-sync's
/// `Source`, which every engine implements).
pub use vault_sync::Source as SyncSource;

/// One device, as `vault sync devices` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncDevice {
    /// The first 8 hex digits of its id.
    pub id: String,
    pub name: String,
    /// This device.
    pub this: bool,
    pub removed: bool,
}

/// What `vault sync status` shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    /// The remote as stored (an `s3://` URL holds its settings in its query).
    pub url: String,
    /// The remote as people read it (`s3://bucket/prefix (endpoint ..., key ...)`).
    #[serde(default)]
    pub remote: String,
    pub devices: Vec<SyncDevice>,
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub last_sync: Option<Timestamp>,
    /// Items changed here since the last sync.
    pub pending: usize,
    /// Segments sealed here that the remote may not have yet.
    pub unsent: usize,
    /// Items changed on two devices at once, not looked at yet.
    pub conflicts: Vec<String>,
    /// What the last sync noticed and left out.
    pub notes: Vec<String>,
    /// Another device removed this one: it syncs no more.
    pub removed: bool,
}

/// What one round did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncRound {
    /// Item changes from other devices applied here.
    pub received: usize,
    /// Item changes of this device's sealed for the remote.
    pub sent: usize,
    /// Items that were changed on two devices at once (both values kept).
    pub conflicts: Vec<String>,
    pub notes: Vec<String>,
}

fn uid_hex(id: &[u8; 16]) -> String {
    vault_sync::hex::encode(id)
}

fn millis(now: Timestamp) -> u64 {
    u64::try_from(now.as_millisecond()).unwrap_or(0)
}

fn not_set_up() -> Error {
    Error::invalid(
        "this vault does not sync yet; run `vault sync init git URL` or `vault sync join URL`",
    )
}

/// An item operation read from another device's log.
struct Received {
    author: DeviceId,
    seq: u64,
    op: Op,
}

impl Vault {
    /// Records in the audit log that a device gave a wrong pairing code.
    pub fn sync_note_refused_pairing(&mut self, device: &str, now: Timestamp) -> Result<()> {
        let (store, crypt) = self.parts();
        store.append_log(&crypt, |db| {
            crypt.audit(
                db,
                crate::model::AuditEvent::SyncPairingRefused {
                    device: device.to_owned(),
                },
                now,
            )
        })
    }

    /// Makes this vault the first device of a new sync through `url`.
    pub fn sync_init(&mut self, url: &str, name: &str, now: Timestamp) -> Result<DevicePublic> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            if load(&crypt, db)?.is_some() {
                return Err(Error::invalid(
                    "this vault already syncs; `vault sync status` shows where",
                ));
            }
            let device = DeviceKeys::generate()?;
            let public = device.public();
            let mut keys = BTreeMap::new();
            keys.insert(1, SyncKey::generate(1)?);
            let mut devices = BTreeMap::new();
            devices.insert(
                public.id,
                DeviceEntry {
                    public: public.clone(),
                    name: name.to_owned(),
                    removed_after: None,
                },
            );
            let state = State {
                url: url.to_owned(),
                name: name.to_owned(),
                devices,
                heads: BTreeMap::new(),
                epoch: 1,
                items: BTreeMap::new(),
                deleted: BTreeMap::new(),
                outbox: Vec::new(),
                last_sync: None,
                exposed_before: None,
                notes: Vec::new(),
                removed: false,
                share: None,
            };
            save(&crypt, db, &state, &Secrets { device, keys })?;
            crypt.audit(
                db,
                crate::model::AuditEvent::SyncStarted {
                    device: name.to_owned(),
                },
                now,
            )?;
            Ok(public)
        })
    }

    /// Where this vault syncs, and how things stand; `None` when it does not sync.
    pub fn sync_status(&self) -> Result<Option<SyncStatus>> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let Some((state, secrets)) = load(&crypt, &db)? else {
            return Ok(None);
        };
        let me = secrets.device.id();
        let pending = local_changes(&db, &state)?;
        let mut conflicts = Vec::new();
        for item in self.listing(None, None)? {
            if let crate::model::ItemMeta::ApiKey(m) = &item.meta
                && m.conflict.is_some()
            {
                conflicts.push(m.name.clone());
            }
        }
        Ok(Some(SyncStatus {
            url: state.url.clone(),
            remote: vault_sync::location::shown(&state.url),
            devices: state
                .devices
                .values()
                .map(|d| SyncDevice {
                    id: d.public.id.short(),
                    name: d.name.clone(),
                    this: d.public.id == me,
                    removed: d.removed_after.is_some(),
                })
                .collect(),
            last_sync: state.last_sync,
            pending,
            unsent: state.outbox.len(),
            conflicts,
            notes: state.notes.clone(),
            removed: state.removed,
        }))
    }

    /// When a device of this vault's sync was last removed: values set before then may be in
    /// its hands (`vault due` says to rotate them).
    pub fn sync_exposed_before(&self) -> Result<Option<Timestamp>> {
        let crypt = self.crypt_parts();
        Ok(load(&crypt, &self.store.db())?.and_then(|(s, _)| s.exposed_before))
    }

    /// The remote's URL and this device's public keys, when this vault syncs.
    pub fn sync_target(&self) -> Result<Option<(String, DevicePublic)>> {
        let crypt = self.crypt_parts();
        Ok(load(&crypt, &self.store.db())?.map(|(s, k)| (s.url, k.device.public())))
    }

    /// Segments sealed here that the remote may not have, in order, to append to the mirror
    /// and push.
    pub fn sync_unsent(&self) -> Result<Vec<(u64, Vec<u8>)>> {
        self.unsent_in(Space::Own)
    }

    fn unsent_in(&self, space: Space<'_>) -> Result<Vec<(u64, Vec<u8>)>> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let Some((state, _)) = load_in(&crypt, &db, space)? else {
            return Err(not_set_up());
        };
        let mut out = Vec::new();
        for seq in &state.outbox {
            let record = read_record(&crypt, &db, &space.outbox_record(*seq))?
                .ok_or_else(|| crypt.tampered("a segment waiting to be pushed".into()))?;
            out.push((*seq, record.secret.to_vec()));
        }
        Ok(out)
    }

    /// The remote has this device's segments up to `seq`: they leave the outbox.
    pub fn sync_sent(&mut self, seq: u64) -> Result<()> {
        self.sent_in(Space::Own, seq)
    }

    fn sent_in(&mut self, space: Space<'_>, seq: u64) -> Result<()> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let (mut state, secrets) = load_in(&crypt, db, space)?.ok_or_else(not_set_up)?;
            let (gone, kept): (Vec<u64>, Vec<u64>) = state.outbox.iter().partition(|s| **s <= seq);
            if gone.is_empty() {
                return Ok(());
            }
            for s in gone {
                delete_record(&crypt, db, &space.outbox_record(s))?;
            }
            state.outbox = kept;
            save_in(&crypt, db, space, &state, &secrets)
        })
    }

    /// One sync round (see the module's comment): reads what `source` holds, merges it, seals
    /// this device's changes. Nothing is written when a log is refused.
    pub fn sync_round(&mut self, source: &dyn SyncSource, now: Timestamp) -> Result<SyncRound> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| round(&crypt, db, Space::Own, source, now))
    }
}

/// One round of `space`'s sync, inside the caller's transaction.
fn round(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    space: Space<'_>,
    source: &dyn SyncSource,
    now: Timestamp,
) -> Result<SyncRound> {
    let (mut state, mut secrets) = load_in(crypt, db, space)?.ok_or_else(not_set_up)?;
    if state.removed {
        return Err(Error::invalid(share_policy::removed_message(&state)));
    }
    let me = secrets.device.id();
    let mut round = SyncRound::default();
    let mut outgoing = Vec::new();
    announce_if_first(&state, &secrets, &mut outgoing);
    round.sent = own_changes(crypt, db, &mut state, me, now, &mut outgoing)?;
    state.notes.clear();
    let mut received = compact::start_from_snapshot(crypt, db, &mut state, &secrets, source, me)?;
    received.extend(logs::read_logs(&mut state, &mut secrets, source, me, now)?);
    if state.removed {
        // Nothing more is read or sent: the others read nothing this device writes now.
        state.notes.push(share_policy::removed_message(&state));
        outgoing.clear();
        round.sent = 0;
    } else {
        let folded = merge_all(crypt, db, &mut state, received, now, &mut round)?;
        if folded {
            // A local item given up for its twin from another device: its deletion goes out
            // in this round's segment, so the others drop it too.
            round.sent += own_changes(crypt, db, &mut state, me, now, &mut outgoing)?;
        }
    }
    if !outgoing.is_empty() {
        seal_segment(crypt, db, space, &mut state, &secrets, &outgoing)?;
    }
    state.last_sync = Some(now);
    round.notes = state.notes.clone();
    save_in(crypt, db, space, &state, &secrets)?;
    Ok(round)
}

/// A device's first segment announces the device itself (its keys and name): a log is read
/// only once a log already trusted added its device, and this is how the first one is.
fn announce_if_first(state: &State, secrets: &Secrets, ops: &mut Vec<Op>) {
    if !state.heads.contains_key(&secrets.device.id()) {
        ops.push(Op::new(
            OpHeader::DeviceAdded {
                device: secrets.device.public(),
                name: state.name.clone(),
            },
            Vec::new(),
        ));
    }
}

/// Rows of kinds that sync, with their revisions.
fn synced_rows(db: &Db<'_>) -> Result<Vec<([u8; 16], i64)>> {
    Ok(db
        .item_revisions()?
        .into_iter()
        .filter(|(_, kind, _)| apply::synced(*kind))
        .map(|(id, _, rev)| (id, rev))
        .collect())
}

/// How many items changed here since the last round.
fn local_changes(db: &Db<'_>, state: &State) -> Result<usize> {
    let rows = synced_rows(db)?;
    let live: BTreeSet<String> = rows.iter().map(|(id, _)| uid_hex(id)).collect();
    let changed = rows
        .iter()
        .filter(|(id, rev)| state.items.get(&uid_hex(id)).is_none_or(|t| t.rev != *rev))
        .count();
    let gone = state.items.keys().filter(|k| !live.contains(*k)).count();
    Ok(changed + gone)
}

/// This device's changes since the last round, as operations.
fn own_changes(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    state: &mut State,
    me: DeviceId,
    now: Timestamp,
    out: &mut Vec<Op>,
) -> Result<usize> {
    let now_ms = millis(now);
    let rows = share_policy::rows(crypt, db, state)?;
    let mut live = BTreeSet::new();
    let mut count = 0;
    for (id, rev) in rows {
        let key = uid_hex(&id);
        live.insert(key.clone());
        let prior = state.items.get(&key).copied();
        if prior.is_some_and(|t| t.rev == rev) {
            continue;
        }
        let base = prior.map(|t| t.version);
        let version = Version {
            clock: next_clock(now_ms, base.as_ref()),
            device: me,
        };
        let row = db
            .item_by_id(&id)?
            .ok_or_else(|| Error::invalid("an item disappeared during sync"))?;
        out.push(Op::new(
            OpHeader::Put {
                item: id,
                version,
                base,
            },
            apply::export(crypt, db, &row)?,
        ));
        state.items.insert(key, Tracked { rev, version });
        count += 1;
    }
    let gone: Vec<String> = state
        .items
        .keys()
        .filter(|k| !live.contains(*k))
        .cloned()
        .collect();
    for key in gone {
        let Some(t) = state.items.remove(&key) else {
            continue;
        };
        let Some(id) = vault_sync::hex::decode_array::<16>(&key) else {
            continue;
        };
        let version = Version {
            clock: next_clock(now_ms, Some(&t.version)),
            device: me,
        };
        out.push(Op::new(
            OpHeader::Delete {
                item: id,
                version,
                base: Some(t.version),
            },
            Vec::new(),
        ));
        state.deleted.insert(key, t.version);
        count += 1;
    }
    Ok(count)
}

fn version_of(op: &OpHeader) -> Option<Version> {
    match op {
        OpHeader::Put { version, .. } | OpHeader::Delete { version, .. } => Some(*version),
        _ => None,
    }
}

/// Applies the item operations read, in version order (a version is always read after the
/// one it was made from). True when a local item was deleted for its twin (see
/// [`apply::twin`]), a change of this device's to send.
fn merge_all(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    state: &mut State,
    mut received: Vec<Received>,
    now: Timestamp,
    round: &mut SyncRound,
) -> Result<bool> {
    let mut folded = false;
    received.sort_by_key(|r| version_of(&r.op.header));
    for r in received {
        let author = state
            .devices
            .get(&r.author)
            .map_or_else(|| r.author.short(), |d| d.name.clone());
        if !share_policy::admits(crypt, db, state, &r.op.header, &author)? {
            continue;
        }
        match r.op.header {
            OpHeader::Put {
                item,
                version,
                base,
            } => {
                let key = uid_hex(&item);
                let local = match state.items.get(&key) {
                    Some(t) => Local::Present { current: t.version },
                    None => Local::Absent {
                        deleted: state.deleted.get(&key).copied(),
                    },
                };
                let decision = merge::put(local, version, base);
                let incoming = || {
                    apply::parse(&r.op.blob).ok_or_else(|| {
                        Error::from(vault_sync::Error::Refused {
                            device: r.author,
                            why: format!("an item record of segment {} does not parse", r.seq),
                        })
                    })
                };
                let mark = || apply::Mark { with: &author, now };
                match decision {
                    Decision::Ignore | Decision::Delete => {}
                    Decision::Apply { conflict } => {
                        let incoming = incoming()?;
                        // Twins are only looked for in the vault's own sync: a share carries
                        // what its selector names, and a member's deletions stay theirs.
                        let twin = if state.share.is_none() && !state.items.contains_key(&key) {
                            apply::twin(crypt, db, item, &incoming)?
                        } else {
                            apply::Twin::No
                        };
                        // A twin taken in place of this device's own is no change to its items:
                        // counted as received it would say one came.
                        let same_key = matches!(twin, apply::Twin::KeepIncoming(_));
                        if !matches!(twin, apply::Twin::No) {
                            state.notes.push(format!(
                                "{} from {author} is the same key as the one here: kept as one item",
                                incoming.name()
                            ));
                        }
                        match twin {
                            apply::Twin::No => {}
                            apply::Twin::KeepLocal => {
                                state.deleted.insert(key, version);
                                continue;
                            }
                            apply::Twin::KeepIncoming(local) => {
                                apply::delete(db, local)?;
                                folded = true;
                            }
                        }
                        let rev = apply::put(crypt, db, item, incoming, conflict.then(mark), now)?;
                        state.items.insert(key.clone(), Tracked { rev, version });
                        state.deleted.remove(&key);
                        if !same_key {
                            round.received += 1;
                        }
                        if conflict {
                            round.conflicts.push(item_name(crypt, db, item)?);
                        }
                    }
                    Decision::KeepLocalFlagged => {
                        if let Some(rev) =
                            apply::keep_loser(crypt, db, item, incoming()?, mark(), now)?
                            && let Some(t) = state.items.get_mut(&key)
                        {
                            t.rev = rev;
                            round.conflicts.push(item_name(crypt, db, item)?);
                        }
                    }
                }
            }
            OpHeader::Delete {
                item,
                version,
                base,
            } => {
                let key = uid_hex(&item);
                let local = match state.items.get(&key) {
                    Some(t) => Local::Present { current: t.version },
                    None => Local::Absent { deleted: None },
                };
                match merge::delete(local, base) {
                    Decision::Delete => {
                        apply::delete(db, item)?;
                        state.items.remove(&key);
                        state.deleted.insert(key, base.unwrap_or(version));
                        round.received += 1;
                    }
                    Decision::KeepLocalFlagged => {
                        state.notes.push(format!(
                            "{author} deleted {}, which was changed here meanwhile: it was kept",
                            item_name(crypt, db, item)?
                        ));
                    }
                    Decision::Ignore | Decision::Apply { .. } => {}
                }
            }
            _ => {}
        }
    }
    Ok(folded)
}

fn item_name(crypt: &Crypt<'_>, db: &Db<'_>, id: [u8; 16]) -> Result<String> {
    let Some(row) = db.item_by_id(&id)? else {
        return Ok(String::new());
    };
    if row.kind == crate::model::PROVIDER_KIND_CODE {
        return Ok(crypt.provider(&row)?.name);
    }
    Ok(crypt.item(&row)?.meta.name().to_owned())
}

/// Seals `ops` as this device's next segment, into the outbox.
fn seal_segment(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    space: Space<'_>,
    state: &mut State,
    secrets: &Secrets,
    ops: &[Op],
) -> Result<()> {
    let me = secrets.device.id();
    let key = secrets
        .key(state.epoch)
        .ok_or_else(|| crypt.tampered("the vault's sync keys".into()))?;
    let prev = state.heads.get(&me).copied();
    let (bytes, head) = segment::seal(&secrets.device, &key, prev.as_ref(), ops)?;
    write_record(
        crypt,
        db,
        &space.outbox_record(head.seq),
        &Record {
            public: Vec::new(),
            secret: Zeroizing::new(bytes),
        },
    )?;
    state.outbox.push(head.seq);
    state.heads.insert(me, head);
    Ok(())
}

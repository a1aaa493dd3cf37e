//! Reading the other devices' logs in a round: which logs are read, each checked segment by
//! segment, device and key operations taken as they come, item operations handed to the
//! merge. In a share (`share`), only its two parties write, and neither may add a device.

use std::collections::BTreeSet;

use jiff::Timestamp;
use vault_sync::{DeviceId, OpHeader, SyncKey, segment};

use super::share_policy as share;
use super::state::{DeviceEntry, Secrets, State};
use super::{Received, SyncSource};
use crate::error::Result;

/// Reads and checks every other device's new segments. Device and key operations take effect
/// as they are read (a device's log can be read once a log already trusted added it); item
/// operations are returned for the merge, less those a removed device wrote after its removal.
pub(super) fn read_logs(
    state: &mut State,
    secrets: &mut Secrets,
    source: &dyn SyncSource,
    me: DeviceId,
    now: Timestamp,
) -> Result<Vec<Received>> {
    let on_remote: BTreeSet<DeviceId> = source.devices()?.into_iter().collect();
    for (id, head) in &state.heads {
        if *id != me
            && !on_remote.contains(id)
            && state
                .devices
                .get(id)
                .is_some_and(|d| d.removed_after.is_none())
        {
            return Err(vault_sync::Error::Refused {
                device: *id,
                why: format!(
                    "its log is gone from the remote, though {} of its segments were applied here (the remote lost it or was replaced)",
                    head.seq
                ),
            }
            .into());
        }
    }
    let mut waiting: Vec<DeviceId> = on_remote.iter().copied().filter(|d| *d != me).collect();
    share::adopt(state, secrets, source, &waiting)?;
    let mut received = Vec::new();
    loop {
        let ready: Vec<DeviceId> = waiting
            .iter()
            .copied()
            .filter(|d| state.devices.contains_key(d))
            .collect();
        if ready.is_empty() {
            break;
        }
        waiting.retain(|d| !ready.contains(d));
        for device in ready {
            read_log(state, secrets, source, device, me, now, &mut received)?;
        }
    }
    for stranger in waiting {
        state.notes.push(format!(
            "the remote has a log of device {stranger}, which no device of this vault added: ignored"
        ));
    }
    // A removal read in this round applies to what the removed device wrote in it too.
    let mut late = BTreeSet::new();
    received.retain(|r| {
        let after = state.devices.get(&r.author).and_then(|d| d.removed_after);
        let kept = after.is_none_or(|last| r.seq <= last);
        if !kept {
            late.insert((r.author, r.seq));
        }
        kept
    });
    for (author, seq) in late {
        let name = state
            .devices
            .get(&author)
            .map_or_else(String::new, |d| d.name.clone());
        state.notes.push(format!(
            "device {name} ({author}) was removed but still wrote to the remote: its segment {seq} was not applied"
        ));
    }
    Ok(received)
}

fn read_log(
    state: &mut State,
    secrets: &mut Secrets,
    source: &dyn SyncSource,
    device: DeviceId,
    me: DeviceId,
    now: Timestamp,
    received: &mut Vec<Received>,
) -> Result<()> {
    let Some(entry) = state.devices.get(&device).cloned() else {
        return Ok(());
    };
    if state.removed {
        return Ok(());
    }
    let applied = state.heads.get(&device).copied();
    let seqs = source.seqs(device)?;
    let have = applied.map_or(0, |h| h.seq);
    let last = seqs.last().copied().unwrap_or(0);
    if last < have {
        return Err(vault_sync::Error::Refused {
            device,
            why: format!(
                "the remote holds {last} of its segments, fewer than the {have} already applied here (its log was cut short or replaced by an older copy)"
            ),
        }
        .into());
    }
    let new: Vec<u64> = seqs.into_iter().filter(|s| *s > have).collect();
    if new.is_empty() {
        return Ok(());
    }
    let segments = source.read(device, &new)?;
    let mut prev = applied;
    for bytes in segments {
        let keys = &secrets.keys;
        let opened = segment::open(&bytes, &entry.public, prev.as_ref(), |e| {
            keys.get(&e).cloned()
        })?;
        let seq = opened.head.seq;
        let after_removal = entry.removed_after.is_some_and(|last| seq > last);
        if after_removal {
            state.notes.push(format!(
                "device {} ({device}) was removed but still wrote to the remote: its segment {seq} was not applied",
                entry.name
            ));
        }
        for op in opened.ops {
            if after_removal {
                continue;
            }
            share::check_op(state, device, seq, &op.header)?;
            match &op.header {
                OpHeader::DeviceAdded {
                    device: added,
                    name,
                } => {
                    added.check()?;
                    state
                        .devices
                        .entry(added.id)
                        .or_insert_with(|| DeviceEntry {
                            public: added.clone(),
                            name: name.clone(),
                            removed_after: None,
                        });
                }
                OpHeader::DeviceRemoved {
                    device: gone,
                    last_seq,
                } => {
                    // In a share, the owner's only removal is the share's end, whoever it names
                    // (the member's device, or none when it was never seen).
                    if *gone == me || state.share.is_some() {
                        state.removed = true;
                    }
                    if let Some(d) = state.devices.get_mut(gone) {
                        d.removed_after =
                            Some(d.removed_after.map_or(*last_seq, |l| l.min(*last_seq)));
                    }
                    state.exposed_before = Some(state.exposed_before.map_or(now, |t| t.max(now)));
                }
                OpHeader::NewKey { epoch } => {
                    match SyncKey::open_sealed(*epoch, &op.blob, &secrets.device)? {
                        Some(key) => {
                            secrets.keys.insert(*epoch, key);
                            state.epoch = state.epoch.max(*epoch);
                        }
                        None => state.removed = true,
                    }
                }
                OpHeader::Put { .. } | OpHeader::Delete { .. } => received.push(Received {
                    author: device,
                    seq,
                    op,
                }),
            }
        }
        prev = Some(opened.head);
        if state.removed {
            // What follows is sealed under a key this device was not given.
            break;
        }
    }
    if let Some(head) = prev {
        state.heads.insert(device, head);
    }
    Ok(())
}

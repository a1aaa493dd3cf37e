//! What each side of a share may do in a round: which rows it carries, which device it takes
//! as the other side's, which operations it accepts from it (`share` has the design).

use vault_sync::{DeviceId, OpHeader, segment};

use super::super::crypt::Crypt;
use super::selector::{parse_selector, selects};
use super::state::{DeviceEntry, Secrets, ShareRole, State};
use super::{SyncSource, synced_rows, uid_hex};
use crate::error::Result;
use crate::model::{ItemKind, ItemMeta};
use crate::store::Db;

/// The rows a round of `state`'s sync carries, with their revisions: every synced row for the
/// vault's own sync; for a share, the API keys its selector names (host) or the items it
/// brought (member).
pub(super) fn rows(crypt: &Crypt<'_>, db: &Db<'_>, state: &State) -> Result<Vec<([u8; 16], i64)>> {
    match &state.share {
        None => synced_rows(db),
        Some(ShareRole::Host { selector, .. }) => {
            let rules = parse_selector(selector)?;
            let mut out = Vec::new();
            for row in db.items()? {
                if row.kind != ItemKind::ApiKey.code() {
                    continue;
                }
                if let ItemMeta::ApiKey(meta) = &crypt.item(&row)?.meta
                    && selects(&rules, meta)
                {
                    out.push((row.id, row.rev));
                }
            }
            Ok(out)
        }
        Some(ShareRole::Member { .. }) => Ok(synced_rows(db)?
            .into_iter()
            .filter(|(id, _)| state.items.contains_key(&uid_hex(id)))
            .collect()),
    }
}

pub(super) fn removed_message(state: &State) -> String {
    match &state.share {
        None => {
            "this device was removed from sync by another device: it receives nothing new".into()
        }
        Some(ShareRole::Member { owner, .. }) => format!(
            "{owner} removed this vault from the share: nothing new arrives (the items received stay here)"
        ),
        Some(ShareRole::Host { member, .. }) => {
            format!("{member} was removed from this share: nothing more is sent")
        }
    }
}

/// In a share, takes the other party's device when its log first appears: the host takes the
/// first device whose first segment opens under the share's key (the member's), the member
/// takes the share's own host (its id is the share's id).
pub(super) fn adopt(
    state: &mut State,
    secrets: &Secrets,
    source: &dyn SyncSource,
    strangers: &[DeviceId],
) -> Result<()> {
    let wanted: Box<dyn Fn(DeviceId) -> bool> = match &state.share {
        None => return Ok(()),
        Some(ShareRole::Host {
            member_device: Some(_),
            ..
        }) => return Ok(()),
        Some(ShareRole::Host {
            member_device: None,
            ended,
            ..
        }) => {
            if ended.is_some() {
                return Ok(());
            }
            Box::new(|_| true)
        }
        Some(ShareRole::Member { .. }) => {
            let host = state
                .devices
                .keys()
                .copied()
                .find(|d| *d != secrets.device.id());
            if host.is_some() {
                return Ok(());
            }
            let Some(ShareRole::Member { id, .. }) = &state.share else {
                return Ok(());
            };
            let id = id.clone();
            Box::new(move |d: DeviceId| d.hex() == id)
        }
    };
    let Some(key) = secrets.key(1) else {
        return Ok(());
    };
    let mut claims = Vec::new();
    for stranger in strangers.iter().copied().filter(|d| wanted(*d)) {
        if state.devices.contains_key(&stranger) || !source.seqs(stranger)?.contains(&1) {
            continue;
        }
        let Some(first) = source.read(stranger, &[1])?.pop() else {
            continue;
        };
        if let Some(claim) = segment::claimed_device(&first, &key) {
            claims.push((stranger, claim));
        }
    }
    // Only a holder of the share's key writes a claim. Two at once: the key went beyond the
    // member, and neither is taken.
    if claims.len() > 1 {
        return Err(vault_sync::Error::Refused {
            device: claims[1].0,
            why: format!(
                "{} devices claim to be the share's member at once (its key went beyond them): none is taken; remove the member and add them again",
                claims.len()
            ),
        }
        .into());
    }
    let Some((stranger, (public, name))) = claims.pop() else {
        return Ok(());
    };
    // The host calls the member's device by the name it gave the member ("alice"), as its
    // notes then say; the member knows the host by the name the host's device gave itself.
    let shown = match &state.share {
        Some(ShareRole::Host { member, .. }) => member.clone(),
        _ => name.clone(),
    };
    state.devices.insert(
        stranger,
        DeviceEntry {
            public,
            name: shown,
            removed_after: None,
        },
    );
    match &mut state.share {
        Some(ShareRole::Host { member_device, .. }) => *member_device = Some(stranger),
        Some(ShareRole::Member { owner, .. }) => *owner = name,
        None => {}
    }
    Ok(())
}

/// In a share, what the other party may write: items, its own announcement in its first
/// segment, and (the host) the member's removal. Anything else refuses the log.
pub(super) fn check_op(state: &State, author: DeviceId, seq: u64, op: &OpHeader) -> Result<()> {
    let Some(role) = &state.share else {
        return Ok(());
    };
    let allowed = match op {
        OpHeader::Put { .. } | OpHeader::Delete { .. } => true,
        OpHeader::DeviceAdded { device, .. } => device.id == author && seq == 1,
        OpHeader::DeviceRemoved { .. } => matches!(role, ShareRole::Member { .. }),
        OpHeader::NewKey { .. } => false,
    };
    if allowed {
        return Ok(());
    }
    Err(vault_sync::Error::Refused {
        device: author,
        why: format!(
            "its segment {seq} adds or removes a device or a key, which neither side of a share may do (a forged member?)"
        ),
    }
    .into())
}

/// Whether the merge applies an item operation read in this share: on the host, a member's
/// change to an item it was given; never a member's deletion (it stays on the member's side)
/// nor an item it was not given.
pub(super) fn admits(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    state: &mut State,
    op: &OpHeader,
    author: &str,
) -> Result<bool> {
    let Some(ShareRole::Host { .. }) = &state.share else {
        return Ok(true);
    };
    let (item, delete) = match op {
        OpHeader::Put { item, .. } => (item, false),
        OpHeader::Delete { item, .. } => (item, true),
        _ => return Ok(true),
    };
    let given = state.items.contains_key(&uid_hex(item));
    if given && !delete {
        return Ok(true);
    }
    let note = if delete && given {
        format!(
            "{author} deleted {} on their side: kept here",
            super::item_name(crypt, db, *item)?
        )
    } else {
        format!("{author} sent an item that is not shared with them: ignored")
    };
    state.notes.push(note);
    Ok(false)
}

//! Sharing items with a team's members, over the remote this vault syncs through.
//!
//! A member is a person, known by an age X25519 recipient (`vault share whoami` on their side).
//! Each member added is a **share**: a sync of its own between two parties, this device (the
//! share's host) and one device of the member, on the same remote under `shares/<id>/`, where
//! `<id>` is the host's device id in it. A share has its own device keys and its own key,
//! sealed to the member's recipient alone (an age file, `welcome`): what the member receives
//! is encrypted to them, no one else, and adding or removing a member touches that share only
//! (the items the selector names, never the whole vault). The member's device joins by opening
//! that file and writing its first segment, which names its own keys under the share's key:
//! the host takes exactly one such device as the member's. In a share neither party may add or
//! remove a device or a key (a forged "add member" is refused); the member's changes to shared
//! items come back through its own signed log, and its deletions stay on its side.
//!
//! Removing a member writes a last segment saying so (no item in it), stops the share and
//! marks every item the member could read "rotate now": what they already read cannot be
//! taken back. The member's other devices get the items through the member's own sync.

use std::collections::BTreeMap;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use vault_sync::recipient::{self, Identity, Recipient};
use vault_sync::{DeviceId, DeviceKeys, DevicePublic, Op, OpHeader, SyncKey};
use zeroize::Zeroizing;

use super::super::Vault;
use super::super::crypt::Crypt;
use super::super::records::{Record, delete_record, read_record, write_record};
use super::selector::parse_selector;
use super::state::{
    DeviceEntry, Secrets, ShareRole, Space, State, Tracked, delete_space, load, load_in, save_in,
};
use super::{SyncRound, SyncSource, announce_if_first, round, seal_segment};
use crate::error::{Error, Result};
use crate::store::Db;

/// The record of this user's age identities (the first made is the one `whoami` shows; any
/// opens a share).
const IDENTITY_RECORD: &str = "share-identity";
/// The record listing this vault's shares, by id.
const INDEX_RECORD: &str = "shares";
/// The pairing place of a share on the remote, and its file: the share's key sealed to the
/// member.
pub const WELCOME_PLACE: &str = "key";
pub const WELCOME_FILE: &str = "welcome";

/// Where a share's logs live on the remote, under the vault's location.
pub fn space_of(id: &str) -> String {
    format!("shares/{id}/")
}

/// How a share stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ShareState {
    /// Added; the member has not accepted yet.
    Waiting,
    Active,
    /// The member was removed (on the owner's side), or removed this vault (on the member's).
    Removed,
}

/// One share, as `vault share ls` and the app show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ShareInfo {
    /// The share's id (what `vault share accept` names).
    pub id: String,
    /// This vault shares (`true`) or receives (`false`).
    pub owner: bool,
    /// The member (when this vault shares) or the sharing device's name (when it receives).
    pub name: String,
    /// The member's age recipient (when this vault shares).
    pub recipient: Option<String>,
    /// What the member gets.
    pub selector: Vec<String>,
    /// How many items the share carries now.
    pub items: usize,
    pub state: ShareState,
    /// When the other side's log last brought something (the member's last sync, seen here).
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub last_seen: Option<Timestamp>,
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub last_sync: Option<Timestamp>,
    /// The remote, as people read it.
    pub remote: String,
}

/// A member just added: the share's id and where it lives, and its key sealed to the member
/// (the agent writes it to the remote; it opens only with the member's key).
#[derive(Debug)]
pub struct Shared {
    pub id: String,
    pub url: String,
    pub welcome: Vec<u8>,
}

fn identities(crypt: &Crypt<'_>, db: &Db<'_>) -> Result<Vec<Identity>> {
    let Some(record) = read_record(crypt, db, IDENTITY_RECORD)? else {
        return Ok(Vec::new());
    };
    let text = std::str::from_utf8(&record.secret)
        .map_err(|_| crypt.tampered("the vault's sharing key".into()))?;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| Identity::parse(l).map_err(|_| crypt.tampered("the vault's sharing key".into())))
        .collect()
}

fn index(crypt: &Crypt<'_>, db: &Db<'_>) -> Result<Vec<String>> {
    let Some(record) = read_record(crypt, db, INDEX_RECORD)? else {
        return Ok(Vec::new());
    };
    serde_json::from_slice(&record.secret).map_err(|_| crypt.tampered("the vault's shares".into()))
}

fn save_index(crypt: &Crypt<'_>, db: &Db<'_>, ids: &[String]) -> Result<()> {
    let bytes = serde_json::to_vec(ids).map_err(|e| Error::invalid(e.to_string()))?;
    write_record(
        crypt,
        db,
        INDEX_RECORD,
        &Record {
            public: Vec::new(),
            secret: Zeroizing::new(bytes),
        },
    )
}

fn load_share(crypt: &Crypt<'_>, db: &Db<'_>, id: &str) -> Result<(State, Secrets)> {
    load_in(crypt, db, Space::Share(id))?
        .ok_or_else(|| Error::invalid(format!("this vault has no share {id}")))
}

fn info(id: &str, state: &State) -> ShareInfo {
    let remote = vault_sync::location::shown(&state.url);
    let items = state.items.len();
    match &state.share {
        Some(ShareRole::Host {
            member,
            recipient,
            selector,
            member_device,
            member_seen,
            ended,
            ..
        }) => ShareInfo {
            id: id.to_owned(),
            owner: true,
            name: member.clone(),
            recipient: Some(recipient.clone()),
            selector: selector.clone(),
            items,
            state: match (ended, member_device) {
                (Some(_), _) => ShareState::Removed,
                (None, None) => ShareState::Waiting,
                (None, Some(_)) => ShareState::Active,
            },
            last_seen: *member_seen,
            last_sync: state.last_sync,
            remote,
        },
        _ => ShareInfo {
            id: id.to_owned(),
            owner: false,
            name: match &state.share {
                Some(ShareRole::Member { owner, .. }) if !owner.is_empty() => owner.clone(),
                _ => "(not synced yet)".into(),
            },
            recipient: None,
            selector: Vec::new(),
            items,
            state: if state.removed {
                ShareState::Removed
            } else {
                ShareState::Active
            },
            last_seen: state.last_sync,
            last_sync: state.last_sync,
            remote,
        },
    }
}

impl Vault {
    /// This user's public key for sharing (`age1...`), made on first use.
    pub fn share_whoami(&mut self) -> Result<String> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            if let Some(first) = identities(&crypt, db)?.first() {
                return Ok(first.recipient().to_string());
            }
            let identity = Identity::generate()?;
            let text = identity.to_secret_string()?;
            let mut secret = Zeroizing::new(text.as_bytes().to_vec());
            secret.push(b'\n');
            write_record(
                &crypt,
                db,
                IDENTITY_RECORD,
                &Record {
                    public: Vec::new(),
                    secret,
                },
            )?;
            Ok(identity.recipient().to_string())
        })
    }

    /// Every share of this vault, those it gives and those it receives.
    pub fn share_list(&self) -> Result<Vec<ShareInfo>> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let mut out = Vec::new();
        for id in index(&crypt, &db)? {
            let (state, _) = load_share(&crypt, &db, &id)?;
            out.push(info(&id, &state));
        }
        Ok(out)
    }

    /// The shares a sync round goes through: every share not ended, with its remote.
    pub fn share_targets(&self) -> Result<Vec<(String, String, DevicePublic)>> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let mut out = Vec::new();
        for id in index(&crypt, &db)? {
            let (state, secrets) = load_share(&crypt, &db, &id)?;
            let ended = matches!(&state.share, Some(ShareRole::Host { ended: Some(_), .. }));
            // An ended share still pushes its last segment (the removal).
            if (!ended && !state.removed) || !state.outbox.is_empty() {
                out.push((id, state.url, secrets.device.public()));
            }
        }
        Ok(out)
    }

    /// Starts sharing what `selector` names with `member`, whose age recipient is
    /// `recipient`: a new share on this vault's remote, its key sealed to the member.
    pub fn share_add(
        &mut self,
        member: &str,
        recipient: &str,
        selector: &[String],
        now: Timestamp,
    ) -> Result<Shared> {
        let member = member.trim();
        if member.is_empty() || member.chars().any(char::is_control) {
            return Err(Error::invalid(
                "give the member a name (`vault share add alice age1...`)",
            ));
        }
        let to = Recipient::from_str(recipient.trim()).map_err(|_| {
            Error::invalid(format!(
                "{recipient:?} is not an age public key: the member runs `vault share whoami` and sends you its age1... line"
            ))
        })?;
        parse_selector(selector)?;
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let (own, _) = load(&crypt, db)?.ok_or_else(|| {
                Error::invalid(
                    "sharing goes through this vault's sync remote: run `vault sync init` first",
                )
            })?;
            let mut ids = index(&crypt, db)?;
            for id in &ids {
                let (state, _) = load_share(&crypt, db, id)?;
                if let Some(ShareRole::Host { member: m, ended: None, .. }) = &state.share
                    && m.eq_ignore_ascii_case(member)
                {
                    return Err(Error::invalid(format!(
                        "{m} is already a member (`vault share rm {m}` first to change what they get)"
                    )));
                }
            }
            let device = DeviceKeys::generate()?;
            let key = SyncKey::generate(1)?;
            let id = device.id().hex();
            let welcome = recipient::seal(key.expose(), std::slice::from_ref(&to))?;
            let mut devices = BTreeMap::new();
            devices.insert(
                device.id(),
                DeviceEntry {
                    public: device.public(),
                    name: own.name.clone(),
                    removed_after: None,
                },
            );
            let state = share_state(&own.url, &own.name, devices, Some(ShareRole::Host {
                member: member.to_owned(),
                recipient: to.to_string(),
                selector: selector.to_vec(),
                member_device: None,
                member_seen: None,
                ended: None,
                exposed: Vec::new(),
            }));
            store_new(&crypt, db, &id, &state, device, key, &mut ids)?;
            crypt.audit(
                db,
                crate::model::AuditEvent::ShareAdded {
                    member: member.to_owned(),
                    items: selector.join(", "),
                },
                now,
            )?;
            Ok(Shared {
                id,
                url: own.url,
                welcome,
            })
        })
    }

    /// Receives share `id` through `url`: its key is `welcome` (fetched from the share's
    /// place), which must open with this user's key.
    pub fn share_accept(
        &mut self,
        url: &str,
        id: &str,
        welcome: Option<&[u8]>,
        now: Timestamp,
    ) -> Result<()> {
        let id = id.trim().to_lowercase();
        if id.parse::<DeviceId>().is_err() {
            return Err(Error::invalid(format!(
                "{id:?} is not a share's id: `vault share add` printed it (32 hex digits)"
            )));
        }
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let mut ids = index(&crypt, db)?;
            if ids.contains(&id) {
                return Err(Error::invalid("this vault already takes part in that share"));
            }
            let welcome = welcome.ok_or_else(|| {
                Error::invalid(format!(
                    "{} holds no share {id}: check the id, or the share was ended",
                    vault_sync::location::shown(url)
                ))
            })?;
            let mine = identities(&crypt, db)?;
            let mut key = None;
            for identity in &mine {
                if let Some(bytes) = recipient::open(welcome, identity).map_err(|_| {
                    Error::invalid("the share's key file on the remote is damaged")
                })? {
                    key = Some(SyncKey::from_bytes(1, &bytes)?);
                    break;
                }
            }
            let key = key.ok_or_else(|| {
                let who = mine
                    .first()
                    .map_or_else(|| "none yet: run `vault share whoami`".to_owned(), |i| i.recipient().to_string());
                Error::invalid(format!(
                    "share {id} was not sealed to your key ({who}): ask its owner to add you with the key `vault share whoami` prints"
                ))
            })?;
            let device = DeviceKeys::generate()?;
            let mut devices = BTreeMap::new();
            devices.insert(
                device.id(),
                DeviceEntry {
                    public: device.public(),
                    name: own_name(&crypt, db)?,
                    removed_after: None,
                },
            );
            let state = share_state(url, &own_name(&crypt, db)?, devices, Some(ShareRole::Member {
                owner: String::new(),
                id: id.clone(),
            }));
            store_new(&crypt, db, &id, &state, device, key, &mut ids)?;
            crypt.audit(
                db,
                crate::model::AuditEvent::ShareAccepted { share: id.clone() },
                now,
            )
        })
    }

    /// One round of share `id`: as the vault's own round, between the share's two parties.
    pub fn share_round(
        &mut self,
        id: &str,
        source: &dyn SyncSource,
        now: Timestamp,
    ) -> Result<SyncRound> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let (before, _) = load_share(&crypt, db, id)?;
            if let Some(ShareRole::Host { ended: Some(_), .. }) = &before.share {
                return Ok(SyncRound::default());
            }
            let round = round(&crypt, db, Space::Share(id), source, now)?;
            let (mut after, secrets) = load_share(&crypt, db, id)?;
            if let Some(ShareRole::Host {
                member_device: Some(d),
                member_seen,
                ..
            }) = &mut after.share
                && before.heads.get(d) != after.heads.get(d)
            {
                *member_seen = Some(now);
                save_in(&crypt, db, Space::Share(id), &after, &secrets)?;
            }
            Ok(round)
        })
    }

    /// Share `id`'s segments not yet on the remote.
    pub fn share_unsent(&self, id: &str) -> Result<Vec<(u64, Vec<u8>)>> {
        self.unsent_in(Space::Share(id))
    }

    /// The remote has share `id`'s segments up to `seq`.
    pub fn share_sent(&mut self, id: &str, seq: u64) -> Result<()> {
        self.sent_in(Space::Share(id), seq)
    }

    /// Removes `member`: a last segment tells their device, the share stops, and every item
    /// they could read becomes due for rotation. Returns the share's id (the agent pushes the
    /// segment and takes the key file off the remote).
    pub fn share_remove(&mut self, member: &str, now: Timestamp) -> Result<String> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            for id in index(&crypt, db)? {
                let space = Space::Share(&id);
                let (mut state, secrets) = load_share(&crypt, db, &id)?;
                let Some(ShareRole::Host {
                    member: m,
                    member_device,
                    ended: None,
                    ..
                }) = &state.share
                else {
                    continue;
                };
                if !m.eq_ignore_ascii_case(member.trim()) {
                    continue;
                }
                let m = m.clone();
                // The last segment ends the share for its member, even one whose device was
                // never seen here (it may have read the key and not written yet).
                let device = member_device.unwrap_or(DeviceId([0; 16]));
                let last_seq = state.heads.get(&device).map_or(0, |h| h.seq);
                let mut ops = Vec::new();
                announce_if_first(&state, &secrets, &mut ops);
                ops.push(Op::new(
                    OpHeader::DeviceRemoved { device, last_seq },
                    Vec::new(),
                ));
                seal_segment(&crypt, db, space, &mut state, &secrets, &ops)?;
                let held: Vec<String> = state.items.keys().cloned().collect();
                if let Some(ShareRole::Host { ended, exposed, .. }) = &mut state.share {
                    *ended = Some(now);
                    *exposed = held;
                }
                save_in(&crypt, db, space, &state, &secrets)?;
                crypt.audit(
                    db,
                    crate::model::AuditEvent::ShareRemoved { member: m },
                    now,
                )?;
                return Ok(id);
            }
            Err(Error::invalid(format!(
                "{member:?} is not a member (`vault share ls` lists them)"
            )))
        })
    }

    /// Forgets share `id` here (a member added whose key could not be published, a share
    /// that could not be read at its acceptance): its records go, nothing else changes.
    pub fn share_forget(&mut self, id: &str) -> Result<()> {
        let (store, crypt) = self.parts();
        store.write(&crypt, |db| {
            let mut ids = index(&crypt, db)?;
            if !ids.iter().any(|i| i == id) {
                return Ok(());
            }
            if let Some((state, _)) = load_in(&crypt, db, Space::Share(id))? {
                for seq in state.outbox {
                    delete_record(&crypt, db, &Space::Share(id).outbox_record(seq))?;
                }
            }
            delete_space(&crypt, db, Space::Share(id))?;
            ids.retain(|i| i != id);
            save_index(&crypt, db, &ids)
        })
    }

    /// The items a removed member could read, with when the member was removed: `vault due`
    /// says to rotate each whose value is older.
    pub fn share_exposures(&self) -> Result<BTreeMap<[u8; 16], Timestamp>> {
        let crypt = self.crypt_parts();
        let db = self.store.db();
        let mut out: BTreeMap<[u8; 16], Timestamp> = BTreeMap::new();
        for id in index(&crypt, &db)? {
            let (state, _) = load_share(&crypt, &db, &id)?;
            if let Some(ShareRole::Host {
                ended: Some(at),
                exposed,
                ..
            }) = &state.share
            {
                for item in exposed {
                    if let Some(uid) = vault_sync::hex::decode_array::<16>(item) {
                        let e = out.entry(uid).or_insert(*at);
                        *e = (*e).max(*at);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Stores a new share's state and keys (its key is epoch 1's), and lists it.
fn store_new(
    crypt: &Crypt<'_>,
    db: &Db<'_>,
    id: &str,
    state: &State,
    device: DeviceKeys,
    key: SyncKey,
    ids: &mut Vec<String>,
) -> Result<()> {
    let mut keys = BTreeMap::new();
    keys.insert(1, key);
    save_in(
        crypt,
        db,
        Space::Share(id),
        state,
        &Secrets { device, keys },
    )?;
    ids.push(id.to_owned());
    save_index(crypt, db, ids)
}

fn own_name(crypt: &Crypt<'_>, db: &Db<'_>) -> Result<String> {
    Ok(load(crypt, db)?.map_or_else(|| "member".to_owned(), |(s, _)| s.name))
}

fn share_state(
    url: &str,
    name: &str,
    devices: BTreeMap<DeviceId, DeviceEntry>,
    share: Option<ShareRole>,
) -> State {
    State {
        url: url.to_owned(),
        name: name.to_owned(),
        devices,
        heads: BTreeMap::new(),
        epoch: 1,
        items: BTreeMap::<String, Tracked>::new(),
        deleted: BTreeMap::new(),
        outbox: Vec::new(),
        last_sync: None,
        exposed_before: None,
        notes: Vec::new(),
        removed: false,
        share,
    }
}

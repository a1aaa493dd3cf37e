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
use vault_sync::{DeviceId, DeviceKeys, DevicePublic, Op, OpHeader, SyncKey, segment};
use zeroize::Zeroizing;

use super::super::Vault;
use super::super::crypt::Crypt;
use super::super::records::{Record, delete_record, read_record, write_record};
use super::state::{
    DeviceEntry, Secrets, ShareRole, Space, State, Tracked, delete_space, load, load_in, save_in,
};
use super::{SyncRound, SyncSource, round, seal_segment, synced_rows, uid_hex};
use crate::error::{Error, Result};
use crate::model::{ApiKeyMeta, ItemKind, ItemMeta};
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

/// What the selector words mean: `tag:T`, `service:S`, `name:GLOB` (`*` and `?`), or a name.
#[derive(Debug)]
enum Rule {
    Tag(String),
    Service(String),
    Name(regex::Regex),
    Exact(String),
}

fn parse_selector(words: &[String]) -> Result<Vec<Rule>> {
    if words.is_empty() {
        return Err(Error::invalid(
            "say what the member gets: --items tag:staging (or service:S, name:GLOB, an item's name)",
        ));
    }
    let mut rules = Vec::new();
    for word in words.iter().flat_map(|w| w.split(',')).map(str::trim) {
        let rule = match word.split_once(':') {
            Some(("tag", t)) if !t.is_empty() => Rule::Tag(t.to_lowercase()),
            Some(("service", s)) if !s.is_empty() => Rule::Service(s.to_lowercase()),
            Some(("name", g)) if !g.is_empty() => Rule::Name(glob(g)?),
            Some((kind, _)) => {
                return Err(Error::invalid(format!(
                    "{word:?} is not a selector: use tag:T, service:S, name:GLOB or an item's name{}",
                    if ["tag", "service", "name"].contains(&kind) {
                        " (nothing after the colon)"
                    } else {
                        ""
                    }
                )));
            }
            None if !word.is_empty() => Rule::Exact(word.to_lowercase()),
            None => continue,
        };
        rules.push(rule);
    }
    if rules.is_empty() {
        return Err(Error::invalid("the selector names nothing"));
    }
    Ok(rules)
}

fn glob(pattern: &str) -> Result<regex::Regex> {
    let mut re = String::from("(?i)^");
    for c in pattern.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).map_err(|e| Error::invalid(format!("{pattern:?}: {e}")))
}

fn selects(rules: &[Rule], meta: &ApiKeyMeta) -> bool {
    rules.iter().any(|r| match r {
        Rule::Tag(t) => meta.tags.iter().any(|x| x.to_lowercase() == *t),
        Rule::Service(s) => meta
            .service
            .as_deref()
            .is_some_and(|x| x.to_lowercase() == *s),
        Rule::Name(re) => re.is_match(&meta.name),
        Rule::Exact(n) => meta.name.to_lowercase() == *n,
    })
}

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
    state.devices.insert(
        stranger,
        DeviceEntry {
            public,
            name: name.clone(),
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
            let mut keys = BTreeMap::new();
            keys.insert(1, key);
            save_in(&crypt, db, Space::Share(&id), &state, &Secrets { device, keys })?;
            ids.push(id.clone());
            save_index(&crypt, db, &ids)?;
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
            let mut keys = BTreeMap::new();
            keys.insert(1, key);
            save_in(&crypt, db, Space::Share(&id), &state, &Secrets { device, keys })?;
            ids.push(id.clone());
            save_index(&crypt, db, &ids)?;
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
                if !state.heads.contains_key(&secrets.device.id()) {
                    ops.push(Op::new(
                        OpHeader::DeviceAdded {
                            device: secrets.device.public(),
                            name: state.name.clone(),
                        },
                        Vec::new(),
                    ));
                }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn meta(name: &str, tags: &[&str], service: Option<&str>) -> ApiKeyMeta {
        let now = Timestamp::UNIX_EPOCH;
        ApiKeyMeta {
            name: name.into(),
            env: vec![name.into()],
            service: service.map(Into::into),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            notes: String::new(),
            created: now,
            updated: now,
            last_rotated: now,
            rotation: Default::default(),
            expires: None,
            version: 1,
            hosts: None,
            fields: Default::default(),
            secret_fields: Vec::new(),
            refused: None,
            conflict: None,
        }
    }

    #[test]
    fn selectors_name_what_they_say_and_nothing_else() {
        let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let staging = parse_selector(&words(&["tag:staging"])).unwrap();
        assert!(selects(&staging, &meta("A", &["Staging"], None)));
        assert!(!selects(&staging, &meta("A", &["prod"], None)));
        let names = parse_selector(&words(&["name:STRIPE_*", "service:openai"])).unwrap();
        assert!(selects(&names, &meta("stripe_test", &[], None)));
        assert!(selects(&names, &meta("X", &[], Some("OpenAI"))));
        assert!(!selects(&names, &meta("MY_STRIPE", &[], None)));
        let exact = parse_selector(&words(&["DB_URL,REDIS_URL"])).unwrap();
        assert!(selects(&exact, &meta("REDIS_URL", &[], None)));
        assert!(!selects(&exact, &meta("DB_URL2", &[], None)));
        let literal = parse_selector(&words(&["A*B"])).unwrap();
        assert!(
            !selects(&literal, &meta("AxB", &[], None)),
            "a bare name is not a glob"
        );
        for bad in [&[][..], &["color:red"][..], &["tag:"][..], &[","][..]] {
            assert!(parse_selector(&words(bad)).is_err(), "{bad:?}");
        }
    }
}

//! Sync, as the agent runs it: the network (fetch and push through the engine, git or S3, and
//! the pairing exchange) outside the service lock, the vault's round inside it (see
//! vault-core's `vault/sync.rs`).
//!
//! Pairing goes through the remote itself: the inviting device publishes its SPAKE2 message on
//! a short-lived branch, the joining device answers with its own, its public keys and a tag
//! proving it derived the same key, and the inviting device answers with the sync keys sealed
//! under that key (or a refusal). The code itself never leaves either machine.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use vault_core::formats::{AWS_KEY_ID_FIELD as KEY_ID_FIELD, AWS_TOKEN_FIELD as TOKEN_FIELD};
use vault_core::vault_sync::git::Remote;
use vault_core::vault_sync::hex::{decode as unhex, encode as hex};
use vault_core::vault_sync::pairing::{self, Code, Inviter, Role};
use vault_core::vault_sync::s3::{self, Location};
use vault_core::vault_sync::{self, DeviceKeys, DevicePublic};
use vault_core::vault_sync::{Engine, Source};
use vault_core::{Error, SNAPSHOT_EVERY, SecretValue, SyncRound, SyncStatus};
use zeroize::Zeroizing;

use super::Service;
use crate::protocol::{Op, Response, WireSecret};

/// How long an invitation stands.
const INVITE_FOR: SignedDuration = SignedDuration::from_secs(600);
/// How often a waiting side looks at the remote again.
const POLL: Duration = Duration::from_millis(500);

/// Invitations shown and not yet answered, by nameplate.
#[derive(Default)]
pub(super) struct SyncHub {
    invites: Mutex<HashMap<String, Invite>>,
    /// One round at a time (the background one and `vault sync`): both write the mirror.
    rounds: Mutex<()>,
}

impl std::fmt::Debug for SyncHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SyncHub")
    }
}

struct Invite {
    vault: PathBuf,
    inviter: Inviter,
    msg_a: Vec<u8>,
    expires: Timestamp,
}

#[derive(Serialize, Deserialize)]
struct InviteFile {
    msg: String,
    expires: i64,
}

#[derive(Serialize, Deserialize)]
struct JoinFile {
    msg: String,
    device: DevicePublic,
    name: String,
    confirm: String,
}

#[derive(Serialize, Deserialize)]
struct WelcomeFile {
    sealed: String,
    confirm: String,
}

fn pairing_error(message: impl Into<String>) -> Error {
    Error::Sync(vault_sync::Error::Pairing(message.into()))
}

/// Everything both sides exchanged, which each side's tag covers.
fn transcript(nameplate: &str, msg_a: &[u8], join: &JoinFile) -> Result<Vec<u8>, Error> {
    let msg_b =
        unhex(&join.msg).ok_or_else(|| pairing_error("the new device's answer is malformed"))?;
    let device = serde_json::to_vec(&join.device).map_err(|e| Error::Invalid(e.to_string()))?;
    let mut t = Vec::new();
    for part in [
        nameplate.as_bytes(),
        msg_a,
        &msg_b,
        &device,
        join.name.as_bytes(),
    ] {
        t.extend_from_slice(&(part.len() as u64).to_be_bytes());
        t.extend_from_slice(part);
    }
    Ok(t)
}

/// The invitations, even after a panic elsewhere poisoned the lock (they hold no vault data).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Refuses a remote URL with a password or token in it (`https://user:token@host/...`): it
/// would be stored with the vault's settings, shown by `vault sync status` and passed to git on
/// its command line. git's credential helpers (vault is one: `vault setup git`) or an SSH key
/// do it without.
pub(super) fn refuse_password_in(url: &str) -> Result<(), Error> {
    let Some((_, rest)) = url.split_once("://") else {
        return Ok(());
    };
    let authority = rest.split('/').next().unwrap_or("");
    if authority
        .rsplit_once('@')
        .is_some_and(|(user, _)| user.contains(':'))
    {
        return Err(Error::Invalid(
            "the remote's URL holds a password or token: give it without (https://host/path) and let git's credential helper or an SSH key sign in (`vault setup git` makes vault one)".into(),
        ));
    }
    Ok(())
}

/// The local mirror of a vault's git remote: beside the vault file, 0700.
pub(crate) fn mirror_path(vault: &Path) -> PathBuf {
    beside(vault, ".sync.git")
}

/// The local cache of a vault's S3 location: beside the vault file, 0700.
pub(crate) fn cache_path(vault: &Path) -> PathBuf {
    beside(vault, ".sync.s3")
}

fn beside(vault: &Path, suffix: &str) -> PathBuf {
    let mut name = vault.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    vault.with_file_name(name)
}

/// Makes `dir` (0700) if missing.
fn private_dir(dir: &Path) -> Result<(), Error> {
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io {
            context: format!("cannot create {}", dir.display()),
            source: e,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
    Ok(())
}

fn open_git(vault: &Path, url: &str, space: &str) -> Result<Remote, Error> {
    let mirror = mirror_path(vault);
    private_dir(&mirror)?;
    Ok(Remote::open_space(&mirror, url, space)?)
}

/// The S3 access key an item of the vault holds, as `vault aws` reads it: the value is the
/// secret access key, field `access_key_id` the key id, secret field `session_token`.
fn credentials_from(v: &vault_core::Vault, item: &str) -> Result<s3::Credentials, Error> {
    let key = v.api_key(item).map_err(|e| match e {
        Error::NotFound { .. } => Error::Invalid(format!(
            "the storage's access key is to come from the item {item:?}, which this vault does not hold: add it (`vault add {item}`, paste the key id and secret), or leave out --key to use AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )),
        e => e,
    })?;
    let Some(id) = key.meta.fields.get(KEY_ID_FIELD) else {
        return Err(Error::Invalid(format!(
            "{item} has no {KEY_ID_FIELD} field, so it cannot sign in to the storage: `vault edit {item} --field {KEY_ID_FIELD}=AKIA...`"
        )));
    };
    let token = key
        .secret_fields
        .get(TOKEN_FIELD)
        .map(|v| Zeroizing::new(v.expose().to_owned()));
    Ok(s3::Credentials {
        access_key_id: id.clone(),
        secret_access_key: Zeroizing::new(key.value.expose().to_owned()),
        session_token: token,
    })
}

impl Service {
    /// The engine `url` names: S3 storage (`s3://...`, signed with the access key its `key`
    /// item holds, else the AWS environment), or a git remote.
    fn open_remote(&self, vault: &Path, url: &str) -> Result<Box<dyn Engine>, Error> {
        self.open_remote_in(vault, url, "")
    }

    /// [`Self::open_remote`], for the logs under `space` (a share's `shares/<id>/`).
    pub(super) fn open_remote_in(
        &self,
        vault: &Path,
        url: &str,
        space: &str,
    ) -> Result<Box<dyn Engine>, Error> {
        if !Location::is_s3(url) {
            return Ok(Box::new(open_git(vault, url, space)?));
        }
        let mut location = Location::parse(url)?;
        let sub = space.trim_end_matches('/');
        if !sub.is_empty() {
            location.prefix = match location.prefix.as_str() {
                "" => sub.to_owned(),
                p => format!("{p}/{sub}"),
            };
        }
        private_dir(&cache_path(vault))?;
        let credentials = match &location.key {
            Some(item) => Some(self.with_vault(vault, false, |v| credentials_from(v, item))?),
            None => None,
        };
        Ok(Box::new(s3::Remote::open(
            &cache_path(vault).join(sub),
            location,
            credentials,
        )?))
    }

    pub(super) fn sync_op(&self, vault: &Path, op: Op) -> Response {
        let answer = match op {
            Op::SyncInit { url, name } => self.sync_init(vault, &url, &name),
            Op::Sync => self.sync_now(vault),
            Op::SyncCompact => self.sync_compact(vault),
            Op::SyncStatus => {
                return match self.with_vault(vault, false, |v| v.sync_status()) {
                    Ok(status) => Response::SyncStatus { status },
                    Err(e) => Response::error(&e),
                };
            }
            Op::SyncRemoveDevice { device } => {
                let now = self.now();
                self.with_vault(vault, true, |v| v.sync_remove_device(&device, now))
                    .and_then(|_| self.sync_now(vault))
            }
            Op::SyncInvite => {
                return self
                    .sync_invite(vault)
                    .unwrap_or_else(|e| Response::error(&e));
            }
            Op::SyncInviteWait { nameplate } => {
                return self.invite_wait(vault, &nameplate, &AtomicBool::new(false));
            }
            Op::SyncJoin { url, name, code } => {
                self.sync_join(vault, &url, &name, code.into_inner())
            }
            _ => Err(Error::Invalid("not a sync operation".into())),
        };
        match answer {
            Ok((round, status)) => Response::Synced { round, status },
            Err(e) => Response::error(&e),
        }
    }

    fn sync_init(
        &self,
        vault: &Path,
        url: &str,
        name: &str,
    ) -> Result<(SyncRound, Option<SyncStatus>), Error> {
        if url.trim().is_empty() {
            return Err(Error::Invalid("give the git remote's URL".into()));
        }
        refuse_password_in(url)?;
        // Reach the remote first: a typo in the URL is said before anything is written.
        let remote = self.open_remote(vault, url)?;
        remote.fetch()?;
        if !remote.devices()?.is_empty() {
            return Err(Error::Invalid(format!(
                "{url} already holds a vault's sync; to add this device, run `vault sync invite` on one of its devices and `vault sync join {url}` here"
            )));
        }
        let now = self.now();
        self.with_vault(vault, true, |v| v.sync_init(url, name, now))?;
        self.sync_now(vault)
    }

    /// One round: fetch, merge, push.
    pub(super) fn sync_now(&self, vault: &Path) -> Result<(SyncRound, Option<SyncStatus>), Error> {
        self.sync_with(vault, true)
    }

    /// A round; `touch`: it counts as use of the vault (a background round does not, so it
    /// never keeps the vault unlocked).
    fn sync_with(
        &self,
        vault: &Path,
        touch: bool,
    ) -> Result<(SyncRound, Option<SyncStatus>), Error> {
        let _one_at_a_time = lock(&self.sync.rounds);
        let target = self.with_vault(vault, touch, |v| v.sync_target())?;
        let shares = self.with_vault(vault, touch, |v| v.share_targets())?;
        if target.is_none() && shares.is_empty() {
            if !self
                .with_vault(vault, false, |v| v.share_list())?
                .is_empty()
            {
                return Err(Error::Invalid(
                    "the shares this vault received were ended by their owners, and it does not sync otherwise (`vault share ls`)".into(),
                ));
            }
            return Err(Error::Invalid("this vault does not sync yet; run `vault sync init git URL` or `vault sync join URL`".into()));
        }
        let mut round = SyncRound::default();
        let own = target.is_some();
        let mut own_remote = None;
        if let Some((url, me)) = target {
            let remote = self.open_remote(vault, &url)?;
            remote.fetch()?;
            let now = self.now();
            round = self.with_vault(vault, touch, |v| {
                v.sync_round(remote.as_ref() as &dyn Source, now)
            })?;
            self.sync_push(vault, remote.as_ref(), &me, touch)?;
            self.snapshot_if_due(vault, remote.as_ref(), &me, SNAPSHOT_EVERY, &mut round)?;
            own_remote = Some((remote, me));
        }
        let received = round.received;
        self.share_rounds(vault, touch, shares.clone(), own, &mut round)?;
        if round.received > received {
            // A member's change reaches this vault's other devices, and the other members who
            // hold the item, in this sync rather than the next: the rounds that ran before the
            // share that brought it had nothing of it to send. Once: what this pass brings
            // waits for the next sync.
            let mut again = SyncRound::default();
            if let Some((remote, me)) = &own_remote {
                let now = self.now();
                again = self.with_vault(vault, touch, |v| {
                    v.sync_round(remote.as_ref() as &dyn Source, now)
                })?;
                self.sync_push(vault, remote.as_ref(), me, touch)?;
            }
            self.share_rounds(vault, touch, shares, own, &mut again)?;
            round.received += again.received;
            round.sent += again.sent;
            round.conflicts.extend(again.conflicts);
            round.notes.extend(again.notes);
        }
        let status = self.with_vault(vault, false, |v| v.sync_status())?;
        Ok((round, status))
    }

    /// `vault sync compact`: a round, then a snapshot now (unless the newest one already
    /// follows this device's last segment).
    fn sync_compact(&self, vault: &Path) -> Result<(SyncRound, Option<SyncStatus>), Error> {
        let (mut round, status) = self.sync_now(vault)?;
        let _one_at_a_time = lock(&self.sync.rounds);
        let (url, me) = self
            .with_vault(vault, true, |v| v.sync_target())?
            .ok_or_else(|| Error::Invalid("this vault does not sync yet".into()))?;
        let remote = self.open_remote(vault, &url)?;
        remote.fetch()?;
        if !self.snapshot_if_due(vault, remote.as_ref(), &me, 1, &mut round)? {
            round
                .notes
                .push("the newest snapshot already holds everything: nothing to write".into());
        }
        Ok((round, status))
    }

    /// Writes a snapshot when this device's log is `every` segments past its newest one on
    /// the remote (and all is pushed). Whether one was written.
    fn snapshot_if_due(
        &self,
        vault: &Path,
        remote: &dyn Engine,
        me: &DevicePublic,
        every: u64,
        round: &mut SyncRound,
    ) -> Result<bool, Error> {
        let newest = remote
            .snapshots()?
            .into_iter()
            .filter(|(d, _)| *d == me.id)
            .map(|(_, s)| s)
            .max();
        let Some((seq, bytes)) =
            self.with_vault(vault, false, |v| v.sync_snapshot(newest, every))?
        else {
            return Ok(false);
        };
        remote.put_snapshot(me.id, seq, &bytes)?;
        round.notes.push(format!(
            "wrote a snapshot after this device's segment {seq}: a new device starts from it"
        ));
        Ok(true)
    }

    /// Appends this device's unsent segments to the mirror and pushes them.
    pub(super) fn sync_push(
        &self,
        vault: &Path,
        remote: &dyn Engine,
        me: &DevicePublic,
        touch: bool,
    ) -> Result<(), Error> {
        let unsent = self.with_vault(vault, touch, |v| v.sync_unsent())?;
        if unsent.is_empty() && remote.pushed(me.id)? {
            return Ok(());
        }
        remote.append(me, &unsent)?;
        remote.push(me.id)?;
        if let Some((last, _)) = unsent.last() {
            self.with_vault(vault, touch, |v| v.sync_sent(*last))?;
        }
        Ok(())
    }

    /// The background round of every unlocked vault that syncs and has something to send, or
    /// has not looked at its remote for `every`: what the agent's sync thread runs. Returns the
    /// failures' codes (a log names no remote: its URL may hold a user name).
    pub fn sync_due(&self, now: Timestamp, every: SignedDuration) -> Vec<vault_core::ErrorCode> {
        let paths: Vec<PathBuf> = self.state().unlocked.keys().cloned().collect();
        let mut failed = Vec::new();
        for path in paths {
            let stale = |t: Option<Timestamp>| t.is_none_or(|t| now.duration_since(t) >= every);
            let due = self.with_vault(&path, false, |v| {
                let own = v
                    .sync_status()?
                    .filter(|s| !s.removed)
                    .is_some_and(|s| s.pending > 0 || s.unsent > 0 || stale(s.last_sync));
                let shares = v
                    .share_list()?
                    .iter()
                    .any(|s| s.state != vault_core::ShareState::Removed && stale(s.last_sync));
                Ok(own || shares)
            });
            if let Ok(true) = due
                && let Err(e) = self.sync_with(&path, false)
            {
                failed.push(e.code());
            }
        }
        failed
    }

    fn sync_invite(&self, vault: &Path) -> Result<Response, Error> {
        let (url, _) = self
            .with_vault(vault, true, |v| v.sync_target())?
            .ok_or_else(|| {
                Error::Invalid(
                    "this vault does not sync yet; run `vault sync init git URL` first".into(),
                )
            })?;
        let remote = self.open_remote(vault, &url)?;
        let mut code = Code::generate()?;
        for _ in 0..8 {
            remote.fetch_pairing(&code.nameplate)?;
            if remote.pairing_files(&code.nameplate)?.is_empty() {
                break;
            }
            code = Code::generate()?;
        }
        let (inviter, msg_a) = pairing::invite(&code);
        let expires = self.now() + INVITE_FOR;
        let file = InviteFile {
            msg: hex(&msg_a),
            expires: expires.as_second(),
        };
        let bytes = serde_json::to_vec(&file).map_err(|e| Error::Invalid(e.to_string()))?;
        remote.pairing_write(&code.nameplate, "invite", &bytes)?;
        let nameplate = code.nameplate.clone();
        lock(&self.sync.invites).insert(
            nameplate.clone(),
            Invite {
                vault: vault.to_owned(),
                inviter,
                msg_a,
                expires,
            },
        );
        Ok(Response::Invitation {
            code: WireSecret::new(SecretValue::new(code.display().to_string())),
            nameplate,
            expires,
        })
    }

    /// Ends an invitation nobody waits on any more (its `vault sync invite` went away before it
    /// asked to wait): its branch leaves the remote. Nothing when it is not waiting here.
    pub(crate) fn end_invite(&self, vault: &Path, nameplate: &str) {
        let ended = lock(&self.sync.invites)
            .remove(nameplate)
            .filter(|i| i.vault == vault);
        if ended.is_none() {
            return;
        }
        if let Ok(Some((url, _))) = self.with_vault(vault, false, |v| v.sync_target())
            && let Ok(remote) = self.open_remote(vault, &url)
        {
            let _ = remote.pairing_end(nameplate);
        }
    }

    /// `vault sync invite`'s wait for the new device, until `stop` is set (the server sets it
    /// when the client went away: Ctrl-C ends the invitation, so its code pairs nothing more).
    pub(crate) fn invite_wait(&self, vault: &Path, nameplate: &str, stop: &AtomicBool) -> Response {
        self.sync_invite_wait(vault, nameplate, stop)
            .map(|name| Response::Paired { name })
            .unwrap_or_else(|e| Response::error(&e))
    }

    fn sync_invite_wait(
        &self,
        vault: &Path,
        nameplate: &str,
        stop: &AtomicBool,
    ) -> Result<String, Error> {
        let invite = lock(&self.sync.invites)
            .remove(nameplate)
            .filter(|i| i.vault == vault)
            .ok_or_else(|| pairing_error(format!("no invitation {nameplate} is waiting here")))?;
        let (url, _) = self
            .with_vault(vault, false, |v| v.sync_target())?
            .ok_or_else(|| Error::Invalid("this vault does not sync".into()))?;
        let remote = self.open_remote(vault, &url)?;
        let join = loop {
            if stop.load(Ordering::Relaxed) {
                let _ = remote.pairing_end(nameplate);
                return Err(pairing_error(
                    "the invitation was cancelled; run `vault sync invite` again",
                ));
            }
            if self.now() > invite.expires {
                let _ = remote.pairing_end(nameplate);
                return Err(pairing_error(
                    "the invitation expired before a device answered it; run `vault sync invite` again",
                ));
            }
            remote.fetch_pairing(nameplate)?;
            let files = remote.pairing_files(nameplate)?;
            if files.is_empty() {
                return Err(pairing_error(
                    "the invitation disappeared from the remote; run `vault sync invite` again",
                ));
            }
            if let Some(join) = files.get("join") {
                break join.clone();
            }
            std::thread::sleep(POLL);
        };
        let join: JoinFile = serde_json::from_slice(&join)
            .map_err(|_| pairing_error("the new device's answer is malformed"))?;
        let transcript = transcript(nameplate, &invite.msg_a, &join)?;
        let msg_b = unhex(&join.msg)
            .ok_or_else(|| pairing_error("the new device's answer is malformed"))?;
        let shared = invite.inviter.finish(&msg_b)?;
        let confirm = unhex(&join.confirm).unwrap_or_default();
        let now = self.now();
        if join.device.check().is_err() || !shared.check(Role::Joiner, &transcript, &confirm) {
            let _ = remote.pairing_write(nameplate, "refused", b"wrong code");
            let name = join.name.clone();
            let _ = self.with_vault(vault, false, |v| v.sync_note_refused_pairing(&name, now));
            return Err(pairing_error(format!(
                "the device {:?} gave a wrong pairing code: it was refused, and this invitation is over (run `vault sync invite` again)",
                join.name
            )));
        }
        let welcome =
            self.with_vault(vault, true, |v| v.sync_admit(&join.device, &join.name, now))?;
        let file = WelcomeFile {
            sealed: hex(&shared.seal(&welcome)?),
            confirm: hex(&shared.confirm(Role::Inviter, &transcript)),
        };
        let bytes = serde_json::to_vec(&file).map_err(|e| Error::Invalid(e.to_string()))?;
        remote.pairing_write(nameplate, "welcome", &bytes)?;
        // The new device's addition goes out now, so the others read its log.
        self.sync_now(vault)?;
        Ok(join.name)
    }

    fn sync_join(
        &self,
        vault: &Path,
        url: &str,
        name: &str,
        code: SecretValue,
    ) -> Result<(SyncRound, Option<SyncStatus>), Error> {
        let code = Code::parse(code.expose())?;
        refuse_password_in(url)?;
        if self
            .with_vault(vault, false, |v| v.sync_target())?
            .is_some()
        {
            return Err(Error::Invalid(
                "this vault already syncs; `vault sync status` shows where".into(),
            ));
        }
        let nameplate = code.nameplate.clone();
        let remote = self.open_remote(vault, url)?;
        remote.fetch_pairing(&nameplate)?;
        let files = remote.pairing_files(&nameplate)?;
        let invite = files.get("invite").ok_or_else(|| {
            pairing_error(format!("{url} has no invitation {nameplate}: it expired or was used, or the code was made for another remote"))
        })?;
        if files.contains_key("join") {
            return Err(pairing_error(
                "that invitation was already answered; run `vault sync invite` again",
            ));
        }
        let invite: InviteFile = serde_json::from_slice(invite)
            .map_err(|_| pairing_error("the invitation on the remote is malformed"))?;
        let expires = Timestamp::from_second(invite.expires)
            .map_err(|_| pairing_error("the invitation on the remote is malformed"))?;
        if self.now() > expires {
            return Err(pairing_error(
                "that invitation expired; run `vault sync invite` again",
            ));
        }
        let msg_a = unhex(&invite.msg)
            .ok_or_else(|| pairing_error("the invitation on the remote is malformed"))?;
        let keys = DeviceKeys::generate()?;
        let (shared, msg_b) = pairing::join(&code, &msg_a)?;
        let mut join = JoinFile {
            msg: hex(&msg_b),
            device: keys.public(),
            name: name.to_owned(),
            confirm: String::new(),
        };
        let transcript = transcript(&nameplate, &msg_a, &join)?;
        join.confirm = hex(&shared.confirm(Role::Joiner, &transcript));
        let bytes = serde_json::to_vec(&join).map_err(|e| Error::Invalid(e.to_string()))?;
        remote.pairing_write(&nameplate, "join", &bytes)?;
        let welcome = loop {
            if self.now() > expires {
                return Err(pairing_error(
                    "the other device did not answer before the invitation expired",
                ));
            }
            remote.fetch_pairing(&nameplate)?;
            let files = remote.pairing_files(&nameplate)?;
            if files.contains_key("refused") {
                let _ = remote.pairing_end(&nameplate);
                return Err(pairing_error(
                    "the other device refused the pairing code; check it, and run `vault sync invite` there again",
                ));
            }
            if let Some(w) = files.get("welcome") {
                break w.clone();
            }
            if files.is_empty() {
                return Err(pairing_error("the invitation was withdrawn"));
            }
            std::thread::sleep(POLL);
        };
        let welcome: WelcomeFile = serde_json::from_slice(&welcome)
            .map_err(|_| pairing_error("the other device's answer is malformed"))?;
        let confirm = unhex(&welcome.confirm).unwrap_or_default();
        if !shared.check(Role::Inviter, &transcript, &confirm) {
            return Err(pairing_error(
                "the answer on the remote does not come from the device that showed the code: refused",
            ));
        }
        let sealed = unhex(&welcome.sealed)
            .ok_or_else(|| pairing_error("the other device's answer is malformed"))?;
        let payload = shared.open(&sealed)?;
        let now = self.now();
        self.with_vault(vault, true, |v| v.sync_accept(keys, name, &payload, now))?;
        let _ = remote.pairing_end(&nameplate);
        self.sync_now(vault)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_remote_with_a_password_in_its_url_is_refused() {
        for bad in [
            "https://me:ghp_token@github.com/me/vault-sync.git",
            "https://x-access-token:abc@github.com/a/b",
        ] {
            let e = refuse_password_in(bad).unwrap_err().to_string();
            assert!(
                e.contains("password or token") && !e.contains("ghp_token"),
                "{e}"
            );
        }
        for good in [
            "https://github.com/me/vault-sync.git",
            "git@github.com:me/vault-sync.git",
            "ssh://git@host:2222/srv/vault.git",
            "file:///srv/git/vault.git",
            "/srv/git/vault.git",
        ] {
            refuse_password_in(good).unwrap();
        }
    }
}

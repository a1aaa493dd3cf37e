//! Sharing, as the agent runs it: each share is a sync of its own under `shares/<id>/` on the
//! vault's remote (vault-core's `vault/sync/share.rs` has the design), so its rounds are the
//! sync's rounds, run after the vault's own in every `vault sync` and background round.

use std::path::Path;

use vault_core::share::{WELCOME_FILE, WELCOME_PLACE, space_of};
use vault_core::vault_sync::location;
use vault_core::vault_sync::{DevicePublic, Engine, Source};
use vault_core::{Error, ShareInfo, SyncRound};

use super::Service;
use crate::protocol::{Op, Response};

impl Service {
    pub(super) fn share_op(&self, vault: &Path, op: Op) -> Response {
        let answer = match op {
            Op::ShareWhoami => self
                .with_vault(vault, true, |v| v.share_whoami())
                .map(|recipient| Response::ShareKey { recipient }),
            Op::ShareList => self
                .with_vault(vault, true, |v| v.share_list())
                .map(|shares| Response::Shares { shares }),
            Op::ShareAdd {
                member,
                recipient,
                items,
            } => self.share_add(vault, &member, &recipient, &items),
            Op::ShareAccept { url, id } => self
                .share_accept(vault, &url, &id)
                .map(|(round, status)| Response::Synced { round, status }),
            Op::ShareRemove { member } => self.share_remove(vault, &member),
            _ => Err(Error::Invalid("not a sharing operation".into())),
        };
        answer.unwrap_or_else(|e| Response::error(&e))
    }

    fn share_add(
        &self,
        vault: &Path,
        member: &str,
        recipient: &str,
        items: &[String],
    ) -> Result<Response, Error> {
        let now = self.now();
        let shared =
            self.with_vault(vault, true, |v| v.share_add(member, recipient, items, now))?;
        let remote = self.open_remote_in(vault, &shared.url, &space_of(&shared.id))?;
        // The key first: the member can accept as soon as the first segment is there.
        let published = remote
            .fetch_pairing(WELCOME_PLACE)
            .and_then(|()| remote.pairing_write(WELCOME_PLACE, WELCOME_FILE, &shared.welcome));
        if let Err(e) = published {
            // Nothing reached the remote: the member is not added.
            let _ = self.with_vault(vault, true, |v| v.share_forget(&shared.id));
            return Err(e.into());
        }
        self.share_round(vault, &shared.id, &shared.url, true)?;
        let share = self
            .with_vault(vault, false, |v| v.share_list())?
            .into_iter()
            .find(|s| s.id == shared.id)
            .ok_or_else(|| Error::Invalid("the share just added is gone".into()))?;
        let accept = format!(
            "{} {}",
            location::command_for("vault share accept", &shared.url),
            shared.id
        );
        Ok(Response::ShareAdded { share, accept })
    }

    fn share_accept(
        &self,
        vault: &Path,
        url: &str,
        id: &str,
    ) -> Result<(SyncRound, Option<vault_core::SyncStatus>), Error> {
        super::sync::refuse_password_in(url)?;
        let id = id.trim().to_lowercase();
        let remote = self.open_remote_in(vault, url, &space_of(&id))?;
        remote.fetch_pairing(WELCOME_PLACE)?;
        let welcome = remote.pairing_files(WELCOME_PLACE)?.remove(WELCOME_FILE);
        let now = self.now();
        self.with_vault(vault, true, |v| {
            v.share_accept(url, &id, welcome.as_deref(), now)
        })?;
        let round = self.share_round(vault, &id, url, true);
        if round.is_err() {
            // A share that cannot be read is not kept half-accepted.
            let _ = self.with_vault(vault, true, |v| v.share_forget(&id));
        }
        let status = self.with_vault(vault, false, |v| v.sync_status())?;
        Ok((round?, status))
    }

    fn share_remove(&self, vault: &Path, member: &str) -> Result<Response, Error> {
        let now = self.now();
        let id = self.with_vault(vault, true, |v| v.share_remove(member, now))?;
        let shares = self.with_vault(vault, false, |v| v.share_targets())?;
        if let Some((_, url, me)) = shares.into_iter().find(|(s, _, _)| *s == id) {
            let remote = self.open_remote_in(vault, &url, &space_of(&id))?;
            remote.fetch()?;
            self.share_push(vault, &id, remote.as_ref(), &me, true)?;
            // The key file goes too: nothing on the remote opens for them any more.
            remote.pairing_end(WELCOME_PLACE)?;
        }
        let shares = self.with_vault(vault, false, |v| v.share_list())?;
        Ok(Response::Shares { shares })
    }

    /// One round of share `id`: fetch, merge, push.
    fn share_round(
        &self,
        vault: &Path,
        id: &str,
        url: &str,
        touch: bool,
    ) -> Result<SyncRound, Error> {
        let me = self
            .with_vault(vault, touch, |v| v.share_targets())?
            .into_iter()
            .find(|(s, _, _)| s == id)
            .map(|(_, _, me)| me);
        let Some(me) = me else {
            return Ok(SyncRound::default());
        };
        let remote = self.open_remote_in(vault, url, &space_of(id))?;
        remote.fetch()?;
        let now = self.now();
        let round = self.with_vault(vault, touch, |v| {
            v.share_round(id, remote.as_ref() as &dyn Source, now)
        })?;
        self.share_push(vault, id, remote.as_ref(), &me, touch)?;
        Ok(round)
    }

    fn share_push(
        &self,
        vault: &Path,
        id: &str,
        remote: &dyn Engine,
        me: &DevicePublic,
        touch: bool,
    ) -> Result<(), Error> {
        let unsent = self.with_vault(vault, touch, |v| v.share_unsent(id))?;
        if unsent.is_empty() && remote.pushed(me.id)? {
            return Ok(());
        }
        remote.append(me, &unsent)?;
        remote.push(me.id)?;
        if let Some((last, _)) = unsent.last() {
            self.with_vault(vault, touch, |v| v.share_sent(id, *last))?;
        }
        Ok(())
    }

    /// The rounds of every share, after the vault's own (`own`: it has one). What each brought
    /// is added to `round`; a share that fails is a note when the vault's own sync went
    /// through (the others still run), and the error when the vault only receives shares.
    pub(super) fn share_rounds(
        &self,
        vault: &Path,
        touch: bool,
        shares: Vec<(String, String, DevicePublic)>,
        own: bool,
        round: &mut SyncRound,
    ) -> Result<(), Error> {
        let names: Vec<ShareInfo> = self.with_vault(vault, false, |v| v.share_list())?;
        let mut failed = None;
        for (id, url, _) in shares {
            let name = names
                .iter()
                .find(|s| s.id == id)
                .map_or_else(|| id.clone(), |s| s.name.clone());
            match self.share_round(vault, &id, &url, touch) {
                Ok(r) => {
                    round.received += r.received;
                    round.sent += r.sent;
                    round.conflicts.extend(r.conflicts);
                    round
                        .notes
                        .extend(r.notes.into_iter().map(|n| format!("share {name}: {n}")));
                }
                Err(e) => {
                    round.notes.push(format!("share {name}: {e}"));
                    failed.get_or_insert(e);
                }
            }
        }
        match failed {
            Some(e) if !own => Err(e),
            _ => Ok(()),
        }
    }
}

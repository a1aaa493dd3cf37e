//! What the window shows of sync: where the vault syncs and how things stand, its devices,
//! and pairing (an invitation shows the code; joining asks for it). The same operations as
//! `vault sync`, `vault sync status`, `invite`, `join`, `resolve` and `remove-device`.

use serde::Serialize;
use ts_rs::TS;
use vault_agent::WireSecret;
use vault_agent::protocol::{Op, Response};
use vault_core::model::Settled;
use vault_core::{SyncRound, SyncStatus};

use super::{App, unexpected};
use crate::error::AppResult;
use crate::host::Host;

/// A pairing code to show, once, until the other device has typed it. Its `Debug` leaves the
/// code out.
#[derive(Clone, Serialize, TS)]
pub struct Invitation {
    /// `NNNN-XXXX-XXXX-XXXX`.
    pub code: String,
    /// Which invitation: what [`App::sync_invite_wait`] waits for.
    pub nameplate: String,
    /// RFC 3339.
    pub expires: String,
    /// The remote, for the `vault sync join` line to show.
    pub url: String,
}

impl std::fmt::Debug for Invitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invitation")
            .field("nameplate", &self.nameplate)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

/// What a sync did, and how things stand after it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct Synced {
    pub round: SyncRound,
    pub status: Option<SyncStatus>,
}

fn synced(response: Response) -> AppResult<Synced> {
    match response {
        Response::Synced { round, status } => Ok(Synced { round, status }),
        other => Err(unexpected("sync", &other)),
    }
}

impl<H: Host> App<H> {
    /// Where the vault syncs and how things stand; `None` when it does not sync.
    pub fn sync_status(&self) -> AppResult<Option<SyncStatus>> {
        match self.op(Op::SyncStatus)? {
            Response::SyncStatus { status } => Ok(status),
            other => Err(unexpected("sync status", &other)),
        }
    }

    /// Syncs now: fetch, merge, push.
    pub fn sync_now(&self) -> AppResult<Synced> {
        synced(self.op(Op::Sync)?)
    }

    /// Makes this vault the first device of a sync through the git remote `url`.
    pub fn sync_init(&self, url: &str, name: Option<String>) -> AppResult<Synced> {
        synced(
            self.op(Op::SyncInit {
                url: url.trim().to_owned(),
                name: name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(vault_agent::host_name),
            })?,
        )
    }

    /// Publishes an invitation and returns its code, to show.
    pub fn sync_invite(&self) -> AppResult<Invitation> {
        let url = self.sync_status()?.map(|s| s.url).unwrap_or_default();
        match self.op(Op::SyncInvite)? {
            Response::Invitation {
                code,
                nameplate,
                expires,
            } => Ok(Invitation {
                code: code.into_inner().expose().to_owned(),
                nameplate,
                expires: expires.to_string(),
                url,
            }),
            other => Err(unexpected("sync invite", &other)),
        }
    }

    /// Waits for the invited device (up to the invitation's expiry); returns its name.
    pub fn sync_invite_wait(&self, nameplate: &str) -> AppResult<String> {
        match self.op(Op::SyncInviteWait {
            nameplate: nameplate.to_owned(),
        })? {
            Response::Paired { name } => Ok(name),
            other => Err(unexpected("sync invite", &other)),
        }
    }

    /// Joins the sync of the device that shows `code`, through `url`, then syncs.
    pub fn sync_join(
        &self,
        url: &str,
        name: Option<String>,
        code: WireSecret,
    ) -> AppResult<Synced> {
        synced(
            self.op(Op::SyncJoin {
                url: url.trim().to_owned(),
                name: name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(vault_agent::host_name),
                code,
            })?,
        )
    }

    /// Settles an item changed on two devices at once (`vault sync resolve`).
    pub fn sync_resolve(&self, name: &str, take_other: bool) -> AppResult<Settled> {
        match self.op(Op::SyncResolve {
            name: name.to_owned(),
            take_other,
        })? {
            Response::Settled { settled } => Ok(settled),
            other => Err(unexpected("sync resolve", &other)),
        }
    }

    /// Removes a device (by name or id): it gets nothing new; what it held comes due.
    pub fn sync_remove_device(&self, device: &str) -> AppResult<Synced> {
        synced(self.op(Op::SyncRemoveDevice {
            device: device.to_owned(),
        })?)
    }
}

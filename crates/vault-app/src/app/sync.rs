//! What the window shows of sync: where the vault syncs and how things stand, its devices,
//! and pairing (an invitation shows the code; joining asks for it). The same operations as
//! `vault sync`, `vault sync status`, `invite`, `join`, `resolve` and `remove-device`.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vault_agent::WireSecret;
use vault_agent::protocol::{Op, Response};
use vault_core::model::Settled;
use vault_core::vault_sync::location::{self, Location};
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
    /// The remote, as people read it.
    pub url: String,
    /// The `vault sync join ...` line the other device runs.
    pub join: String,
}

/// Where S3-compatible storage is and which item signs in to it, for an `s3://` remote (the
/// CLI's `--endpoint`, `--region`, `--key`). Empty fields are left out.
#[derive(Clone, Debug, Default, Deserialize, TS)]
pub struct SyncStorage {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// The item holding the access key (value the secret, field `access_key_id`).
    pub key: Option<String>,
}

/// The remote to store: `url`, with the storage's settings put in for an `s3://` one.
fn remote(url: &str, storage: Option<SyncStorage>) -> AppResult<String> {
    let url = url.trim();
    match storage {
        Some(s) if Location::is_s3(url) => Location::with_settings(
            url,
            s.endpoint.as_deref(),
            s.region.as_deref(),
            s.key.as_deref(),
        )
        .map_err(|e| vault_core::Error::Sync(e).into()),
        _ => Ok(url.to_owned()),
    }
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
    pub fn sync_init(
        &self,
        url: &str,
        name: Option<String>,
        storage: Option<SyncStorage>,
    ) -> AppResult<Synced> {
        synced(
            self.op(Op::SyncInit {
                url: remote(url, storage)?,
                name: name
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(vault_agent::host_name),
            })?,
        )
    }

    /// Publishes an invitation and returns its code, to show.
    pub fn sync_invite(&self) -> AppResult<Invitation> {
        let (url, join) = self
            .sync_status()?
            .map(|s| (s.remote, location::join_command(&s.url)))
            .unwrap_or_default();
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
                join,
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
        storage: Option<SyncStorage>,
    ) -> AppResult<Synced> {
        synced(
            self.op(Op::SyncJoin {
                url: remote(url, storage)?,
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

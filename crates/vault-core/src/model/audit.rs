//! The audit log's entries: what happened and when, names and counts only.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// An entry of the encrypted audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AuditEntry {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: Timestamp,
    #[serde(flatten)]
    pub event: AuditEvent,
}

/// What happened. Names and counts only, never values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AuditEvent {
    VaultCreated,
    PasswordChanged,
    ItemAdded {
        name: String,
    },
    ItemEdited {
        name: String,
    },
    ItemRenamed {
        from: String,
        to: String,
    },
    ItemRotated {
        name: String,
        version: u32,
    },
    ItemRolledBack {
        name: String,
        to_version: u32,
        version: u32,
    },
    ItemRemoved {
        name: String,
    },
    Imported {
        added: usize,
        rotated: usize,
    },
    Exported {
        count: usize,
    },
    /// `vault backup`: an encrypted copy of the whole vault was written to `path`.
    BackedUp {
        path: String,
        items: usize,
    },
    /// `vault restore`: this vault was put in place from the backup `from`.
    Restored {
        from: String,
    },
    /// A login stored (or replaced) a grant.
    GrantLoggedIn {
        name: String,
        provider: String,
    },
    /// The provider refused a grant's refresh token.
    GrantNeedsRelogin {
        name: String,
    },
    /// A server refused an item's current value (`by`: the URL git used); the item is kept.
    ItemRefused {
        name: String,
        by: String,
    },
    /// A server accepted an item's value again after refusing it.
    ItemAccepted {
        name: String,
        by: String,
    },
    /// A grant was deleted by `vault logout`; `revoked` says whether the provider confirmed.
    GrantLoggedOut {
        name: String,
        revoked: bool,
    },
    ProviderAdded {
        name: String,
    },
    ProviderRemoved {
        name: String,
    },
    /// `vault allow`: a project file may be used (`vars`: the hook variables allowed).
    ProjectFileAllowed {
        path: String,
        vars: Vec<String>,
    },
    /// `vault deny`: a project file's allowance was removed.
    ProjectFileDenied {
        path: String,
    },
    /// `vault run` (or `vault env`/`vault inject`) handed these items' values to a program.
    Run {
        program: String,
        items: Vec<String>,
    },
    /// `vault run --proxy` refused a request: the placeholder of `item` was on its way to
    /// `destination`, which is not one of the item's hosts. Nothing was sent.
    ProxyRefused {
        item: String,
        destination: String,
    },
    /// Sync: this vault started syncing, as the first device or by joining.
    SyncStarted {
        device: String,
    },
    /// Sync: a device was paired with this one.
    SyncDeviceAdded {
        device: String,
    },
    /// Sync: a device was removed from sync (its values come due).
    SyncDeviceRemoved {
        device: String,
    },
    /// Sync: a device answered an invitation with a wrong pairing code; it was refused and
    /// the invitation ended.
    SyncPairingRefused {
        device: String,
    },
    /// Sync: the user settled an item changed on two devices, keeping the current value or
    /// taking the other device's.
    SyncConflictResolved {
        name: String,
        with: String,
        took_other: bool,
    },
    /// Sharing: a member was added, with what they get.
    ShareAdded {
        member: String,
        items: String,
    },
    /// Sharing: a member was removed; what they could read is due for rotation.
    ShareRemoved {
        member: String,
    },
    /// Sharing: this vault accepted a share (by its id).
    ShareAccepted {
        share: String,
    },
}

//! What an engine does for sync, whatever it stores segments in: the git engine (`git`) and
//! the S3 engine (`s3`, feature `s3`) implement it, and the agent and vault-core's round use
//! only this.
//!
//! Every engine keeps the same shape: each device writes only its own log (`device.json`,
//! then `log/<seq>`), never another's and never over what it wrote, so two devices never
//! conflict; pairing goes through a short-lived place named by the invitation's nameplate.
//! Reading is split from the network: `fetch` brings the remote's state to a local copy, and
//! `Source`'s reads (inside the vault's transaction) come from that copy.

use std::collections::BTreeMap;

use crate::Result;
use crate::keys::{DeviceId, DevicePublic};

/// Where a round reads other devices' logs from: the copy the last `fetch` made.
pub trait Source {
    /// The devices that have a log on the remote.
    fn devices(&self) -> Result<Vec<DeviceId>>;
    /// The segment numbers of a device's log on the remote, in order.
    fn seqs(&self, device: DeviceId) -> Result<Vec<u64>>;
    /// Segments `seqs` of `device`'s log, in that order (a missing one is refused).
    fn read(&self, device: DeviceId, seqs: &[u64]) -> Result<Vec<Vec<u8>>>;
    /// The newest snapshot of each device that wrote one (`snapshot`), by the head it follows.
    fn snapshots(&self) -> Result<Vec<(DeviceId, u64)>>;
    /// `device`'s snapshot following its segment `seq`.
    fn read_snapshot(&self, device: DeviceId, seq: u64) -> Result<Vec<u8>>;
}

/// A remote the agent syncs through.
pub trait Engine: Source {
    /// Brings the remote's logs to the local copy `Source` reads.
    fn fetch(&self) -> Result<()>;
    /// Queues this device's segments (numbered) and its public keys for `push`. Segments the
    /// remote already holds are not sent again.
    fn append(&self, me: &DevicePublic, segments: &[(u64, Vec<u8>)]) -> Result<()>;
    /// Sends what `append` queued. Never overwrites: a different segment already under one
    /// of this device's numbers is refused.
    fn push(&self, me: DeviceId) -> Result<()>;
    /// Whether the remote holds this device's log as the local copy does (nothing to push).
    fn pushed(&self, me: DeviceId) -> Result<bool>;
    /// Writes this device's snapshot following its segment `seq` to the remote (after its
    /// segments up to `seq` were pushed).
    fn put_snapshot(&self, me: DeviceId, seq: u64, bytes: &[u8]) -> Result<()>;
    /// Brings the files of the pairing place `nameplate` to the local copy.
    fn fetch_pairing(&self, nameplate: &str) -> Result<()>;
    /// The files of the pairing place `nameplate`, as last fetched.
    fn pairing_files(&self, nameplate: &str) -> Result<BTreeMap<String, Vec<u8>>>;
    /// Writes one file of the pairing place on the remote.
    fn pairing_write(&self, nameplate: &str, name: &str, bytes: &[u8]) -> Result<()>;
    /// Removes the pairing place from the remote.
    fn pairing_end(&self, nameplate: &str) -> Result<()>;
}

//! Sync between one user's devices, on an engine the user already runs (a git remote, S3-compatible storage).
//!
//! Each device appends only to its own log: a chain of **segments** (`segment`), each holding
//! the operations of one sync (`ops`: an item version put, an item deleted, a device added or
//! removed, a new sync key), encrypted under the current sync key, signed by the device
//! (Ed25519) and chained by hash to the device's previous segment. No two devices ever write
//! the same file or ref, so a push never conflicts. Merging is per item and deterministic
//! (`merge`: a hybrid logical clock, last writer wins, a concurrent loser kept in history and
//! flagged). Pairing (`pairing`) hands a new device the sync keys over a key exchange that the
//! pairing code authenticates (SPAKE2), never the master password. An engine (`Engine`) moves
//! segments: the git engine (`git`) through the system `git`, the S3 engine (`s3`, feature
//! `s3`) through any S3-compatible object storage.
//!
//! This crate knows nothing of the vault file: the caller (vault-core's sync state, the agent)
//! gives it bytes and keys and stores what it returns.

mod engine;
mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod git;
pub mod hex;
pub mod keys;
pub mod location;
pub mod merge;
pub mod ops;
pub mod pairing;
pub mod recipient;
#[cfg(feature = "s3")]
pub mod s3;
pub mod segment;
pub mod snapshot;

pub use engine::{Engine, Source};
pub use error::{Error, Result};
pub use keys::{DeviceId, DeviceKeys, DevicePublic, SyncKey};
pub use merge::{Version, next_clock};
pub use ops::{Op, OpHeader};
pub use segment::{Head, Opened, Segment};

/// Random bytes from the operating system.
pub(crate) fn random<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| Error::Random)?;
    Ok(out)
}

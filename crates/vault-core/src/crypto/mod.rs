//! Cryptography: password → key-encryption key (Argon2id), the data key it wraps, and the sealed
//! envelope every record is stored in (AES-256-GCM). Only RustCrypto primitives; nothing here is
//! home-made beyond the framing.

pub mod envelope;
pub mod kdf;
pub mod keys;

pub use envelope::{Aad, ENVELOPE_VERSION};
pub use kdf::{KdfParams, KdfProblem};
pub use keys::{DataKey, MasterKey};

use crate::error::{Error, Result};

/// Fills `buf` from the operating system's random number generator.
pub fn random_bytes(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| Error::Random)
}

/// A fresh random array.
pub fn random_array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    random_bytes(&mut out)?;
    Ok(out)
}

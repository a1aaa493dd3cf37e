//! Cryptography: password → key-encryption key (Argon2id), the data key it wraps, and the sealed
//! envelope every record is stored in (AES-256-GCM). Only RustCrypto primitives; nothing here is
//! home-made beyond the framing.

pub mod envelope;
pub mod kdf;
pub mod keys;

pub use envelope::{Aad, ENVELOPE_VERSION};

/// Entry points for the fuzz targets (`fuzz/`), compiled only for them and
/// their replay in `make test` (`--cfg fuzzing`, or the `fuzzing` feature; never in a shipped
/// build): the sealed
/// envelope with a caller-chosen key.
#[cfg(any(fuzzing, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing {
    use aes_gcm::{Aes256Gcm, KeyInit};
    use zeroize::Zeroizing;

    pub use super::envelope::OpenError;
    use super::envelope::{self, Aad};

    pub fn seal(key: &[u8; 32], aad: &Aad<'_>, plaintext: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new(&(*key).into());
        envelope::seal(&cipher, aad, plaintext).unwrap_or_default()
    }

    pub fn open(
        key: &[u8; 32],
        aad: &Aad<'_>,
        blob: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let cipher = Aes256Gcm::new(&(*key).into());
        envelope::open(&cipher, aad, blob)
    }
}
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

//! Entry points for the fuzz targets (crates/vault-fuzz-checks): what is private to the crate,
//! and a device whose keys come from a seed, so an input means the same thing on every run.

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::Result;
use crate::keys::{DeviceId, DeviceKeys};
use crate::ops::{self, Op};

/// A segment's operations read back from its plaintext.
pub fn decode_ops(bytes: &[u8]) -> Result<Vec<Op>> {
    ops::decode(DeviceId([0; 16]), bytes)
}

/// Operations as a segment's plaintext.
pub fn encode_ops(list: &[Op]) -> Result<Vec<u8>> {
    ops::encode(list).map(|b| b.to_vec())
}

/// A device whose keys are derived from `seed`.
pub fn device(seed: &[u8; 32]) -> DeviceKeys {
    let mut counter = 0u8;
    loop {
        let mut h = Sha256::new();
        h.update(b"vault-sync fuzzing device");
        h.update(seed);
        h.update([counter]);
        let seal: [u8; 32] = h.finalize().into();
        if ecies::SecretKey::parse_slice(&seal).is_ok() {
            return DeviceKeys::from_parts(seed, Zeroizing::new(seal));
        }
        counter = counter.wrapping_add(1);
    }
}

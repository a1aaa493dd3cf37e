//! Key material: the master key derived from the password and the random data key it wraps.
//!
//! Both live in boxed, zeroize-on-drop buffers with redacted `Debug` and no `Serialize`. The data
//! key never leaves this module in plaintext except to be wrapped.

use std::fmt;

use aes_gcm::{Aes256Gcm, KeyInit};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::envelope::{self, Aad, OpenError};
use super::kdf::KdfParams;
use super::random_array;
use crate::error::Result;

/// HKDF salt separating our derivations from any other use of the same input.
const HKDF_SALT: &[u8] = b"vault/v1";

/// Derived from the master password: the key that wraps the data key, and a check value that
/// tells a wrong password apart from a tampered wrapped key.
pub struct MasterKey {
    wrap: Aes256Gcm,
    check: Zeroizing<[u8; 16]>,
}

impl MasterKey {
    pub fn derive(
        password: &[u8],
        salt: &[u8; 16],
        params: &KdfParams,
    ) -> std::result::Result<Self, argon2::Error> {
        let ikm = params.derive(password, salt)?;
        let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), ikm.as_ref());
        let mut wrap = Zeroizing::new([0u8; 32]);
        let mut check = Zeroizing::new([0u8; 16]);
        // Output lengths are far below HKDF-SHA256's limit of 8160 bytes, so expand cannot fail;
        // an error would leave zeros, which then simply fail to verify.
        let _ = hk.expand(b"key-encryption key", wrap.as_mut());
        let _ = hk.expand(b"password check", check.as_mut());
        Ok(MasterKey {
            wrap: aes_key(&wrap),
            check,
        })
    }

    /// The value stored in the vault to recognise this password.
    pub fn check_value(&self) -> [u8; 16] {
        *self.check
    }

    /// Constant-time comparison with the stored check value.
    pub fn verifies(&self, stored: &[u8]) -> bool {
        stored.len() == 16 && bool::from(self.check.as_slice().ct_eq(stored))
    }

    pub fn wrap(&self, key: &DataKey, aad: &Aad<'_>) -> Result<Vec<u8>> {
        envelope::seal(&self.wrap, aad, &key.raw[..])
    }

    pub fn unwrap(&self, blob: &[u8], aad: &Aad<'_>) -> std::result::Result<DataKey, OpenError> {
        let raw = envelope::open(&self.wrap, aad, blob)?;
        let raw: [u8; 32] = raw
            .as_slice()
            .try_into()
            .map_err(|_| OpenError::Malformed)?;
        Ok(DataKey::from_raw(Zeroizing::new(raw)))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

/// The random 256-bit key every record is sealed with, and the name-index key derived from it.
pub struct DataKey {
    raw: Box<Zeroizing<[u8; 32]>>,
    cipher: Box<Aes256Gcm>,
    index: Box<Zeroizing<[u8; 32]>>,
    /// Keys the per-row tags of the whole-vault commitment.
    commit: Box<Zeroizing<[u8; 32]>>,
    /// `mlock` guards over the three boxes, so the key never reaches swap. Empty when the
    /// system refused (e.g. `RLIMIT_MEMLOCK` of 0); unlocked again on drop.
    locks: Vec<region::LockGuard>,
}

impl DataKey {
    pub fn generate() -> Result<Self> {
        Ok(Self::from_raw(Zeroizing::new(random_array()?)))
    }

    fn from_raw(raw: Zeroizing<[u8; 32]>) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), raw.as_ref());
        let mut index = Zeroizing::new([0u8; 32]);
        // See MasterKey::derive: cannot fail for 32 bytes.
        let _ = hk.expand(b"name index", index.as_mut());
        let mut commit = Zeroizing::new([0u8; 32]);
        let _ = hk.expand(b"row commitment", commit.as_mut());
        let mut key = DataKey {
            cipher: Box::new(aes_key(&raw)),
            raw: Box::new(raw),
            index: Box::new(index),
            commit: Box::new(commit),
            locks: Vec::new(),
        };
        let locks = [
            region::lock(&*key.raw as *const _, size_of_val(&*key.raw)),
            region::lock(&*key.cipher as *const _, size_of_val(&*key.cipher)),
            region::lock(&*key.index as *const _, size_of_val(&*key.index)),
            region::lock(&*key.commit as *const _, size_of_val(&*key.commit)),
        ];
        key.locks = locks
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        key
    }

    /// Whether the key's pages are locked in memory (kept out of swap).
    pub fn is_memory_locked(&self) -> bool {
        !self.locks.is_empty()
    }

    pub fn seal(&self, aad: &Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        envelope::seal(&self.cipher, aad, plaintext)
    }

    pub fn open(
        &self,
        aad: &Aad<'_>,
        blob: &[u8],
    ) -> std::result::Result<Zeroizing<Vec<u8>>, OpenError> {
        envelope::open(&self.cipher, aad, blob)
    }

    /// A keyed hash of a name, stored in plaintext to find and de-duplicate items without
    /// decrypting every row. It reveals only whether two names are equal.
    pub fn name_tag(&self, namespace: u8, name: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.index[..])
            .unwrap_or_else(|_| unreachable_hmac());
        mac.update(&[namespace]);
        mac.update(name.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// HMAC accepts keys of any length, so `new_from_slice` cannot fail.
impl DataKey {
    /// A row's tag in the whole-vault commitment: HMAC-SHA256 of its canonical image.
    pub fn row_tag(&self, image: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.commit[..])
            .unwrap_or_else(|_| unreachable_hmac());
        mac.update(image);
        mac.finalize().into_bytes().into()
    }
}

#[cold]
fn unreachable_hmac() -> Hmac<Sha256> {
    <Hmac<Sha256> as hmac::KeyInit>::new(&Default::default())
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

fn aes_key(bytes: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(&(*bytes).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VAULT: [u8; 16] = [9; 16];

    fn aad() -> Aad<'static> {
        Aad {
            vault_id: &VAULT,
            label: "vault.data_key",
            row: b"params",
        }
    }

    #[test]
    fn wrong_password_fails_the_check_right_one_unwraps() {
        let salt = [3u8; 16];
        let right = MasterKey::derive(b"right password", &salt, &KdfParams::MINIMUM).unwrap();
        let wrong = MasterKey::derive(b"wrong password", &salt, &KdfParams::MINIMUM).unwrap();
        let key = DataKey::generate().unwrap();
        let wrapped = right.wrap(&key, &aad()).unwrap();
        assert!(right.verifies(&right.check_value()));
        assert!(!wrong.verifies(&right.check_value()));
        assert!(wrong.unwrap(&wrapped, &aad()).is_err());
        let back = right.unwrap(&wrapped, &aad()).unwrap();
        assert_eq!(*back.raw, *key.raw);
    }

    #[test]
    fn name_tags_are_keyed_and_namespaced() {
        let a = DataKey::generate().unwrap();
        let b = DataKey::generate().unwrap();
        assert_eq!(a.name_tag(1, "x"), a.name_tag(1, "x"));
        assert_ne!(a.name_tag(1, "x"), a.name_tag(2, "x"));
        assert_ne!(a.name_tag(1, "x"), b.name_tag(1, "x"));
    }

    #[test]
    fn key_pages_are_locked_where_permitted() {
        let key = DataKey::generate().unwrap();
        // Test machines run with RLIMIT_MEMLOCK of at least a few pages; a key needs three.
        assert!(key.is_memory_locked());
    }

    #[test]
    fn debug_is_redacted() {
        let key = DataKey::generate().unwrap();
        assert_eq!(format!("{key:?}"), "DataKey(<redacted>)");
    }
}

//! The sealed envelope: `version || 96-bit random nonce || ciphertext || 128-bit tag`.
//!
//! The associated data binds the vault id, the table/column and the row id (and the envelope
//! version), so a blob copied to another row, column or vault fails to open instead of
//! decrypting to someone else's plaintext.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{AeadInOut, Nonce};
use zeroize::Zeroizing;

use super::random_array;
use crate::error::Result;

pub const ENVELOPE_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// The smallest well-formed envelope: version, nonce and tag around an empty plaintext.
pub const OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

/// Where a sealed blob lives; part of what the tag authenticates.
#[derive(Clone, Copy, Debug)]
pub struct Aad<'a> {
    pub vault_id: &'a [u8; 16],
    /// Table and column, e.g. `items.meta`.
    pub label: &'static str,
    /// The row's identity (item id, or item id and version id).
    pub row: &'a [u8],
}

impl Aad<'_> {
    fn bytes(&self, version: u8) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + 16 + self.label.len() + self.row.len() + 4);
        out.extend_from_slice(b"vault-aad");
        out.push(version);
        out.extend_from_slice(self.vault_id);
        // Length prefixes keep (label, row) pairs unambiguous.
        out.push(self.label.len() as u8);
        out.extend_from_slice(self.label.as_bytes());
        out.extend_from_slice(&(self.row.len() as u32).to_be_bytes());
        out.extend_from_slice(self.row);
        out
    }
}

/// Why an envelope did not open. Both mean the stored bytes are not what vault wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Too short, or an envelope version this build does not know.
    Malformed,
    /// The tag did not verify: wrong key, modified bytes, or wrong row.
    Unauthentic,
}

pub(crate) fn seal(cipher: &Aes256Gcm, aad: &Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
    let nonce_bytes: [u8; NONCE_LEN] = random_array()?;
    let nonce = Nonce::<Aes256Gcm>::from(nonce_bytes);
    let mut out = Vec::with_capacity(OVERHEAD + plaintext.len());
    out.push(ENVELOPE_VERSION);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(plaintext);
    let tag = cipher
        .encrypt_inout_detached(
            &nonce,
            &aad.bytes(ENVELOPE_VERSION),
            (&mut out[1 + NONCE_LEN..]).into(),
        )
        .map_err(|_| crate::Error::invalid("record too large to encrypt"))?;
    out.extend_from_slice(&tag);
    Ok(out)
}

pub(crate) fn open(
    cipher: &Aes256Gcm,
    aad: &Aad<'_>,
    blob: &[u8],
) -> std::result::Result<Zeroizing<Vec<u8>>, OpenError> {
    if blob.len() < OVERHEAD || blob[0] != ENVELOPE_VERSION {
        return Err(OpenError::Malformed);
    }
    let nonce_bytes: [u8; NONCE_LEN] = blob[1..1 + NONCE_LEN]
        .try_into()
        .map_err(|_| OpenError::Malformed)?;
    let nonce = Nonce::<Aes256Gcm>::from(nonce_bytes);
    let (body, tag) = blob[1 + NONCE_LEN..].split_at(blob.len() - OVERHEAD);
    let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| OpenError::Malformed)?;
    let mut plaintext = Zeroizing::new(body.to_vec());
    cipher
        .decrypt_inout_detached(
            &nonce,
            &aad.bytes(blob[0]),
            plaintext.as_mut_slice().into(),
            &tag.into(),
        )
        .map_err(|_| OpenError::Unauthentic)?;
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::KeyInit;

    fn cipher() -> Aes256Gcm {
        Aes256Gcm::new(&[7u8; 32].into())
    }

    const VAULT: [u8; 16] = [1; 16];

    fn aad(row: &[u8]) -> Aad<'_> {
        Aad {
            vault_id: &VAULT,
            label: "items.meta",
            row,
        }
    }

    #[test]
    fn round_trip_and_fresh_nonces() {
        let c = cipher();
        let a = seal(&c, &aad(b"row1"), b"hello").unwrap();
        let b = seal(&c, &aad(b"row1"), b"hello").unwrap();
        assert_ne!(
            a, b,
            "two seals of one plaintext must differ (random nonce)"
        );
        assert_eq!(a.len(), OVERHEAD + 5);
        assert_eq!(&*open(&c, &aad(b"row1"), &a).unwrap(), b"hello");
    }

    #[test]
    fn every_flipped_bit_is_detected() {
        let c = cipher();
        let blob = seal(&c, &aad(b"row1"), b"secret value").unwrap();
        for i in 0..blob.len() {
            for bit in 0..8 {
                let mut bad = blob.clone();
                bad[i] ^= 1 << bit;
                assert!(open(&c, &aad(b"row1"), &bad).is_err(), "byte {i} bit {bit}");
            }
        }
    }

    #[test]
    fn moved_blobs_do_not_open() {
        let c = cipher();
        let blob = seal(&c, &aad(b"row1"), b"v").unwrap();
        assert_eq!(open(&c, &aad(b"row2"), &blob), Err(OpenError::Unauthentic));
        let other_col = Aad {
            label: "items.secret",
            ..aad(b"row1")
        };
        assert_eq!(open(&c, &other_col, &blob), Err(OpenError::Unauthentic));
        let other_vault = Aad {
            vault_id: &[2; 16],
            ..aad(b"row1")
        };
        assert_eq!(open(&c, &other_vault, &blob), Err(OpenError::Unauthentic));
        let other_key = Aes256Gcm::new(&[8u8; 32].into());
        assert_eq!(
            open(&other_key, &aad(b"row1"), &blob),
            Err(OpenError::Unauthentic)
        );
    }

    #[test]
    fn truncated_or_unknown_version_is_malformed() {
        let c = cipher();
        let blob = seal(&c, &aad(b"r"), b"v").unwrap();
        assert_eq!(
            open(&c, &aad(b"r"), &blob[..OVERHEAD - 1]),
            Err(OpenError::Malformed)
        );
        let mut v2 = blob.clone();
        v2[0] = 2;
        assert_eq!(open(&c, &aad(b"r"), &v2), Err(OpenError::Malformed));
        assert_eq!(open(&c, &aad(b"r"), &[]), Err(OpenError::Malformed));
    }
}

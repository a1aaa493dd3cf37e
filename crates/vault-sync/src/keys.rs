//! A device's keys and the sync keys.
//!
//! A device has an Ed25519 key that signs its segments and an age X25519 identity that new
//! sync keys are sealed to. Its id is the first 16 bytes of SHA-256 of its Ed25519 public key,
//! so an id cannot be claimed by another key. The sync key (one per epoch) encrypts every
//! segment; removing a device starts a new epoch whose key that device never receives.

use std::fmt;
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{Error, Result, random};

/// A device's id: 16 bytes, shown as 32 hex digits (the first 8 are enough for a person).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceId(pub [u8; 16]);

impl DeviceId {
    pub fn of(sign: &[u8; 32]) -> DeviceId {
        let digest = Sha256::digest(sign);
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        DeviceId(id)
    }

    pub fn hex(&self) -> String {
        hex(&self.0)
    }

    /// The first 8 hex digits: what a person reads.
    pub fn short(&self) -> String {
        self.hex()[..8].to_owned()
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({})", self.hex())
    }
}

impl FromStr for DeviceId {
    type Err = Error;
    fn from_str(s: &str) -> Result<DeviceId> {
        unhex::<16>(s)
            .map(DeviceId)
            .ok_or_else(|| Error::Corrupt(format!("{s:?} is not a device id")))
    }
}

impl Serialize for DeviceId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

impl<'de> Deserialize<'de> for DeviceId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<DeviceId, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != N * 2 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(out)
}

/// What every device knows of another: its id, its signing key and its age recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicePublic {
    pub id: DeviceId,
    /// Ed25519 public key, hex.
    pub sign: String,
    /// age X25519 recipient (`age1...`).
    pub age: String,
}

impl DevicePublic {
    /// Checks that the id is the one of the signing key and that both keys parse.
    pub fn check(&self) -> Result<()> {
        let key = self.verifying_key()?;
        if DeviceId::of(key.as_bytes()) != self.id {
            return Err(Error::Corrupt(format!(
                "device {} does not own the signing key it names",
                self.id
            )));
        }
        self.recipient()?;
        Ok(())
    }

    pub fn verifying_key(&self) -> Result<VerifyingKey> {
        unhex::<32>(&self.sign)
            .and_then(|b| VerifyingKey::from_bytes(&b).ok())
            .ok_or_else(|| Error::Corrupt(format!("device {} has no valid signing key", self.id)))
    }

    pub fn recipient(&self) -> Result<age::x25519::Recipient> {
        self.age
            .parse()
            .map_err(|_| Error::Corrupt(format!("device {} has no valid age recipient", self.id)))
    }

    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> Result<()> {
        self.verifying_key()?
            .verify_strict(message, &Signature::from_bytes(signature))
            .map_err(|_| Error::refused(self.id, "a signature does not verify"))
    }
}

/// This device's private keys. Never serialized but through [`Self::to_secret`], which the
/// caller seals in the vault.
pub struct DeviceKeys {
    signing: SigningKey,
    age: age::x25519::Identity,
}

impl fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceKeys")
            .field("id", &self.id())
            .finish_non_exhaustive()
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    sign: String,
    age: String,
}

impl DeviceKeys {
    pub fn generate() -> Result<DeviceKeys> {
        let seed = Zeroizing::new(random::<32>()?);
        Ok(DeviceKeys {
            signing: SigningKey::from_bytes(&seed),
            age: age::x25519::Identity::generate(),
        })
    }

    pub fn id(&self) -> DeviceId {
        DeviceId::of(self.signing.verifying_key().as_bytes())
    }

    pub fn public(&self) -> DevicePublic {
        DevicePublic {
            id: self.id(),
            sign: hex(self.signing.verifying_key().as_bytes()),
            age: self.age.to_public().to_string(),
        }
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    pub fn identity(&self) -> &age::x25519::Identity {
        &self.age
    }

    /// The keys as text, for the caller to seal.
    pub fn to_secret(&self) -> Zeroizing<Vec<u8>> {
        let seed = Zeroizing::new(hex(self.signing.as_bytes()));
        let stored = Stored {
            sign: seed.to_string(),
            age: self.age.to_string().expose_secret().to_owned(),
        };
        let out = Zeroizing::new(serde_json::to_vec(&stored).unwrap_or_default());
        let Stored { sign, age } = stored;
        drop(Zeroizing::new(sign));
        drop(Zeroizing::new(age));
        out
    }

    pub fn from_secret(bytes: &[u8]) -> Result<DeviceKeys> {
        let bad = || Error::Corrupt("this device's sync keys do not parse".into());
        let stored: Stored = serde_json::from_slice(bytes).map_err(|_| bad())?;
        let Stored { sign, age } = stored;
        let (sign, age) = (Zeroizing::new(sign), Zeroizing::new(age));
        let seed = Zeroizing::new(unhex::<32>(&sign).ok_or_else(bad)?);
        let age = age::x25519::Identity::from_str(&age).map_err(|_| bad())?;
        Ok(DeviceKeys {
            signing: SigningKey::from_bytes(&seed),
            age,
        })
    }
}

/// A sync key: 32 random bytes, one per epoch. Zeroized on drop; never shown.
#[derive(Clone)]
pub struct SyncKey {
    pub epoch: u32,
    pub(crate) bytes: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for SyncKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SyncKey(epoch {})", self.epoch)
    }
}

impl SyncKey {
    pub fn generate(epoch: u32) -> Result<SyncKey> {
        Ok(SyncKey {
            epoch,
            bytes: Zeroizing::new(random::<32>()?),
        })
    }

    pub fn from_bytes(epoch: u32, bytes: &[u8]) -> Result<SyncKey> {
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Corrupt("a sync key has the wrong length".into()))?;
        Ok(SyncKey {
            epoch,
            bytes: Zeroizing::new(bytes),
        })
    }

    /// The key's bytes, for the caller to seal in the vault.
    pub fn expose(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The key sealed to each of `devices` (an age file with one stanza per device).
    pub fn seal_to(&self, devices: &[DevicePublic]) -> Result<Vec<u8>> {
        let recipients = devices
            .iter()
            .map(|d| {
                d.recipient()
                    .map(|r| Box::new(r) as Box<dyn age::Recipient + Send>)
            })
            .collect::<Result<Vec<_>>>()?;
        let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| &**r as _))
            .map_err(|_| Error::Corrupt("no device to seal the new sync key to".into()))?;
        let mut out = Vec::new();
        let mut writer = encryptor.wrap_output(&mut out).map_err(|e| Error::Io {
            what: "sealing the sync key".into(),
            source: e,
        })?;
        std::io::Write::write_all(&mut writer, &self.bytes[..]).map_err(|e| Error::Io {
            what: "sealing the sync key".into(),
            source: e,
        })?;
        writer.finish().map_err(|e| Error::Io {
            what: "sealing the sync key".into(),
            source: e,
        })?;
        Ok(out)
    }

    /// Opens a key sealed by [`Self::seal_to`]; `None` when it was not sealed to `keys`.
    pub fn open_sealed(epoch: u32, sealed: &[u8], keys: &DeviceKeys) -> Result<Option<SyncKey>> {
        let Ok(decryptor) = age::Decryptor::new(sealed) else {
            return Err(Error::Corrupt(
                "a sealed sync key is not an age file".into(),
            ));
        };
        let Ok(mut reader) = decryptor.decrypt(std::iter::once(keys.identity() as _)) else {
            return Ok(None);
        };
        let mut bytes = Zeroizing::new(Vec::new());
        std::io::Read::read_to_end(&mut reader, &mut bytes)
            .map_err(|_| Error::Corrupt("a sealed sync key is damaged".into()))?;
        SyncKey::from_bytes(epoch, &bytes).map(Some)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_round_trip_and_ids_belong_to_keys() {
        let k = DeviceKeys::generate().unwrap();
        let back = DeviceKeys::from_secret(&k.to_secret()).unwrap();
        assert_eq!(back.public(), k.public());
        k.public().check().unwrap();
        let mut forged = k.public();
        forged.id = DeviceKeys::generate().unwrap().id();
        assert!(forged.check().is_err());
        let sig = k.sign(b"m");
        k.public().verify(b"m", &sig).unwrap();
        assert!(k.public().verify(b"n", &sig).is_err());
        assert!(!format!("{k:?}").contains(&hex(k.signing.as_bytes())));
    }

    #[test]
    fn a_sync_key_opens_only_for_the_devices_it_was_sealed_to() {
        let (a, b, c) = (
            DeviceKeys::generate().unwrap(),
            DeviceKeys::generate().unwrap(),
            DeviceKeys::generate().unwrap(),
        );
        let key = SyncKey::generate(2).unwrap();
        let sealed = key.seal_to(&[a.public(), b.public()]).unwrap();
        for k in [&a, &b] {
            let opened = SyncKey::open_sealed(2, &sealed, k).unwrap().unwrap();
            assert_eq!(opened.expose(), key.expose());
        }
        assert!(SyncKey::open_sealed(2, &sealed, &c).unwrap().is_none());
    }
}

//! A device's keys and the sync keys.
//!
//! A device has an Ed25519 key that signs its segments and a secp256k1 key that new sync keys
//! are sealed to (ECIES). Its id is the first 16 bytes of SHA-256 of its Ed25519 public key,
//! so an id cannot be claimed by another key. The sync key (one per epoch) encrypts every
//! segment; removing a device starts a new epoch whose key that device never receives.

use std::fmt;
use std::str::FromStr;

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

pub(crate) use crate::hex::{decode_array as unhex, encode as hex};

/// What every device knows of another: its id, its signing key and its sealing key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicePublic {
    pub id: DeviceId,
    /// Ed25519 public key, hex.
    pub sign: String,
    /// secp256k1 public key (compressed), hex: new sync keys are sealed to it.
    pub seal: String,
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
        self.sealing_key()?;
        Ok(())
    }

    pub fn verifying_key(&self) -> Result<VerifyingKey> {
        unhex::<32>(&self.sign)
            .and_then(|b| VerifyingKey::from_bytes(&b).ok())
            .ok_or_else(|| Error::Corrupt(format!("device {} has no valid signing key", self.id)))
    }

    fn sealing_key(&self) -> Result<[u8; 33]> {
        unhex::<33>(&self.seal)
            .filter(|k| ecies::PublicKey::parse_slice(k, None).is_ok())
            .ok_or_else(|| Error::Corrupt(format!("device {} has no valid sealing key", self.id)))
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
    /// The secp256k1 secret key new sync keys are sealed to.
    seal: Zeroizing<[u8; 32]>,
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
    seal: String,
}

impl DeviceKeys {
    pub fn generate() -> Result<DeviceKeys> {
        let seed = Zeroizing::new(random::<32>()?);
        let (seal, _) = ecies::utils::generate_keypair();
        Ok(DeviceKeys {
            signing: SigningKey::from_bytes(&seed),
            seal: Zeroizing::new(seal.serialize()),
        })
    }

    /// Keys from their parts (the fuzz targets' fixed devices).
    #[cfg(feature = "fuzzing")]
    pub(crate) fn from_parts(seed: &[u8; 32], seal: Zeroizing<[u8; 32]>) -> DeviceKeys {
        DeviceKeys {
            signing: SigningKey::from_bytes(seed),
            seal,
        }
    }

    pub fn id(&self) -> DeviceId {
        DeviceId::of(self.signing.verifying_key().as_bytes())
    }

    pub fn public(&self) -> DevicePublic {
        DevicePublic {
            id: self.id(),
            sign: hex(self.signing.verifying_key().as_bytes()),
            seal: hex(&self.sealing_public()),
        }
    }

    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }

    fn sealing_public(&self) -> [u8; 33] {
        ecies::SecretKey::parse_slice(&self.seal[..])
            .map(|sk| ecies::PublicKey::from_secret_key(&sk).serialize_compressed())
            .unwrap_or([0; 33])
    }

    /// The keys as text, for the caller to seal.
    pub fn to_secret(&self) -> Zeroizing<Vec<u8>> {
        let seed = Zeroizing::new(hex(self.signing.as_bytes()));
        let stored = Stored {
            sign: seed.to_string(),
            seal: hex(&self.seal[..]),
        };
        let out = Zeroizing::new(serde_json::to_vec(&stored).unwrap_or_default());
        let Stored { sign, seal } = stored;
        drop(Zeroizing::new(sign));
        drop(Zeroizing::new(seal));
        out
    }

    pub fn from_secret(bytes: &[u8]) -> Result<DeviceKeys> {
        let bad = || Error::Corrupt("this device's sync keys do not parse".into());
        let stored: Stored = serde_json::from_slice(bytes).map_err(|_| bad())?;
        let Stored { sign, seal } = stored;
        let (sign, seal) = (Zeroizing::new(sign), Zeroizing::new(seal));
        let seed = Zeroizing::new(unhex::<32>(&sign).ok_or_else(bad)?);
        let seal = Zeroizing::new(unhex::<32>(&seal).ok_or_else(bad)?);
        ecies::SecretKey::parse_slice(&seal[..]).map_err(|_| bad())?;
        Ok(DeviceKeys {
            signing: SigningKey::from_bytes(&seed),
            seal,
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

    /// The key sealed to each of `devices`: `(device id (16) || length (u32) || ECIES
    /// ciphertext)*`, one entry per device.
    pub fn seal_to(&self, devices: &[DevicePublic]) -> Result<Vec<u8>> {
        if devices.is_empty() {
            return Err(Error::Corrupt(
                "no device to seal the new sync key to".into(),
            ));
        }
        let mut out = Vec::new();
        for device in devices {
            let sealed = ecies::encrypt(&device.sealing_key()?, &self.bytes[..])
                .map_err(|_| Error::Corrupt("sealing the sync key failed".into()))?;
            let len = u32::try_from(sealed.len())
                .map_err(|_| Error::Corrupt("a sealed sync key is too large".into()))?;
            out.extend_from_slice(&device.id.0);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(&sealed);
        }
        Ok(out)
    }

    /// Opens a key sealed by [`Self::seal_to`]; `None` when it was not sealed to `keys`.
    pub fn open_sealed(epoch: u32, sealed: &[u8], keys: &DeviceKeys) -> Result<Option<SyncKey>> {
        let bad = || Error::Corrupt("a sealed sync key is damaged".into());
        let me = keys.id();
        let mut rest = sealed;
        while !rest.is_empty() {
            if rest.len() < 20 {
                return Err(bad());
            }
            let (id, tail) = rest.split_at(16);
            let len = u32::from_be_bytes([tail[0], tail[1], tail[2], tail[3]]) as usize;
            let body = tail.get(4..4 + len).ok_or_else(bad)?;
            rest = &tail[4 + len..];
            if id != me.0 {
                continue;
            }
            let bytes = Zeroizing::new(ecies::decrypt(&keys.seal[..], body).map_err(|_| bad())?);
            return SyncKey::from_bytes(epoch, &bytes).map(Some);
        }
        Ok(None)
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

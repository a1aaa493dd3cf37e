//! A segment: the operations of one sync of one device, encrypted, signed and chained.
//!
//! ```text
//! magic "vaultsg1" (8) | device id (16) | seq (u64) | epoch (u32) | previous hash (32)
//!   | nonce (12) | ciphertext length (u32) | ciphertext | Ed25519 signature (64)
//! ```
//!
//! The ciphertext is AES-256-GCM under a key derived from the epoch's sync key for this device
//! and sequence number (HKDF-SHA256), its associated data the header. The signature covers
//! everything before it; the segment's hash (SHA-256 of all of it) is the next segment's
//! previous hash, and the first segment's previous hash is zero. So a segment changed, dropped,
//! reordered, replayed from an older log or written by another key does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::keys::{DeviceId, DeviceKeys, DevicePublic, SyncKey, hex, unhex};
use crate::ops::{self, MAX_SEGMENT, Op};
use crate::{Error, Result, random};

const MAGIC: &[u8; 8] = b"vaultsg1";
const HEADER_LEN: usize = 8 + 16 + 8 + 4 + 32 + 12 + 4;
const SIGNATURE_LEN: usize = 64;
const SIGNED_CONTEXT: &[u8] = b"vault-sync segment v1\0";

/// Where a device's log stands: the last segment's number and hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: [u8; 32],
}

impl Serialize for Head {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.seq, hex(&self.hash)).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Head {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Head, D::Error> {
        let (seq, hash) = <(u64, String)>::deserialize(d)?;
        let hash = unhex::<32>(&hash).ok_or_else(|| serde::de::Error::custom("not a hash"))?;
        Ok(Head { seq, hash })
    }
}

/// What a segment says of itself before it is checked: enough to pick the device's key and
/// the sync key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub device: DeviceId,
    pub seq: u64,
    pub epoch: u32,
}

/// A checked segment.
#[derive(Debug)]
pub struct Opened {
    pub head: Head,
    pub epoch: u32,
    pub ops: Vec<Op>,
}

fn segment_key(key: &SyncKey, device: DeviceId, seq: u64) -> Result<Zeroizing<[u8; 32]>> {
    derived_key(b"vault-sync segment key v1", key, device, seq)
}

/// A key of its own for each object (segment or snapshot) of each device: HKDF-SHA256 of the
/// sync key, for `label`, the device and the number.
pub(crate) fn derived_key(
    label: &[u8],
    key: &SyncKey,
    device: DeviceId,
    seq: u64,
) -> Result<Zeroizing<[u8; 32]>> {
    let mut info = Vec::with_capacity(64);
    info.extend_from_slice(label);
    info.extend_from_slice(&device.0);
    info.extend_from_slice(&seq.to_be_bytes());
    let mut out = Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(None, key.expose())
        .expand(&info, &mut out[..])
        .map_err(|_| Error::Corrupt("key derivation failed".into()))?;
    Ok(out)
}

fn signed_message(body: &[u8]) -> Vec<u8> {
    in_context(SIGNED_CONTEXT, body)
}

/// What a device signs: `body` after a context naming what it is (a segment, a snapshot), so a
/// signature over one never stands for the other.
pub(crate) fn in_context(context: &[u8], body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(context.len() + body.len());
    m.extend_from_slice(context);
    m.extend_from_slice(body);
    m
}

/// Encrypts and signs `ops` as the segment after `prev` of this device's log.
pub fn seal(
    keys: &DeviceKeys,
    key: &SyncKey,
    prev: Option<&Head>,
    ops: &[Op],
) -> Result<(Vec<u8>, Head)> {
    let device = keys.id();
    let seq = prev.map_or(1, |h| h.seq + 1);
    let plain = ops::encode(ops)?;
    let nonce: [u8; 12] = random()?;
    let aes = Aes256Gcm::new_from_slice(&segment_key(key, device, seq)?[..])
        .map_err(|_| Error::Corrupt("bad key length".into()))?;
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&device.0);
    header.extend_from_slice(&seq.to_be_bytes());
    header.extend_from_slice(&key.epoch.to_be_bytes());
    header.extend_from_slice(&prev.map_or([0u8; 32], |h| h.hash));
    header.extend_from_slice(&nonce);
    // The length is known before encryption: GCM adds a 16-byte tag.
    let len = u32::try_from(plain.len() + 16)
        .map_err(|_| Error::Corrupt("a segment is too large".into()))?;
    header.extend_from_slice(&len.to_be_bytes());
    let ciphertext = aes
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &plain,
                aad: &header,
            },
        )
        .map_err(|_| Error::Corrupt("encryption failed".into()))?;
    let mut bytes = header;
    bytes.extend_from_slice(&ciphertext);
    let signature = keys.sign(&signed_message(&bytes));
    bytes.extend_from_slice(&signature);
    let hash = Sha256::digest(&bytes).into();
    Ok((bytes, Head { seq, hash }))
}

/// Reads a segment's header, unchecked.
pub fn peek(bytes: &[u8]) -> Result<Segment> {
    if bytes.len() < HEADER_LEN + SIGNATURE_LEN || &bytes[..8] != MAGIC {
        return Err(Error::Corrupt(
            "an object on the remote is not a vault segment".into(),
        ));
    }
    let mut device = [0u8; 16];
    device.copy_from_slice(&bytes[8..24]);
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&bytes[24..32]);
    let mut epoch = [0u8; 4];
    epoch.copy_from_slice(&bytes[32..36]);
    Ok(Segment {
        device: DeviceId(device),
        seq: u64::from_be_bytes(seq),
        epoch: u32::from_be_bytes(epoch),
    })
}

/// The keys a device's first segment declares for itself, from its sealed content: its first
/// operation adds the segment's own device, with keys whose id is that device's. Only a
/// holder of the sync key can write that (AES-GCM), so in a share, where the key is sealed to
/// one member, it names the member's device; [`open`] then checks the signature as for any
/// segment. `None` when the segment is not such a first segment.
pub fn claimed_device(bytes: &[u8], key: &SyncKey) -> Option<(DevicePublic, String)> {
    let seg = peek(bytes).ok()?;
    if seg.seq != 1 || seg.epoch != key.epoch || bytes.len() > MAX_SEGMENT {
        return None;
    }
    let body = &bytes[..bytes.len() - SIGNATURE_LEN];
    let (header, ciphertext) = body.split_at(HEADER_LEN);
    let aes = Aes256Gcm::new_from_slice(&segment_key(key, seg.device, seg.seq).ok()?[..]).ok()?;
    let nonce = <[u8; 12]>::try_from(&header[68..80]).ok()?;
    let plain = Zeroizing::new(
        aes.decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad: header,
            },
        )
        .ok()?,
    );
    let ops = ops::decode(seg.device, &plain).ok()?;
    match &ops.first()?.header {
        crate::ops::OpHeader::DeviceAdded { device, name }
            if device.id == seg.device && device.check().is_ok() =>
        {
            Some((device.clone(), name.clone()))
        }
        _ => None,
    }
}

/// Checks a segment of `device`'s log that should follow `prev` (`None`: the first), and
/// decrypts it with the sync key of its epoch, which `key_for` gives.
pub fn open(
    bytes: &[u8],
    device: &DevicePublic,
    prev: Option<&Head>,
    key_for: impl Fn(u32) -> Option<SyncKey>,
) -> Result<Opened> {
    let who = device.id;
    if bytes.len() > MAX_SEGMENT {
        return Err(Error::refused(
            who,
            "a segment is larger than any vault writes",
        ));
    }
    let seg = peek(bytes).map_err(|_| Error::refused(who, "a segment is damaged"))?;
    if seg.device != who {
        return Err(Error::refused(
            who,
            format!("segment {} names another device", seg.seq),
        ));
    }
    let (body, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
    let mut sig = [0u8; 64];
    sig.copy_from_slice(signature);
    device.verify(&signed_message(body), &sig).map_err(|_| {
        Error::refused(
            who,
            format!(
                "segment {} is not signed by the device's key (forged or changed)",
                seg.seq
            ),
        )
    })?;
    let expected_seq = prev.map_or(1, |h| h.seq + 1);
    if seg.seq != expected_seq {
        return Err(Error::refused(
            who,
            format!(
                "segment {} came where segment {expected_seq} should (a segment is missing, repeated or out of order)",
                seg.seq
            ),
        ));
    }
    let prev_hash = &body[36..68];
    if prev_hash != prev.map_or([0u8; 32], |h| h.hash) {
        return Err(Error::refused(
            who,
            format!(
                "segment {} does not follow the segment before it (the log was rewritten)",
                seg.seq
            ),
        ));
    }
    let (header, ciphertext) = body.split_at(HEADER_LEN);
    let len = u32::from_be_bytes([header[80], header[81], header[82], header[83]]) as usize;
    if len != ciphertext.len() {
        return Err(Error::refused(
            who,
            format!("segment {} is cut short", seg.seq),
        ));
    }
    let key = key_for(seg.epoch).ok_or_else(|| {
        Error::refused(
            who,
            format!(
                "segment {} is under sync key {}, which this device does not hold",
                seg.seq, seg.epoch
            ),
        )
    })?;
    let aes = Aes256Gcm::new_from_slice(&segment_key(&key, who, seg.seq)?[..])
        .map_err(|_| Error::Corrupt("bad key length".into()))?;
    let plain = Zeroizing::new(
        aes.decrypt(
            &Nonce::from(
                <[u8; 12]>::try_from(&header[68..80])
                    .map_err(|_| Error::refused(who, "a segment is damaged"))?,
            ),
            Payload {
                msg: ciphertext,
                aad: header,
            },
        )
        .map_err(|_| {
            Error::refused(
                who,
                format!("segment {} does not decrypt under the sync key", seg.seq),
            )
        })?,
    );
    let ops = ops::decode(who, &plain)?;
    Ok(Opened {
        head: Head {
            seq: seg.seq,
            hash: Sha256::digest(bytes).into(),
        },
        epoch: seg.epoch,
        ops,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::ops::OpHeader;

    fn op(n: u8) -> Op {
        Op::new(
            OpHeader::NewKey {
                epoch: u32::from(n),
            },
            vec![n; 3],
        )
    }

    #[test]
    fn a_chain_opens_in_order_and_nothing_else_does() {
        let dev = DeviceKeys::generate().unwrap();
        let other = DeviceKeys::generate().unwrap();
        let key = SyncKey::generate(1).unwrap();
        let wrong = SyncKey::generate(1).unwrap();
        let keys = |e: u32| (e == 1).then(|| key.clone());
        let (s1, h1) = seal(&dev, &key, None, &[op(1)]).unwrap();
        let (s2, h2) = seal(&dev, &key, Some(&h1), &[op(2), op(3)]).unwrap();
        let pubk = dev.public();

        let o1 = open(&s1, &pubk, None, keys).unwrap();
        assert_eq!(o1.head, h1);
        assert_eq!(o1.ops, vec![op(1)]);
        let o2 = open(&s2, &pubk, Some(&h1), keys).unwrap();
        assert_eq!((o2.head, o2.ops.len()), (h2, 2));

        let refused = |r: Result<Opened>| match r {
            Err(Error::Refused { device, why }) => {
                assert_eq!(device, dev.id());
                why
            }
            other => panic!("{other:?}"),
        };
        // Out of order, replayed, skipped.
        assert!(refused(open(&s2, &pubk, None, keys)).contains("out of order"));
        assert!(refused(open(&s1, &pubk, Some(&h1), keys)).contains("out of order"));
        // A rewritten history: a different segment 1 under the same key.
        let (s1b, h1b) = seal(&dev, &key, None, &[op(9)]).unwrap();
        assert!(refused(open(&s2, &pubk, Some(&h1b), keys)).contains("rewritten"));
        let _ = s1b;
        // Any flipped byte.
        for i in [0, 10, 30, 40, 70, 90, s2.len() - 70, s2.len() - 1] {
            let mut bad = s2.clone();
            bad[i] ^= 1;
            assert!(open(&bad, &pubk, Some(&h1), keys).is_err(), "byte {i}");
        }
        // Another device's key, or signed by another device under this one's id.
        match open(&s1, &other.public(), None, keys) {
            Err(Error::Refused { device, why }) => {
                assert_eq!(device, other.id());
                assert!(why.contains("names another device"));
            }
            r => panic!("{r:?}"),
        }
        // A sync key this device does not hold, or the wrong one.
        assert!(refused(open(&s1, &pubk, None, |_| None)).contains("does not hold"));
        assert!(
            refused(open(&s1, &pubk, None, |_| Some(wrong.clone()))).contains("does not decrypt")
        );
        // Cut short.
        assert!(open(&s1[..s1.len() - 1], &pubk, None, keys).is_err());
        // A first segment that does not add its own device claims nothing.
        assert!(claimed_device(&s1, &key).is_none());
    }

    #[test]
    fn a_first_segment_claims_its_device_only_under_the_right_key() {
        let dev = DeviceKeys::generate().unwrap();
        let key = SyncKey::generate(1).unwrap();
        let add = Op::new(
            OpHeader::DeviceAdded {
                device: dev.public(),
                name: "alice".into(),
            },
            Vec::new(),
        );
        let (s1, h1) = seal(&dev, &key, None, std::slice::from_ref(&add)).unwrap();
        let (public, name) = claimed_device(&s1, &key).unwrap();
        assert_eq!((public, name.as_str()), (dev.public(), "alice"));
        assert!(claimed_device(&s1, &SyncKey::generate(1).unwrap()).is_none());
        let (s2, _) = seal(&dev, &key, Some(&h1), std::slice::from_ref(&add)).unwrap();
        assert!(claimed_device(&s2, &key).is_none(), "not a first segment");
        // Another device's keys in the op: claims nothing.
        let other = DeviceKeys::generate().unwrap();
        let lie = Op::new(
            OpHeader::DeviceAdded {
                device: other.public(),
                name: "mallory".into(),
            },
            Vec::new(),
        );
        let (s3, _) = seal(&dev, &key, None, &[lie]).unwrap();
        assert!(claimed_device(&s3, &key).is_none());
        let mut bad = s1.clone();
        bad[100] ^= 1;
        assert!(claimed_device(&bad, &key).is_none());
    }
}

//! A snapshot: what a device holds after applying the logs up to given heads, sealed and
//! signed by it, so a new device starts from it instead of replaying every segment.
//!
//! ```text
//! magic "vaultsn1" (8) | device id (16) | seq (u64) | epoch (u32) | own head hash (32)
//!   | nonce (12) | ciphertext length (u32) | ciphertext | Ed25519 signature (64)
//! ```
//!
//! `seq` and the hash are the writer's own log head the snapshot follows; the ciphertext is
//! AES-256-GCM under a key derived from the epoch's sync key for this device and `seq` (a
//! label of its own, so a snapshot never opens as a segment), its associated data the header.
//! The plaintext is `header length (u32) || header JSON || operations` (the heads of every log
//! it covers, the devices, tombstones, then one put per live item, as a segment encodes them).
//! A reader takes a snapshot only from a device it already trusts, and then reads every log
//! from the heads it names, each segment chained to them as usual.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keys::{DeviceId, DeviceKeys, DevicePublic, SyncKey};
use crate::merge::Version;
use crate::ops::{self, MAX_SEGMENT, Op};
use crate::segment::{Head, derived_key, in_context};
use crate::{Error, Result, random};

const MAGIC: &[u8; 8] = b"vaultsn1";
const HEADER_LEN: usize = 8 + 16 + 8 + 4 + 32 + 12 + 4;
const SIGNATURE_LEN: usize = 64;
const SIGNED_CONTEXT: &[u8] = b"vault-sync snapshot v1\0";
const KEY_LABEL: &[u8] = b"vault-sync snapshot key v1";

/// One device as a snapshot knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotDevice {
    pub public: DevicePublic,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed_after: Option<u64>,
}

/// What a snapshot says besides its items.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotHeader {
    /// How far each log was applied (the writer's own included).
    pub heads: Vec<(DeviceId, Head)>,
    pub devices: Vec<SnapshotDevice>,
    /// Deleted items (hex id) and the version each deletion removed.
    pub deleted: Vec<(String, Version)>,
    /// The epoch whose key the writer sealed its next segment with.
    pub epoch: u32,
    /// When the writer last learned that a device was removed (Unix milliseconds): values
    /// set before then may be in that device's hands. A device starting from the snapshot
    /// never reads the removal itself, so it takes this instead (absent in the first
    /// snapshots, and when no device was ever removed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_before_ms: Option<i64>,
}

/// A checked snapshot.
#[derive(Debug)]
pub struct Snapshot {
    /// The writer's own head it follows.
    pub head: Head,
    pub header: SnapshotHeader,
    /// One put per live item.
    pub items: Vec<Op>,
}

fn signed(body: &[u8]) -> Vec<u8> {
    in_context(SIGNED_CONTEXT, body)
}

/// Seals and signs a snapshot of `keys`'s device, following its own head `head`.
pub fn seal(
    keys: &DeviceKeys,
    key: &SyncKey,
    head: &Head,
    header: &SnapshotHeader,
    items: &[Op],
) -> Result<Vec<u8>> {
    let device = keys.id();
    let json = serde_json::to_vec(header)
        .map_err(|e| Error::Corrupt(format!("a snapshot does not encode: {e}")))?;
    let len =
        u32::try_from(json.len()).map_err(|_| Error::Corrupt("a snapshot is too large".into()))?;
    let mut plain = Zeroizing::new(Vec::with_capacity(4 + json.len()));
    plain.extend_from_slice(&len.to_be_bytes());
    plain.extend_from_slice(&json);
    plain.extend_from_slice(&ops::encode(items)?);
    let nonce: [u8; 12] = random()?;
    let mut out = Vec::with_capacity(HEADER_LEN + plain.len() + 16 + SIGNATURE_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&device.0);
    out.extend_from_slice(&head.seq.to_be_bytes());
    out.extend_from_slice(&key.epoch.to_be_bytes());
    out.extend_from_slice(&head.hash);
    out.extend_from_slice(&nonce);
    let ct_len = u32::try_from(plain.len() + 16)
        .map_err(|_| Error::Corrupt("a snapshot is too large".into()))?;
    out.extend_from_slice(&ct_len.to_be_bytes());
    let aes = Aes256Gcm::new_from_slice(&derived_key(KEY_LABEL, key, device, head.seq)?[..])
        .map_err(|_| Error::Corrupt("bad key length".into()))?;
    let ciphertext = aes
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &plain,
                aad: &out,
            },
        )
        .map_err(|_| Error::Corrupt("encryption failed".into()))?;
    out.extend_from_slice(&ciphertext);
    let signature = keys.sign(&signed(&out));
    out.extend_from_slice(&signature);
    Ok(out)
}

/// Checks a snapshot written by `device` and decrypts it with the sync key of its epoch.
pub fn open(
    bytes: &[u8],
    device: &DevicePublic,
    key_for: impl Fn(u32) -> Option<SyncKey>,
) -> Result<Snapshot> {
    let who = device.id;
    let bad = |why: &str| Error::refused(who, format!("its snapshot {why}"));
    if bytes.len() > MAX_SEGMENT {
        return Err(bad("is larger than any vault writes"));
    }
    if bytes.len() < HEADER_LEN + SIGNATURE_LEN || &bytes[..8] != MAGIC {
        return Err(bad("is damaged"));
    }
    if bytes[8..24] != who.0 {
        return Err(bad("names another device"));
    }
    let (body, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
    let mut sig = [0u8; 64];
    sig.copy_from_slice(signature);
    device
        .verify(&signed(body), &sig)
        .map_err(|_| bad("is not signed by the device's key (forged or changed)"))?;
    let (header, ciphertext) = body.split_at(HEADER_LEN);
    let word = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&header[24..32]);
    let seq = u64::from_be_bytes(seq);
    let epoch = word(32);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&header[36..68]);
    if word(80) as usize != ciphertext.len() {
        return Err(bad("is cut short"));
    }
    let key = key_for(epoch).ok_or_else(|| {
        bad(&format!(
            "is under sync key {epoch}, which this device does not hold"
        ))
    })?;
    let aes = Aes256Gcm::new_from_slice(&derived_key(KEY_LABEL, &key, who, seq)?[..])
        .map_err(|_| Error::Corrupt("bad key length".into()))?;
    let nonce = <[u8; 12]>::try_from(&header[68..80]).map_err(|_| bad("is damaged"))?;
    let plain = Zeroizing::new(
        aes.decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad: header,
            },
        )
        .map_err(|_| bad("does not decrypt under the sync key"))?,
    );
    let len = plain
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .ok_or_else(|| bad("is cut short"))?;
    let json = plain.get(4..4 + len).ok_or_else(|| bad("is cut short"))?;
    let snapshot_header: SnapshotHeader =
        serde_json::from_slice(json).map_err(|_| bad("does not parse"))?;
    let items = ops::decode(who, &plain[4 + len..])?;
    if items
        .iter()
        .any(|op| !matches!(op.header, crate::OpHeader::Put { .. }))
    {
        return Err(bad("holds something other than items"));
    }
    let own = snapshot_header
        .heads
        .iter()
        .find(|(d, _)| *d == who)
        .map(|(_, h)| *h);
    if own != Some(Head { seq, hash }) {
        return Err(bad("does not follow its own log"));
    }
    Ok(Snapshot {
        head: Head { seq, hash },
        header: snapshot_header,
        items,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::OpHeader;
    use crate::segment;

    #[test]
    fn a_snapshot_opens_for_its_device_and_key_only() {
        let dev = DeviceKeys::generate().unwrap();
        let key = SyncKey::generate(1).unwrap();
        let (seg, head) = segment::seal(&dev, &key, None, &[]).unwrap();
        let header = SnapshotHeader {
            heads: vec![(dev.id(), head)],
            devices: vec![SnapshotDevice {
                public: dev.public(),
                name: "laptop".into(),
                removed_after: None,
            }],
            deleted: Vec::new(),
            epoch: 1,
            exposed_before_ms: Some(1_700_000_000_000),
        };
        let put = Op::new(
            OpHeader::Put {
                item: [3; 16],
                version: Version {
                    clock: 9,
                    device: dev.id(),
                },
                base: None,
            },
            b"record".to_vec(),
        );
        let bytes = seal(&dev, &key, &head, &header, std::slice::from_ref(&put)).unwrap();
        let keys = |e: u32| (e == 1).then(|| key.clone());
        let opened = open(&bytes, &dev.public(), keys).unwrap();
        assert_eq!(
            (opened.head, opened.header, opened.items),
            (head, header.clone(), vec![put.clone()])
        );
        // Not a segment, and a segment is not a snapshot.
        assert!(segment::open(&bytes, &dev.public(), None, keys).is_err());
        assert!(open(&seg, &dev.public(), keys).is_err());
        // Another device, another key, any flipped byte, cut short.
        let other = DeviceKeys::generate().unwrap();
        assert!(open(&bytes, &other.public(), keys).is_err());
        assert!(
            open(&bytes, &dev.public(), |_| Some(
                SyncKey::generate(1).unwrap()
            ))
            .is_err()
        );
        for i in (0..bytes.len()).step_by(7) {
            let mut bad = bytes.clone();
            bad[i] ^= 1;
            assert!(open(&bad, &dev.public(), keys).is_err(), "byte {i}");
        }
        assert!(open(&bytes[..bytes.len() - 1], &dev.public(), keys).is_err());
        // A snapshot whose header does not name its own head is refused.
        let mut lying = header;
        lying.heads.clear();
        let bytes = seal(&dev, &key, &head, &lying, &[put]).unwrap();
        assert!(open(&bytes, &dev.public(), keys).is_err());
    }
}

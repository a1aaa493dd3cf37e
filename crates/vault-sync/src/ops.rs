//! The operations a segment carries, and their encoding inside it (before encryption).
//!
//! Each operation is a JSON header (what it is, which item, which version) and an opaque blob
//! (an item's sealed-in-the-segment record, or a sealed sync key). The plaintext of a segment
//! is `count (u32) || (header length (u32) || header || blob length (u32) || blob)*`, all
//! lengths big-endian; it is held in zeroizing buffers because records hold values.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::keys::{DeviceId, DevicePublic};
use crate::merge::Version;
use crate::{Error, Result};

/// An item's id: the same on every device (the row id the first device gave it).
pub type ItemUid = [u8; 16];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum OpHeader {
    /// The item's new version; the blob is its record (metadata and values).
    Put {
        #[serde(with = "uid")]
        item: ItemUid,
        version: Version,
        /// The version this one was made from (`None`: a new item).
        base: Option<Version>,
    },
    /// The item was deleted at `version`, from `base`.
    Delete {
        #[serde(with = "uid")]
        item: ItemUid,
        version: Version,
        base: Option<Version>,
    },
    /// A device joins: from this segment on, its log is read.
    DeviceAdded { device: DevicePublic, name: String },
    /// A device leaves: nothing it writes after segment `last_seq` is read.
    DeviceRemoved { device: DeviceId, last_seq: u64 },
    /// A new sync key: the blob is the key sealed to every remaining device (ECIES).
    NewKey { epoch: u32 },
}

mod uid {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::keys::hex(id))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let s = String::deserialize(d)?;
        crate::keys::unhex::<16>(&s).ok_or_else(|| serde::de::Error::custom("not an item id"))
    }
}

/// One operation.
#[derive(Clone, PartialEq, Eq)]
pub struct Op {
    pub header: OpHeader,
    pub blob: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Op")
            .field("header", &self.header)
            .field("blob", &self.blob.len())
            .finish()
    }
}

impl Op {
    pub fn new(header: OpHeader, blob: Vec<u8>) -> Op {
        Op {
            header,
            blob: Zeroizing::new(blob),
        }
    }
}

/// The most operations one segment may hold, and the largest segment read.
const MAX_OPS: u32 = 1_000_000;
pub(crate) const MAX_SEGMENT: usize = 256 * 1024 * 1024;

pub(crate) fn encode(ops: &[Op]) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::new());
    let count =
        u32::try_from(ops.len()).map_err(|_| Error::Corrupt("too many operations".into()))?;
    out.extend_from_slice(&count.to_be_bytes());
    for op in ops {
        let header = serde_json::to_vec(&op.header)
            .map_err(|e| Error::Corrupt(format!("an operation does not encode: {e}")))?;
        for part in [&header[..], &op.blob[..]] {
            let len = u32::try_from(part.len())
                .map_err(|_| Error::Corrupt("an operation is too large".into()))?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part);
        }
    }
    Ok(out)
}

pub(crate) fn decode(device: DeviceId, bytes: &[u8]) -> Result<Vec<Op>> {
    let bad = |why: &str| Error::refused(device, format!("a segment's operations {why}"));
    let mut cursor = Cursor(bytes);
    let count = cursor.word().ok_or_else(|| bad("are cut short"))?;
    if count > MAX_OPS {
        return Err(bad("are too many"));
    }
    let mut ops = Vec::new();
    for _ in 0..count {
        let header = cursor.part().ok_or_else(|| bad("are cut short"))?;
        let header: OpHeader = serde_json::from_slice(header).map_err(|_| bad("do not parse"))?;
        let blob = cursor.part().ok_or_else(|| bad("are cut short"))?;
        ops.push(Op {
            header,
            blob: Zeroizing::new(blob.to_vec()),
        });
    }
    if !cursor.0.is_empty() {
        return Err(bad("are followed by stray bytes"));
    }
    Ok(ops)
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn word(&mut self) -> Option<u32> {
        let b = self.take(4)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A length-prefixed part.
    fn part(&mut self) -> Option<&'a [u8]> {
        let len = self.word()? as usize;
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::keys::DeviceKeys;

    #[test]
    fn operations_round_trip_and_garbage_is_refused() {
        let d = DeviceKeys::generate().unwrap();
        let v = Version {
            clock: 5 << 16,
            device: d.id(),
        };
        let ops = vec![
            Op::new(
                OpHeader::Put {
                    item: [1; 16],
                    version: v,
                    base: None,
                },
                b"record".to_vec(),
            ),
            Op::new(
                OpHeader::DeviceAdded {
                    device: d.public(),
                    name: "laptop".into(),
                },
                Vec::new(),
            ),
        ];
        let bytes = encode(&ops).unwrap();
        assert_eq!(decode(d.id(), &bytes).unwrap(), ops);
        for cut in 0..bytes.len() {
            assert!(decode(d.id(), &bytes[..cut]).is_err());
        }
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(decode(d.id(), &longer).is_err());
    }
}

use std::sync::OnceLock;

use super::{ByteChange, changed, decode};
use arbitrary::Arbitrary;
use vault_sync::fuzzing::{decode_ops, device, encode_ops};
use vault_sync::segment::{Head, open, seal};
use vault_sync::snapshot::{self, SnapshotHeader};
use vault_sync::{DeviceKeys, Op, OpHeader, SyncKey, Version};

#[derive(Arbitrary, Debug)]
struct Input {
    key: [u8; 32],
    ops: Vec<(bool, [u8; 16], u64, Vec<u8>)>,
    prev: Option<(u64, [u8; 32])>,
    other_prev: (u64, [u8; 32]),
    changes: Vec<ByteChange>,
    forged: Vec<u8>,
    plain: Vec<u8>,
}

/// One device for every input: its keys come from a fixed seed.
fn me() -> &'static DeviceKeys {
    static ME: OnceLock<DeviceKeys> = OnceLock::new();
    ME.get_or_init(|| device(&[7; 32]))
}

/// The target's check on one input.
pub fn check(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    if let Ok(ops) = decode_ops(&input.plain) {
        let again = encode_ops(&ops).expect("decoded operations encode");
        assert_eq!(
            decode_ops(&again).expect("re-encoded operations decode"),
            ops
        );
    }
    let dev = me();
    let key = SyncKey::from_bytes(1, &input.key).expect("32 bytes");
    let keys = |epoch: u32| (epoch == 1).then(|| key.clone());
    let ops: Vec<Op> = input
        .ops
        .iter()
        .map(|(delete, item, clock, blob)| {
            let version = Version {
                clock: *clock,
                device: dev.id(),
            };
            let header = if *delete {
                OpHeader::Delete {
                    item: *item,
                    version,
                    base: None,
                }
            } else {
                OpHeader::Put {
                    item: *item,
                    version,
                    base: Some(version),
                }
            };
            Op::new(header, blob.clone())
        })
        .collect();
    let prev = input.prev.map(|(seq, hash)| Head {
        seq: seq % (u64::MAX - 1),
        hash,
    });
    let public = dev.public();
    assert!(
        open(&input.forged, &public, prev.as_ref(), keys).is_err(),
        "bytes nobody sealed opened"
    );
    let (bytes, head) = seal(dev, &key, prev.as_ref(), &ops).expect("seals");
    let opened = open(&bytes, &public, prev.as_ref(), keys).expect("opens");
    assert_eq!(opened.ops, ops);
    assert_eq!(opened.head, head);
    // Read after another segment, or under another key: refused.
    let other = Head {
        seq: input.other_prev.0 % (u64::MAX - 1),
        hash: input.other_prev.1,
    };
    // (No head and a head of segment 0 with a zero hash are the same place: the start.)
    let place = |h: Option<Head>| h.map_or((0, [0; 32]), |h| (h.seq, h.hash));
    if place(Some(other)) != place(prev) {
        assert!(
            open(&bytes, &public, Some(&other), keys).is_err(),
            "opened out of its place"
        );
    }
    let mut wrong = input.key;
    wrong[0] ^= 1;
    let wrong = SyncKey::from_bytes(1, &wrong).expect("32 bytes");
    assert!(open(&bytes, &public, prev.as_ref(), |_| Some(wrong.clone())).is_err());
    // The same device's snapshot of those items after that segment: never opened from bytes
    // nobody sealed, nor as a segment; opened back whole; changed, never opened.
    assert!(
        snapshot::open(&input.forged, &public, keys).is_err(),
        "bytes nobody sealed opened as a snapshot"
    );
    let header = SnapshotHeader {
        heads: vec![(dev.id(), head)],
        devices: Vec::new(),
        deleted: Vec::new(),
        epoch: 1,
        exposed_before_ms: None,
    };
    let puts: Vec<Op> = ops
        .iter()
        .filter(|op| matches!(op.header, OpHeader::Put { .. }))
        .cloned()
        .collect();
    let snap = snapshot::seal(dev, &key, &head, &header, &puts).expect("seals");
    let back = snapshot::open(&snap, &public, keys).expect("a snapshot opens");
    assert_eq!((back.head, back.header, back.items), (head, header, puts));
    assert!(
        open(&snap, &public, prev.as_ref(), keys).is_err(),
        "a snapshot opened as a segment"
    );
    assert!(
        snapshot::open(&bytes, &public, keys).is_err(),
        "a segment opened as a snapshot"
    );
    let changed_snap = changed(&snap, input.changes.clone());
    if changed_snap != snap {
        assert!(
            snapshot::open(&changed_snap, &public, keys).is_err(),
            "a changed snapshot opened"
        );
    }
    // Any change to the bytes: refused.
    let changed = changed(&bytes, input.changes);
    if changed != bytes {
        assert!(
            open(&changed, &public, prev.as_ref(), keys).is_err(),
            "a changed segment opened"
        );
    }
}

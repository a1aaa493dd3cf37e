use std::sync::OnceLock;

use super::decode;
use arbitrary::Arbitrary;
use vault_sync::recipient::{Identity, open, seal};

#[derive(Arbitrary, Debug)]
enum Change {
    FlipBit { at: usize, bit: u8 },
    Truncate { to: usize },
    Append { bytes: Vec<u8> },
    Replace { at: usize, bytes: Vec<u8> },
}

#[derive(Arbitrary, Debug)]
struct Input {
    forged: Vec<u8>,
    plain: Vec<u8>,
    changes: Vec<Change>,
}

/// One identity for every input.
fn me() -> &'static Identity {
    static ME: OnceLock<Identity> = OnceLock::new();
    ME.get_or_init(|| Identity::from_bytes([7; 32]))
}

/// The target's check on one input.
pub fn check(data: &[u8]) {
    let Some(input) = decode::<Input>(data) else {
        return;
    };
    let me = me();
    assert!(
        !matches!(open(&input.forged, me), Ok(Some(_))),
        "bytes nobody sealed opened"
    );
    let sealed = seal(&input.plain, &[me.recipient()]).expect("seals");
    let opened = open(&sealed, me).expect("opens").expect("sealed to me");
    assert_eq!(opened.as_slice(), input.plain.as_slice());
    let mut changed = sealed.clone();
    for change in input.changes {
        match change {
            Change::FlipBit { at, bit } => {
                if !changed.is_empty() {
                    let at = at % changed.len();
                    changed[at] ^= 1 << (bit % 8);
                }
            }
            Change::Truncate { to } => changed.truncate(to),
            Change::Append { bytes } => changed.extend(bytes),
            Change::Replace { at, bytes } => {
                for (i, b) in bytes.into_iter().enumerate() {
                    if let Some(slot) = changed.get_mut(at.wrapping_add(i)) {
                        *slot = b;
                    }
                }
            }
        }
    }
    if changed != sealed {
        assert!(
            !matches!(open(&changed, me), Ok(Some(_))),
            "a changed file opened"
        );
    }
}

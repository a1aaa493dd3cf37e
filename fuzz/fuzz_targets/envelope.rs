//! The sealed envelope: a blob opens only to exactly what was sealed, under exactly the key
//! and associated data (vault, table, row) it was sealed with. Any modified blob, or the same
//! blob under another row, table or vault, fails to open; arbitrary bytes never open.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use vault_core::crypto::Aad;
use vault_core::crypto::fuzzing::{open, seal};

#[derive(Arbitrary, Debug)]
enum Change {
    FlipBit { at: usize, bit: u8 },
    Truncate { to: usize },
    Append { bytes: Vec<u8> },
    Replace { at: usize, bytes: Vec<u8> },
    OtherRow { row: Vec<u8> },
    OtherLabel,
    OtherVault { flip: u8 },
    OtherKey { flip: u8 },
    Nothing,
}

#[derive(Arbitrary, Debug)]
struct Input {
    key: [u8; 32],
    vault: [u8; 16],
    row: Vec<u8>,
    plaintext: Vec<u8>,
    changes: Vec<Change>,
    forged: Vec<u8>,
}

const LABELS: [&str; 2] = ["items.meta", "items.secret"];

fuzz_target!(|input: Input| {
    let aad = Aad {
        vault_id: &input.vault,
        label: LABELS[0],
        row: &input.row,
    };
    // Bytes nobody sealed never open.
    assert!(
        open(&input.key, &aad, &input.forged).is_err(),
        "a forged blob opened"
    );

    let sealed = seal(&input.key, &aad, &input.plaintext);
    assert_eq!(
        &*open(&input.key, &aad, &sealed).expect("opens"),
        &input.plaintext[..]
    );

    let mut blob = sealed.clone();
    let (mut key, mut vault, mut row, mut label) = (input.key, input.vault, input.row.clone(), 0);
    for change in &input.changes {
        match change {
            Change::FlipBit { at, bit } if !blob.is_empty() => {
                let i = at % blob.len();
                blob[i] ^= 1 << (bit % 8);
            }
            Change::Truncate { to } => blob.truncate(*to),
            Change::Append { bytes } => blob.extend_from_slice(bytes),
            Change::Replace { at, bytes } if !blob.is_empty() => {
                let i = at % blob.len();
                for (j, b) in bytes.iter().enumerate() {
                    if let Some(x) = blob.get_mut(i + j) {
                        *x = *b;
                    }
                }
            }
            Change::OtherRow { row: r } => row = r.clone(),
            Change::OtherLabel => label = 1 - label,
            Change::OtherVault { flip } => vault[0] ^= flip,
            Change::OtherKey { flip } => key[31] ^= flip,
            _ => {}
        }
    }
    let same = blob == sealed
        && key == input.key
        && vault == input.vault
        && row == input.row
        && label == 0;
    let moved = Aad {
        vault_id: &vault,
        label: LABELS[label],
        row: &row,
    };
    match open(&key, &moved, &blob) {
        Ok(plain) => {
            assert!(same, "a changed blob or place opened");
            assert_eq!(&*plain, &input.plaintext[..]);
        }
        Err(_) => assert!(!same, "an untouched blob failed to open"),
    }
});

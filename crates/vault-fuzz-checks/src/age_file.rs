use std::sync::OnceLock;

use super::{ByteChange, changed, decode};
use arbitrary::Arbitrary;
use vault_sync::recipient::{Identity, open, seal};

#[derive(Arbitrary, Debug)]
struct Input {
    forged: Vec<u8>,
    plain: Vec<u8>,
    changes: Vec<ByteChange>,
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
    let changed = changed(&sealed, input.changes);
    if changed != sealed {
        assert!(
            !matches!(open(&changed, me), Ok(Some(_))),
            "a changed file opened"
        );
    }
}

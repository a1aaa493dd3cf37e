//! `vault run --mask`: whatever the secrets, however the output is cut into writes and
//! wherever the relay pauses, no secret reaches the output whole, at most a few bytes of one
//! are shown, and text that holds no secret passes through unchanged.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use vault_cli::fuzzing::{MIN_MASKED_LEN, Masker};
use zeroize::Zeroizing;

#[derive(Arbitrary, Debug)]
struct Input {
    secrets: Vec<Vec<u8>>,
    /// Output pieces: text, or one of the secrets, each followed by a pause or not.
    pieces: Vec<(Piece, bool)>,
}

#[derive(Arbitrary, Debug)]
enum Piece {
    Text(Vec<u8>),
    /// Secret `which`, cut at `at`: the two parts written separately.
    Secret { which: u8, at: u8 },
}

fuzz_target!(|input: Input| {
    let secrets: Vec<Vec<u8>> = input.secrets.into_iter().take(4).collect();
    let labelled = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("S{i}"), Zeroizing::new(s.clone())))
        .collect();
    let Some(mut m) = Masker::new(labelled) else {
        return;
    };
    let masked: Vec<&Vec<u8>> = secrets.iter().filter(|s| s.len() >= MIN_MASKED_LEN).collect();
    let mut written = Vec::new();
    let mut out = Vec::new();
    for (piece, pause) in input.pieces.iter().take(32) {
        let parts: Vec<&[u8]> = match piece {
            Piece::Text(t) => vec![t],
            Piece::Secret { which, at } => {
                let s = &masked[usize::from(*which) % masked.len()];
                let at = usize::from(*at) % (s.len() + 1);
                vec![&s[..at], &s[at..]]
            }
        };
        for part in parts {
            written.extend_from_slice(part);
            out.extend(m.feed(part));
            if *pause {
                out.extend(m.pause());
            }
        }
    }
    out.extend(m.finish());
    // A secret made of label text (`dact`, `S0>x`) can appear through a label, not a leak.
    let labels: Vec<String> = (0..secrets.len()).map(|i| format!("<redacted:S{i}>")).collect();
    let label_like = |s: &[u8]| {
        s.iter().any(|b| b"<>".contains(b))
            || labels
                .iter()
                .any(|l| l.as_bytes().windows(s.len()).any(|w| w == s))
    };
    for s in masked.iter().filter(|s| !label_like(s)) {
        assert!(
            !out.windows(s.len()).any(|w| w == s.as_slice()),
            "a secret reached the output whole"
        );
    }
    // Nothing that could be part of a secret was written: the output is the input.
    let touches = |text: &[u8]| {
        masked
            .iter()
            .any(|s| s.iter().any(|b| text.contains(b)))
    };
    if !touches(&written) {
        assert_eq!(out, written, "text without any secret byte must pass unchanged");
    }
});

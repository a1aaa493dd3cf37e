//! Every fuzz target's check, run by `make test` without a fuzzing build: over the committed
//! seeds (`fuzz/seeds/TARGET/`), every input that once failed (`fuzz/regressions/TARGET/`: a
//! crash that `make fuzz` finds is saved there with its fix, so it stays fixed), and a fixed
//! pseudo-random sweep whose bytes lean toward what the parsers care about (quotes, `=`, `\n`,
//! `vault://`, JSON). Real fuzzing, guided by coverage, is `make fuzz`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use vault_fuzz_checks::TARGETS;

/// Inputs per target in the sweep: enough to reach every branch a random input reaches in
/// seconds, few enough for a debug build.
const SWEEP: usize = 20_000;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// SplitMix64: the same inputs on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Pieces the parsers branch on, mixed into the sweep's bytes.
const PIECES: &[&[u8]] = &[
    b"=",
    b"\"",
    b"'",
    b"`",
    b"\n",
    b"\r\n",
    b"#",
    b"$",
    b"{",
    b"}",
    b"\\",
    b" ",
    b"export ",
    b"KEY",
    b"vault://",
    b"/",
    b"%2F",
    b"%",
    b"access_token",
    b"\":\"",
    b"{\"",
    b"}\n",
    b"\"expires_in\":",
    b"3600",
    b"error",
    b"/callback?",
    b"code=",
    b"&state=",
    b"&iss=",
    b"<",
    b">",
    b"sk-",
    b"\0",
    b"\xff",
    b"://",
    b"*.",
    b":",
    b"[",
    b"]",
    b"\t",
    b"diff --git a/x b/x\n",
    b"+++ b/x\n",
    b"@@ -1,2 +3,4 @@\n",
    b"+",
    b"Binary files ",
    b"ghp_",
];

fn sweep_input(rng: &mut Rng) -> Vec<u8> {
    let len = [8, 32, 128, 512][rng.below(4)];
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        if rng.below(2) == 0 {
            out.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        } else {
            out.push(rng.next() as u8);
        }
    }
    out
}

#[test]
fn every_target_holds_on_its_seeds_past_findings_and_a_fixed_sweep() {
    let mut replayed = Vec::new();
    for (name, check) in TARGETS {
        let mut committed = files(&fuzz_dir().join("seeds").join(name));
        committed.extend(files(&fuzz_dir().join("regressions").join(name)));
        for file in &committed {
            let data = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{name} fails on {}", file.display());
        }
        let mut rng = Rng(0x5EED ^ name.len() as u64);
        for i in 0..SWEEP {
            let data = sweep_input(&mut rng);
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(
                outcome.is_ok(),
                "{name} fails on sweep input {i}: {data:?} (save it to \
                 fuzz/regressions/{name}/ once fixed)"
            );
        }
        replayed.push(format!("{name}: {} committed", committed.len()));
    }
    eprintln!(
        "replayed {}; {SWEEP} sweep inputs each",
        replayed.join(", ")
    );
}

/// The replay knows every target cargo-fuzz builds, and no other.
#[test]
fn the_replay_covers_every_fuzz_target() {
    let mut built: Vec<String> = files(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    built.sort();
    let mut replayed: Vec<String> = TARGETS.iter().map(|(n, _)| (*n).to_owned()).collect();
    replayed.sort();
    assert_eq!(built, replayed);
}

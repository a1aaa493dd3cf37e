//! Fingerprints the protocol schema: any edit to `src/protocol.rs` gives a new fingerprint, so a
//! client never keeps talking to an agent built from a different schema (no hand-bumped number
//! to forget).

use std::hash::Hasher;

fn main() {
    println!("cargo:rerun-if-changed=src/protocol.rs");
    let text = std::fs::read("src/protocol.rs").unwrap_or_default();
    // FNV-1a, 64 bits: a build script needs no cryptographic hash to notice a change.
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.write(&text);
    println!(
        "cargo:rustc-env=VAULT_PROTOCOL_FINGERPRINT={:016x}",
        h.finish()
    );
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

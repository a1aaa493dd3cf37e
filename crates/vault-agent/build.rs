//! Fingerprints the protocol schema: any edit to `src/protocol.rs`, or to vault-core, where the
//! types the wire carries are declared (`Item`, `Version`, `ImportReport`, `KdfParams`,
//! `DueReport`, ...), gives a new fingerprint, so a client never keeps talking to an agent
//! built from a different schema (no hand-bumped number to forget). All of vault-core is
//! hashed rather than a hand-kept list of its wire files, which would go stale.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let core = manifest.join("../vault-core/src");
    println!("cargo:rerun-if-changed=src/protocol.rs");
    println!("cargo:rerun-if-changed=src/protocol");
    println!("cargo:rerun-if-changed={}", core.display());
    // vault-scan's request and report travel as they are declared there.
    println!("cargo:rerun-if-changed=../vault-scan/src/report.rs");
    let mut sources = vec![
        (
            String::from("vault-agent/src/protocol.rs"),
            manifest.join("src/protocol.rs"),
        ),
        (
            String::from("vault-scan/src/report.rs"),
            manifest.join("../vault-scan/src/report.rs"),
        ),
    ];
    // The protocol's own modules (`src/protocol/`), by name.
    let mut protocol_files = Vec::new();
    rust_files(&manifest.join("src/protocol"), &mut protocol_files);
    protocol_files.sort();
    for path in protocol_files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        sources.push((format!("vault-agent/src/protocol/{name}"), path));
    }
    let mut core_files = Vec::new();
    rust_files(&core, &mut core_files);
    core_files.sort();
    if core_files.is_empty() {
        println!(
            "cargo:warning=vault-core's sources are not at {}: the protocol fingerprint covers protocol.rs only",
            core.display()
        );
    }
    for path in core_files {
        let name = path
            .strip_prefix(&core)
            .unwrap_or(&path)
            .display()
            .to_string();
        sources.push((format!("vault-core/src/{name}"), path));
    }
    // FNV-1a, 64 bits: a build script needs no cryptographic hash to notice a change.
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    for (name, path) in &sources {
        // The name too, so moving code between files is a change.
        h.write(name.as_bytes());
        h.write(&[0]);
        h.write(&std::fs::read(path).unwrap_or_default());
        h.write(&[0]);
    }
    println!(
        "cargo:rustc-env=VAULT_PROTOCOL_FINGERPRINT={:016x}",
        h.finish()
    );
    let names: Vec<&str> = sources.iter().map(|(n, _)| n.as_str()).collect();
    println!("cargo:rustc-env=VAULT_PROTOCOL_SOURCES={}", names.join(" "));
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
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

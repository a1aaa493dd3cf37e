//! Files as other secret stores write them, for the import suites: KeePass databases by the
//! real `keepassxc-cli`, `.env` files encrypted by the real `@dotenvx/dotenvx`, and 1Password
//! `.1pux` archives made to 1Password's own description of the format.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// `keepassxc-cli import` of `xml` into `kdbx`, with `password` and an optional key file.
pub fn keepassxc(dir: &Path, xml: &str, kdbx: &Path, password: &str, key_file: Option<&Path>) {
    let xml_path = dir.join("source.xml");
    std::fs::write(&xml_path, xml).unwrap();
    let mut cmd = Command::new("keepassxc-cli");
    cmd.args(["import", "-q", "-p", "-t", "100"]);
    if let Some(k) = key_file {
        cmd.arg("--set-key-file").arg(k);
    }
    let mut child = cmd
        .arg(&xml_path)
        .arg(kdbx)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keepassxc-cli (Debian keepassxc; make test installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n{password}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "keepassxc-cli import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(&xml_path).unwrap();
}

/// The `dotenvx` command of `make deps-clients`.
pub fn dotenvx() -> PathBuf {
    let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/node_modules/.bin/dotenvx");
    assert!(
        bin.exists(),
        "{} is missing; run `make deps-clients` (make test does)",
        bin.display()
    );
    bin
}

/// A `.1pux` archive: `export.attributes` and `export.data`, as 1Password's "About the
/// 1Password Unencrypted Export format" describes them.
pub fn onepux(items: serde_json::Value) -> Vec<u8> {
    let data = serde_json::json!({
        "accounts": [{
            "attrs": {"accountName": "Acme", "name": "Acme", "email": "dev@acme.test", "uuid": "A1", "domain": "acme.1password.com"},
            "vaults": [{"attrs": {"uuid": "V1", "name": "Engineering", "type": "U"}, "items": items}]
        }]
    });
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("export.attributes", opts).unwrap();
    zip.write_all(
        br#"{"version":3,"description":"1Password Unencrypted Export","createdAt":1700000000}"#,
    )
    .unwrap();
    zip.start_file("export.data", opts).unwrap();
    zip.write_all(data.to_string().as_bytes()).unwrap();
    zip.finish().unwrap();
    buf.into_inner()
}

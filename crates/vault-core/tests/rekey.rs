//! `change_password` retires the old password: a new data key, every row re-sealed. However the
//! files of before and after are combined, the old password opens nothing written since.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use vault_core::crypto::KdfParams;
use vault_core::{Error, LockedVault, NewApiKey, SecretValue, Timestamp, Vault};

const OLD: &str = "correct horse";
const NEW: &str = "battery staple";

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn unlock(path: &Path, password: &str) -> vault_core::Result<Vault> {
    LockedVault::open(path)?.unlock(&SecretValue::new(password))
}

/// A vault with a rotated key (a previous value), a grant, a provider and audit entries.
fn populated(dir: &Path) -> (PathBuf, Vault) {
    let path = dir.join("v.db");
    let mut v = Vault::create(&path, &SecretValue::new(OLD), KdfParams::MINIMUM, now()).unwrap();
    v.add_api_key(NewApiKey::new("openai", SecretValue::new("sk-one")), now())
        .unwrap();
    v.rotate("openai", &SecretValue::new("sk-two"), now())
        .unwrap();
    let mut grant = common::new_grant("gh", "gho-access", Some("ghr-refresh"));
    grant.provider = "github".into();
    v.save_grant(grant, false, now()).unwrap();
    (path, v)
}

/// Copies the vault file and its WAL, as a backup tool would.
fn copy_files(from: &Path, to: &Path) {
    for suffix in ["", "-wal"] {
        let (mut a, mut b) = (from.as_os_str().to_owned(), to.as_os_str().to_owned());
        a.push(suffix);
        b.push(suffix);
        if Path::new(&a).exists() {
            std::fs::copy(&a, &b).unwrap();
        }
    }
}

#[test]
fn every_row_is_readable_under_the_new_password_only() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = populated(dir.path());
    v.change_password(&SecretValue::new(NEW), None, now())
        .unwrap();
    // A copy taken after the change, while the vault is still open, does not open with the
    // old password, even a copy of the main file alone: the change was checkpointed into it.
    let with_wal = dir.path().join("copy.db");
    copy_files(&path, &with_wal);
    assert!(matches!(unlock(&with_wal, OLD), Err(Error::WrongPassword)));
    let alone = dir.path().join("alone.db");
    std::fs::copy(&path, &alone).unwrap();
    assert!(matches!(unlock(&alone, OLD), Err(Error::WrongPassword)));
    assert_eq!(
        unlock(&alone, NEW)
            .unwrap()
            .api_key("openai")
            .unwrap()
            .value
            .expose(),
        "sk-two"
    );

    // The open vault goes on working with the new key, lookups by name included.
    assert_eq!(v.api_key("OpenAI").unwrap().value.expose(), "sk-two");
    v.add_api_key(NewApiKey::new("later", SecretValue::new("v")), now())
        .unwrap();
    drop(v);

    let v = unlock(&path, NEW).unwrap();
    assert_eq!(v.api_key("openai").unwrap().value.expose(), "sk-two");
    assert_eq!(v.version_value("openai", 1).unwrap().expose(), "sk-one");
    let history: Vec<u32> = v
        .history("openai")
        .unwrap()
        .iter()
        .map(|h| h.version)
        .collect();
    assert_eq!(history, [1, 2]);
    let g = v.grant("gh").unwrap();
    assert_eq!(g.tokens.access_token.expose(), "gho-access");
    assert_eq!(
        g.tokens.refresh_token.as_ref().map(SecretValue::expose),
        Some("ghr-refresh")
    );
    assert_eq!(v.items().unwrap().len(), 3);
    let log = v.audit_log(100).unwrap();
    assert!(log.len() >= 5, "the audit log survives: {}", log.len());
}

#[test]
fn an_old_header_spliced_into_todays_file_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = populated(dir.path());
    let old_header = common::header_row(&path);
    v.change_password(&SecretValue::new(NEW), None, now())
        .unwrap();
    v.add_api_key(
        NewApiKey::new("added-after", SecretValue::new("sk-after")),
        now(),
    )
    .unwrap();
    drop(v);
    common::put_header_row(&path, &old_header);

    // The old header still unwraps the old data key, but no row is sealed under it any more,
    // and its commitment matches none of today's rows: the vault does not open.
    assert!(matches!(unlock(&path, OLD), Err(Error::Tampered { .. })));
}

#[test]
fn a_process_unlocked_before_the_change_writes_nothing_under_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = populated(dir.path());
    let mut stale = unlock(&path, OLD).unwrap();
    assert!(stale.is_current().unwrap());
    v.change_password(&SecretValue::new(NEW), None, now())
        .unwrap();
    assert!(!stale.is_current().unwrap(), "the stale holder is told");
    let err = stale
        .add_api_key(NewApiKey::new("x", SecretValue::new("y")), now())
        .unwrap_err();
    assert!(matches!(err, Error::KeyChanged { .. }), "{err}");
    drop((v, stale));
    let v = unlock(&path, NEW).unwrap();
    assert_eq!(v.items().unwrap().len(), 2, "nothing was written");
}

#[test]
fn a_tampered_row_stops_the_change_and_keeps_the_old_password() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = populated(dir.path());
    let c = Connection::open(&path).unwrap();
    let mut blob: Vec<u8> = c
        .query_row("SELECT sealed FROM audit WHERE seq = 1", [], |r| r.get(0))
        .unwrap();
    blob[20] ^= 1;
    c.execute("UPDATE audit SET sealed = ?1 WHERE seq = 1", [&blob])
        .unwrap();
    drop(c);
    let err = v
        .change_password(&SecretValue::new(NEW), None, now())
        .unwrap_err();
    assert!(matches!(err, Error::Tampered { .. }), "{err}");
    drop(v);
    // Nothing changed: the new password is refused, and the old one meets the same tampering.
    assert!(matches!(unlock(&path, NEW), Err(Error::WrongPassword)));
    assert!(matches!(unlock(&path, OLD), Err(Error::Tampered { .. })));
}

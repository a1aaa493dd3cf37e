//! What is deleted is gone from the file: no sealed blob of a removed item, grant or provider
//! configuration stays in `vault.db`, its WAL or its SHM once the call returns. Such a blob,
//! written back into a row, would open under the same key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use vault_core::crypto::KdfParams;
use vault_core::{NewApiKey, SecretValue, Timestamp, Vault};

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn create(dir: &Path) -> (PathBuf, Vault) {
    let path = dir.join("v.db");
    let v = Vault::create(
        &path,
        &SecretValue::new("correct horse"),
        KdfParams::MINIMUM,
        now(),
    )
    .unwrap();
    (path, v)
}

/// Every sealed blob of the `items` row whose kind is `kind` (the newest such row), and of
/// its previous values.
fn blobs_of(path: &Path, kind: i64) -> Vec<Vec<u8>> {
    let c = Connection::open(path).unwrap();
    let (id, meta, secret): (Vec<u8>, Vec<u8>, Vec<u8>) = c
        .query_row(
            "SELECT id, meta, secret FROM items WHERE kind = ?1 ORDER BY rowid DESC LIMIT 1",
            [kind],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let mut out = vec![meta, secret];
    let mut stmt = c
        .prepare("SELECT sealed FROM item_versions WHERE item_id = ?1")
        .unwrap();
    for v in stmt.query_map([&id], |r| r.get(0)).unwrap() {
        out.push(v.unwrap());
    }
    out
}

fn file_bytes(path: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(b) = std::fs::read(&p) {
            all.extend(b);
        }
    }
    all
}

/// No blob, nor any 24-byte piece of one (a blob cut across two pages), is in the files.
#[track_caller]
fn assert_gone(path: &Path, blobs: &[Vec<u8>], what: &str) {
    let bytes = file_bytes(path);
    for blob in blobs {
        for piece in blob.chunks(24).filter(|p| p.len() == 24) {
            assert!(
                !bytes.windows(piece.len()).any(|w| w == piece),
                "a piece of a sealed blob of the removed {what} is still in the file"
            );
        }
    }
}

#[test]
fn a_removed_item_and_its_history_leave_no_sealed_byte_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = create(dir.path());
    // Long enough to spill into SQLite overflow pages, which are freed separately.
    let long = "sk-".to_owned() + &"x".repeat(6000);
    v.add_api_key(
        NewApiKey::new("keep", SecretValue::new("kept-value")),
        now(),
    )
    .unwrap();
    v.add_api_key(NewApiKey::new("gone", SecretValue::new(&long)), now())
        .unwrap();
    v.rotate("gone", &SecretValue::new("second-value"), now())
        .unwrap();
    v.rotate("gone", &SecretValue::new("third-value"), now())
        .unwrap();
    let blobs = blobs_of(&path, 1);
    assert_eq!(blobs.len(), 4, "meta, secret and two previous values");
    assert!(file_bytes(&path).windows(24).any(|w| w == &blobs[2][..24]));

    v.remove("gone", now()).unwrap();
    assert_gone(&path, &blobs, "item");
    assert_eq!(v.api_key("keep").unwrap().value.expose(), "kept-value");
    drop(v);
    assert_gone(&path, &blobs, "item");
}

#[test]
fn a_logged_out_grant_and_a_removed_provider_leave_no_sealed_byte_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = create(dir.path());
    v.save_provider(
        common::provider("corp", now()),
        Some(SecretValue::new("client-secret-to-forget")),
        false,
        now(),
    )
    .unwrap();
    let provider = blobs_of(&path, 3);
    let mut grant = common::new_grant(
        "corp",
        "access-token-to-forget",
        Some("refresh-token-to-forget"),
    );
    grant.provider = "corp".into();
    v.save_grant(grant, false, now()).unwrap();
    let grant = blobs_of(&path, 2);

    v.remove_grant("corp", true, now()).unwrap();
    assert_gone(&path, &grant, "grant");
    v.remove_provider("corp", now()).unwrap();
    assert_gone(&path, &provider, "provider configuration");
}

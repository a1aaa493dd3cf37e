//! The vault API against real SQLite files in a temp dir.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use vault_core::crypto::KdfParams;
use vault_core::model::{ApiKeyEdit, OnConflict};
use vault_core::{Error, LockedVault, NewApiKey, RotationPolicy, SecretValue, Timestamp, Vault};

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn pw(s: &str) -> SecretValue {
    SecretValue::new(s)
}

fn new_vault(dir: &Path) -> (PathBuf, Vault) {
    let path = dir.join("sub/vault.db");
    let v = Vault::create(&path, &pw("correct horse"), KdfParams::MINIMUM, now()).unwrap();
    (path, v)
}

fn unlock(path: &Path) -> Vault {
    LockedVault::open(path)
        .unwrap()
        .unlock(&pw("correct horse"))
        .unwrap()
}

fn key(name: &str, value: &str) -> NewApiKey {
    NewApiKey::new(name, pw(value))
}

#[test]
fn create_add_reopen_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    let mut k = key("OpenAI prod", "sk-abc");
    k.tags = vec!["ai".into(), "ai".into()];
    let item = v.add_api_key(k, now()).unwrap();
    assert_eq!(item.meta.env(), ["OPENAI_PROD"]);
    assert_eq!(item.meta.tags(), ["ai"]);
    drop(v);

    let v = unlock(&path);
    let got = v.api_key("openai PROD").unwrap();
    assert_eq!(got.value.expose(), "sk-abc");
    assert_eq!(got.meta.name, "OpenAI prod");
    assert_eq!(v.items().unwrap().len(), 1);
    assert!(matches!(v.api_key("nope"), Err(Error::NotFound { .. })));
}

#[test]
fn file_and_folder_modes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    v.add_api_key(key("a", "1"), now()).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let wal = path.with_extension("db-wal");
    assert!(wal.exists());
    assert_eq!(mode(&wal), 0o600);
}

#[test]
fn names_are_unique_ignoring_case() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut v) = new_vault(dir.path());
    v.add_api_key(key("Stripe", "1"), now()).unwrap();
    assert!(matches!(
        v.add_api_key(key("stripe", "2"), now()),
        Err(Error::AlreadyExists { .. })
    ));
    v.add_api_key(key("other", "3"), now()).unwrap();
    let rename = ApiKeyEdit {
        rename: Some("STRIPE".into()),
        ..Default::default()
    };
    assert!(matches!(
        v.edit_api_key("other", rename, now()),
        Err(Error::AlreadyExists { .. })
    ));
    // Changing only the case of one's own name is allowed.
    let recase = ApiKeyEdit {
        rename: Some("STRIPE".into()),
        ..Default::default()
    };
    assert_eq!(
        v.edit_api_key("stripe", recase, now()).unwrap().meta.name(),
        "STRIPE"
    );
}

#[test]
fn wrong_password_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    v.add_api_key(key("a", "1"), now()).unwrap();
    drop(v);
    let before = std::fs::read(&path).unwrap();
    let err = LockedVault::open(&path)
        .unwrap()
        .unlock(&pw("wrong"))
        .unwrap_err();
    assert!(matches!(err, Error::WrongPassword), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn rotate_history_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut v) = new_vault(dir.path());
    v.add_api_key(key("gh", "v1"), now()).unwrap();
    let later: Timestamp = "2026-04-01T00:00:00Z".parse().unwrap();
    assert_eq!(v.rotate("gh", &pw("v2"), later).unwrap(), 2);
    assert!(
        v.rotate("gh", &pw("v2"), later).is_err(),
        "same value is refused"
    );
    assert_eq!(v.rotate("gh", &pw("v3"), later).unwrap(), 3);
    let h = v.history("gh").unwrap();
    assert_eq!(h.iter().map(|x| x.version).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(h[0].set_at, now());
    assert_eq!(h[2].replaced_at, None);
    assert_eq!(v.version_value("gh", 1).unwrap().expose(), "v1");

    assert_eq!(v.rollback("gh", Some(1), later).unwrap(), 4);
    assert_eq!(v.api_key("gh").unwrap().value.expose(), "v1");
    assert_eq!(v.rollback("gh", None, later).unwrap(), 5);
    assert_eq!(v.api_key("gh").unwrap().value.expose(), "v3");
    assert_eq!(v.api_key("gh").unwrap().meta.last_rotated, later);
    assert!(v.rollback("gh", Some(42), later).is_err());
}

#[test]
fn change_password_keeps_items() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    v.add_api_key(key("a", "value-a"), now()).unwrap();
    v.change_password(&pw("new password"), None, now()).unwrap();
    drop(v);
    assert!(matches!(
        LockedVault::open(&path)
            .unwrap()
            .unlock(&pw("correct horse")),
        Err(Error::WrongPassword)
    ));
    let v = LockedVault::open(&path)
        .unwrap()
        .unlock(&pw("new password"))
        .unwrap();
    assert_eq!(v.api_key("a").unwrap().value.expose(), "value-a");
}

#[test]
fn import_is_one_transaction_with_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut v) = new_vault(dir.path());
    v.add_api_key(key("EXISTING", "old"), now()).unwrap();
    let parsed = vault_core::dotenv::parse("A=1\nEXISTING=new\nB='two'\n");
    let report = v
        .import(parsed.entries, &["dev".into()], OnConflict::Skip, now())
        .unwrap();
    assert_eq!(report.added, ["A", "B"]);
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(v.api_key("EXISTING").unwrap().value.expose(), "old");
    assert_eq!(v.item("A").unwrap().meta.tags(), ["dev"]);

    let parsed = vault_core::dotenv::parse("EXISTING=new\nA=1\n");
    let report = v
        .import(parsed.entries, &[], OnConflict::Rotate, now())
        .unwrap();
    assert_eq!(report.rotated, ["EXISTING"]);
    assert_eq!(report.skipped[0].reason, "unchanged");
    assert_eq!(v.api_key("EXISTING").unwrap().value.expose(), "new");
}

/// A source that gives a credential's fields (an AWS key joined with its id and token, an
/// export's entry) replaces them with the value on `--rotate-existing`: a new key id never
/// goes with an old session token.
#[test]
fn a_rotating_import_with_fields_replaces_the_credentials_fields() {
    use vault_core::model::ImportedMeta;
    let dir = tempfile::tempdir().unwrap();
    let (_, mut v) = new_vault(dir.path());
    let entry = |value: &str| vault_core::dotenv::parse(&format!("AWS_KEY={value}\n")).entries;
    let meta = |id: &str, token: Option<&str>| {
        let mut m = ImportedMeta::default();
        m.fields.insert("access_key_id".into(), id.into());
        if let Some(t) = token {
            m.secret_fields.insert("session_token".into(), pw(t));
        }
        Some(m)
    };
    let first = entry("secret-one")
        .into_iter()
        .zip([meta("ID1", Some("token-one"))]);
    v.import_with(first.collect(), &[], OnConflict::Skip, now())
        .unwrap();
    let k = v.api_key("AWS_KEY").unwrap();
    assert_eq!(k.secret_fields["session_token"].expose(), "token-one");

    // The same value and fields: unchanged.
    let same = entry("secret-one")
        .into_iter()
        .zip([meta("ID1", Some("token-one"))]);
    let report = v
        .import_with(same.collect(), &[], OnConflict::Rotate, now())
        .unwrap();
    assert_eq!(report.skipped[0].reason, "unchanged");

    let next = entry("secret-two").into_iter().zip([meta("ID2", None)]);
    let report = v
        .import_with(next.collect(), &[], OnConflict::Rotate, now())
        .unwrap();
    assert_eq!(report.rotated, ["AWS_KEY"]);
    let k = v.api_key("AWS_KEY").unwrap();
    assert_eq!(k.value.expose(), "secret-two");
    assert_eq!(k.meta.fields["access_key_id"], "ID2");
    assert!(
        k.secret_fields.is_empty(),
        "the old token went with the old key"
    );

    // A dotenv line (no fields given) keeps the item's fields.
    let plain = vault_core::dotenv::parse("AWS_KEY=secret-three\n").entries;
    v.import(plain, &[], OnConflict::Rotate, now()).unwrap();
    assert_eq!(
        v.api_key("AWS_KEY").unwrap().meta.fields["access_key_id"],
        "ID2"
    );
}

#[test]
fn import_recognises_known_formats_and_sets_service_and_policy() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut v) = new_vault(dir.path());
    let gh = format!("ghp_{}", "a1B2c3D4e5".repeat(4).get(..36).unwrap());
    let pk = format!("pk_live_{}", "Xy9".repeat(10));
    let text = format!("GH_TOKEN={gh}\nSTRIPE_PK={pk}\nPLAIN=hello\n");
    let report = v
        .import(
            vault_core::dotenv::parse(&text).entries,
            &[],
            OnConflict::Skip,
            now(),
        )
        .unwrap();
    assert_eq!(report.added, ["GH_TOKEN", "STRIPE_PK", "PLAIN"]);
    let found: Vec<(&str, &str)> = report
        .recognised
        .iter()
        .map(|r| (r.key.as_str(), r.format.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("GH_TOKEN", "github-pat"),
            ("STRIPE_PK", "stripe-publishable-key")
        ]
    );
    assert_eq!(
        report.recognised[0].description,
        "GitHub personal access token (classic)"
    );
    let meta = |name: &str| v.item(name).unwrap().meta.as_api_key().unwrap().clone();
    let gh_meta = meta("GH_TOKEN");
    assert_eq!(gh_meta.service.as_deref(), Some("github"));
    assert_eq!(gh_meta.env, ["GH_TOKEN"], "the file's name is kept");
    assert_eq!(gh_meta.rotation, RotationPolicy::Default);
    assert_eq!(gh_meta.interval_days(), Some(90));
    assert_eq!(meta("STRIPE_PK").rotation, RotationPolicy::Never);
    assert_eq!(meta("PLAIN").service, None);
    // Nothing in the vault file or the report carries a value.
    assert!(!format!("{report:?}").contains(&gh));
}

#[test]
fn last_rotated_in_the_past_sets_the_first_due_date() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut v) = new_vault(dir.path());
    let issued: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let mut k = key("old", "value");
    k.rotation = RotationPolicy::Every { days: 30 };
    k.last_rotated = Some(issued);
    let item = v.add_api_key(k, now()).unwrap();
    let meta = item.meta.as_api_key().unwrap();
    assert_eq!(meta.created, now());
    assert_eq!(
        meta.schedule().due,
        Some("2026-01-31T00:00:00Z".parse().unwrap())
    );
    assert_eq!(
        meta.schedule()
            .state(now(), vault_core::rotation::lead_days(14)),
        vault_core::DueState::Overdue
    );
    assert_eq!(v.history("old").unwrap()[0].set_at, issued);

    // Rotating resets the clock: due again 30 days after the rotation.
    let later: Timestamp = "2026-03-02T00:00:00Z".parse().unwrap();
    v.rotate("old", &pw("value 2"), later).unwrap();
    let meta = v.api_key("old").unwrap().meta;
    assert_eq!(
        meta.schedule().due,
        Some("2026-04-01T00:00:00Z".parse().unwrap())
    );

    let mut future = key("future", "value");
    future.last_rotated = Some("2026-03-02T00:00:00Z".parse().unwrap());
    assert!(matches!(
        v.add_api_key(future, now()),
        Err(Error::Invalid(m)) if m.contains("future")
    ));
    assert!(matches!(v.item("future"), Err(Error::NotFound { .. })));
}

#[test]
fn edit_validates_and_keeps_value() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut v) = new_vault(dir.path());
    v.add_api_key(key("a", "val"), now()).unwrap();
    let bad = ApiKeyEdit {
        env: Some(vec!["1BAD".into()]),
        ..Default::default()
    };
    assert!(matches!(
        v.edit_api_key("a", bad, now()),
        Err(Error::Invalid(_))
    ));
    let edit = ApiKeyEdit {
        env: Some(vec!["A_KEY".into(), "OTHER".into()]),
        rotation: Some(RotationPolicy::Every { days: 30 }),
        notes: Some("for CI".into()),
        ..Default::default()
    };
    v.edit_api_key("a", edit, now()).unwrap();
    let k = v.api_key("a").unwrap();
    assert_eq!(k.meta.env, ["A_KEY", "OTHER"]);
    assert_eq!(k.meta.notes, "for CI");
    assert_eq!(k.value.expose(), "val");
}

fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

/// Whether tampering is reported, by the unlock (the commitment to every row) or by the read
/// of `name` (its envelope): either way it is never served.
fn tampering_reported(path: &Path, name: &str) -> bool {
    match LockedVault::open(path).and_then(|l| l.unlock(&pw("correct horse"))) {
        Err(Error::Tampered { .. }) => true,
        Ok(v) => matches!(v.api_key(name), Err(Error::Tampered { .. })),
        Err(_) => false,
    }
}

#[test]
fn flipped_bytes_in_blobs_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    v.add_api_key(key("a", "val"), now()).unwrap();
    drop(v);
    for column in ["meta", "secret"] {
        let blob: Vec<u8> = raw(&path)
            .query_row(&format!("SELECT {column} FROM items"), [], |r| r.get(0))
            .unwrap();
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x01;
            let c = raw(&path);
            c.execute(&format!("UPDATE items SET {column} = ?1"), [&bad])
                .unwrap();
            drop(c);
            assert!(tampering_reported(&path, "a"), "{column} byte {i}");
        }
        raw(&path)
            .execute(&format!("UPDATE items SET {column} = ?1"), [&blob])
            .unwrap();
    }
    assert_eq!(unlock(&path).api_key("a").unwrap().value.expose(), "val");
}

/// Recomputes the header checksum after an edit, as a deliberate attacker would: the format's
/// spec written out a second time (SHA-256 over the length-prefixed header fields).
fn reseal_header(path: &Path) {
    use sha2::{Digest, Sha256};
    let c = raw(path);
    let blob = |col: &str| -> Vec<u8> {
        c.query_row(&format!("SELECT {col} FROM vault"), [], |r| r.get(0))
            .unwrap()
    };
    let int = |col: &str| -> u32 {
        c.query_row(&format!("SELECT {col} FROM vault"), [], |r| r.get(0))
            .unwrap()
    };
    let (id, salt, check, wrapped) = (
        blob("vault_id"),
        blob("salt"),
        blob("key_check"),
        blob("wrapped_key"),
    );
    let (m, t, p) = (
        int("kdf_memory_kib"),
        int("kdf_iterations"),
        int("kdf_parallelism"),
    );
    let mut h = Sha256::new();
    h.update(b"vault-header-v2");
    h.update(&id);
    h.update(b"argon2id");
    for n in [m, t, p] {
        h.update(n.to_be_bytes());
    }
    h.update(&salt);
    for f in [&check, &wrapped] {
        h.update((f.len() as u32).to_be_bytes());
        h.update(f);
    }
    let digest: [u8; 32] = h.finalize().into();
    c.execute("UPDATE vault SET header_digest = ?1", [&digest[..]])
        .unwrap();
}

fn unlock_err(path: &Path) -> Error {
    LockedVault::open(path)
        .and_then(|l| l.unlock(&pw("correct horse")))
        .unwrap_err()
}

#[test]
fn a_damaged_header_is_refused_before_any_key_derivation() {
    let dir = tempfile::tempdir().unwrap();
    let (path, v) = new_vault(dir.path());
    drop(v);
    for column in [
        "vault_id",
        "salt",
        "key_check",
        "wrapped_key",
        "header_digest",
    ] {
        let good: Vec<u8> = raw(&path)
            .query_row(&format!("SELECT {column} FROM vault"), [], |r| r.get(0))
            .unwrap();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x80;
            raw(&path)
                .execute(&format!("UPDATE vault SET {column} = ?1"), [&bad])
                .unwrap();
            // `open` alone refuses it: no password is asked for a file that cannot be right.
            let err = LockedVault::open(&path).unwrap_err();
            assert!(
                matches!(&err, Error::Corrupt { reason, .. } if reason.contains("checksum")),
                "{column} byte {i}: {err}"
            );
        }
        raw(&path)
            .execute(&format!("UPDATE vault SET {column} = ?1"), [&good])
            .unwrap();
    }
    for column in ["kdf_memory_kib", "kdf_iterations", "kdf_parallelism"] {
        for bit in 0..32 {
            // SQLite has no XOR: (a | b) - (a & b).
            let flip = format!(
                "UPDATE vault SET {column} = ({column} | {b}) - ({column} & {b})",
                b = 1u64 << bit
            );
            let c = raw(&path);
            c.execute(&flip, []).unwrap();
            let err = LockedVault::open(&path).unwrap_err();
            assert!(
                matches!(err, Error::Corrupt { .. }),
                "{column} bit {bit}: {err}"
            );
            c.execute(&flip, []).unwrap();
        }
    }
    unlock(&path);
}

#[test]
fn a_header_edited_with_its_checksum_still_never_opens_wrongly() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    v.add_api_key(key("a", "val"), now()).unwrap();
    drop(v);
    let column = |name: &str| -> Vec<u8> {
        raw(&path)
            .query_row(&format!("SELECT {name} FROM vault"), [], |r| r.get(0))
            .unwrap()
    };
    let set = |name: &str, value: &[u8]| {
        raw(&path)
            .execute(&format!("UPDATE vault SET {name} = ?1"), [value])
            .unwrap();
        reseal_header(&path);
    };
    let (wrapped, check, salt, id) = (
        column("wrapped_key"),
        column("key_check"),
        column("salt"),
        column("vault_id"),
    );
    for i in 0..wrapped.len() {
        let mut bad = wrapped.clone();
        bad[i] ^= 0x80;
        set("wrapped_key", &bad);
        let err = unlock_err(&path);
        assert!(
            matches!(&err, Error::Tampered { what, .. } if what == "the wrapped data key"),
            "byte {i}: {err}"
        );
    }
    set("wrapped_key", &wrapped);
    let mut bad = check.clone();
    bad[3] ^= 1;
    set("key_check", &bad);
    let err = unlock_err(&path);
    assert!(
        matches!(&err, Error::Tampered { what, .. } if what == "the password check value"),
        "{err}"
    );
    set("key_check", &check);
    let mut bad = id.clone();
    bad[0] ^= 1;
    set("vault_id", &bad);
    assert!(matches!(unlock_err(&path), Error::Tampered { .. }));
    set("vault_id", &id);
    // A new salt derives another key: indistinguishable from a wrong password (documented in
    // SECURITY.md), and still nothing opens.
    let mut bad = salt.clone();
    bad[0] ^= 1;
    set("salt", &bad);
    assert!(matches!(unlock_err(&path), Error::WrongPassword));
    set("salt", &salt);
    // Weakened parameters are refused before any derivation.
    raw(&path)
        .execute("UPDATE vault SET kdf_memory_kib = 8", [])
        .unwrap();
    reseal_header(&path);
    assert!(matches!(unlock_err(&path), Error::UnsafeKdf { .. }));
    raw(&path)
        .execute(
            &format!(
                "UPDATE vault SET kdf_memory_kib = {}",
                KdfParams::MINIMUM.memory_kib
            ),
            [],
        )
        .unwrap();
    reseal_header(&path);
    assert_eq!(unlock(&path).api_key("a").unwrap().value.expose(), "val");
}

#[test]
fn a_format_1_vault_is_migrated_on_open_and_keeps_its_items() {
    let dir = tempfile::tempdir().unwrap();
    let path = format2_copy(dir.path());
    // Format 1 is format 2 without the checksum column.
    let c = raw(&path);
    c.execute_batch("ALTER TABLE vault DROP COLUMN header_digest; PRAGMA user_version = 1;")
        .unwrap();
    drop(c);
    let v = unlock(&path);
    assert_eq!(
        v.api_key("openai").unwrap().value.expose(),
        "sk-format2-two"
    );
    drop(v);
    let c = raw(&path);
    let version: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, vault_core::FORMAT_VERSION);
    let digest: Vec<u8> = c
        .query_row("SELECT header_digest FROM vault", [], |r| r.get(0))
        .unwrap();
    assert_eq!(digest.len(), 32);
    // From now on the header is checked.
    c.execute("UPDATE vault SET salt = zeroblob(16)", [])
        .unwrap();
    drop(c);
    assert!(matches!(
        LockedVault::open(&path),
        Err(Error::Corrupt { .. })
    ));
}

/// A copy of a vault written by the format-2 release (before the commitment): `openai`
/// (rotated once), `github`, a `gitlab` provider and their audit entries; password
/// "correct horse".
fn format2_copy(dir: &Path) -> PathBuf {
    let path = dir.join("sub/vault.db");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format2.db"),
        &path,
    )
    .unwrap();
    path
}

#[test]
fn a_format_2_vault_gains_a_commitment_at_its_first_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let path = format2_copy(dir.path());
    let mut v = unlock(&path);
    assert_eq!(
        v.version_value("openai", 1).unwrap().expose(),
        "sk-format2-one"
    );
    assert_eq!(
        v.api_key("github").unwrap().value.expose(),
        "ghp_format2value"
    );
    assert_eq!(v.providers().unwrap().len(), 1);
    v.add_api_key(key("after", "v3"), now()).unwrap();
    drop(v);
    let c = raw(&path);
    let version: i64 = c
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, vault_core::FORMAT_VERSION);
    let commitment: Option<Vec<u8>> = c
        .query_row("SELECT commitment FROM vault", [], |r| r.get(0))
        .unwrap();
    assert!(commitment.is_some());
    // Removing the commitment (to have it recomputed over edited rows, as for a format-2
    // vault) leaves a data key that no longer unwraps.
    c.execute("UPDATE vault SET commitment = NULL", []).unwrap();
    drop(c);
    assert!(matches!(unlock_err(&path), Error::Tampered { .. }));
}

/// Deleting a row, putting back an older copy of one, or a whole older file under today's
/// header: each is tampering at the next unlock, and in a vault held open (an agent) as soon
/// as another connection has changed the file.
#[test]
fn rolled_back_deleted_and_re_added_rows_are_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    v.add_api_key(key("a", "value-1"), now()).unwrap();
    v.add_api_key(key("b", "value-b"), now()).unwrap();
    drop(v);
    let backup = dir.path().join("backup.db");
    std::fs::copy(&path, &backup).unwrap();
    let row = |p: &Path| -> (Vec<u8>, Vec<u8>) {
        raw(p)
            .query_row(
                "SELECT meta, secret FROM items ORDER BY rowid LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    let old_a = row(&path);
    let mut v = unlock(&path);
    v.rotate("a", &pw("value-2"), now()).unwrap();
    drop(v);
    let current = std::fs::read(&path).unwrap();
    let restore = || std::fs::write(&path, &current).unwrap();

    // Row rollback: item a's meta and secret as they were before the rotation.
    raw(&path)
        .execute(
            "UPDATE items SET meta = ?1, secret = ?2 WHERE rowid = 1",
            (&old_a.0, &old_a.1),
        )
        .unwrap();
    assert!(matches!(unlock_err(&path), Error::Tampered { .. }));
    restore();
    // Row deletion: a previous value, an item, an audit entry.
    for sql in [
        "DELETE FROM item_versions",
        "DELETE FROM items WHERE rowid = 2",
        "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)",
    ] {
        raw(&path).execute(sql, []).unwrap();
        assert!(matches!(unlock_err(&path), Error::Tampered { .. }), "{sql}");
        restore();
    }
    // Re-added: an item deleted since, put back from the backup.
    let mut v = unlock(&path);
    v.remove("b", now()).unwrap();
    drop(v);
    let current = std::fs::read(&path).unwrap();
    let c = raw(&path);
    c.execute("ATTACH ?1 AS old", [backup.to_str().unwrap()])
        .unwrap();
    c.execute(
        "INSERT INTO items SELECT * FROM old.items WHERE rowid = 2",
        [],
    )
    .unwrap();
    drop(c);
    assert!(matches!(unlock_err(&path), Error::Tampered { .. }));
    std::fs::write(&path, &current).unwrap();
    // A whole older file under today's header.
    common::put_header_row(&backup, &common::header_row(&path));
    assert!(matches!(unlock_err(&backup), Error::Tampered { .. }));

    // Held open, as the agent holds it: another connection's edit is caught before use.
    let v = unlock(&path);
    assert!(v.is_current().unwrap());
    raw(&path).execute("DELETE FROM item_versions", []).unwrap();
    assert!(matches!(v.is_current(), Err(Error::Tampered { .. })));
}

/// Each cell is sealed at its row's revision: an older copy of one cell (the value from before
/// a rotation) does not open in today's row, even read without the commitment check.
#[test]
fn an_older_copy_of_one_cell_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    v.add_api_key(key("a", "value-1"), now()).unwrap();
    let secret_at = |p: &Path| -> Vec<u8> {
        raw(p)
            .query_row("SELECT secret FROM items", [], |r| r.get(0))
            .unwrap()
    };
    let first = secret_at(&path);
    v.rotate("a", &pw("value-2"), now()).unwrap();
    // Not even a metadata-only edit lets the old cell back in.
    v.edit_api_key(
        "a",
        ApiKeyEdit {
            notes: Some("edited".into()),
            ..ApiKeyEdit::default()
        },
        now(),
    )
    .unwrap();
    raw(&path)
        .execute("UPDATE items SET secret = ?1", [&first])
        .unwrap();
    let err = v.api_key("a").map(|k| k.value.expose().to_owned());
    assert!(matches!(err, Err(Error::Tampered { .. })), "{err:?}");
}

#[test]
fn swapped_blobs_between_items_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    v.add_api_key(key("a", "value-a"), now()).unwrap();
    v.add_api_key(key("b", "value-b"), now()).unwrap();
    drop(v);
    let c = raw(&path);
    let rows: Vec<(Vec<u8>, Vec<u8>)> = c
        .prepare("SELECT id, secret FROM items")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    c.execute(
        "UPDATE items SET secret = ?1 WHERE id = ?2",
        (&rows[1].1, &rows[0].0),
    )
    .unwrap();
    c.execute(
        "UPDATE items SET secret = ?1 WHERE id = ?2",
        (&rows[0].1, &rows[1].0),
    )
    .unwrap();
    drop(c);
    assert!(tampering_reported(&path, "a"));
    assert!(tampering_reported(&path, "b"));

    // Swapping the name index entries is caught too.
    let c = raw(&path);
    c.execute_batch(
        "UPDATE items SET secret = (SELECT secret FROM items i2 WHERE i2.id <> items.id);
         CREATE TEMP TABLE t AS SELECT id, name_tag FROM items;
         UPDATE items SET name_tag = randomblob(32);
         UPDATE items SET name_tag = (SELECT name_tag FROM t WHERE t.id <> items.id);",
    )
    .unwrap();
    drop(c);
    let r = LockedVault::open(&path)
        .and_then(|l| l.unlock(&pw("correct horse")))
        .and_then(|v| v.items());
    assert!(matches!(r, Err(Error::Tampered { .. })), "{r:?}");
}

#[test]
fn blobs_from_another_vault_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (path_a, mut a) = new_vault(dir.path());
    a.add_api_key(key("x", "from-a"), now()).unwrap();
    let path_b = dir.path().join("b.db");
    let mut b = Vault::create(&path_b, &pw("correct horse"), KdfParams::MINIMUM, now()).unwrap();
    b.add_api_key(key("x", "from-b"), now()).unwrap();
    drop((a, b));
    let secret_b: Vec<u8> = raw(&path_b)
        .query_row("SELECT secret FROM items", [], |r| r.get(0))
        .unwrap();
    raw(&path_a)
        .execute("UPDATE items SET secret = ?1", [&secret_b])
        .unwrap();
    assert!(tampering_reported(&path_a, "x"));
}

#[test]
fn files_that_are_not_vaults_are_refused_without_change() {
    let dir = tempfile::tempdir().unwrap();
    let check = |name: &str, content: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let err = LockedVault::open(&p).unwrap_err();
        assert_eq!(std::fs::read(&p).unwrap(), content, "{name} was modified");
        err
    };
    assert!(matches!(check("empty.db", b""), Error::NotAVault { .. }));
    assert!(matches!(
        check("text.db", b"KEY=value\nOTHER=1\n"),
        Error::NotAVault { .. }
    ));
    assert!(matches!(
        LockedVault::open(&dir.path().join("missing.db")),
        Err(Error::NoVault { .. })
    ));

    // Another SQLite database.
    let other = dir.path().join("other.db");
    raw(&other)
        .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    assert!(matches!(
        LockedVault::open(&other),
        Err(Error::NotAVault { .. })
    ));

    // A vault from the future.
    let (path, v) = new_vault(dir.path());
    drop(v);
    raw(&path).pragma_update(None, "user_version", 99).unwrap();
    assert!(matches!(
        LockedVault::open(&path),
        Err(Error::NewerFormat { found: 99, .. })
    ));
}

#[test]
fn truncated_vault_is_reported_not_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    for i in 0..200 {
        v.add_api_key(key(&format!("k{i}"), &"x".repeat(500)), now())
            .unwrap();
    }
    drop(v);
    let full = std::fs::read(&path).unwrap();
    for cut in [50, 4096, full.len() / 2, full.len() - 100] {
        let p = dir.path().join(format!("cut{cut}.db"));
        std::fs::write(&p, &full[..cut]).unwrap();
        let result = LockedVault::open(&p)
            .and_then(|l| l.unlock(&pw("correct horse")))
            .and_then(|v| v.items().map(|_| ()));
        let err = result.expect_err("a truncated vault must not read as whole");
        let msg = err.to_string();
        assert!(
            msg.contains(&p.display().to_string()),
            "message names the file: {msg}"
        );
    }
}

/// A process killed in the middle of a WAL checkpoint leaves the new header page in the main
/// file (checkpoints copy pages in page order) before the pages it counts; the WAL still holds
/// them. Such a vault is whole and must open, not be called truncated.
#[test]
fn a_vault_killed_mid_checkpoint_opens_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (path, v) = new_vault(dir.path());
    drop(v);
    let mut v = unlock(&path);
    // Few enough commits that SQLite's automatic checkpoint (at 1000 WAL pages) stays away.
    for i in 0..60 {
        v.add_api_key(key(&format!("k{i}"), &"x".repeat(500)), now())
            .unwrap();
    }
    // The state on disk while the writer still runs: every change in the WAL, none copied back.
    let crashed = dir.path().join("crashed.db");
    let wal_of = |p: &Path| PathBuf::from(format!("{}-wal", p.display()));
    std::fs::copy(&path, &crashed).unwrap();
    std::fs::copy(wal_of(&path), wal_of(&crashed)).unwrap();
    drop(v);

    // The checkpoint's first step: the newest header page copied from the WAL, nothing else.
    let wal = std::fs::read(wal_of(&crashed)).unwrap();
    let page_size = u32::from_be_bytes(wal[8..12].try_into().unwrap()) as usize;
    let header_page = wal[32..]
        .chunks_exact(24 + page_size)
        .rfind(|frame| frame[..4] == 1u32.to_be_bytes())
        .map(|frame| frame[24..].to_vec())
        .expect("the WAL holds the header page");
    let mut main = std::fs::read(&crashed).unwrap();
    main[..page_size].copy_from_slice(&header_page);
    std::fs::write(&crashed, &main).unwrap();
    let counted = u32::from_be_bytes(header_page[28..32].try_into().unwrap()) as usize;
    assert!(
        main.len() < counted * page_size,
        "the scenario needs a header counting pages the file does not hold yet ({} < {})",
        main.len(),
        counted * page_size
    );

    let v = unlock(&crashed);
    assert_eq!(v.items().unwrap().len(), 60);
    assert_eq!(v.api_key("k59").unwrap().value.expose(), "x".repeat(500));
}

/// `rm vault.db` while an agent still holds it leaves its WAL and SHM behind; a vault created
/// at that path must not have the deleted one's pages replayed into it.
#[test]
fn a_new_vault_beside_a_deleted_ones_wal_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut old) = new_vault(dir.path());
    old.add_api_key(key("old-item", "old-value"), now())
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    assert!(
        Path::new(&wal).exists(),
        "the old vault's WAL is still there"
    );
    let mut new = Vault::create(&path, &pw("another one"), KdfParams::MINIMUM, now()).unwrap();
    new.add_api_key(key("new-item", "new-value"), now())
        .unwrap();
    drop((old, new));
    let v = LockedVault::open(&path)
        .unwrap()
        .unlock(&pw("another one"))
        .unwrap();
    let names: Vec<String> = v
        .items()
        .unwrap()
        .iter()
        .map(|i| i.meta.name().to_owned())
        .collect();
    assert_eq!(names, ["new-item"]);
}

#[test]
fn create_refuses_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v.db");
    std::fs::write(&p, b"precious").unwrap();
    let err = Vault::create(&p, &pw("pw"), KdfParams::MINIMUM, now()).unwrap_err();
    assert!(matches!(err, Error::VaultExists { .. }));
    assert_eq!(std::fs::read(&p).unwrap(), b"precious");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temp file left behind");
}

#[test]
fn audit_log_records_changes_without_values() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    v.add_api_key(key("a", "canary-value-123"), now()).unwrap();
    v.rotate("a", &pw("canary-value-456"), now()).unwrap();
    v.remove("a", now()).unwrap();
    let log = v.audit_log(10).unwrap();
    let events: Vec<String> = log
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["event"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        events,
        [
            "item_removed",
            "item_rotated",
            "item_added",
            "vault_created"
        ]
    );
    assert!(!serde_json::to_string(&log).unwrap().contains("canary"));
    drop(v);
    let bytes = std::fs::read(&path).unwrap();
    let wal = std::fs::read(path.with_extension("db-wal")).unwrap_or_default();
    for hay in [&bytes, &wal] {
        assert!(!hay.windows(6).any(|w| w == b"canary"));
    }
}

#[test]
fn listings_follow_every_change_from_this_and_other_processes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    let names = |v: &Vault| -> Vec<String> {
        v.items()
            .unwrap()
            .into_iter()
            .map(|i| i.meta.name().to_owned())
            .collect()
    };
    v.add_api_key(key("b", "1"), now()).unwrap();
    assert_eq!(names(&v), ["b"]);
    v.add_api_key(key("a", "2"), now()).unwrap();
    assert_eq!(
        names(&v),
        ["a", "b"],
        "a write of ours shows at once, sorted"
    );
    v.edit_api_key(
        "a",
        ApiKeyEdit {
            tags: Some(vec!["t".into()]),
            ..Default::default()
        },
        now(),
    )
    .unwrap();
    assert_eq!(v.search(None, Some("t")).unwrap().len(), 1);
    v.rotate("b", &pw("3"), now()).unwrap();
    let b = v.search(Some("B"), None).unwrap();
    assert_eq!(b[0].meta.as_api_key().unwrap().version, 2);

    // Another process (here: another connection) adds and removes items.
    let mut other = unlock(&path);
    other.add_api_key(key("c", "4"), now()).unwrap();
    other.remove("a", now()).unwrap();
    assert_eq!(names(&v), ["b", "c"]);
    // Audit-only writes change nothing listed.
    v.record(vault_core::model::AuditEvent::Exported { count: 0 }, now())
        .unwrap();
    assert_eq!(names(&v), ["b", "c"]);
}

/// The listing is brought up to date row by row after a change: whatever the change (an
/// addition, a rotation, a rename that moves the item in the order, a removal, a write by
/// another process), it shows exactly what a vault unlocked afresh shows.
#[test]
fn the_listing_follows_every_change_as_a_fresh_unlock_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    for i in 0..300 {
        let mut k = key(&format!("key {i:03}"), &format!("value-{i}"));
        k.tags = vec![format!("t{}", i % 3)];
        v.add_api_key(k, now()).unwrap();
    }
    let names = |v: &Vault| -> Vec<String> {
        v.items()
            .unwrap()
            .iter()
            .map(|i| format!("{} {:?}", i.meta.name(), i.meta.tags()))
            .collect()
    };
    let fresh = |path: &Path| names(&unlock(path));
    assert_eq!(v.items().unwrap().len(), 300);

    v.rotate("key 007", &pw("rotated"), now()).unwrap();
    let edit = ApiKeyEdit {
        rename: Some("AAA first now".into()),
        tags: Some(vec!["moved".into()]),
        ..ApiKeyEdit::default()
    };
    v.edit_api_key("key 150", edit, now()).unwrap();
    v.remove("key 299", now()).unwrap();
    v.add_api_key(key("key 150", "a new one under the old name"), now())
        .unwrap();
    let listed = names(&v);
    assert_eq!(listed.len(), 300);
    assert_eq!(listed[0], r#"AAA first now ["moved"]"#);
    assert!(!listed.iter().any(|n| n.starts_with("key 299")));
    assert_eq!(listed, fresh(&path));
    assert_eq!(v.search(None, Some("moved")).unwrap().len(), 1);

    // Another process: an agent's vault sees its writes on the next listing.
    let mut other = unlock(&path);
    other.remove("key 000", now()).unwrap();
    other
        .add_api_key(key("zzz from elsewhere", "v"), now())
        .unwrap();
    drop(other);
    let listed = names(&v);
    assert!(listed.last().unwrap().starts_with("zzz from elsewhere"));
    assert!(!listed.iter().any(|n| n.starts_with("key 000")));
    assert_eq!(listed, fresh(&path));
}

/// What the agent announces to its subscribers: the names changed since the last call, here
/// or by another process, a renamed item under both names; a listing in between loses none.
#[test]
fn take_changes_names_what_changed_since_the_last_call() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut v) = new_vault(dir.path());
    v.add_api_key(key("A", "1"), now()).unwrap();
    assert!(
        v.take_changes().unwrap().is_empty(),
        "the first call reads the listing"
    );
    let rename = ApiKeyEdit {
        rename: Some("B".into()),
        ..Default::default()
    };
    v.edit_api_key("A", rename, now()).unwrap();
    v.add_api_key(key("C", "1"), now()).unwrap();
    assert_eq!(v.take_changes().unwrap(), ["A", "B", "C"]);
    assert!(v.take_changes().unwrap().is_empty());

    let mut other = unlock(&path);
    other.remove("C", now()).unwrap();
    other.rotate("B", &pw("2"), now()).unwrap();
    assert_eq!(v.search(None, None).unwrap().len(), 1);
    assert_eq!(v.take_changes().unwrap(), ["B", "C"]);
    // Forgetting drops what the listing recorded.
    other.rotate("B", &pw("3"), now()).unwrap();
    v.search(None, None).unwrap();
    v.forget_changes();
    assert!(v.take_changes().unwrap().is_empty());
}

//! The second security review's findings against the file's structure: a schema changed under
//! vault (triggers, views, indexes, tables rebuilt without their constraints), rows duplicated
//! so that they cancel in an XOR, rows changed under an open vault before it writes, the step
//! from format 3 to format 4, and erasing writes that commit while another process reads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use vault_core::crypto::KdfParams;
use vault_core::model::ApiKeyEdit;
use vault_core::{Erased, Error, LockedVault, NewApiKey, SecretValue, Timestamp, Vault};

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn pw(s: &str) -> SecretValue {
    SecretValue::new(s)
}

const PASSWORD: &str = "correct horse";

fn unlock(path: &Path) -> Result<Vault, Error> {
    LockedVault::open(path).and_then(|l| l.unlock(&pw(PASSWORD)))
}

fn raw(path: &Path) -> Connection {
    let c = Connection::open(path).unwrap();
    // An attacker's editor enforces nothing.
    c.pragma_update(None, "foreign_keys", "OFF").unwrap();
    c
}

/// A vault with `a` (rotated once: "value-1" then "value-2") and `b`; `old_a` is a's row
/// (every column) before the rotation.
fn vault(dir: &Path) -> (PathBuf, Vec<rusqlite::types::Value>) {
    let path = dir.join("vault.db");
    let mut v = Vault::create(&path, &pw(PASSWORD), KdfParams::MINIMUM, now()).unwrap();
    v.add_api_key(NewApiKey::new("a", pw("value-1")), now())
        .unwrap();
    v.add_api_key(NewApiKey::new("b", pw("value-b")), now())
        .unwrap();
    let old_a = raw(&path)
        .query_row("SELECT * FROM items WHERE rowid = 1", [], |r| {
            (0..6).map(|i| r.get(i)).collect()
        })
        .unwrap();
    v.rotate("a", &pw("value-2"), now()).unwrap();
    (path, old_a)
}

/// Puts `a`'s row back as it was before its rotation (`old_a`, from [`vault`]).
fn roll_back(path: &Path, old_a: &[rusqlite::types::Value]) {
    raw(path)
        .execute(
            "UPDATE items SET meta = ?1, secret = ?2, rev = ?3 WHERE rowid = 1",
            (&old_a[3], &old_a[4], &old_a[5]),
        )
        .unwrap();
}

#[track_caller]
fn altered(r: Result<impl std::fmt::Debug, Error>, what: &str) -> String {
    match r {
        Err(e @ Error::Altered { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("has been tampered with"), "{msg}");
            msg
        }
        other => panic!("{what}: expected the schema or rows refused, got {other:?}"),
    }
}

/// Each change an attacker with write access can make to the schema is refused at open, before
/// anything is read or written, and by a vault already held open (as the agent holds it).
#[test]
fn a_schema_that_is_not_vaults_own_is_refused() {
    let cases = [
        (
            "trigger",
            "CREATE TRIGGER keep AFTER UPDATE OF secret ON items BEGIN \
             UPDATE items SET meta = OLD.meta, secret = OLD.secret, rev = OLD.rev \
             WHERE id = OLD.id; END;",
        ),
        ("view", "CREATE VIEW v AS SELECT * FROM items;"),
        ("extra index", "CREATE INDEX extra ON items(kind);"),
        ("index dropped", "DROP INDEX item_versions_by_item;"),
        ("altered table", "ALTER TABLE audit ADD COLUMN note TEXT;"),
        (
            "table rebuilt without its constraints",
            "CREATE TABLE items2 (id BLOB, kind INTEGER NOT NULL, name_tag BLOB NOT NULL, \
             meta BLOB NOT NULL, secret BLOB NOT NULL, rev INTEGER NOT NULL DEFAULT 0); \
             INSERT INTO items2 SELECT * FROM items; DROP TABLE items; \
             ALTER TABLE items2 RENAME TO items;",
        ),
    ];
    for (case, sql) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = vault(dir.path());
        let held = unlock(&path).unwrap();
        raw(&path).execute_batch(sql).unwrap();
        let msg = altered(LockedVault::open(&path), case);
        assert!(msg.contains("schema"), "{case}: {msg}");
        altered(held.is_current(), case);
    }
}

/// The review's first attack: `items` rebuilt without its keys and an old copy of a row put in
/// twice, so the two copies cancel in an XOR. Refused whether the schema says so or not: the
/// rows themselves are checked for duplicates when the commitment is computed.
#[test]
fn a_row_put_in_twice_is_refused_and_never_served() {
    let dir = tempfile::tempdir().unwrap();
    let (path, old_a) = vault(dir.path());
    let c = raw(&path);
    c.execute_batch(
        "CREATE TABLE items2 (id BLOB, kind INTEGER NOT NULL, name_tag BLOB NOT NULL, \
         meta BLOB NOT NULL, secret BLOB NOT NULL, rev INTEGER NOT NULL DEFAULT 0); \
         INSERT INTO items2 SELECT * FROM items WHERE rowid <> 1; DROP TABLE items; \
         ALTER TABLE items2 RENAME TO items;",
    )
    .unwrap();
    let marks = "?1, ?2, ?3, ?4, ?5, ?6";
    for _ in 0..2 {
        c.execute(
            &format!("INSERT INTO items VALUES ({marks})"),
            rusqlite::params_from_iter(&old_a),
        )
        .unwrap();
    }
    drop(c);
    altered(unlock(&path), "duplicated row");
}

/// A vault held open (the agent) whose file is changed before its next write: the write checks
/// the rows inside its own transaction and refuses, instead of re-sealing an older value at a
/// new revision.
#[test]
fn a_write_checks_the_rows_it_builds_on() {
    let dir = tempfile::tempdir().unwrap();
    let (path, old_a) = vault(dir.path());
    let mut v = unlock(&path).unwrap();
    roll_back(&path, &old_a);
    let edit = ApiKeyEdit {
        notes: Some("n".into()),
        ..ApiKeyEdit::default()
    };
    let r = v.edit_api_key("a", edit, now());
    assert!(matches!(r, Err(Error::Tampered { .. })), "{r:?}");
    // A trigger added under the open vault never runs: the write refuses first.
    let (path, _) = vault(&dir.path().join("2"));
    let mut v = unlock(&path).unwrap();
    raw(&path)
        .execute_batch(
            "CREATE TRIGGER keep AFTER UPDATE OF secret ON items BEGIN \
             UPDATE items SET meta = OLD.meta, secret = OLD.secret, rev = OLD.rev \
             WHERE id = OLD.id; END;",
        )
        .unwrap();
    altered(v.rotate("a", &pw("value-3"), now()), "trigger");
}

/// `passwd` re-seals every row under a new key and computes the commitment again: it checks the
/// rows under the old key first, inside its transaction, so a row rolled back while the new
/// password's key was being derived is refused rather than committed to for good.
#[test]
fn a_password_change_never_launders_a_rolled_back_row() {
    let dir = tempfile::tempdir().unwrap();
    let (path, old_a) = vault(dir.path());
    let mut v = unlock(&path).unwrap();
    roll_back(&path, &old_a);
    let r = v.change_password(&pw("new password"), None, now());
    assert!(matches!(r, Err(Error::Tampered { .. })), "{r:?}");
    drop(v);
    // Nothing changed: the old password still opens the file, and the rollback still shows.
    assert!(matches!(unlock(&path), Err(Error::Tampered { .. })));
}

fn fixture(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join("vault.db");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
        &path,
    )
    .unwrap();
    path
}

fn format(path: &Path) -> i64 {
    raw(path)
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

/// A vault written by the format-3 release: `openai` (rotated once), `github`, a `gitlab`
/// provider and an allowed project file. Its first unlock checks its rows against the XOR
/// commitment, then moves it to format 4 in one transaction; setting the format back to 3 then
/// leaves a data key that no longer unwraps.
#[test]
fn a_format_3_vault_moves_to_format_4_at_its_first_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path(), "format3.db");
    assert_eq!(format(&path), 3);
    let mut v = unlock(&path).unwrap();
    assert_eq!(
        v.api_key("openai").unwrap().value.expose(),
        "sk-format3-two"
    );
    assert_eq!(
        v.version_value("openai", 1).unwrap().expose(),
        "sk-format3-one"
    );
    assert_eq!(v.providers().unwrap().len(), 1);
    assert!(v.allowance("/tmp/f3v/proj/.vault.env").unwrap().is_some());
    v.add_api_key(NewApiKey::new("after", pw("v4")), now())
        .unwrap();
    drop(v);
    assert_eq!(format(&path), vault_core::FORMAT_VERSION);
    assert_eq!(unlock(&path).unwrap().items().unwrap().len(), 3);
    raw(&path)
        .execute_batch("PRAGMA user_version = 3;")
        .unwrap();
    let r = unlock(&path);
    assert!(
        matches!(&r, Err(Error::Tampered { what, .. }) if what == "the wrapped data key"),
        "{:?}",
        r.err()
    );
}

/// A vault written by the format-4 release: `openai` (rotated once, with its own host),
/// `github`. Its first unlock checks its rows and marks it with the current format (items may
/// carry fields, and secret fields in their value's cell, which an older build would drop or
/// misread, so it must refuse the file): nothing else changes, and the items read as before.
#[test]
fn a_format_4_vault_is_marked_with_the_current_format_at_its_first_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path(), "format4.db");
    assert_eq!(format(&path), 4);
    let v = unlock(&path).unwrap();
    assert_eq!(format(&path), vault_core::FORMAT_VERSION);
    assert_eq!(vault_core::FORMAT_VERSION, 6);
    let openai = v.api_key("openai").unwrap();
    assert_eq!(openai.value.expose(), "sk-format4-two");
    assert_eq!(openai.meta.tags, ["ai"]);
    assert_eq!(openai.meta.hosts.as_ref().unwrap().len(), 1);
    assert!(openai.meta.fields.is_empty());
    assert_eq!(
        v.version_value("openai", 1).unwrap().expose(),
        "sk-format4-one"
    );
    assert_eq!(v.api_key("github").unwrap().value.expose(), "ghp_format4");
    drop(v);
    // Unlocked again as format 6, rows checked against the same commitment.
    assert_eq!(unlock(&path).unwrap().items().unwrap().len(), 2);
}

/// A format-4 file with a row rolled back is refused, and not marked with the current format.
#[test]
fn a_tampered_format_4_vault_is_not_marked() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path(), "format4.db");
    raw(&path).execute("DELETE FROM item_versions", []).unwrap();
    assert!(matches!(unlock(&path), Err(Error::Tampered { .. })));
    assert_eq!(format(&path), 4, "nothing was written");
}

/// A format-3 file with a row rolled back is refused at the step, not upgraded.
#[test]
fn a_tampered_format_3_vault_is_not_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture(dir.path(), "format3.db");
    raw(&path).execute("DELETE FROM item_versions", []).unwrap();
    assert!(matches!(unlock(&path), Err(Error::Tampered { .. })));
    assert_eq!(format(&path), 3, "nothing was written");
}

/// A file whose format was set back to 1 or 2 has tables those formats never had: tampering
/// (exit 5), not a migration failing on a duplicate column.
#[test]
fn a_format_set_back_is_tampering() {
    for old in [1, 2, 3] {
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = vault(dir.path());
        raw(&path)
            .execute_batch(&format!("PRAGMA user_version = {old};"))
            .unwrap();
        let r = unlock(&path);
        assert!(
            matches!(r, Err(Error::Altered { .. } | Error::Tampered { .. })),
            "format {old}: {:?}",
            r.err()
        );
        assert_eq!(format(&path), old, "nothing was written");
    }
}

/// Opens a read transaction on `reader` and reads from it, so it holds a snapshot that pins
/// the WAL (as another process reading the vault would); returns the number of items seen.
fn hold_snapshot(reader: &Connection) -> i64 {
    reader.execute_batch("BEGIN").unwrap();
    reader
        .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
        .unwrap()
}

fn wal_len(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// A removal commits although another process holds a read snapshot: it succeeds (the item is
/// gone) and says the old rows are still in the WAL; once the reader lets go, the next use
/// erases them.
#[test]
fn an_erasing_write_succeeds_while_another_process_reads_and_erases_later() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = vault(dir.path());
    let mut v = unlock(&path).unwrap();
    let reader = raw(&path);
    assert_eq!(hold_snapshot(&reader), 2);
    v.remove("b", now()).unwrap();
    assert_eq!(v.erased(), Erased::Pending);
    assert!(matches!(v.api_key("b"), Err(Error::NotFound { .. })));
    assert!(wal_len(&path) > 0);
    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    assert!(v.is_current().unwrap());
    assert_eq!(v.erased(), Erased::Done);
    assert_eq!(wal_len(&path), 0);

    // The same for a password change: the new password is in force.
    let reader = raw(&path);
    hold_snapshot(&reader);
    v.change_password(&pw("new password"), None, now()).unwrap();
    assert_eq!(v.erased(), Erased::Pending);
    drop(reader);
    assert_eq!(v.retry_erase().unwrap(), Erased::Done);
    drop(v);
    assert!(
        LockedVault::open(&path)
            .unwrap()
            .unlock(&pw("new password"))
            .is_ok()
    );
}

/// An erasure the writer could not finish (it exited while another process still read) is
/// finished by the next unlock, once no one reads.
#[test]
fn the_next_unlock_finishes_an_erasure_left_pending() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = vault(dir.path());
    let mut v = unlock(&path).unwrap();
    // A long-lived reader (another process's open connection) that stays open throughout.
    let reader = raw(&path);
    hold_snapshot(&reader);
    v.remove("b", now()).unwrap();
    assert_eq!(v.erased(), Erased::Pending);
    drop(v);
    reader.execute_batch("COMMIT").unwrap();
    assert!(wal_len(&path) > 0, "the old rows are still in the WAL");
    let v = unlock(&path).unwrap();
    assert_eq!(v.erased(), Erased::Done);
    assert_eq!(wal_len(&path), 0);
    drop(reader);
}

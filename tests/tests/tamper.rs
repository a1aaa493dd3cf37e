//! Tampering with the vault file, byte by byte, as someone with write access to it would: every
//! byte of every kind of sealed blob (API key metadata and value, previous values, audit
//! entries, OAuth provider configurations), of the wrapped key, of the KDF parameters and salt, and of
//! the plaintext index columns, flipped in turn; blobs swapped between items, columns and
//! vaults. Each case must end in exit code 5 with a message naming the file, no output on
//! stdout (no wrong plaintext, nothing half-printed) and no panic, through the agent and in
//! `--no-agent` mode alike. Each test prints its count of cases and detections.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rusqlite::types::Value;
use vault_tests::{Run, TestVault, pipe};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Every command through the test's agent, which stays unlocked between cases.
    Agent,
    /// `--no-agent`: each command opens and unlocks the file itself.
    Direct,
}

/// A vault with two items, one rotated once (so it has a previous version), and an audit log.
fn vault() -> TestVault {
    let v = TestVault::new();
    v.add("alpha", "alpha-value-1", &["--notes", "n"]);
    v.add("beta", "beta-value-1", &[]);
    v.run_with_stdin(&["rotate", "alpha"], b"alpha-value-2")
        .ok();
    // An OAuth provider configuration with a client secret (row 3).
    v.run_with_stdin(
        &[
            "oauth",
            "add",
            "github",
            "--client-id",
            "Iv1.tamper",
            "--client-secret-stdin",
        ],
        b"client-secret-value",
    )
    .ok();
    v
}

fn run(v: &TestVault, mode: Mode, args: &[&str]) -> Run {
    Run::from_output(run_cmd(v, mode).args(args).output().expect("run vault"))
}

/// Locks the agent, so the next command unlocks the file again (and so reads its header).
fn relock(v: &TestVault, mode: Mode) {
    if mode == Mode::Agent {
        run(v, mode, &["lock"]).ok();
    }
}

/// A raw connection for the tampering itself (no fsync: only this test reads the result).
fn raw(v: &TestVault) -> rusqlite::Connection {
    let c = v.raw();
    c.pragma_update(None, "synchronous", "OFF").unwrap();
    // An attacker's editor enforces no constraints: a row id may point nowhere.
    c.pragma_update(None, "foreign_keys", "OFF").unwrap();
    c
}

fn get(c: &rusqlite::Connection, table: &str, column: &str, row: i64) -> Value {
    c.query_row(
        &format!("SELECT {column} FROM {table} WHERE rowid = ?1"),
        [row],
        |r| r.get(0),
    )
    .unwrap()
}

fn set(c: &rusqlite::Connection, table: &str, column: &str, row: i64, value: &Value) {
    let n = c
        .execute(
            &format!("UPDATE {table} SET {column} = ?1 WHERE rowid = ?2"),
            (value, row),
        )
        .unwrap();
    assert_eq!(n, 1, "{table}.{column} row {row}");
}

/// The case failed the way it must: exit 5, one clean message naming the file and saying it
/// was tampered with or is damaged, nothing on stdout.
#[track_caller]
fn detected(v: &TestVault, run: &Run, case: &str) {
    assert_eq!(
        run.code,
        Some(5),
        "{case}: not detected\nstdout: {}\nstderr: {}",
        run.stdout,
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{case}: printed {:?}", run.stdout);
    let err = &run.stderr;
    assert!(!err.contains("panicked"), "{case}: {err}");
    assert!(err.starts_with("vault: "), "{case}: {err}");
    assert!(
        err.contains(v.path.to_str().unwrap()),
        "{case}: the message must name the file: {err}"
    );
    assert!(
        err.contains("has been tampered with")
            || err.contains("is damaged")
            || err.contains("key-derivation parameters of"),
        "{case}: {err}"
    );
}

/// Where a blob lives and the command that reads it.
struct Target {
    table: &'static str,
    column: &'static str,
    row: i64,
    /// `lock` first: the vault header is read at unlock, and an unlocked agent holds the key.
    relock: bool,
    command: &'static [&'static str],
}

/// Flips every byte of the target in turn (a different bit each time), runs its command,
/// restores it. Returns the number of cases.
fn flip_every_byte(v: &TestVault, mode: Mode, t: &Target) -> usize {
    let c = raw(v);
    let original = get(&c, t.table, t.column, t.row);
    let Value::Blob(bytes) = &original else {
        panic!("{}.{} is not a blob", t.table, t.column)
    };
    assert!(!bytes.is_empty());
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 1 << (i % 8);
        set(&c, t.table, t.column, t.row, &Value::Blob(bad));
        if t.relock {
            relock(v, mode);
        }
        let r = run(v, mode, t.command);
        detected(
            v,
            &r,
            &format!("{mode:?} {}.{} byte {i}", t.table, t.column),
        );
    }
    set(&c, t.table, t.column, t.row, &original);
    bytes.len()
}

/// Flips each of the low 32 bits of an integer column in turn.
fn flip_every_bit(v: &TestVault, mode: Mode, t: &Target) -> usize {
    let c = raw(v);
    let original = get(&c, t.table, t.column, t.row);
    let Value::Integer(n) = original else {
        panic!("{}.{} is not an integer", t.table, t.column)
    };
    for bit in 0..32 {
        set(
            &c,
            t.table,
            t.column,
            t.row,
            &Value::Integer(n ^ (1 << bit)),
        );
        if t.relock {
            relock(v, mode);
        }
        let r = run(v, mode, t.command);
        detected(
            v,
            &r,
            &format!("{mode:?} {}.{} bit {bit}", t.table, t.column),
        );
    }
    set(&c, t.table, t.column, t.row, &original);
    32
}

/// After the cases, the restored vault reads back exactly as before.
fn still_whole(v: &TestVault, mode: Mode) {
    relock(v, mode);
    assert_eq!(run(v, mode, &["get", "alpha"]).ok(), "alpha-value-2\n");
    assert_eq!(run(v, mode, &["get", "beta"]).ok(), "beta-value-1\n");
    assert_eq!(
        run(v, mode, &["history", "alpha", "--json"])
            .ok()
            .matches("\"version\"")
            .count(),
        2
    );
    run(v, mode, &["log"]).ok();
}

fn report(what: &str, mode: Mode, cases: usize) {
    eprintln!("tamper: {what} ({mode:?}): {cases} cases, {cases} detected");
}

const GET_ALPHA: &[&str] = &["get", "alpha"];
const HISTORY: &[&str] = &["history", "alpha"];
const LOG: &[&str] = &["log"];
const LS: &[&str] = &["ls"];
const OAUTH_LS: &[&str] = &["oauth", "ls"];

fn sealed_blobs(mode: Mode) {
    let v = vault();
    // Row 1 of items is alpha (added first); its one previous value is item_versions row 1.
    let targets = [
        Target {
            table: "items",
            column: "meta",
            row: 1,
            relock: false,
            command: GET_ALPHA,
        },
        Target {
            table: "items",
            column: "secret",
            row: 1,
            relock: false,
            command: GET_ALPHA,
        },
        Target {
            table: "item_versions",
            column: "sealed",
            row: 1,
            relock: false,
            command: HISTORY,
        },
        Target {
            table: "audit",
            column: "sealed",
            row: 2,
            relock: false,
            command: LOG,
        },
        Target {
            table: "items",
            column: "meta",
            row: 3,
            relock: false,
            command: OAUTH_LS,
        },
    ];
    let mut cases = 0;
    for t in &targets {
        cases += flip_every_byte(&v, mode, t);
    }
    still_whole(&v, mode);
    report(
        "sealed blobs (items.meta, items.secret, item_versions, audit, provider meta)",
        mode,
        cases,
    );
}

#[test]
fn every_byte_of_every_sealed_blob_through_the_agent() {
    sealed_blobs(Mode::Agent);
}

#[test]
fn every_byte_of_every_sealed_blob_without_the_agent() {
    sealed_blobs(Mode::Direct);
}

fn header(mode: Mode) {
    let v = vault();
    let blob = |column| Target {
        table: "vault",
        column,
        row: 1,
        relock: true,
        command: LS,
    };
    let mut cases = 0;
    for column in [
        "vault_id",
        "salt",
        "key_check",
        "wrapped_key",
        "header_digest",
    ] {
        cases += flip_every_byte(&v, mode, &blob(column));
    }
    for column in ["kdf_memory_kib", "kdf_iterations", "kdf_parallelism"] {
        cases += flip_every_bit(&v, mode, &blob(column));
    }
    // The name of the KDF.
    let c = raw(&v);
    c.execute("UPDATE vault SET kdf = 'argon2i'", []).unwrap();
    relock(&v, mode);
    detected(&v, &run(&v, mode, LS), "kdf name");
    c.execute("UPDATE vault SET kdf = 'argon2id'", []).unwrap();
    cases += 1;
    still_whole(&v, mode);
    report(
        "header (vault id, salt, KDF parameters, check value, wrapped key, checksum)",
        mode,
        cases,
    );
}

#[test]
fn every_byte_of_the_wrapped_key_salt_and_kdf_parameters_through_the_agent() {
    header(Mode::Agent);
}

#[test]
fn every_byte_of_the_wrapped_key_salt_and_kdf_parameters_without_the_agent() {
    header(Mode::Direct);
}

/// The header checksum is unkeyed, so someone who edits the wrapped key can recompute it; the
/// key then still fails to unwrap (its tag, and its associated data binding the vault id, KDF
/// parameters and salt).
fn resealed_wrapped_key(mode: Mode) {
    let v = vault();
    let c = raw(&v);
    let original: Vec<u8> = c
        .query_row("SELECT wrapped_key FROM vault", [], |r| r.get(0))
        .unwrap();
    for i in 0..original.len() {
        let mut bad = original.clone();
        bad[i] ^= 1 << (i % 8);
        c.execute("UPDATE vault SET wrapped_key = ?1", [&bad])
            .unwrap();
        reseal_header(&c);
        relock(&v, mode);
        let r = run(&v, mode, LS);
        detected(&v, &r, &format!("{mode:?} resealed wrapped_key byte {i}"));
        assert!(
            r.stderr
                .contains("the wrapped data key failed authentication"),
            "{}",
            r.stderr
        );
    }
    c.execute("UPDATE vault SET wrapped_key = ?1", [&original])
        .unwrap();
    reseal_header(&c);
    still_whole(&v, mode);
    report("wrapped key, checksum recomputed", mode, original.len());
}

#[test]
fn a_wrapped_key_edited_with_a_recomputed_checksum_through_the_agent() {
    resealed_wrapped_key(Mode::Agent);
}

#[test]
fn a_wrapped_key_edited_with_a_recomputed_checksum_without_the_agent() {
    resealed_wrapped_key(Mode::Direct);
}

/// The header checksum as the format defines it (SHA-256 over the length-prefixed fields).
fn reseal_header(c: &rusqlite::Connection) {
    use sha2::{Digest, Sha256};
    let blob = |col: &str| -> Vec<u8> {
        c.query_row(&format!("SELECT {col} FROM vault"), [], |r| r.get(0))
            .unwrap()
    };
    let int = |col: &str| -> u32 {
        c.query_row(&format!("SELECT {col} FROM vault"), [], |r| r.get(0))
            .unwrap()
    };
    let mut h = Sha256::new();
    h.update(b"vault-header-v2");
    h.update(blob("vault_id"));
    h.update(b"argon2id");
    for col in ["kdf_memory_kib", "kdf_iterations", "kdf_parallelism"] {
        h.update(int(col).to_be_bytes());
    }
    h.update(blob("salt"));
    for col in ["key_check", "wrapped_key"] {
        let b = blob(col);
        h.update((b.len() as u32).to_be_bytes());
        h.update(&b);
    }
    let digest: [u8; 32] = h.finalize().into();
    c.execute("UPDATE vault SET header_digest = ?1", [&digest[..]])
        .unwrap();
}

/// The plaintext columns (row ids, kind, name index) are bound into the sealed blobs, so
/// changing them is caught as well.
fn index_columns(mode: Mode) {
    let v = vault();
    let mut cases = 0;
    for (table, column, command) in [
        ("items", "id", GET_ALPHA),
        // A changed name tag no longer finds the item by name; listing checks every entry.
        ("items", "name_tag", LS),
        ("item_versions", "id", HISTORY),
        ("audit", "id", LOG),
    ] {
        cases += flip_every_byte(
            &v,
            mode,
            &Target {
                table,
                column,
                row: 1,
                relock: false,
                command,
            },
        );
    }
    for column in ["kind", "rev"] {
        cases += flip_every_bit(
            &v,
            mode,
            &Target {
                table: "items",
                column,
                row: 1,
                relock: false,
                command: GET_ALPHA,
            },
        );
    }
    still_whole(&v, mode);
    report("index columns (ids, name tag, kind, revision)", mode, cases);
}

#[test]
fn every_byte_of_the_ids_name_index_and_kind_through_the_agent() {
    index_columns(Mode::Agent);
}

#[test]
fn every_byte_of_the_ids_name_index_and_kind_without_the_agent() {
    index_columns(Mode::Direct);
}

/// Copies `from` over `to` (both `table.column@rowid`), runs `command`, restores.
#[allow(clippy::too_many_arguments)]
fn swap_case(
    v: &TestVault,
    mode: Mode,
    source: &rusqlite::Connection,
    from: (&str, &str, i64),
    to: (&str, &str, i64),
    command: &[&str],
    case: &str,
) {
    let c = raw(v);
    let value = get(source, from.0, from.1, from.2);
    let original = get(&c, to.0, to.1, to.2);
    set(&c, to.0, to.1, to.2, &value);
    relock(v, mode);
    let r = run(v, mode, command);
    detected(v, &r, &format!("{mode:?} {case}"));
    set(&c, to.0, to.1, to.2, &original);
}

fn swaps(mode: Mode) {
    let v = vault();
    let c = raw(&v);
    let mut cases = 0;
    // The two name tags exchanged (the column is unique, so through a placeholder).
    let (ta, tb) = (
        get(&c, "items", "name_tag", 1),
        get(&c, "items", "name_tag", 2),
    );
    set(&c, "items", "name_tag", 1, &Value::Blob(vec![0; 32]));
    set(&c, "items", "name_tag", 2, &ta);
    set(&c, "items", "name_tag", 1, &tb);
    relock(&v, mode);
    detected(
        &v,
        &run(&v, mode, LS),
        "alpha and beta's name tags exchanged",
    );
    set(&c, "items", "name_tag", 1, &Value::Blob(vec![0; 32]));
    set(&c, "items", "name_tag", 2, &tb);
    set(&c, "items", "name_tag", 1, &ta);
    cases += 1;
    let mut case = |from, to, command: &[&str], name: &str| {
        swap_case(&v, mode, &c, from, to, command, name);
        cases += 1;
    };
    // Between items: beta's blobs in alpha's row.
    case(
        ("items", "meta", 2),
        ("items", "meta", 1),
        GET_ALPHA,
        "beta's meta in alpha's row",
    );
    case(
        ("items", "secret", 2),
        ("items", "secret", 1),
        GET_ALPHA,
        "beta's value in alpha's row",
    );
    // Between columns and tables.
    case(
        ("items", "secret", 1),
        ("items", "meta", 1),
        GET_ALPHA,
        "alpha's value as its meta",
    );
    case(
        ("items", "meta", 1),
        ("items", "secret", 1),
        GET_ALPHA,
        "alpha's meta as its value",
    );
    case(
        ("item_versions", "sealed", 1),
        ("items", "secret", 1),
        GET_ALPHA,
        "alpha's previous version as its value",
    );
    case(
        ("items", "secret", 1),
        ("item_versions", "sealed", 1),
        HISTORY,
        "alpha's value as its previous version",
    );
    case(
        ("audit", "sealed", 1),
        ("audit", "sealed", 2),
        LOG,
        "one audit entry in another's row",
    );
    case(
        ("audit", "sealed", 2),
        ("items", "meta", 1),
        GET_ALPHA,
        "an audit entry as alpha's meta",
    );
    case(
        ("items", "secret", 3),
        ("items", "secret", 1),
        GET_ALPHA,
        "the provider's client secret as alpha's value",
    );
    case(
        ("items", "meta", 3),
        ("items", "meta", 1),
        GET_ALPHA,
        "the provider's configuration as alpha's meta",
    );
    case(
        ("items", "meta", 1),
        ("items", "meta", 3),
        OAUTH_LS,
        "alpha's meta as the provider's configuration",
    );
    // Between vaults: a second vault with the same password and the same item names.
    let other = vault();
    let o = raw(&other);
    for (table, column, row, command) in [
        ("items", "meta", 1, GET_ALPHA),
        ("items", "secret", 1, GET_ALPHA),
        ("items", "id", 1, GET_ALPHA),
        ("items", "name_tag", 1, LS),
        ("item_versions", "sealed", 1, HISTORY),
        ("audit", "sealed", 2, LOG),
        ("vault", "wrapped_key", 1, LS),
        ("vault", "salt", 1, LS),
        ("vault", "key_check", 1, LS),
        ("vault", "header_digest", 1, LS),
    ] {
        swap_case(
            &v,
            mode,
            &o,
            (table, column, row),
            (table, column, row),
            command,
            &format!("the other vault's {table}.{column}"),
        );
        cases += 1;
    }
    // The other vault's whole header (its own id, key and checksum): it unlocks with the
    // shared password, to a key none of these items was sealed with.
    let header_cols = [
        "vault_id",
        "salt",
        "key_check",
        "wrapped_key",
        "header_digest",
    ];
    let saved: Vec<Value> = header_cols
        .iter()
        .map(|col| get(&c, "vault", col, 1))
        .collect();
    for col in header_cols {
        set(&c, "vault", col, 1, &get(&o, "vault", col, 1));
    }
    relock(&v, mode);
    // The other key opens none of this vault's rows, nor its commitment: the unlock itself
    // reports the tampering (before format 3, a lookup by name found nothing, exit 4).
    let lookup = run(&v, mode, GET_ALPHA);
    assert!(
        matches!(lookup.code, Some(4 | 5)) && lookup.stdout.is_empty(),
        "{lookup:?}"
    );
    detected(&v, &run(&v, mode, LS), "the other vault's whole header");
    for (col, value) in header_cols.iter().zip(&saved) {
        set(&c, "vault", col, 1, value);
    }
    cases += 1;
    // A whole item row from the other vault (id, kind, name tag, blobs).
    c.execute_batch(&format!(
        "ATTACH DATABASE '{}' AS other;
         INSERT INTO items SELECT id, kind, name_tag, meta, secret, rev FROM other.items WHERE rowid = 2;
         DETACH DATABASE other;",
        other.path.display()
    ))
    .unwrap();
    relock(&v, mode);
    detected(
        &v,
        &run(&v, mode, LS),
        "a whole item row from the other vault",
    );
    // Only the row just added: rows 1 to 3 are alpha, beta and the provider.
    c.execute("DELETE FROM items WHERE rowid > 3", []).unwrap();
    cases += 1;
    drop(o);
    still_whole(&v, mode);
    report("swapped blobs (items, columns, vaults)", mode, cases);
}

#[test]
fn blobs_swapped_between_items_columns_and_vaults_through_the_agent() {
    swaps(Mode::Agent);
}

#[test]
fn blobs_swapped_between_items_columns_and_vaults_without_the_agent() {
    swaps(Mode::Direct);
}

/// Every row of alpha's `items` entry, as it is now.
fn alpha_row(c: &rusqlite::Connection) -> (Value, Value) {
    (get(c, "items", "meta", 1), get(c, "items", "secret", 1))
}

/// Rows that are each authentic but not today's: an item put back as it was before its last
/// rotation, a previous value, audit entry or item removed, an item deleted by the user put
/// back, and a whole older file under today's header. The whole-vault commitment catches each.
fn rollbacks(mode: Mode) {
    let mut cases = 0;

    // Row rollback.
    let v = vault();
    let old = alpha_row(&raw(&v));
    v.run_with_stdin(&["rotate", "alpha"], b"alpha-value-3")
        .ok();
    let c = raw(&v);
    set(&c, "items", "meta", 1, &old.0);
    set(&c, "items", "secret", 1, &old.1);
    detected(&v, &run(&v, mode, GET_ALPHA), "alpha's row rolled back");
    cases += 1;

    // Row deletion, of each kind of row.
    for (sql, command, case) in [
        (
            "DELETE FROM item_versions",
            HISTORY,
            "a previous value deleted",
        ),
        (
            "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)",
            LOG,
            "the newest audit entry deleted",
        ),
        ("DELETE FROM items WHERE rowid = 2", LS, "an item deleted"),
    ] {
        let v = vault();
        raw(&v).execute(sql, []).unwrap();
        detected(&v, &run(&v, mode, command), case);
        cases += 1;
    }

    // A deleted item put back.
    let v = vault();
    let c = raw(&v);
    let beta: Vec<Value> = c
        .query_row(
            "SELECT id, kind, name_tag, meta, secret, rev FROM items WHERE rowid = 2",
            [],
            |r| (0..6).map(|i| r.get(i)).collect(),
        )
        .unwrap();
    run(&v, mode, &["rm", "beta", "--yes"]).ok();
    c.execute(
        "INSERT INTO items (id, kind, name_tag, meta, secret, rev) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params_from_iter(&beta),
    )
    .unwrap();
    detected(&v, &run(&v, mode, LS), "a deleted item put back");
    cases += 1;

    // A whole older file (a backup) under today's header, moved into place.
    let v = vault();
    let backup = v.dir.path().join("backup.db");
    raw(&v)
        .execute("VACUUM INTO ?1", [backup.to_str().unwrap()])
        .unwrap();
    v.run_with_stdin(&["rotate", "alpha"], b"alpha-value-3")
        .ok();
    let header: Vec<Value> = raw(&v)
        .query_row("SELECT * FROM vault", [], |r| {
            (0..r.as_ref().column_count()).map(|i| r.get(i)).collect()
        })
        .unwrap();
    let b = rusqlite::Connection::open(&backup).unwrap();
    b.execute("DELETE FROM vault", []).unwrap();
    let marks = vec!["?"; header.len()].join(", ");
    b.execute(
        &format!("INSERT INTO vault VALUES ({marks})"),
        rusqlite::params_from_iter(&header),
    )
    .unwrap();
    drop(b);
    std::fs::rename(&backup, &v.path).unwrap();
    for suffix in ["-wal", "-shm"] {
        let mut p = v.path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    detected(
        &v,
        &run(&v, mode, GET_ALPHA),
        "an older file under today's header",
    );
    cases += 1;
    report(
        "rollbacks (a row, deletions, a row put back, an older file)",
        mode,
        cases,
    );
}

#[test]
fn rolled_back_deleted_and_re_added_rows_are_detected_through_the_agent() {
    rollbacks(Mode::Agent);
}

#[test]
fn rolled_back_deleted_and_re_added_rows_are_detected_without_the_agent() {
    rollbacks(Mode::Direct);
}

/// `items` rebuilt without its `PRIMARY KEY` and `UNIQUE`, as an attacker who wants duplicates
/// would (the rows copied over as they are).
const ITEMS_WITHOUT_KEYS: &str = "PRAGMA legacy_alter_table = ON;
    CREATE TABLE items2 (id BLOB, kind INTEGER NOT NULL, name_tag BLOB NOT NULL,
        meta BLOB NOT NULL, secret BLOB NOT NULL, rev INTEGER NOT NULL DEFAULT 0);
    INSERT INTO items2 SELECT * FROM items; DROP TABLE items;
    ALTER TABLE items2 RENAME TO items;";

/// Every column of one `items` row.
fn item_row(c: &rusqlite::Connection, rowid: i64) -> Vec<Value> {
    c.query_row(
        "SELECT id, kind, name_tag, meta, secret, rev FROM items WHERE rowid = ?1",
        [rowid],
        |r| (0..6).map(|i| r.get(i)).collect(),
    )
    .unwrap()
}

fn insert_item_row(c: &rusqlite::Connection, row: &[Value]) {
    c.execute(
        "INSERT INTO items (id, kind, name_tag, meta, secret, rev) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params_from_iter(row),
    )
    .unwrap();
}

/// The second review's attacks through the schema, each of which served an old key with exit 0
/// before format 4: an old copy of a row put in twice (the copies cancelled in the XOR), a
/// trigger that puts the old row back after every update, and a view, an altered table, a
/// dropped index or an extra one. In agent mode the agent was unlocked before the edit.
fn structure(mode: Mode) {
    let mut cases = 0;

    // A row rolled back by a pair of duplicates of its pre-rotation copy.
    let v = vault();
    let old = item_row(&raw(&v), 1);
    run(&v, mode, &["status"]).ok();
    v.run_with_stdin(&["rotate", "alpha"], b"alpha-value-3")
        .ok();
    let c = raw(&v);
    c.execute_batch(ITEMS_WITHOUT_KEYS).unwrap();
    c.execute("DELETE FROM items WHERE rowid = 1", []).unwrap();
    insert_item_row(&c, &old);
    insert_item_row(&c, &old);
    drop(c);
    detected(&v, &run(&v, mode, GET_ALPHA), "a row put back twice");
    detected(&v, &run(&v, mode, LS), "a row put back twice (ls)");
    cases += 1;

    // A trigger that undoes every change to a secret.
    let v = vault();
    raw(&v)
        .execute_batch(
            "CREATE TRIGGER keep AFTER UPDATE OF secret ON items BEGIN
               UPDATE items SET meta = OLD.meta, secret = OLD.secret, rev = OLD.rev
               WHERE id = OLD.id;
             END;",
        )
        .unwrap();
    let rotated = pipe(
        run_cmd(&v, mode).args(["rotate", "alpha"]),
        b"alpha-value-3",
    );
    detected(&v, &rotated, "a trigger (rotate)");
    detected(&v, &run(&v, mode, GET_ALPHA), "a trigger (get)");
    cases += 1;

    for (sql, case) in [
        ("CREATE VIEW v AS SELECT * FROM items;", "a view"),
        (
            "ALTER TABLE audit ADD COLUMN note TEXT;",
            "an altered table",
        ),
        ("DROP INDEX item_versions_by_item;", "an index dropped"),
        ("CREATE INDEX extra ON items(kind);", "an extra index"),
        (ITEMS_WITHOUT_KEYS, "a table rebuilt without its keys"),
    ] {
        let v = vault();
        run(&v, mode, &["status"]).ok();
        raw(&v).execute_batch(sql).unwrap();
        let r = run(&v, mode, GET_ALPHA);
        detected(&v, &r, case);
        assert!(r.stderr.contains("schema"), "{case}: {}", r.stderr);
        cases += 1;
    }

    // An allowance denied, then put back twice: `vault run` must not inject the key again.
    let v = vault();
    let project = v.dir.path().join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(project.join(".vault.env"), "ALPHA=vault://alpha\n").unwrap();
    v.allow_project_file(&project);
    let c = raw(&v);
    let allowance: i64 = c
        .query_row("SELECT max(rowid) FROM items", [], |r| r.get(0))
        .unwrap();
    let allowed = item_row(&c, allowance);
    drop(c);
    let mut deny = run_cmd(&v, mode);
    deny.current_dir(&project).arg("deny");
    Run::from_output(deny.output().unwrap()).ok();
    let c = raw(&v);
    c.execute_batch(ITEMS_WITHOUT_KEYS).unwrap();
    insert_item_row(&c, &allowed);
    insert_item_row(&c, &allowed);
    drop(c);
    let marker = v.dir.path().join("started");
    let mut cmd = run_cmd(&v, mode);
    cmd.current_dir(&project).args([
        "run",
        "--",
        "sh",
        "-c",
        &format!("echo \"$ALPHA\" > {}", marker.display()),
    ]);
    let r = Run::from_output(cmd.output().unwrap());
    // `vault run` exits 125 for whatever stops it before the command starts.
    assert_eq!(r.code, Some(125), "{}", r.stderr);
    assert!(r.stderr.contains("has been tampered with"), "{}", r.stderr);
    assert!(!marker.exists(), "the command was started");
    cases += 1;

    report(
        "structure (duplicates, trigger, view, altered table, indexes, allowance)",
        mode,
        cases,
    );
}

/// The command line of [`run`], to add arguments or a working directory to.
fn run_cmd(v: &TestVault, mode: Mode) -> std::process::Command {
    let mut cmd = v.cmd();
    if mode == Mode::Direct {
        cmd.arg("--no-agent");
    }
    cmd
}

#[test]
fn a_schema_changed_or_rows_duplicated_are_detected_through_the_agent() {
    structure(Mode::Agent);
}

#[test]
fn a_schema_changed_or_rows_duplicated_are_detected_without_the_agent() {
    structure(Mode::Direct);
}

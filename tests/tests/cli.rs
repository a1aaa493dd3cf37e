//! The `vault` binary end to end, on temp vaults: what a user types and what they get back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;

use vault_tests::{PASSWORD, Run, TestVault, contains, pipe};

use vault_tests::json;

#[test]
fn round_trip_of_every_command() {
    let v = TestVault::new();
    v.add(
        "OpenAI",
        "sk-proj-abc123",
        &[
            "--env",
            "OPENAI_API_KEY",
            "--tag",
            "ai",
            "--service",
            "openai",
            "--rotate-every",
            "30d",
        ],
    );
    v.add(
        "github",
        "ghp_0123456789abcdef",
        &["--tag", "scm", "--expires", "2030-01-31"],
    );

    // get: value, fields, JSON
    assert_eq!(v.run(&["get", "openai"]).ok(), "sk-proj-abc123\n");
    assert_eq!(v.run(&["get", "OpenAI", "-n"]).ok(), "sk-proj-abc123");
    assert_eq!(
        v.run(&["get", "openai", "--field", "env"]).ok(),
        "OPENAI_API_KEY\n"
    );
    assert_eq!(v.run(&["get", "github", "--field", "env"]).ok(), "GITHUB\n");
    assert_eq!(
        v.run(&["get", "github", "--field", "expires"]).ok(),
        "2030-01-31T00:00:00Z\n"
    );
    let j = json(v.run(&["get", "openai", "--json"]).ok());
    assert_eq!(j["value"], "sk-proj-abc123");
    assert_eq!(j["service"], "openai");
    assert_eq!(j["rotation"]["days"], 30);

    // ls: table, never values; query; tag; JSON
    let table = v.run(&["ls"]).ok().to_owned();
    assert!(table.starts_with("NAME"), "{table}");
    assert!(table.contains("OpenAI") && table.contains("github"));
    assert!(
        !table.contains("sk-proj") && !table.contains("ghp_"),
        "ls must never print values"
    );
    let listed = json(v.run(&["ls", "--json"]).ok());
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains("sk-proj"));
    assert_eq!(listed[0]["state"], "ok");
    let by_query = json(v.run(&["ls", "OPENAI_API", "--json"]).ok());
    assert_eq!(by_query.as_array().unwrap().len(), 1);
    let by_tag = json(v.run(&["ls", "--tag", "scm", "--json"]).ok());
    assert_eq!(by_tag[0]["name"], "github");

    // edit: rename, env names, tags, notes
    v.run(&[
        "edit",
        "github",
        "--rename",
        "GitHub PAT",
        "--add-env",
        "GH_TOKEN",
        "--tag",
        "ci",
        "--untag",
        "scm",
        "--notes",
        "for CI",
    ])
    .ok();
    let j = json(v.run(&["get", "github pat", "--json"]).ok());
    assert_eq!(j["env"], serde_json::json!(["GITHUB", "GH_TOKEN"]));
    assert_eq!(j["tags"], serde_json::json!(["ci"]));
    assert_eq!(j["notes"], "for CI");
    assert_eq!(
        v.run(&["get", "github"]).fails(4),
        "vault: no item named \"github\"\n"
    );
    v.run(&["edit", "GitHub PAT"]).fails(1);

    // rotate, history, rollback
    v.run_with_stdin(&["rotate", "openai"], b"sk-proj-new456\n")
        .ok();
    assert_eq!(v.run(&["get", "openai"]).ok(), "sk-proj-new456\n");
    let history = json(v.run(&["history", "openai", "--json"]).ok());
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert!(!v.run(&["history", "openai"]).ok().contains("sk-proj"));
    v.run(&["rollback", "openai"]).ok();
    assert_eq!(v.run(&["get", "openai"]).ok(), "sk-proj-abc123\n");
    assert_eq!(v.run(&["get", "openai", "--field", "version"]).ok(), "3\n");

    // export / import between two vaults
    let exported = v
        .run(&["export", "--format", "env", "--yes"])
        .ok()
        .to_owned();
    assert!(
        exported.contains("OPENAI_API_KEY=sk-proj-abc123\n"),
        "{exported}"
    );
    let other = TestVault::new();
    other
        .run_with_stdin(&["import", "-"], exported.as_bytes())
        .ok();
    assert_eq!(
        other.run(&["get", "GH_TOKEN"]).ok(),
        "ghp_0123456789abcdef\n"
    );
    let as_json = json(v.run(&["export", "--format", "json", "--yes"]).ok());
    assert_eq!(as_json.as_array().unwrap().len(), 2);

    // rm, log, completions
    v.run(&["rm", "GitHub PAT", "--yes"]).ok();
    v.run(&["get", "GitHub PAT"]).fails(4);
    let log = v.run(&["log"]).ok().to_owned();
    for event in [
        "vault created",
        "added OpenAI",
        "renamed github to GitHub PAT",
        "rotated OpenAI",
        "deleted GitHub PAT",
        "exported 2 items",
    ] {
        assert!(log.contains(event), "log lacks {event:?}:\n{log}");
    }
    assert!(v.run(&["completions", "bash"]).ok().contains("vault"));
}

#[test]
fn a_value_in_argv_is_refused_and_nothing_is_stored() {
    let v = TestVault::new();
    let err = v
        .run(&["add", "leaky", "sk-live-in-argv"])
        .fails(1)
        .to_owned();
    assert!(
        err.contains("refusing to take a secret from the command line"),
        "{err}"
    );
    assert!(
        !err.contains("sk-live-in-argv"),
        "the error must not echo the secret"
    );
    assert!(v.run(&["ls", "--json"]).ok().trim() == "[]");
    v.add("k", "v1", &[]);
    v.run(&["rotate", "k", "v2-in-argv"]).fails(1);
    assert_eq!(v.run(&["get", "k"]).ok(), "v1\n");
}

#[test]
fn wrong_password_exits_3_and_leaves_the_file_byte_identical() {
    let v = TestVault::new();
    v.add("a", "value-a", &[]);
    v.run(&["lock"]).ok();
    let before = v.file_bytes();
    std::fs::write(&v.password_file, "not the password\n").unwrap();
    for args in [
        &["get", "a"][..],
        &["ls"],
        &["rm", "a", "--yes"],
        &["passwd"],
    ] {
        let err = v.run(args).fails(3).to_owned();
        assert_eq!(err, "vault: wrong master password\n");
    }
    let err = v
        .run_with_stdin(&["add", "b"], b"value-b")
        .fails(3)
        .to_owned();
    assert!(err.contains("wrong master password"));
    assert_eq!(
        v.file_bytes(),
        before,
        "a failed unlock must not change a byte"
    );
}

#[test]
fn passwd_keeps_every_item_readable() {
    let v = TestVault::new();
    for i in 0..5 {
        v.add(&format!("key{i}"), &format!("value-{i}"), &[]);
    }
    std::fs::write(&v.password_file, format!("{PASSWORD}\nthe new password\n")).unwrap();
    v.run(&["passwd"]).ok();
    v.run(&["lock"]).ok();
    std::fs::write(&v.password_file, format!("{PASSWORD}\n")).unwrap();
    v.run(&["ls"]).fails(3);
    std::fs::write(&v.password_file, "the new password\n").unwrap();
    for i in 0..5 {
        assert_eq!(
            v.run(&["get", &format!("key{i}")]).ok(),
            format!("value-{i}\n")
        );
    }
    // A too-short new password is refused and changes nothing.
    std::fs::write(&v.password_file, "the new password\nshort\n").unwrap();
    v.run(&["passwd"]).fails(1);
    std::fs::write(&v.password_file, "the new password\n").unwrap();
    v.run(&["get", "key0"]).ok();
}

#[test]
fn password_stdin_and_value_stdin_conflict_clearly() {
    let v = TestVault::new();
    let mut cmd = v.bare();
    cmd.args(["--password-stdin", "add", "x"]);
    let run = pipe(&mut cmd, format!("{PASSWORD}\nsecret\n").as_bytes());
    let err = run.fails(1);
    assert!(
        err.contains("cannot come from stdin when --password-stdin is used"),
        "{err}"
    );
    // --password-stdin on its own works.
    v.add("y", "vy", &[]);
    let mut cmd = v.bare();
    cmd.args(["--password-stdin", "get", "y"]);
    assert_eq!(
        pipe(&mut cmd, format!("{PASSWORD}\n").as_bytes()).ok(),
        "vy\n"
    );
}

#[test]
fn no_terminal_and_no_password_source_says_how() {
    let v = TestVault::new();
    v.run(&["lock"]).ok();
    let out = v.bare().args(["ls"]).output().unwrap();
    assert_eq!(out.status.code(), Some(8));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--password-file"), "{err}");
}

fn parse_env(text: &str) -> BTreeMap<String, String> {
    vault_core::dotenv::parse(text)
        .entries
        .into_iter()
        .map(|e| (e.key, e.value.expose().to_owned()))
        .collect()
}

#[test]
fn import_export_round_trip_on_a_nasty_env_file() {
    let fixture =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/nasty.env"))
            .unwrap();
    let expected = parse_env(&fixture);
    assert_eq!(
        expected["MULTILINE"],
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
    );
    assert_eq!(expected["DUPLICATE"], "second");
    assert_eq!(expected["SPACED"], "spaced value");
    assert_eq!(expected["CRLF_QUOTED"], "a\nb");

    let v = TestVault::new();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/nasty.env");
    let dry = v.run(&["import", path, "--dry-run"]);
    assert!(dry.ok().is_empty());
    assert!(
        v.run(&["ls", "--json"]).ok().trim() == "[]",
        "dry run changes nothing"
    );

    let run = v.run(&["import", path, "--tag", "nasty"]);
    run.ok();
    let report = &run.stderr;
    assert!(
        report.contains(&format!("Imported {} new items", expected.len())),
        "{report}"
    );
    for reason in [
        "EMPTY: empty value",
        "no `=`",
        "1NUMERIC: not a valid environment variable name",
        "UNTERMINATED: unterminated double quote",
        "DUPLICATE: set again on line",
    ] {
        assert!(
            report.contains(reason),
            "report lacks {reason:?}:\n{report}"
        );
    }

    let exported = v.run(&["export", "--yes"]).ok().to_owned();
    assert_eq!(
        parse_env(&exported),
        expected,
        "export must give back exactly what was imported"
    );

    // And the exported file imports into another vault to the same values.
    let other = TestVault::new();
    other
        .run_with_stdin(&["import", "-"], exported.as_bytes())
        .ok();
    assert_eq!(parse_env(other.run(&["export", "--yes"]).ok()), expected);

    // Importing again skips what exists, or rotates with --rotate-existing.
    let again = v.run(&["import", path, "--json"]);
    let j = json(again.ok());
    assert_eq!(j["added"].as_array().unwrap().len(), 0);
    std::fs::write(v.dir.path().join("changed.env"), "PLAIN=sk-plain-rotated\n").unwrap();
    let changed = v.dir.path().join("changed.env");
    v.run(&["import", changed.to_str().unwrap(), "--rotate-existing"])
        .ok();
    assert_eq!(v.run(&["get", "PLAIN"]).ok(), "sk-plain-rotated\n");
    assert_eq!(v.run(&["get", "PLAIN", "--field", "version"]).ok(), "2\n");
}

#[test]
fn export_needs_confirmation_and_writes_private_files() {
    let v = TestVault::new();
    v.add("a", "value-a", &[]);
    let err = v.run(&["export"]).fails(10).to_owned();
    assert!(err.contains("--yes"), "{err}");
    let out = v.dir.path().join("backup.env");
    v.run(&["export", "--yes", "-o", out.to_str().unwrap()])
        .ok();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "A=value-a\n");
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    v.run(&["export", "--yes", "-o", out.to_str().unwrap()])
        .fails(6);
    v.run(&["export", "--yes", "--force", "-o", out.to_str().unwrap()])
        .ok();
    v.run(&["rm", "a"]).fails(10);
    v.run(&["get", "a"]).ok();
}

#[test]
fn file_0600_folder_0700() {
    let v = TestVault::new();
    v.add("a", "value", &[]);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&v.path), 0o600);
    assert_eq!(mode(v.path.parent().unwrap()), 0o700);
    let mut wal = v.path.clone().into_os_string();
    wal.push("-wal");
    if std::path::Path::new(&wal).exists() {
        assert_eq!(mode(std::path::Path::new(&wal)), 0o600);
    }
}

#[test]
fn a_canary_value_never_reaches_the_file_or_wal() {
    let v = TestVault::new();
    let canaries = [
        "CANARY-add-7f3a9c",
        "CANARY-rotate-2b8e1d",
        "CANARY-import-9c4f6a",
    ];
    v.add(
        "canary-item",
        canaries[0],
        &["--notes", "CANARY-notes-5d2e8b", "--tag", "CANARY-tag"],
    );
    v.run_with_stdin(&["rotate", "canary-item"], canaries[1].as_bytes())
        .ok();
    v.run_with_stdin(
        &["import", "-"],
        format!("CANARY_NAME_XYZ={}\n", canaries[2]).as_bytes(),
    )
    .ok();
    v.run(&["edit", "canary-item", "--rename", "CANARY-renamed"])
        .ok();
    let bytes = v.file_bytes();
    assert!(bytes.len() > 4096);
    for needle in canaries.iter().copied().chain([
        "CANARY-notes",
        "CANARY-tag",
        "CANARY_NAME_XYZ",
        "CANARY-renamed",
        "canary-item",
    ]) {
        assert!(
            !contains(&bytes, needle.as_bytes()),
            "{needle} found in plaintext in the vault files"
        );
    }
    // The canary is really in there, encrypted.
    assert_eq!(
        v.run(&["get", "CANARY-renamed"]).ok(),
        format!("{}\n", canaries[1])
    );
}

#[test]
fn tampering_is_detected_with_a_clear_message() {
    let v = TestVault::new();
    v.add("a", "value-a", &[]);
    v.add("b", "value-b", &[]);
    let secret: Vec<u8> = v
        .raw()
        .query_row("SELECT secret FROM items LIMIT 1", [], |r| r.get(0))
        .unwrap();
    for i in 0..secret.len() {
        let mut bad = secret.clone();
        bad[i] ^= 0x40;
        v.raw()
            .execute(
                "UPDATE items SET secret = ?1 WHERE secret = ?2",
                (&bad, &secret),
            )
            .unwrap();
        let a = v.run(&["get", "a"]);
        let b = v.run(&["get", "b"]);
        let failed = if a.code == Some(5) { a } else { b };
        let err = failed.fails(5);
        assert!(err.contains("has been tampered with"), "{err}");
        assert!(
            err.contains(v.path.to_str().unwrap()),
            "names the file: {err}"
        );
        v.raw()
            .execute(
                "UPDATE items SET secret = ?1 WHERE secret = ?2",
                (&secret, &bad),
            )
            .unwrap();
    }
    v.run(&["get", "a"]).ok();

    let wrapped: Vec<u8> = v
        .raw()
        .query_row("SELECT wrapped_key FROM vault", [], |r| r.get(0))
        .unwrap();
    for i in 0..wrapped.len() {
        let mut bad = wrapped.clone();
        bad[i] ^= 0x01;
        v.raw()
            .execute("UPDATE vault SET wrapped_key = ?1", [&bad])
            .unwrap();
        // The key is unwrapped at unlock: an unlocked agent holds it already.
        v.run(&["lock"]).ok();
        let err = v.run(&["ls"]).fails(5).to_owned();
        assert!(
            err.contains("its header") && err.contains("does not match its checksum"),
            "{err}"
        );
    }
    v.raw()
        .execute("UPDATE vault SET wrapped_key = ?1", [&wrapped])
        .unwrap();

    // Swapping two items' blobs.
    v.raw()
        .execute_batch(
            "CREATE TEMP TABLE s AS SELECT id, meta, secret FROM items;
             UPDATE items SET secret = (SELECT secret FROM s WHERE s.id <> items.id);",
        )
        .unwrap();
    v.run(&["get", "a"]).fails(5);
    v.run(&["get", "b"]).fails(5);
}

#[test]
fn files_that_are_not_vaults_get_clear_errors_and_are_not_touched() {
    let v = TestVault::uninitialised();
    std::fs::create_dir_all(v.path.parent().unwrap()).unwrap();
    let err = v.run(&["ls"]).fails(5).to_owned();
    assert!(
        err.contains("no vault at") && err.contains("vault init"),
        "{err}"
    );

    std::fs::write(&v.path, "OPENAI_API_KEY=sk-123\n").unwrap();
    let err = v.run(&["ls"]).fails(5).to_owned();
    assert!(err.contains("is not a vault file"), "{err}");
    assert_eq!(std::fs::read(&v.path).unwrap(), b"OPENAI_API_KEY=sk-123\n");
    v.run(&["init"]).fails(6);

    let good = TestVault::new();
    for i in 0..100 {
        good.add(&format!("k{i}"), &"v".repeat(300), &[]);
    }
    let bytes = std::fs::read(&good.path).unwrap();
    std::fs::write(&v.path, &bytes[..bytes.len() / 2]).unwrap();
    let err = v.run(&["ls"]).fails(5).to_owned();
    assert!(
        err.contains("truncated") || err.contains("damaged"),
        "{err}"
    );
    assert!(err.contains(v.path.to_str().unwrap()));

    good.raw().pragma_update(None, "user_version", 7).unwrap();
    let err = good.run(&["ls"]).fails(5).to_owned();
    assert!(err.contains("newer version of vault"), "{err}");
}

#[test]
fn name_collisions_exit_6() {
    let v = TestVault::new();
    v.add("stripe", "sk_1", &[]);
    let err = v
        .run_with_stdin(&["add", "Stripe"], b"sk_2")
        .fails(6)
        .to_owned();
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(v.run(&["get", "stripe"]).ok(), "sk_1\n");
}

#[test]
fn a_write_locked_vault_waits_then_says_busy() {
    let v = TestVault::new();
    let conn = v.raw();
    conn.execute_batch("BEGIN IMMEDIATE; CREATE TABLE holding_the_lock(x);")
        .unwrap();
    let started = std::time::Instant::now();
    let err = v
        .run_with_stdin(&["add", "k"], b"value")
        .fails(7)
        .to_owned();
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(4),
        "it should wait before giving up"
    );
    assert!(
        err.contains("is busy: another process is writing to it"),
        "{err}"
    );
    conn.execute_batch("ROLLBACK").unwrap();
    v.add("k", "value", &[]);
}

/// `rm` and `passwd` commit while another process holds a read snapshot of the vault: they
/// succeed (exit 0: the item is gone, the new password is in force) and say that the old rows
/// are still in the WAL until that process is done, never "busy, try again" after committing.
#[test]
fn rm_and_passwd_report_success_while_another_process_reads() {
    for agent in [false, true] {
        let v = TestVault::new();
        v.add("alpha", "alpha-value", &[]);
        v.add("beta", "beta-value", &[]);
        let mode: &[&str] = if agent { &[] } else { &["--no-agent"] };
        fn with<'a>(mode: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
            [mode, args].concat()
        }
        v.run(&with(mode, &["ls"])).ok();
        let reader = v.raw();
        reader.execute_batch("BEGIN").unwrap();
        let n: i64 = reader
            .query_row("SELECT count(*) FROM items", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);

        let removed = v.run(&with(mode, &["rm", "beta", "--yes"]));
        removed.ok();
        let err = &removed.stderr;
        assert!(err.contains("Deleted beta."), "{err}");
        assert!(err.contains("-wal"), "agent {agent}: {err}");
        v.run(&with(mode, &["get", "beta"])).fails(4);

        std::fs::write(&v.password_file, format!("{PASSWORD}\nthe new password\n")).unwrap();
        let changed = v.run(&with(mode, &["passwd"]));
        changed.ok();
        let err = &changed.stderr;
        assert!(err.contains("Changed the master password"), "{err}");
        assert!(err.contains("old password"), "agent {agent}: {err}");
        drop(reader);
        v.run(&["lock"]).ok();
        std::fs::write(&v.password_file, "the new password\n").unwrap();
        assert_eq!(v.run(&with(mode, &["get", "alpha"])).ok(), "alpha-value\n");
    }
}

/// First-hour papercuts in what the CLI says: each message tells the truth and reads as English.
#[test]
fn messages_a_newcomer_meets_tell_the_truth() {
    let v = TestVault::new();
    // "Recognised an AWS ...", not "a AWS".
    let added = v.run_with_stdin(&["add", "aws"], b"AKIAIOSFODNN7EXAMPLE");
    added.ok();
    assert!(
        added.stderr.contains("Recognised an AWS"),
        "{}",
        added.stderr
    );
    // The next deadline is an event to come, not a state: due in three months is not overdue.
    let due: serde_json::Value = serde_json::from_str(v.run(&["due", "--json"]).ok()).unwrap();
    assert_eq!(due["next"]["name"], "aws");
    assert_eq!(due["next"]["event"], "rotation_due", "{due}");
    let text = v.run(&["due"]);
    text.ok();
    assert!(
        text.stderr.contains("Next: aws, rotation due"),
        "{}",
        text.stderr
    );
    // `passwd --help` says what passwd does: every item is re-encrypted.
    let help = v.run(&["passwd", "--help"]).ok().to_owned();
    assert!(
        help.contains("re-encrypted") && !help.contains("not re-encrypted"),
        "{help}"
    );
    // No automatic lock: said once, in words, never "locks after never idle".
    v.run(&["config", "set", "lock-after", "never"]).ok();
    let status = v.run(&["status"]).ok().to_owned();
    assert!(
        status.contains("never locks by itself") && !status.contains("locks after never"),
        "{status}"
    );
}

/// A password given on the command line is checked even while the agent holds the vault
/// unlocked: a wrong `--password-file` or `--password-stdin` (a broken CI secret) exits 3 and
/// changes nothing, where before it was ignored and the command succeeded.
#[test]
fn a_given_password_is_checked_even_when_the_agent_is_unlocked() {
    let v = TestVault::new();
    v.add("alpha", "alpha-value", &[]);
    v.run(&["ls"]).ok();
    let wrong = v.dir.path().join("wrong");
    std::fs::write(&wrong, "not the password\n").unwrap();
    for args in [&["get", "alpha"][..], &["rm", "alpha", "--yes"], &["ls"]] {
        let out = v
            .bare()
            .arg("--password-file")
            .arg(&wrong)
            .args(args)
            .output()
            .unwrap();
        let run = Run::from_output(out);
        assert_eq!(run.fails(3), "vault: wrong master password\n", "{args:?}");
        assert!(run.stdout.is_empty());
    }
    let out = pipe(
        v.bare().args(["--password-stdin", "get", "alpha"]),
        b"not the password\n",
    );
    out.fails(3);
    // The right one works, and the item is still there.
    assert_eq!(v.run(&["get", "alpha"]).ok(), "alpha-value\n");
}

/// At a terminal, a mistyped master password is asked for again, three tries in all (as `sudo`
/// and `op` do); the third wrong one exits 3. Run in a pseudo-terminal (util-linux `script`).
#[test]
fn a_mistyped_password_at_a_terminal_is_asked_for_again() {
    let v = TestVault::new();
    v.run(&["lock"]).ok();
    let command = format!(
        "{} --vault {} unlock",
        vault_tests::bin("vault").display(),
        v.path.display()
    );
    let at_terminal = |typed: &str| v.at_terminal(&command, typed.as_bytes());
    let third = at_terminal(&format!("wrong-1\nwrong-2\n{PASSWORD}\n"));
    assert_eq!(third.code, Some(0), "{}", third.stdout);
    assert_eq!(
        third.stdout.matches("try again").count(),
        2,
        "{}",
        third.stdout
    );
    assert!(third.stdout.contains("Unlocked"), "{}", third.stdout);
    v.run(&["lock"]).ok();
    let none = at_terminal("wrong-1\nwrong-2\nwrong-3\n");
    assert_eq!(none.code, Some(3), "{}", none.stdout);
    assert!(
        none.stdout.contains("wrong master password"),
        "{}",
        none.stdout
    );
    // From a file, one try: asking again would read the same wrong line.
    std::fs::write(&v.password_file, "wrong\n").unwrap();
    let from_file = v.run(&["unlock"]);
    assert_eq!(from_file.fails(3), "vault: wrong master password\n");
}

/// Where each key may be sent: its service's hosts until it has its own, set with `--host`,
/// changed with `vault edit`, shown by `vault ls -l`, `--json` and `--field hosts`.
#[test]
fn a_keys_hosts_default_to_its_service_and_can_be_set_shown_and_cleared() {
    let v = TestVault::new();
    v.add("openai", "sk-proj-abc123", &["--service", "openai"]);
    v.add(
        "internal",
        "s3cr3t-value",
        &["--host", "api.internal.example", "--host", "*.CORP.example"],
    );
    v.add("plain", "just-a-value", &[]);
    let row = |name: &str| {
        let table = v.run(&["ls", "-l"]).ok().to_owned();
        assert!(table.starts_with("NAME"), "{table}");
        assert!(table.lines().next().unwrap().contains("HOSTS"), "{table}");
        table
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}: {table}"))
            .to_owned()
    };
    assert!(row("openai").ends_with("api.openai.com (service)"));
    assert!(row("internal").ends_with("api.internal.example,*.corp.example"));
    assert!(row("plain").ends_with("(none)"));
    assert!(!v.run(&["ls"]).ok().contains("HOSTS"), "only with -l");

    let listed = json(v.run(&["ls", "--json"]).ok());
    let by_name = |name: &str| {
        listed
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        by_name("openai")["allowed_hosts"],
        serde_json::json!(["api.openai.com"])
    );
    assert!(
        by_name("openai").get("hosts").is_none(),
        "no hosts of its own"
    );
    assert_eq!(
        by_name("internal")["hosts"],
        serde_json::json!(["api.internal.example", "*.corp.example"])
    );
    assert_eq!(by_name("plain")["allowed_hosts"], serde_json::json!([]));
    assert_eq!(
        v.run(&["get", "openai", "--field", "hosts"]).ok(),
        "api.openai.com\n"
    );

    // A bad rule is refused with the reason, before anything is stored or changed.
    let err = v
        .run_with_stdin(&["add", "bad", "--host", "*.com"], b"value\n")
        .fails(1)
        .to_owned();
    assert!(err.contains("\"*.com\" is not a host rule"), "{err}");
    v.run(&["get", "bad"]).fails(4);
    v.run(&["edit", "openai", "--add-host", "https://x.example/a?b"])
        .fails(1);
    assert!(row("openai").ends_with("api.openai.com (service)"));

    // Added to the service's, removed as rules (any case), back to the service's, none.
    v.run(&["edit", "openai", "--add-host", "localhost:8443"])
        .ok();
    assert!(row("openai").ends_with("api.openai.com,localhost:8443"));
    v.run(&["edit", "openai", "--remove-host", "API.OpenAI.com"])
        .ok();
    assert!(row("openai").ends_with(" localhost:8443"));
    v.run(&["edit", "openai", "--default-hosts"]).ok();
    assert!(row("openai").ends_with("api.openai.com (service)"));
    v.run(&["edit", "internal", "--no-host"]).ok();
    assert!(row("internal").ends_with("(none)"));
    v.run(&["edit", "internal", "--host", "http://localhost:8080/api"])
        .ok();
    assert!(row("internal").ends_with("http://localhost:8080/api"));
}

//! `vault backup` and `vault restore`: the whole vault, encrypted, out to one file and back,
//! with nothing lost (history, allowed project files, the audit log) and nothing replaced until
//! the backup has been opened and checked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;

use vault_tests::{PASSWORD, TestVault};

#[test]
fn a_backup_restores_everything_and_replaces_nothing_it_cannot_check() {
    let v = TestVault::new();
    v.add("openai", "sk-proj-first", &["--tag", "ai"]);
    v.run_with_stdin(&["rotate", "openai"], b"sk-proj-second")
        .ok();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join(".vault.env"), "K=vault://openai\n").unwrap();
    v.allow_project_file(project.path());

    let backup = v.dir.path().join("backup.db");
    let b = backup.to_str().unwrap();
    let made = v.run(&["backup", b]);
    made.ok();
    assert!(made.stderr.contains("Backed up 1 item"), "{}", made.stderr);
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(!vault_tests::contains(
        &std::fs::read(&backup).unwrap(),
        b"sk-proj"
    ));
    // Never over an existing file unless asked.
    v.run(&["backup", b]).fails(6);
    v.run(&["backup", b, "--force"]).ok();

    // Life goes on after the backup.
    v.run(&["rm", "openai", "--yes"]).ok();
    v.add("later", "added-after-the-backup", &[]);

    // Confirmation first: without a terminal, --yes.
    v.run(&["restore", b]).fails(10);
    assert_eq!(v.run(&["get", "later"]).ok(), "added-after-the-backup\n");

    // A backup that does not open, or fails its check, replaces nothing.
    let tampered = v.dir.path().join("tampered.db");
    std::fs::copy(&backup, &tampered).unwrap();
    rusqlite::Connection::open(&tampered)
        .unwrap()
        .execute("DELETE FROM item_versions", [])
        .unwrap();
    let t = tampered.to_str().unwrap();
    let refused = v.run(&["restore", t, "--yes"]).fails(5).to_owned();
    assert!(refused.contains("nothing was changed"), "{refused}");
    assert!(!refused.contains(".vault-restore"), "{refused}");
    let wrong = v.dir.path().join("wrong-password");
    std::fs::write(&wrong, "not the password\n").unwrap();
    let mut cmd = v.bare();
    cmd.arg("--password-file")
        .arg(&wrong)
        .args(["restore", b, "--yes"]);
    let run = vault_tests::Run::from_output(cmd.output().unwrap());
    assert!(
        run.fails(3)
            .contains("wrong master password for this backup")
    );
    v.run(&["restore", "/nonexistent/backup.db", "--yes"])
        .fails(1);
    assert_eq!(v.run(&["get", "later"]).ok(), "added-after-the-backup\n");
    let leftovers: Vec<_> = std::fs::read_dir(v.path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains("restore"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The restore: everything as it was at the backup, the agent included.
    let restored = v.run(&["restore", b, "--yes"]);
    restored.ok();
    assert!(restored.stderr.contains("Restored"), "{}", restored.stderr);
    assert_eq!(v.run(&["get", "openai"]).ok(), "sk-proj-second\n");
    v.run(&["get", "later"]).fails(4);
    let history: serde_json::Value =
        serde_json::from_str(v.run(&["history", "openai", "--json"]).ok()).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 2);
    let run = vault_tests::Run::from_output(
        v.cmd()
            .current_dir(project.path())
            .args(["run", "--no-mask", "--", "printenv", "K"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        run.ok(),
        "sk-proj-second\n",
        "the allowed project file came back"
    );
    let log = v.run(&["log"]).ok().to_owned();
    assert!(
        log.contains("restored from") && log.contains("backed up 1 items"),
        "{log}"
    );

    // The vault it replaced is kept, and still opens.
    let kept: Vec<_> = std::fs::read_dir(v.path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.to_string_lossy().contains(".replaced-") && !p.to_string_lossy().ends_with("-shm")
        })
        .filter(|p| !p.to_string_lossy().ends_with("-wal"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let template = v.bare();
    let mut old = std::process::Command::new(vault_tests::bin("vault"));
    old.env_clear()
        .envs(template.get_envs().filter_map(|(k, val)| Some((k, val?))))
        .arg("--no-agent")
        .arg("--password-file")
        .arg(&v.password_file)
        .arg("--vault")
        .arg(&kept[0])
        .args(["get", "later"]);
    let old = vault_tests::Run::from_output(old.output().unwrap());
    assert_eq!(old.ok(), "added-after-the-backup\n");
}

#[test]
fn a_backup_restores_on_a_machine_with_no_vault() {
    let v = TestVault::new();
    v.add("github", "ghp_backedup", &[]);
    let backup = v.dir.path().join("b.db");
    v.run(&["backup", backup.to_str().unwrap()]).ok();

    let fresh = TestVault::uninitialised();
    std::fs::write(&fresh.password_file, format!("{PASSWORD}\n")).unwrap();
    fresh
        .run(&["restore", backup.to_str().unwrap(), "--yes"])
        .ok();
    assert_eq!(fresh.run(&["get", "github"]).ok(), "ghp_backedup\n");
    let dir_mode = std::fs::metadata(fresh.path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o777, 0o700);
}

/// `vault export --json` and `vault import` of that file: another vault gets the same keys with
/// the same metadata (no history: an export holds current values only).
#[test]
fn a_json_export_imports_with_its_metadata() {
    let v = TestVault::new();
    v.add(
        "openai",
        "sk-proj-exported",
        &[
            "--env",
            "OPENAI_API_KEY",
            "--env",
            "OPENAI_KEY",
            "--tag",
            "ai",
            "--service",
            "openai",
            "--notes",
            "team key",
            "--rotate-every",
            "30d",
            "--expires",
            "2031-01-31",
            "--last-rotated",
            "2026-11-01",
        ],
    );
    v.add("plain", "value with spaces", &["--rotate-every", "never"]);
    let file = v.dir.path().join("keys.json");
    v.run(&["export", "--json", "--yes", "-o", file.to_str().unwrap()])
        .ok();

    let other = TestVault::new();
    let imported = other.run(&["import", file.to_str().unwrap()]);
    imported.ok();
    assert!(
        imported.stderr.contains("Imported 2 new items"),
        "{}",
        imported.stderr
    );
    let listed = |v: &TestVault| {
        let mut items: Vec<serde_json::Value> =
            serde_json::from_str(v.run(&["ls", "--json"]).ok()).unwrap();
        for i in &mut items {
            for volatile in ["id", "created", "updated", "due"] {
                i.as_object_mut().unwrap().remove(volatile);
            }
        }
        items
    };
    assert_eq!(listed(&other), listed(&v));
    assert_eq!(other.run(&["get", "plain"]).ok(), "value with spaces\n");

    // A JSON file that is not an export: refused whole, and its content is not quoted.
    let bad = v.dir.path().join("bad.json");
    std::fs::write(&bad, r#"[{"name": "x", "value": 42, "env": ["X"]}]"#).unwrap();
    let err = other
        .run(&["import", bad.to_str().unwrap()])
        .fails(1)
        .to_owned();
    assert!(
        err.contains("not a `vault export --format json`") && !err.contains("42"),
        "{err}"
    );
}

//! What the user retires is gone once the command returns, through the real agent: a removed
//! key leaves no sealed byte in `vault.db`, its WAL or SHM, and after `vault passwd` the old
//! password opens no copy of the file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vault_tests::{PASSWORD, TestVault, contains};

/// `(meta, secret)` of every row of `items`.
fn sealed_rows(v: &TestVault) -> Vec<(Vec<u8>, Vec<u8>)> {
    let c = v.raw();
    let mut stmt = c.prepare("SELECT meta, secret FROM items").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_removed_key_leaves_no_sealed_byte_in_the_files() {
    let v = TestVault::new();
    v.add("keep", "kept-value", &[]);
    let before = sealed_rows(&v);
    v.add("gone", "gone-value", &[]);
    v.run_with_stdin(&["rotate", "gone"], b"gone-value-2").ok();
    let gone: Vec<(Vec<u8>, Vec<u8>)> = sealed_rows(&v)
        .into_iter()
        .filter(|r| !before.contains(r))
        .collect();
    assert_eq!(gone.len(), 1);
    let history: Vec<u8> = v
        .raw()
        .query_row("SELECT sealed FROM item_versions", [], |r| r.get(0))
        .unwrap();
    assert!(contains(&v.file_bytes(), &gone[0].1[..24]));

    v.run(&["rm", "gone", "--yes"]).ok();
    // The agent is still running, holding the vault open: what it wrote is in the files now.
    let bytes = v.file_bytes();
    for blob in [&gone[0].0, &gone[0].1, &history] {
        for piece in blob.chunks_exact(24) {
            assert!(!contains(&bytes, piece), "a sealed piece of `gone` remains");
        }
    }
    assert_eq!(v.run(&["get", "keep"]).ok(), "kept-value\n");
}

#[test]
fn after_passwd_the_old_password_opens_no_copy_of_the_file() {
    let v = TestVault::new();
    v.add("openai", "sk-before", &[]);
    std::fs::write(&v.password_file, format!("{PASSWORD}\nthe new password\n")).unwrap();
    v.run(&["passwd"]).ok();
    // A password given on the command line is checked: from now on, the new one.
    std::fs::write(&v.password_file, "the new password\n").unwrap();
    v.add("later", "sk-after", &[]);
    // A backup of the main file alone, taken while the agent holds the vault open.
    let copy = v.dir.path().join("copy.db");
    std::fs::copy(&v.path, &copy).unwrap();
    let at_copy = |password: &str| {
        let pw = v.dir.path().join("pw-copy");
        std::fs::write(&pw, format!("{password}\n")).unwrap();
        let out = std::process::Command::new(vault_tests::bin("vault"))
            .env_clear()
            .env("HOME", v.dir.path())
            .env("XDG_RUNTIME_DIR", &v.runtime_dir)
            .arg("--vault")
            .arg(&copy)
            .arg("--no-agent")
            .arg("--password-file")
            .arg(&pw)
            .args(["get", "openai"])
            .output()
            .unwrap();
        vault_tests::Run::from_output(out)
    };
    at_copy(PASSWORD).fails(3);
    assert_eq!(at_copy("the new password").ok(), "sk-before\n");

    // The same for the vault itself once locked.
    v.run(&["lock"]).ok();
    std::fs::write(&v.password_file, format!("{PASSWORD}\n")).unwrap();
    v.run(&["get", "later"]).fails(3);
}

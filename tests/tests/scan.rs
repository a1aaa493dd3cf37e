//! `vault scan` through the real CLI and agent: stored values (current, previous, secret
//! fields) found by item and place and never shown, known formats, .gitignore, bad input
//! (binary, too large, invalid UTF-8, symlink loops), git history with the commit that added a
//! key, `--home`, SARIF, `--fix`, and the pre-commit hook refusing a real `git commit`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use vault_tests::{TestVault, json};

const DB: &str = "db-password-Xq7pL2vR9s";
const DB_OLD: &str = "db-password-old-4kT8wZ";
const SIGNING: &str = "signing-secret-Mn3bV6cX";
/// A GitHub token in the real format, never stored.
fn github_token() -> String {
    format!("ghp_{}", "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2")
}

fn vault_with_secrets() -> TestVault {
    let v = TestVault::new();
    v.add("db", DB_OLD, &[]);
    v.run_with_stdin(&["rotate", "db"], DB.as_bytes()).ok();
    v.run_with_stdin(
        &["add", "webhook", "--secret-field", "signing"],
        format!("webhook-value-7Yh3Jd\n{SIGNING}\n").as_bytes(),
    )
    .ok();
    v.add("pin", "1234", &[]);
    v.run(&["unlock"]).ok();
    v
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

fn scan(v: &TestVault, dir: &Path, args: &[&str]) -> Output {
    v.cmd()
        .current_dir(dir)
        .arg("scan")
        .args(args)
        .output()
        .unwrap()
}

fn never_shows_a_value(out: &Output) {
    let all = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
    for value in [DB, DB_OLD, SIGNING] {
        assert!(
            !vault_tests::contains(&all, value.as_bytes()),
            "{value} shown"
        );
    }
}

#[test]
fn stored_values_and_known_formats_are_found_by_place_and_never_shown() {
    let v = vault_with_secrets();
    let tree = v.dir.path().join("tree");
    write(&tree, ".gitignore", ".env\n");
    write(&tree, ".env", format!("DB_PASSWORD={DB}\nPORT=3000\n"));
    write(
        &tree,
        "src/config.js",
        format!("// old\nconst pw = \"{DB_OLD}\";\n"),
    );
    write(&tree, "src/hook.py", format!("sig = '{SIGNING}'  # é\n"));
    write(
        &tree,
        "README.md",
        format!(
            "Token: {}\nExample: {} vault-scan:allow\n1234\n",
            github_token(),
            github_token()
        ),
    );
    // Bad input: a binary file holding a value, a latin-1 file, a large file.
    write(
        &tree,
        "data.bin",
        [b"\0\x01".as_slice(), DB.as_bytes()].concat(),
    );
    write(
        &tree,
        "latin1.txt",
        [b"caf\xe9 = ".as_slice(), DB.as_bytes()].concat(),
    );
    write(&tree, "big.log", "x".repeat(4096));
    std::os::unix::fs::symlink(&tree, tree.join("loop")).unwrap();

    let out = scan(&v, &tree, &["--max-size", "2K"]);
    never_shows_a_value(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "README.md:1:8: GitHub personal access token (classic) (not in the vault)",
            "latin1.txt:1:8: the value of db",
            "src/config.js:2:13: a previous value of db (version 1)",
            "src/hook.py:1:8: secret field signing of webhook",
        ],
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Found 4 secrets in 4 files"), "{stderr}");
    assert!(
        stderr.contains("1 stored value shorter than 8 characters"),
        "{stderr}"
    );

    // --all reads the ignored .env; --follow meets the loop and says so; JSON has it all.
    let out = scan(
        &v,
        &tree,
        &["--all", "--follow", "--max-size", "2K", "--json"],
    );
    never_shows_a_value(&out);
    let report = json(&String::from_utf8_lossy(&out.stdout));
    let env = &report["findings"][0];
    assert_eq!(env["path"], ".env");
    assert_eq!(
        (env["line"].as_u64(), env["column"].as_u64()),
        (Some(1), Some(13))
    );
    assert_eq!(env["found"]["stored_as"][0]["item"], "db");
    assert_eq!(env["found"]["stored_as"][0]["role"], "value");
    let skipped: Vec<String> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["path"].as_str().unwrap(),
                s["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        skipped.contains(&"data.bin binary".to_owned()),
        "{skipped:?}"
    );
    assert!(
        skipped.contains(&"big.log too_large".to_owned()),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.starts_with("loop") && s.ends_with("unreadable")),
        "{skipped:?}"
    );

    // SARIF for code scanning: rules and results, no value.
    let out = scan(&v, &tree, &["--format", "sarif"]);
    never_shows_a_value(&out);
    let sarif = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[0]["ruleId"], "github-pat");
    assert_eq!(results[1]["ruleId"], "stored-value");
    let region = &results[1]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 1);

    // A clean folder: exit 0.
    let clean = v.dir.path().join("clean");
    write(&clean, "main.rs", "fn main() {}\n");
    let out = scan(&v, &clean, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Nothing found"));
}

#[test]
fn fix_moves_a_dotenv_line_to_references_and_rewrites_a_profile() {
    let v = vault_with_secrets();
    let dir = v.dir.path().join("app");
    write(
        &dir,
        ".env",
        format!("PORT=3000\nDB_PASSWORD=\"{DB}\"\nOLD={DB_OLD}\n"),
    );
    write(
        &dir,
        ".zshrc",
        format!("alias ll='ls -l'\n  export DB_PASSWORD={DB} # work\n"),
    );
    let out = scan(&v, &dir, &["--all", "--fix", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Not rewritten") && stderr.contains(".env:3"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(".env")).unwrap(),
        format!("PORT=3000\nOLD={DB_OLD}\n")
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(".vault.env")).unwrap(),
        "DB_PASSWORD=vault://db\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(".zshrc")).unwrap(),
        "alias ll='ls -l'\n  export DB_PASSWORD='vault://db'\n"
    );
    assert!(
        std::fs::read_to_string(dir.join(".env.vault-backup"))
            .unwrap()
            .contains(DB)
    );
    // The references work: `vault run` gives the program the value.
    v.allow_project_file(&dir);
    let out = v
        .cmd()
        .current_dir(&dir)
        .args([
            "run",
            "--no-mask",
            "--",
            "sh",
            "-c",
            "printf %s \"$DB_PASSWORD\"",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), DB);
}

#[test]
fn home_finds_history_lines_and_docker_auths() {
    let v = vault_with_secrets();
    let home = v.dir.path();
    write(
        home,
        ".bash_history",
        format!("ls\nexport DB_PASSWORD={DB}\n"),
    );
    let auth = base64_encode(format!("ci:{SIGNING}").as_bytes());
    write(
        home,
        ".docker/config.json",
        format!(
            "{{\n  \"auths\": {{\n    \"registry.example\": {{\"auth\": \"{auth}\"}}\n  }}\n}}\n"
        ),
    );
    let out = v
        .cmd()
        .current_dir(home)
        .args(["scan", "--home"])
        .output()
        .unwrap();
    never_shows_a_value(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            ".bash_history:2:20: the value of db",
            ".docker/config.json:3:35: secret field signing of webhook",
        ],
        "{stdout}"
    );
}

fn base64_encode(bytes: &[u8]) -> String {
    let out = Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    out.stdin.as_ref().unwrap().write_all(bytes).unwrap();
    String::from_utf8(out.wait_with_output().unwrap().stdout).unwrap()
}

/// git in `dir` as the test user, with the test's HOME and agent.
fn git(v: &TestVault, dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", v.dir.path())
        .env("XDG_RUNTIME_DIR", &v.runtime_dir)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .args(args)
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn history_names_the_commit_that_added_a_key_since_deleted() {
    let v = vault_with_secrets();
    let repo = v.dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    ok(git(&v, &repo, &["init", "-q", "-b", "main"]));
    write(&repo, "app.py", "print('hi')\n");
    ok(git(&v, &repo, &["add", "."]));
    ok(git(&v, &repo, &["commit", "-qm", "start"]));
    write(&repo, "settings.py", format!("\nDB = '{DB}'\n"));
    ok(git(&v, &repo, &["add", "."]));
    ok(git(&v, &repo, &["commit", "-qm", "settings"]));
    let leaked = ok(git(&v, &repo, &["rev-parse", "--short=12", "HEAD"]));
    ok(git(&v, &repo, &["rm", "-q", "settings.py"]));
    ok(git(&v, &repo, &["commit", "-qm", "oops"]));

    // The working tree is clean; history is not.
    assert_eq!(scan(&v, &repo, &[]).status.code(), Some(0));
    let out = scan(&v, &repo, &["--git"]);
    never_shows_a_value(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "settings.py:2:7 (commit {}): the value of db\n",
            leaked.trim()
        )
    );
    // Not a repository: a clear refusal, not a crash.
    let plain = v.dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let out = scan(&v, &plain, &["--git"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("not a git repository"), "{stderr}");
}

#[test]
fn the_pre_commit_hook_refuses_a_commit_that_adds_a_stored_value() {
    let v = vault_with_secrets();
    let repo = v.dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    ok(git(&v, &repo, &["init", "-q", "-b", "main"]));
    let out = v
        .bare()
        .current_dir(&repo)
        .args(["setup", "pre-commit"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = v
        .bare()
        .current_dir(&repo)
        .args(["setup", "pre-commit"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stderr).contains("Already set up"));

    write(&repo, "ok.txt", "nothing secret\n");
    write(
        &repo,
        "config/prod.env",
        format!("PORT=1\nDB_PASSWORD={DB}\n"),
    );
    ok(git(&v, &repo, &["add", "."]));
    let refused = git(&v, &repo, &["commit", "-qm", "config"]);
    assert!(!refused.status.success());
    let said = [refused.stdout.as_slice(), refused.stderr.as_slice()].concat();
    let said = String::from_utf8_lossy(&said);
    assert!(
        said.contains("config/prod.env:2:13: the value of db"),
        "{said}"
    );
    assert!(said.contains("--no-verify"), "{said}");
    assert!(!said.contains(DB));
    assert!(
        !git(&v, &repo, &["rev-parse", "HEAD"]).status.success(),
        "nothing was committed"
    );

    // Without the value, the commit goes through.
    write(&repo, "config/prod.env", "PORT=1\nDB_PASSWORD=vault://db\n");
    ok(git(&v, &repo, &["add", "."]));
    ok(git(&v, &repo, &["commit", "-qm", "config"]));

    // `git commit -a` commits from a temporary index the hook is given: still refused.
    write(
        &repo,
        "config/prod.env",
        format!("PORT=1\nDB_PASSWORD=vault://db\nOLD={DB_OLD}\n"),
    );
    let refused = git(&v, &repo, &["commit", "-qam", "quick fix"]);
    let said = [refused.stdout.as_slice(), refused.stderr.as_slice()].concat();
    let said = String::from_utf8_lossy(&said);
    assert!(!refused.status.success(), "{said}");
    assert!(
        said.contains("config/prod.env:3:5: a previous value of db (version 1)"),
        "{said}"
    );
    write(&repo, "config/prod.env", "PORT=1\nDB_PASSWORD=vault://db\n");

    // Locked: no password is asked for; known formats are still refused, and it says so.
    v.run(&["lock"]).ok();
    write(&repo, "token.txt", format!("{}\n", github_token()));
    ok(git(&v, &repo, &["add", "."]));
    let refused = git(&v, &repo, &["commit", "-qm", "token"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("locked") && said.contains("vault unlock"),
        "{said}"
    );

    // --undo removes vault's hook; a hook of someone else's is never touched.
    let out = v
        .bare()
        .current_dir(&repo)
        .args(["setup", "pre-commit", "--undo"])
        .output()
        .unwrap();
    assert!(out.status.success());
    ok(git(&v, &repo, &["commit", "-qm", "token"]));
    let hook = repo.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    let out = v
        .bare()
        .current_dir(&repo)
        .args(["setup", "pre-commit"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("vault scan --staged"));
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\nexit 0\n"
    );
}

/// The project's own tree holds test keys in real formats; each is a placeholder or marked
/// `vault-scan:allow`, so a scan of it is clean: no false positive a user would have to wade
/// through when they scan a checkout of vault.
#[test]
fn the_projects_own_tree_scans_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let v = TestVault::uninitialised();
    let out = v.bare().current_dir(root).arg("scan").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

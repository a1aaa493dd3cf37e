//! vault as git's credential helper, with the real git against a loopback smart-HTTP server
//! (`git http-backend` behind HTTPS and Basic authentication): `vault setup git` in a test
//! home, a clone and a push answered from the unlocked agent, `git credential fill` round
//! trips, a locked vault falling back to git's next helper, malformed input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use vault_tests::git_http::GitServer;
use vault_tests::{TestVault, bin};

/// Made up, in the shape of a fine-grained GitHub token.
const TOKEN: &str =
    "github_pat_11AAAAAAA0vaultgitTEST_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `git ARGS` as the user runs it in this test's home.
fn git(v: &TestVault, server: &GitServer, dir: &Path, args: &[&str]) -> Output {
    server.git(v.dir.path(), &v.runtime_dir, dir, args)
}

fn setup() -> (TestVault, GitServer, String) {
    let v = TestVault::new();
    let server = GitServer::start(v.dir.path(), "alice", TOKEN);
    let url = server.repo("app");
    let host = format!("localhost:{}", server.port);
    v.add(
        "forge",
        TOKEN,
        &["--field", "username=alice", "--host", &host],
    );
    v.run(&["unlock"]).ok();
    let out = v.bare().args(["setup", "git"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Added to your global git config"),
        "{}",
        text(&out.stderr)
    );
    (v, server, url)
}

#[test]
fn a_clone_and_a_push_get_their_credential_from_the_unlocked_vault() {
    let (v, server, url) = setup();
    let gitconfig = std::fs::read_to_string(v.dir.path().join(".gitconfig")).unwrap();
    let front = bin("vault");
    assert!(
        gitconfig.contains(&format!(
            "helper = !'{}' --vault '{}' git-credential",
            front.display(),
            v.path.display()
        )),
        "{gitconfig}"
    );
    let again = v.bare().args(["setup", "git"]).output().unwrap();
    assert!(
        text(&again.stderr).contains("Already set up"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(v.dir.path().join(".gitconfig")).unwrap(),
        gitconfig,
        "a second setup changes nothing"
    );

    let work = v.dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let clone = git(&v, &server, &work, &["clone", "--quiet", &url, "app"]);
    assert!(clone.status.success(), "{}", text(&clone.stderr));
    let repo = work.join("app");
    std::fs::write(repo.join("README"), "hello\n").unwrap();
    assert!(git(&v, &server, &repo, &["add", "README"]).status.success());
    assert!(
        git(&v, &server, &repo, &["commit", "--quiet", "-m", "first"])
            .status
            .success()
    );
    let push = git(
        &v,
        &server,
        &repo,
        &["push", "--quiet", "origin", "HEAD:main"],
    );
    assert!(push.status.success(), "{}", text(&push.stderr));
    let seen = server.seen.lock().unwrap().clone();
    assert!(seen.contains(&format!("alice:{TOKEN}")), "{seen:?}");
    // git stored nothing of its own: the token lives in the vault only.
    assert!(!v.dir.path().join(".git-credentials").exists());
    let log = v.run(&["log"]).ok().to_owned();
    assert!(log.contains("git (credential helper)"), "audited: {log}");

    // `git credential fill`, as any tool on top of git asks.
    let mut fill = Command::new("git");
    fill.args(["credential", "fill"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", v.dir.path())
        .env("XDG_RUNTIME_DIR", &v.runtime_dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0");
    let filled = vault_tests::pipe(
        &mut fill,
        format!("protocol=https\nhost=localhost:{}\n\n", server.port).as_bytes(),
    );
    assert!(
        filled
            .ok()
            .contains(&format!("username=alice\npassword={TOKEN}\n")),
        "{}",
        filled.stdout
    );

    // Undone: git no longer asks vault.
    let undo = v.bare().args(["setup", "git", "--undo"]).output().unwrap();
    assert!(
        text(&undo.stderr).contains("Removed"),
        "{}",
        text(&undo.stderr)
    );
    let after = std::fs::read_to_string(v.dir.path().join(".gitconfig")).unwrap();
    assert!(!after.contains("git-credential"), "{after}");
    let denied = git(&v, &server, &work, &["ls-remote", &url]);
    assert!(!denied.status.success());
}

#[test]
fn a_locked_vault_gives_no_answer_and_git_asks_its_next_helper() {
    let (v, server, url) = setup();
    v.run(&["lock"]).ok();
    let work = v.dir.path();
    // No other helper: git fails (no prompt), and vault said why, once.
    let alone = git(&v, &server, work, &["ls-remote", &url]);
    assert!(!alone.status.success());
    let stderr = text(&alone.stderr);
    assert_eq!(
        stderr
            .matches("the vault is locked: run `vault unlock`")
            .count(),
        1,
        "{stderr}"
    );
    // A storage helper after vault's: git falls back to it.
    let store = v.dir.path().join("fallback-credentials");
    std::fs::write(
        &store,
        format!("https://alice:{TOKEN}@localhost:{}\n", server.port),
    )
    .unwrap();
    let helper = format!("store --file={}", store.display());
    let fallback = git(
        &v,
        &server,
        work,
        &[
            "-c",
            &format!("credential.helper={helper}"),
            "ls-remote",
            &url,
        ],
    );
    assert!(fallback.status.success(), "{}", text(&fallback.stderr));
}

#[test]
fn what_the_helper_cannot_read_or_match_gets_no_answer_and_never_a_panic() {
    let (v, server, _) = setup();
    let ask = |input: &[u8]| {
        let mut cmd = v.bare();
        cmd.args(["git-credential", "get"]);
        vault_tests::pipe(&mut cmd, input)
    };
    for bad in [
        &b"protocol=https\nnot an attribute\n"[..],
        b"host=a\0b\n",
        b"\xff\xfe\n",
    ] {
        let r = ask(bad);
        assert_eq!(r.code, Some(0), "git is told nothing, and carries on");
        assert!(r.stdout.is_empty(), "{}", r.stdout);
        assert!(r.stderr.contains("cannot read"), "{}", r.stderr);
        assert!(!r.stderr.contains("panicked"));
    }
    // Another host, another protocol, another user: nothing to say.
    for other in [
        "protocol=https\nhost=example.com\n\n".to_owned(),
        format!("protocol=http\nhost=localhost:{}\n\n", server.port),
        format!(
            "protocol=https\nhost=localhost:{}\nusername=bob\n\n",
            server.port
        ),
    ] {
        let r = ask(other.as_bytes());
        assert_eq!(r.code, Some(0));
        assert!(r.stdout.is_empty(), "{other:?}: {}", r.stdout);
    }
    // git storing or erasing what the user's own item answered changes nothing in the vault.
    for action in ["store", "erase"] {
        let mut cmd = v.bare();
        cmd.args(["git-credential", action]);
        let r = vault_tests::pipe(
            &mut cmd,
            format!(
                "protocol=https\nhost=localhost:{}\nusername=alice\npassword=x\n\n",
                server.port
            )
            .as_bytes(),
        );
        assert_eq!(r.code, Some(0), "{}", r.stderr);
    }
    assert_eq!(v.run(&["get", "forge"]).ok(), format!("{TOKEN}\n"));
}

/// git's prompt, answered by a script (as a user types): the username, then the password in
/// `password` (a file the test changes).
fn askpass(v: &TestVault) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let script = v.dir.path().join("askpass.sh");
    let password = v.dir.path().join("typed-password");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$1\" in Username*) echo alice ;; *) cat '{}' ;; esac\n",
            password.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script, password)
}

#[test]
fn what_git_prompted_for_is_stored_and_a_refused_one_is_erased_then_replaced() {
    let v = TestVault::new();
    let server = GitServer::start(v.dir.path(), "alice", "first-token");
    let url = server.repo("app");
    v.run(&["unlock"]).ok();
    assert!(
        v.bare()
            .args(["setup", "git"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let (script, typed) = askpass(&v);
    let prompt = |args: &[&str]| {
        server.git_with(
            v.dir.path(),
            &v.runtime_dir,
            v.dir.path(),
            args,
            &[("GIT_ASKPASS", script.to_str().unwrap())],
        )
    };
    let name = format!("git-localhost-{}-alice", server.port);

    // Nothing in the vault: git prompts, the server lets it in, vault stores what was typed.
    std::fs::write(&typed, "first-token\n").unwrap();
    let first = prompt(&["ls-remote", &url]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(v.run(&["get", &name]).ok(), "first-token\n");
    let ls = v.run(&["ls", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(ls.ok()).unwrap();
    let item = &listed[0];
    assert_eq!(item["tags"], serde_json::json!(["git"]), "{listed}");
    assert_eq!(item["fields"]["username"], "alice");
    assert_eq!(
        item["fields"]["git-url"],
        format!("https://localhost:{}", server.port)
    );
    // From now on the vault answers: no prompt, and git's store of what vault gave changes
    // nothing.
    let again = git(&v, &server, v.dir.path(), &["ls-remote", &url]);
    assert!(again.status.success(), "{}", text(&again.stderr));
    let history = v.run(&["history", &name, "--json"]).ok().to_owned();
    assert_eq!(history.matches("\"version\"").count(), 1, "{history}");

    // The token is revoked and a new one issued: the stored one is refused and erased (git
    // gives up on that run, as with any helper), the next run prompts, and what is typed is
    // stored.
    server.expect("alice", "second-token");
    std::fs::write(&typed, "second-token\n").unwrap();
    let refused = prompt(&["ls-remote", &url]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("git's stored credential is removed"),
        "{}",
        text(&refused.stderr)
    );
    assert_eq!(v.run(&["get", &name]).code, Some(4), "erased");
    let renewed = prompt(&["ls-remote", &url]);
    assert!(renewed.status.success(), "{}", text(&renewed.stderr));
    assert_eq!(v.run(&["get", &name]).ok(), "second-token\n");
}

/// git may never delete an item the user added: a refusal marks it instead (in `vault due`,
/// `ls --json` and the log), git is not offered it again, and what the user then types at
/// git's prompt and the server takes becomes its new value, the refused one kept in history.
#[test]
fn a_refused_key_the_user_added_is_kept_marked_and_renewed_from_the_prompt() {
    let (v, server, url) = setup();
    server.expect("alice", "the-new-token");
    let refused = git(&v, &server, v.dir.path(), &["ls-remote", &url]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("forge, which vault gives for it, is kept"),
        "{}",
        text(&refused.stderr)
    );
    assert!(text(&refused.stderr).contains("marked as refused"));
    assert_eq!(v.run(&["get", "forge"]).ok(), format!("{TOKEN}\n"));

    let due = v.run(&["due", "--check"]);
    due.fails(9);
    assert!(
        due.stdout
            .contains("expired  forge  the server refused its value"),
        "vault due: {}{}",
        due.stdout,
        due.stderr
    );
    let listed: serde_json::Value = serde_json::from_str(v.run(&["ls", "--json"]).ok()).unwrap();
    assert_eq!(
        listed[0]["refused"]["by"],
        format!("https://localhost:{}", server.port),
        "{listed}"
    );
    assert!(v.run(&["log"]).ok().contains("refused the value of forge"));

    // Not offered again: git falls to its prompt, and what was typed there is kept.
    let (script, typed) = askpass(&v);
    std::fs::write(&typed, "the-new-token\n").unwrap();
    let renewed = server.git_with(
        v.dir.path(),
        &v.runtime_dir,
        v.dir.path(),
        &["ls-remote", &url],
        &[("GIT_ASKPASS", script.to_str().unwrap())],
    );
    assert!(renewed.status.success(), "{}", text(&renewed.stderr));
    assert!(
        text(&renewed.stderr).contains("forge was refused by"),
        "{}",
        text(&renewed.stderr)
    );
    assert_eq!(v.run(&["get", "forge"]).ok(), "the-new-token\n");
    let history = v.run(&["history", "forge", "--json"]).ok().to_owned();
    assert_eq!(history.matches("\"version\"").count(), 2, "{history}");
    let listed: serde_json::Value = serde_json::from_str(v.run(&["ls", "--json"]).ok()).unwrap();
    assert!(listed[0].get("refused").is_none(), "{listed}");
    // And vault answers git again.
    let again = git(&v, &server, v.dir.path(), &["ls-remote", &url]);
    assert!(again.status.success(), "{}", text(&again.stderr));
}

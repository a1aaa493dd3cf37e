//! `vault run --watch`: the real CLI and agent, a command that writes down the value it was
//! started with, and changes made from another `vault` process. Every wait is for a condition
//! (a line in a file or on stderr), never for a time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vault_tests::{TestVault, wait_until};

/// Generous: the machine may be loaded.
const LONG: Duration = Duration::from_secs(60);

/// A project whose `.vault.env` gives `API_KEY` from the item `api`, allowed.
fn project(v: &TestVault) -> PathBuf {
    v.add("api", "one", &[]);
    let dir = v.dir.path().join("app");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join(".vault.env"), "API_KEY=vault://api\n").unwrap();
    v.allow_project_file(&dir);
    dir
}

/// `vault run --watch ARGS -- sh -c SCRIPT` in `dir`, its stderr gathered.
struct Watched {
    child: Child,
    stderr: Arc<Mutex<String>>,
    seen: PathBuf,
}

impl Watched {
    fn start(v: &TestVault, dir: &Path, args: &[&str], script: &str) -> Watched {
        let seen = dir.join("seen");
        let mut child = v
            .cmd()
            .current_dir(dir)
            .args(["run", "--watch"])
            .args(args)
            .args(["--", "sh", "-c", script])
            .env("SEEN", &seen)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let into = Arc::clone(&stderr);
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = into.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Watched {
            child,
            stderr,
            seen,
        }
    }

    /// The values each start of the command saw, in order.
    fn seen(&self) -> Vec<String> {
        std::fs::read_to_string(&self.seen)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn wait_seen(&self, n: usize) -> Vec<String> {
        wait_until(LONG, &format!("{n} starts of the command"), || {
            self.seen().len() >= n
        });
        self.seen()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn wait_stderr(&self, text: &str) {
        wait_until(LONG, &format!("{text:?} on stderr"), || {
            self.stderr().contains(text)
        });
    }

    /// SIGTERM to vault; its exit status.
    fn stop(mut self) -> (Option<i32>, String) {
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        (status.code(), self.stderr())
    }
}

/// Writes down the value, then waits to be stopped.
const RECORD: &str = "printf '%s\\n' \"$API_KEY\" >> \"$SEEN\"; exec sleep 3600";

fn rotate(v: &TestVault, value: &str) {
    v.run_with_stdin(&["rotate", "api"], format!("{value}\n").as_bytes())
        .ok();
}

#[test]
fn a_rotation_restarts_the_command_once_with_the_new_value() {
    let v = TestVault::new();
    let dir = project(&v);
    let w = Watched::start(&v, &dir, &["-v"], RECORD);
    assert_eq!(w.wait_seen(1), ["one"]);
    rotate(&v, "two");
    assert_eq!(w.wait_seen(2), ["one", "two"]);
    w.wait_stderr("vault: api changed: restarting sh");
    // A change to the item that leaves its value alone restarts nothing.
    v.run(&["edit", "api", "--notes", "the API key"]).ok();
    w.wait_stderr("api changed, the values did not: no restart");
    assert_eq!(w.seen(), ["one", "two"]);
    let (code, stderr) = w.stop();
    // The command got vault's SIGTERM and died of it; no restart followed.
    assert_eq!(code, Some(128 + 15), "{stderr}");
    assert_eq!(stderr.matches("restarting").count(), 1, "{stderr}");
    assert!(!stderr.contains("two"), "a value on stderr: {stderr}");
}

#[test]
fn rotations_within_the_debounce_make_one_restart() {
    let v = TestVault::new();
    let dir = project(&v);
    // A debounce long enough that two rotations fall in it on any machine.
    let w = Watched::start(&v, &dir, &["--debounce", "5s"], RECORD);
    w.wait_seen(1);
    rotate(&v, "two");
    rotate(&v, "three");
    assert_eq!(w.wait_seen(2), ["one", "three"]);
    let (_, stderr) = w.stop();
    assert_eq!(stderr.matches("restarting").count(), 1, "{stderr}");
}

#[test]
fn the_commands_own_exit_status_and_signal_death_are_passed_on() {
    let v = TestVault::new();
    let dir = project(&v);
    let out = v
        .cmd()
        .current_dir(&dir)
        .args(["run", "--watch", "--", "sh", "-c", "exit 3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let out = v
        .cmd()
        .current_dir(&dir)
        .args(["run", "--watch", "--", "sh", "-c", "kill -USR1 $$"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(128 + 10), "128 + SIGUSR1");
}

#[test]
fn a_command_that_ignores_sigterm_is_killed_after_the_grace() {
    let v = TestVault::new();
    let dir = project(&v);
    // Ends by itself once the test is done (it ignores SIGTERM, vault's included).
    let stubborn = "trap '' TERM; printf '%s\\n' \"$API_KEY\" >> \"$SEEN\"; \
                    while [ ! -e \"$SEEN.done\" ]; do sleep 0.2; done";
    let w = Watched::start(&v, &dir, &["--grace", "1s"], stubborn);
    w.wait_seen(1);
    rotate(&v, "two");
    assert_eq!(w.wait_seen(2), ["one", "two"]);
    assert!(
        w.stderr()
            .contains("did not end within 1 s of SIGTERM: killing it"),
        "{}",
        w.stderr()
    );
    std::fs::write(dir.join("seen.done"), "").unwrap();
    let mut w = w;
    assert_eq!(w.child.wait().unwrap().code(), Some(0));
}

#[test]
fn a_project_file_edited_starts_only_once_allowed() {
    let v = TestVault::new();
    let dir = project(&v);
    v.add("other", "not-allowed-yet", &[]);
    let w = Watched::start(&v, &dir, &[], RECORD);
    w.wait_seen(1);
    std::fs::write(dir.join(".vault.env"), "API_KEY=vault://other\n").unwrap();
    w.wait_stderr("keeps running with what it has");
    assert!(w.stderr().contains("vault allow"), "{}", w.stderr());
    assert_eq!(w.seen(), ["one"]);
    // Allowed as it is now, the new content starts.
    v.allow_project_file(&dir);
    assert_eq!(w.wait_seen(2), ["one", "not-allowed-yet"]);
    let (_, stderr) = w.stop();
    assert!(!stderr.contains("not-allowed-yet"), "{stderr}");
}

#[test]
fn a_locked_vault_restarts_nothing() {
    let v = TestVault::new();
    let dir = project(&v);
    let w = Watched::start(&v, &dir, &[], RECORD);
    w.wait_seen(1);
    v.run(&["lock"]).ok();
    w.wait_stderr("the vault is locked: sh keeps running with what it has");
    assert_eq!(w.seen(), ["one"]);
    // Unlocked again with nothing changed: still no restart.
    v.run(&["unlock"]).ok();
    rotate(&v, "two");
    assert_eq!(w.wait_seen(2), ["one", "two"]);
    let _ = w.stop();
}

#[test]
fn an_agent_stopped_and_started_again_is_followed_again() {
    let v = TestVault::new();
    let dir = project(&v);
    let w = Watched::start(&v, &dir, &[], RECORD);
    w.wait_seen(1);
    v.stop_agent();
    w.wait_stderr("the agent stopped: sh keeps running with what it has");
    // The next command starts an agent; once it holds the vault again, a rotation restarts
    // the command as before.
    v.run(&["unlock"]).ok();
    rotate(&v, "two");
    assert_eq!(w.wait_seen(2), ["one", "two"]);
    let (_, stderr) = w.stop();
    assert_eq!(stderr.matches("restarting").count(), 1, "{stderr}");
}

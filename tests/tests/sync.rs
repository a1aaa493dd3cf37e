//! `vault sync` through the real CLI and agents, three devices in separate homes, against a
//! bare repository over `file://` and over `git daemon` (started here on a loopback port the
//! system chose): pairing with the one-time code (and a wrong one refused and logged), edits,
//! deletions and a concurrent edit kept on both sides, a removed device, and a tampered remote.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use vault_tests::{PASSWORD, Run, TestVault, pipe};

fn bare_repo(dir: &Path) -> PathBuf {
    let path = dir.join("remote.git");
    let ok = Command::new("git")
        .args(["init", "--bare", "--quiet"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(ok.success());
    path
}

/// A device whose agent syncs in the background every `every` ("never": only when asked, so
/// a test decides when each round happens). The agent reads the setting when it starts.
fn device(every: &str) -> TestVault {
    syncing_every(TestVault::new(), every)
}

fn syncing_every(v: TestVault, every: &str) -> TestVault {
    let dir = v.dir.path().join(".config/vault");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!("sync-every = \"{every}\"\n"),
    )
    .unwrap();
    v.stop_agent();
    v
}

fn value(v: &TestVault, name: &str) -> String {
    v.run(&["get", name]).ok().trim_end().to_owned()
}

/// `vault sync invite`, running, and the code it shows.
fn invite(inviter: &TestVault) -> (Child, String) {
    let mut invite: Child = inviter
        .cmd()
        .args(["sync", "invite"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(invite.stdout.take().unwrap());
    let mut code = String::new();
    out.read_line(&mut code).unwrap();
    let code = code.trim().to_owned();
    assert_eq!(code.len(), 19, "{code:?}");
    (invite, code)
}

/// Pairs `joiner` with `inviter`: `vault sync invite` shows the code on its stdout, and the
/// new device types it (here, on stdin).
fn pair(inviter: &TestVault, joiner: &TestVault, url: &str, name: &str) -> (Run, Run) {
    let (invite, code) = invite(inviter);
    let joined = pipe(
        joiner
            .cmd()
            .args(["sync", "join", url, "--name", name, "--code-stdin"]),
        format!("{code}\n").as_bytes(),
    );
    let done = invite.wait_with_output().unwrap();
    let invited = Run::from_output(done);
    for r in [&invited, &joined] {
        assert!(
            !r.stdout.contains(&code[5..]) || r.stdout.trim() == code || r.stdout.is_empty(),
            "the code is shown once"
        );
        assert!(
            !r.stderr.contains(&code[5..]),
            "the code is not in messages: {}",
            r.stderr
        );
    }
    (invited, joined)
}

/// `git daemon --inetd` behind a listener on a port the system chose, one daemon per
/// connection: nothing waits for a port to free up or for the daemon to start.
struct GitDaemon {
    url: String,
    _thread: std::thread::JoinHandle<()>,
}

fn git_daemon(base: &Path) -> GitDaemon {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = base.to_owned();
    let thread = std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let input = stream.try_clone().unwrap();
            let _ = Command::new("git")
                .arg("daemon")
                .arg("--inetd")
                .arg("--export-all")
                .arg("--enable=receive-pack")
                .arg(format!("--base-path={}", base.display()))
                .arg(&base)
                .stdin(Stdio::from(std::os::fd::OwnedFd::from(input)))
                .stdout(Stdio::from(std::os::fd::OwnedFd::from(stream)))
                .stderr(Stdio::null())
                .spawn();
        }
    });
    GitDaemon {
        url: format!("git://127.0.0.1:{port}/remote.git"),
        _thread: thread,
    }
}

fn three_devices_through(url: &str) {
    let a = device("never");
    let b = device("never");
    let c = device("never");
    a.add("stripe", "sk_test_a1", &[]);
    a.add("openai", "sk-proj-a2", &[]);
    let init = a.run(&["sync", "init", "git", url, "--name", "laptop"]);
    init.ok();
    assert!(init.stderr.contains("now syncs through"), "{}", init.stderr);

    let (invited, joined) = pair(&a, &b, url, "desktop");
    invited.ok();
    joined.ok();
    assert!(
        invited.stderr.contains("Paired \"desktop\""),
        "{}",
        invited.stderr
    );
    assert_eq!(value(&b, "stripe"), "sk_test_a1");
    assert_eq!(value(&b, "openai"), "sk-proj-a2");

    // b's own change reaches a; a's deletion reaches b.
    b.add("github", "ghp_from_b", &[]);
    b.run(&["sync"]).ok();
    a.run(&["rm", "openai", "--yes"]).ok();
    let synced = a.run(&["sync"]);
    assert!(
        synced.stderr.contains("1 change received"),
        "{}",
        synced.stderr
    );
    b.run(&["sync"]).ok();
    assert_eq!(value(&a, "github"), "ghp_from_b");
    b.run(&["get", "openai"]).fails(4);

    // A third device joins through b.
    let (invited, joined) = pair(&b, &c, url, "server");
    invited.ok();
    joined.ok();
    assert_eq!(value(&c, "github"), "ghp_from_b");
    let devices = c.run(&["sync", "devices"]);
    for name in ["laptop", "desktop", "server"] {
        assert!(devices.ok().contains(name), "{}", devices.stdout);
    }

    // The same key rotated on two devices before either syncs: both values kept, flagged.
    a.run_with_stdin(&["rotate", "stripe"], b"sk_test_from_a")
        .ok();
    b.run_with_stdin(&["rotate", "stripe"], b"sk_test_from_b")
        .ok();
    a.run(&["sync"]).ok();
    let round = b.run(&["sync"]);
    assert!(
        round.stderr.contains("stripe was changed on two devices"),
        "{}",
        round.stderr
    );
    a.run(&["sync"]).ok();
    c.run(&["sync"]).ok();
    let winner = value(&a, "stripe");
    assert_eq!(value(&b, "stripe"), winner);
    assert_eq!(value(&c, "stripe"), winner);
    let loser = if winner == "sk_test_from_a" {
        "sk_test_from_b"
    } else {
        "sk_test_from_a"
    };
    for v in [&a, &b] {
        let due = v.run(&["due"]);
        assert!(
            due.stdout.contains("stripe") && due.stdout.contains("two devices"),
            "{}",
            due.stdout
        );
        let ls = v.run(&["ls"]);
        assert!(ls.ok().contains("changed on two devices"), "{}", ls.stdout);
    }
    // Settled on one device by taking the losing value: it is current, and unflagged,
    // everywhere after the next syncs.
    let settled = b.run(&["sync", "resolve", "stripe", "--use-other"]);
    assert!(
        settled.ok().is_empty() && settled.stderr.contains("now holds"),
        "{}",
        settled.stderr
    );
    assert_eq!(value(&b, "stripe"), loser);
    b.run(&["sync"]).ok();
    a.run(&["sync"]).ok();
    c.run(&["sync"]).ok();
    for v in [&a, &b, &c] {
        assert_eq!(value(v, "stripe"), loser);
        let ls = v.run(&["ls"]);
        assert!(!ls.ok().contains("two devices"), "{}", ls.stdout);
    }
    let again = a.run(&["sync", "resolve", "stripe"]);
    assert!(
        again.fails(1).contains("not changed on two devices"),
        "{}",
        again.stderr
    );

    // The server is retired: it gets nothing new, and the values it held come due.
    a.run(&["sync", "remove-device", "server", "--yes"]).ok();
    let due = a.run(&["due"]);
    assert!(due.stdout.contains("removed"), "{}", due.stdout);
    a.run_with_stdin(&["rotate", "github"], b"ghp_after_removal")
        .ok();
    a.run(&["sync"]).ok();
    b.run(&["sync"]).ok();
    assert_eq!(value(&b, "github"), "ghp_after_removal");
    let _ = c.run(&["sync"]);
    assert_ne!(value(&c, "github"), "ghp_after_removal");
    let status = c.run(&["sync", "status"]);
    assert!(
        status.stdout.contains("removed from sync"),
        "{}",
        status.stdout
    );
}

#[test]
fn three_devices_through_a_bare_repository() {
    let dir = tempfile::tempdir().unwrap();
    let remote = bare_repo(dir.path());
    three_devices_through(&format!("file://{}", remote.display()));
}

#[test]
fn three_devices_through_git_daemon() {
    let dir = tempfile::tempdir().unwrap();
    bare_repo(dir.path());
    let daemon = git_daemon(dir.path());
    three_devices_through(&daemon.url);
}

#[test]
fn a_wrong_pairing_code_is_refused_logged_and_ends_the_invitation() {
    let dir = tempfile::tempdir().unwrap();
    let remote = bare_repo(dir.path());
    let url = format!("file://{}", remote.display());
    let a = device("never");
    let b = device("never");
    a.add("stripe", "sk_test_a1", &[]);
    a.run(&["sync", "init", "git", &url]).ok();
    // A code with no invitation behind it.
    let none = pipe(
        b.cmd().args(["sync", "join", &url, "--code-stdin"]),
        b"1234-ABCD-EFGH-JKMN\n",
    );
    assert_ne!(none.code, Some(0));
    assert!(
        none.stderr.contains("has no invitation 1234"),
        "{}",
        none.stderr
    );
    // The right invitation with a wrong secret: the inviting device refuses it.
    let (invited, joined) = {
        let (invite, code) = invite(&a);
        let wrong = format!("{}-2222-3333-4444", &code[..4]);
        let joined = pipe(
            b.cmd()
                .args(["sync", "join", &url, "--name", "intruder", "--code-stdin"]),
            format!("{wrong}\n").as_bytes(),
        );
        (Run::from_output(invite.wait_with_output().unwrap()), joined)
    };
    assert_ne!(invited.code, Some(0));
    assert!(
        invited.stderr.contains("wrong pairing code"),
        "{}",
        invited.stderr
    );
    assert_ne!(joined.code, Some(0));
    assert!(joined.stderr.contains("refused"), "{}", joined.stderr);
    b.run(&["get", "stripe"]).fails(4);
    let log = a.run(&["log"]);
    assert!(
        log.ok().contains("refused device intruder"),
        "{}",
        log.stdout
    );
    // The code cannot be tried again.
    let mut stdin_code = Vec::new();
    writeln!(stdin_code, "0000-0000-0000-0000").unwrap();
    let again = pipe(
        b.cmd().args(["sync", "join", &url, "--code-stdin"]),
        &stdin_code,
    );
    assert_ne!(again.code, Some(0));
}

/// On a machine with no vault yet, a script is told to create one first (and nothing is
/// created); at a terminal, `vault sync join` offers to create it, then pairs.
#[test]
fn joining_from_a_machine_without_a_vault() {
    let dir = tempfile::tempdir().unwrap();
    let remote = bare_repo(dir.path());
    let url = format!("file://{}", remote.display());
    let a = device("never");
    a.add("stripe", "sk_test_a1", &[]);
    a.run(&["sync", "init", "git", &url]).ok();
    let b = syncing_every(TestVault::uninitialised(), "never");

    let scripted = pipe(
        b.cmd().args(["sync", "join", &url, "--code-stdin"]),
        b"1234-ABCD-EFGH-JKMN\n",
    );
    assert!(
        scripted.fails(5).contains("`vault init` first"),
        "{}",
        scripted.stderr
    );
    assert!(!b.path.exists());

    let (invite, code) = invite(&a);
    let command = format!(
        "{} --vault {} sync join {url} --name fresh",
        vault_tests::bin("vault").display(),
        b.path.display()
    );
    let joined = b.at_terminal(
        &command,
        format!("y\n{PASSWORD}\n{PASSWORD}\n{code}\n").as_bytes(),
    );
    assert_eq!(joined.code, Some(0), "{}", joined.stdout);
    assert!(
        joined.stdout.contains("Create one for this device?") && joined.stdout.contains("Joined"),
        "{}",
        joined.stdout
    );
    Run::from_output(invite.wait_with_output().unwrap()).ok();
    assert_eq!(value(&b, "stripe"), "sk_test_a1");
}

/// The agent sends a change by itself, soon after it is made: the remote gets a new segment
/// from the device without `vault sync` being run there.
#[test]
fn the_agent_pushes_a_change_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let remote = bare_repo(dir.path());
    let url = format!("file://{}", remote.display());
    let a = device("1s");
    let b = device("never");
    a.run(&["sync", "init", "git", &url]).ok();
    let (invited, joined) = pair(&a, &b, &url, "desktop");
    invited.ok();
    joined.ok();
    let segments = |remote: &Path| -> usize {
        let out = Command::new("git")
            .arg("--git-dir")
            .arg(remote)
            .args(["for-each-ref", "--format=%(refname)", "refs/heads/devices/"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|r| {
                let out = Command::new("git")
                    .arg("--git-dir")
                    .arg(remote)
                    .args(["ls-tree", "--name-only", &format!("{r}:log")])
                    .output()
                    .unwrap();
                String::from_utf8(out.stdout).unwrap().lines().count()
            })
            .sum()
    };
    let before = segments(&remote);
    a.add("made_later", "pushed-by-the-agent", &[]);
    // The agent's sync thread looks every second here (`sync-every = "1s"`): wait for its
    // segment (a condition, with a deadline far beyond it for a loaded machine).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while segments(&remote) == before {
        assert!(std::time::Instant::now() < deadline, "no background push");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    b.run(&["sync"]).ok();
    assert_eq!(value(&b, "made_later"), "pushed-by-the-agent");
}

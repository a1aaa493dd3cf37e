//! `vault sync` through the real CLI and agents, three devices in separate homes, against a
//! bare repository over `file://`, over `git daemon` (started here on a loopback port the
//! system chose) and against a real S3 server (`s3s-fs`, SigV4): pairing with the one-time
//! code (and a wrong one refused and logged), edits, deletions and a concurrent edit kept on
//! both sides, a removed device, and a tampered remote or storage.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use vault_tests::s3::S3Server;
use vault_tests::sync::{Via, bare_repo, device, holding, invite, pair, syncing_every, value};
use vault_tests::{PASSWORD, Run, TestVault, pipe, wait_until};

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

fn three_devices_through(via: &Via) {
    let a = via.device("never");
    let b = via.device("never");
    let c = via.device("never");
    a.add("stripe", "sk_test_a1", &[]);
    a.add("openai", "sk-proj-a2", &[]);
    let init = via.init(&a, "laptop");
    init.ok();
    assert!(init.stderr.contains("now syncs through"), "{}", init.stderr);

    let (invited, joined) = pair(&a, &b, via, "desktop");
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
    // Through S3, b's own copy of the storage's key is the same key as a's: one item, and
    // not a change.
    assert!(
        synced.stderr.contains("1 change received"),
        "{}",
        synced.stderr
    );
    b.run(&["sync"]).ok();
    assert_eq!(value(&a, "github"), "ghp_from_b");
    b.run(&["get", "openai"]).fails(4);

    // A third device joins through b.
    let (invited, joined) = pair(&b, &c, via, "server");
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
    three_devices_through(&Via::git(&format!("file://{}", remote.display())));
}

#[test]
fn three_devices_through_git_daemon() {
    let dir = tempfile::tempdir().unwrap();
    bare_repo(dir.path());
    let daemon = git_daemon(dir.path());
    three_devices_through(&Via::git(&daemon.url));
}

#[test]
fn three_devices_through_s3_storage() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path());
    three_devices_through(&Via::s3(&server, "sync/vault"));
    // What the storage holds: each device's public keys and log, nothing in plain text.
    let devices = std::fs::read_dir(server.object("sync/vault/devices"))
        .unwrap()
        .count();
    assert_eq!(devices, 3);
    let plain = holding(
        &server.root,
        &[
            "sk_test_a1",
            "sk-proj-a2",
            "ghp_from_b",
            "sk_test_from_a",
            "ghp_after_removal",
            &server.secret,
        ],
    );
    assert!(plain.is_empty(), "values in plain text: {plain:?}");
}

/// The pairing branches on the bare repository at `remote`.
fn pairing_branches(remote: &Path) -> String {
    let out = Command::new("git")
        .args(["ls-remote", "--heads"])
        .arg(remote)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("refs/heads/pairing/"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn an_interrupted_invitation_ends_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let remote = bare_repo(dir.path());
    let url = format!("file://{}", remote.display());
    let a = device("never");
    let b = device("never");
    a.run(&["sync", "init", "git", &url]).ok();
    let (mut invitation, code) = invite(&a);
    assert!(
        !pairing_branches(&remote).is_empty(),
        "the invitation is out"
    );
    // Ctrl-C on `vault sync invite`: the code it showed pairs nothing more, at once rather
    // than when it would have expired.
    invitation.kill().unwrap();
    invitation.wait().unwrap();
    wait_until(
        std::time::Duration::from_secs(60),
        "the invitation's branch gone from the remote",
        || pairing_branches(&remote).is_empty(),
    );
    let late = pipe(
        b.cmd().args(["sync", "join", &url, "--code-stdin"]),
        format!("{code}\n").as_bytes(),
    );
    assert_ne!(late.code, Some(0));
    assert!(late.stderr.contains("has no invitation"), "{}", late.stderr);
    assert!(
        std::fs::read_to_string(a.agent_dir().join("agent.log"))
            .unwrap()
            .contains("ended an invitation: its client went away")
    );
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
    let (invited, joined) = pair(&a, &b, &Via::git(&url), "desktop");
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

/// This device's full id, as its folder on the storage is named.
fn storage_id(server: &S3Server, prefix: &str, v: &TestVault) -> String {
    let status: serde_json::Value =
        serde_json::from_str(v.run(&["sync", "status", "--json"]).ok()).unwrap();
    let short = status["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["this"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    std::fs::read_dir(server.object(&format!("{prefix}/devices")))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|id| id.starts_with(&short))
        .unwrap()
}

/// The S3 storage's fault cases, through the real CLI and s3s-fs: a changed segment, a log set
/// back or deleted, a wrong access key and the storage down. Each is a clear error, and the
/// vault that met it keeps every value; once the storage is honest and up, sync resumes.
#[test]
fn a_tampered_or_unreachable_s3_storage_is_refused_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = S3Server::start(dir.path());
    let via = Via::s3(&server, "vault");
    let a = via.device("never");
    let b = via.device("never");
    a.add("KEY", "v1-of-the-key", &[]);
    // A bucket the storage does not have: said before anything is written.
    let typo = a.run(&[
        "sync",
        "init",
        "s3",
        "s3://no-such-bucket/vault",
        "--endpoint",
        &server.endpoint,
        "--key",
        "S3_KEY",
    ]);
    assert!(
        typo.fails(1).contains("bucket does not exist"),
        "{}",
        typo.stderr
    );
    assert!(a.run(&["sync", "status"]).ok().contains("does not sync"));
    via.init(&a, "laptop").ok();
    let (invited, joined) = pair(&a, &b, &via, "desktop");
    invited.ok();
    joined.ok();
    assert_eq!(value(&b, "KEY"), "v1-of-the-key");
    // The storage's key, added on both machines before the join, is one item on each.
    a.run(&["sync"]).ok();
    for d in [&a, &b] {
        let ls = d.run(&["ls"]);
        let ls = ls.ok();
        assert!(ls.contains("S3_KEY") && !ls.contains("S3_KEY (2)"), "{ls}");
    }
    let status = b.run(&["sync", "status"]);
    assert!(
        status.ok().contains(&format!(
            "s3://team-vault/vault (endpoint {}, key S3_KEY)",
            server.endpoint
        )),
        "{}",
        status.stdout
    );

    let a_id = storage_id(&server, "vault", &a);
    let log = server.object(&format!("vault/devices/{a_id}/log"));
    a.run_with_stdin(&["rotate", "KEY"], b"v2-of-the-key").ok();
    a.run(&["sync"]).ok();
    let newest = std::fs::read_dir(&log)
        .unwrap()
        .map(|e| e.unwrap().path())
        .max()
        .unwrap();
    let honest = std::fs::read(&newest).unwrap();

    // A flipped byte in a segment b has not read.
    let mut flipped = honest.clone();
    let n = flipped.len();
    flipped[n / 2] ^= 1;
    std::fs::write(&newest, &flipped).unwrap();
    let r = b.run(&["sync"]);
    assert!(r.fails(5).contains("forged or changed"), "{}", r.stderr);
    assert!(r.stderr.contains(&a_id[..8]), "{}", r.stderr);
    assert_eq!(value(&b, "KEY"), "v1-of-the-key");

    // The log set back (its newest segment gone), then deleted.
    std::fs::remove_file(&newest).unwrap();
    b.run(&["sync"]).ok();
    std::fs::write(&newest, &honest).unwrap();
    b.run(&["sync"]).ok();
    assert_eq!(value(&b, "KEY"), "v2-of-the-key");
    std::fs::remove_file(&newest).unwrap();
    let r = b.run(&["sync"]);
    assert!(r.fails(5).contains("cut short or replaced"), "{}", r.stderr);
    std::fs::write(&newest, &honest).unwrap();
    let a_dir = server.object(&format!("vault/devices/{a_id}"));
    let aside = dir.path().join("a-log-aside");
    std::fs::rename(&a_dir, &aside).unwrap();
    let r = b.run(&["sync"]);
    assert!(r.fails(5).contains("gone from the remote"), "{}", r.stderr);
    std::fs::rename(&aside, &a_dir).unwrap();
    b.run(&["sync"]).ok();
    assert_eq!(value(&b, "KEY"), "v2-of-the-key");

    // A wrong secret for the storage: refused by the storage, said, nothing lost.
    let good = server.secret.clone();
    b.run_with_stdin(
        &["rotate", "S3_KEY"],
        b"0000000000000000000000000000000000000000",
    )
    .ok();
    b.run_with_stdin(&["rotate", "KEY"], b"v3-from-b").ok();
    let r = b.run(&["sync"]);
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("refused the access key"), "{}", r.stderr);
    assert!(
        !r.stderr.contains(&good) && !r.stderr.contains("0000000000"),
        "{}",
        r.stderr
    );
    assert_eq!(value(&b, "KEY"), "v3-from-b");
    b.run_with_stdin(&["rotate", "S3_KEY"], good.as_bytes())
        .ok();
    b.run(&["sync"]).ok();
    a.run(&["sync"]).ok();
    assert_eq!(value(&a, "KEY"), "v3-from-b");

    // The storage down: a says so and keeps its change for the next sync.
    server.stop();
    a.run_with_stdin(&["rotate", "KEY"], b"v4-while-offline")
        .ok();
    let r = a.run(&["sync"]);
    assert_ne!(r.code, Some(0));
    assert!(
        r.stderr.contains("cannot reach http://127.0.0.1:"),
        "{}",
        r.stderr
    );
    assert_eq!(value(&a, "KEY"), "v4-while-offline");
    server.restart();
    a.run(&["sync"]).ok();
    b.run(&["sync"]).ok();
    assert_eq!(value(&b, "KEY"), "v4-while-offline");

    let plain = holding(
        &server.root,
        &[
            "v1-of-the-key",
            "v2-of-the-key",
            "v3-from-b",
            "v4-while-offline",
            &good,
        ],
    );
    assert!(plain.is_empty(), "values in plain text: {plain:?}");
}

/// The S3 engine on its own against s3s-fs: a segment is a new object and is never written
/// over: the same bytes again (what a crash between the upload and its record leaves) are
/// fine, other bytes under the same number are refused and the stored object stays.
#[test]
fn the_s3_engine_never_overwrites_an_object() {
    use vault_core::vault_sync::s3::{Credentials, Location, Remote};
    use vault_core::vault_sync::{DeviceKeys, Engine, Source};
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path());
    let open = |cache: &str| {
        let location = Location::parse(&format!(
            "s3://{}/x?endpoint={}",
            server.bucket, server.endpoint
        ))
        .unwrap();
        let credentials = Credentials {
            access_key_id: server.access_key_id.clone(),
            secret_access_key: server.secret.clone().into(),
            session_token: None,
        };
        Remote::open(&dir.path().join(cache), location, Some(credentials)).unwrap()
    };
    let me = DeviceKeys::generate().unwrap().public();
    let object = server.object(&format!("x/devices/{}/log/{:016x}", me.id.hex(), 1));

    let first = open("a");
    first.fetch().unwrap();
    first.append(&me, &[(1, b"segment one".to_vec())]).unwrap();
    first.push(me.id).unwrap();
    assert!(first.pushed(me.id).unwrap());

    // Not fetched first, so the upload is tried again: the same bytes are no conflict.
    let retry = open("a");
    retry.append(&me, &[(1, b"segment one".to_vec())]).unwrap();
    retry.push(me.id).unwrap();

    let other_bytes = open("a");
    other_bytes
        .append(&me, &[(1, b"something else".to_vec())])
        .unwrap();
    let e = other_bytes.push(me.id).unwrap_err().to_string();
    assert!(e.contains("already holds a different"), "{e}");
    assert_eq!(std::fs::read(&object).unwrap(), b"segment one");

    let reader = open("b");
    reader.fetch().unwrap();
    assert_eq!(reader.devices().unwrap(), vec![me.id]);
    assert_eq!(reader.seqs(me.id).unwrap(), vec![1]);
    assert_eq!(
        reader.read(me.id, &[1]).unwrap(),
        vec![b"segment one".to_vec()]
    );
}

/// Members' keys and files are age's own: what vault seals to a key opens with Debian's `age
/// -d`, a key `age-keygen` made is one vault seals to and opens with, and a file `age -r`
/// wrote opens in vault.
#[test]
fn members_keys_and_files_are_ages_own() {
    use vault_core::vault_sync::recipient::{self, Identity, Recipient};
    let dir = tempfile::tempdir().unwrap();
    let age = |args: &[&str], input: &[u8]| -> Vec<u8> {
        let mut child = Command::new("age")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("Debian's age; run `make deps-clients` (make test does)");
        // Written from a thread: age writes while it reads, and a full pipe would stall both.
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        assert!(
            out.status.success(),
            "age {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let plain: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();

    // vault's key and file, age's reading.
    let ours = Identity::generate().unwrap();
    let key_file = dir.path().join("ours.txt");
    std::fs::write(
        &key_file,
        format!("{}\n", ours.to_secret_string().unwrap().as_str()),
    )
    .unwrap();
    let other = Identity::generate().unwrap();
    let sealed = recipient::seal(&plain, &[other.recipient(), ours.recipient()]).unwrap();
    assert_eq!(
        age(&["-d", "-i", key_file.to_str().unwrap()], &sealed),
        plain
    );

    // age-keygen's key: vault seals to its recipient and opens with its identity.
    let made = Command::new("age-keygen").output().unwrap();
    let text = String::from_utf8(made.stdout).unwrap();
    let secret = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap();
    let theirs = Identity::parse(secret).unwrap();
    let public = text
        .lines()
        .find_map(|l| l.strip_prefix("# public key: "))
        .unwrap();
    assert_eq!(theirs.recipient().to_string(), public);
    let to_them = recipient::seal(
        b"for age-keygen's key",
        &[public.parse::<Recipient>().unwrap()],
    )
    .unwrap();
    assert_eq!(
        recipient::open(&to_them, &theirs)
            .unwrap()
            .unwrap()
            .as_slice(),
        b"for age-keygen's key"
    );

    // age's file to vault's key (and to another): vault opens it; a stranger's key does not.
    let from_age = age(&["-r", &ours.recipient().to_string(), "-r", public], &plain);
    assert_eq!(
        recipient::open(&from_age, &ours)
            .unwrap()
            .unwrap()
            .as_slice(),
        plain
    );
    assert!(
        recipient::open(&from_age, &Identity::generate().unwrap())
            .unwrap()
            .is_none()
    );
}

/// Compaction: after many syncs, `vault sync compact` writes a signed snapshot; a new device
/// joins from it with every value, though the segments it covers are gone from the storage
/// (so it cannot have replayed them), reads what came after it, and refuses a snapshot that
/// was changed. A device that synced before goes on as before.
#[test]
fn a_new_device_starts_from_a_snapshot_and_refuses_a_changed_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path());
    let via = Via::s3(&server, "vault");
    let a = via.device("never");
    for i in 0..10 {
        a.add(&format!("KEY_{i}"), &format!("first-value-{i}"), &[]);
    }
    via.init(&a, "laptop").ok();
    let b = via.device("never");
    let (invited, joined) = pair(&a, &b, &via, "desktop");
    invited.ok();
    joined.ok();
    for round in 0..12 {
        a.run_with_stdin(
            &["rotate", &format!("KEY_{}", round % 10)],
            format!("rotated-{round}").as_bytes(),
        )
        .ok();
        a.run(&["sync"]).ok();
    }
    a.run(&["rm", "KEY_9", "--yes"]).ok();
    a.run(&["sync"]).ok();
    let compact = a.run(&["sync", "compact"]);
    assert!(
        compact
            .stderr
            .contains("wrote a snapshot after this device's segment"),
        "{}",
        compact.stderr
    );
    let again = a.run(&["sync", "compact"]);
    assert!(
        again.stderr.contains("nothing to write"),
        "{}",
        again.stderr
    );

    // Every segment the snapshot covers but the last leaves the storage (b has read them).
    b.run(&["sync"]).ok();
    let a_id = storage_id(&server, "vault", &a);
    let log = server.object(&format!("vault/devices/{a_id}/log"));
    let mut segments: Vec<PathBuf> = std::fs::read_dir(&log)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none())
        .collect();
    segments.sort();
    assert!(segments.len() >= 14, "{}", segments.len());
    for old in &segments[..segments.len() - 1] {
        std::fs::remove_file(old).unwrap();
    }

    // A changed snapshot is refused, naming the device; the honest one is read.
    let snapshot_dir = server.object(&format!("vault/devices/{a_id}/snapshot"));
    let snapshot = std::fs::read_dir(&snapshot_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let honest = std::fs::read(&snapshot).unwrap();
    let mut flipped = honest.clone();
    let n = flipped.len();
    flipped[n / 2] ^= 1;
    std::fs::write(&snapshot, &flipped).unwrap();
    let c = via.device("never");
    let (invited, joined) = pair(&a, &c, &via, "server");
    invited.ok();
    assert_ne!(joined.code, Some(0));
    assert!(
        joined.stderr.contains("snapshot") && joined.stderr.contains(&a_id[..8]),
        "{}",
        joined.stderr
    );
    assert!(
        c.run(&["ls"]).ok().lines().all(|l| !l.contains("KEY_")),
        "nothing applied"
    );
    std::fs::write(&snapshot, &honest).unwrap();
    c.run(&["sync"]).ok();
    for i in 0..9 {
        assert_eq!(
            value(&c, &format!("KEY_{i}")),
            value(&a, &format!("KEY_{i}")),
            "KEY_{i}"
        );
    }
    assert_eq!(value(&c, "KEY_1"), "rotated-11");
    assert_ne!(
        c.run(&["get", "KEY_9"]).code,
        Some(0),
        "deleted before the snapshot"
    );

    // What comes after the snapshot reaches the new device, and the old one goes on.
    a.run_with_stdin(&["rotate", "KEY_0"], b"after-the-snapshot")
        .ok();
    a.run(&["sync"]).ok();
    c.run(&["sync"]).ok();
    b.run(&["sync"]).ok();
    assert_eq!(value(&c, "KEY_0"), "after-the-snapshot");
    assert_eq!(value(&b, "KEY_0"), "after-the-snapshot");
    c.run_with_stdin(&["rotate", "KEY_2"], b"from-the-new-device")
        .ok();
    c.run(&["sync"]).ok();
    a.run(&["sync"]).ok();
    assert_eq!(value(&a, "KEY_2"), "from-the-new-device");
}

/// The same through git: the snapshot is a file of the device's own branch, and a new device
/// joined after it holds every value.
#[test]
fn a_snapshot_travels_through_git_too() {
    let dir = tempfile::tempdir().unwrap();
    let remote = bare_repo(dir.path());
    let via = Via::git(&format!("file://{}", remote.display()));
    let a = via.device("never");
    for i in 0..5 {
        a.add(&format!("KEY_{i}"), &format!("value-{i}"), &[]);
    }
    via.init(&a, "laptop").ok();
    for round in 0..4 {
        a.run_with_stdin(&["rotate", "KEY_0"], format!("rotated-{round}").as_bytes())
            .ok();
        a.run(&["sync"]).ok();
    }
    let compact = a.run(&["sync", "compact"]);
    assert!(
        compact.stderr.contains("wrote a snapshot"),
        "{}",
        compact.stderr
    );
    let refs = Command::new("git")
        .arg("--git-dir")
        .arg(&remote)
        .args(["for-each-ref", "--format=%(refname)", "refs/heads/devices/"])
        .output()
        .unwrap();
    let branch = String::from_utf8(refs.stdout).unwrap().trim().to_owned();
    let tree = Command::new("git")
        .arg("--git-dir")
        .arg(&remote)
        .args(["ls-tree", "--name-only", &format!("{branch}:snapshot")])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(tree.stdout).unwrap().lines().count(), 1);
    let b = via.device("never");
    let (invited, joined) = pair(&a, &b, &via, "desktop");
    invited.ok();
    joined.ok();
    assert_eq!(value(&b, "KEY_0"), "rotated-3");
    assert_eq!(value(&b, "KEY_4"), "value-4");
}

//! The agent as users meet it: one unlock serves every later command and the desktop app, it
//! locks when idle or told to, it refuses other users and garbage, and it loses nothing when
//! killed. Each test has its own runtime dir, so its own agent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::Command;
use std::time::{Duration, Instant};

use vault_agent::protocol::{Event, Response, WireError};
use vault_tests::{TestVault, bin};

use vault_tests::json;

fn status(v: &TestVault) -> serde_json::Value {
    json(
        v.bare()
            .args(["status", "--json"])
            .output()
            .map(|o| {
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                String::from_utf8(o.stdout).unwrap()
            })
            .unwrap()
            .as_str(),
    )
}

fn agent_pid(v: &TestVault) -> u32 {
    let s = status(v);
    s["agent"]["pid"].as_u64().expect("an agent runs") as u32
}

#[test]
fn unlock_once_then_twenty_commands_without_a_password() {
    let v = TestVault::new();
    v.run(&["lock"]).ok();
    // No password source and no terminal: a locked vault would end each command with 8.
    let err = v.bare().args(["ls"]).output().unwrap();
    assert_eq!(err.status.code(), Some(8));
    v.run(&["unlock"]).ok();
    let before = agent_pid(&v);
    for i in 0..10 {
        let mut add = v.bare();
        add.args(["add", &format!("key{i}")]);
        vault_tests::pipe(&mut add, format!("value-{i}").as_bytes()).ok();
        let out = v.bare().args(["get", &format!("key{i}")]).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("value-{i}\n"));
    }
    assert_eq!(agent_pid(&v), before, "one agent served them all");
    let out = v.bare().args(["status"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("unlocked, locks in 15 min"), "{text}");
}

#[test]
fn idle_time_locks_and_the_setting_reaches_the_running_agent() {
    let v = TestVault::new();
    let out = v
        .bare()
        .args(["config", "set", "lock-after", "1s"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    v.run(&["unlock"]).ok();
    assert_eq!(status(&v)["agent"]["lock_after_secs"], 1);
    vault_tests::wait_until(
        Duration::from_secs(10),
        "the agent to lock after 1 s idle",
        || status(&v)["unlocked"] == false,
    );
    let out = v.bare().args(["get", "x"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(8),
        "locked again: a password is needed"
    );

    // A fresh agent reads the setting from the file.
    v.stop_agent();
    v.run(&["unlock"]).ok();
    assert_eq!(status(&v)["agent"]["lock_after_secs"], 1);
    let bad = v
        .bare()
        .args(["config", "set", "lock-after", "soon"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a duration"));
}

#[test]
fn lock_anywhere_locks_every_client_and_subscribers_hear_it_within_a_second() {
    let v = TestVault::new();
    v.add("k", "v", &[]);
    let dir = vault_agent::AgentDir { dir: v.agent_dir() };
    let client = vault_agent::Client::connect(&dir)
        .unwrap()
        .expect("agent runs");
    let mut events = client.subscribe().unwrap();
    events.set_timeout(Some(Duration::from_secs(5))).unwrap();
    let lock_state = |e: Event| match e {
        Event::LockState(vaults) => vaults,
        other => panic!("not the lock state: {other:?}"),
    };
    let first = lock_state(events.next().unwrap().unwrap());
    assert_eq!(first.len(), 1, "the vault is unlocked when subscribing");
    assert_eq!(first[0].path, v.path);

    let started = Instant::now();
    v.bare().args(["lock"]).output().unwrap();
    let next = lock_state(events.next().unwrap().unwrap());
    assert!(next.is_empty(), "the event says everything is locked");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        v.bare().args(["get", "k"]).output().unwrap().status.code(),
        Some(8)
    );

    // Unlocking from the CLI is announced too (the desktop app leaves its lock screen).
    v.run(&["unlock"]).ok();
    let unlocked = lock_state(events.next().unwrap().unwrap());
    assert_eq!(unlocked.len(), 1);
}

/// The agent pushes which items changed, by name, whoever changed them: a CLI through the
/// agent (at once), or a process that opened the file itself (within the agent's tick).
#[test]
fn subscribers_hear_which_items_changed_through_the_agent_or_not() {
    let v = TestVault::new();
    v.add("stripe", "v1", &[]);
    v.add("openai", "v1", &[]);
    let dir = vault_agent::AgentDir { dir: v.agent_dir() };
    let client = vault_agent::Client::connect(&dir)
        .unwrap()
        .expect("agent runs");
    let mut events = client.subscribe().unwrap();
    events.set_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut next_change = || loop {
        match events.next().unwrap().unwrap() {
            Event::LockState(_) | Event::ProjectFile { .. } => continue,
            Event::Changed { vault, items } => return (vault, items),
        }
    };
    v.run_with_stdin(&["rotate", "stripe"], b"v2\n").ok();
    assert_eq!(next_change(), (v.path.clone(), vec!["stripe".to_owned()]));

    let gone = v
        .cmd()
        .args(["--no-agent", "rm", "openai", "--yes"])
        .output()
        .unwrap();
    assert!(
        gone.status.success(),
        "{}",
        String::from_utf8_lossy(&gone.stderr)
    );
    assert_eq!(next_change(), (v.path.clone(), vec!["openai".to_owned()]));
}

#[test]
fn another_user_is_refused_by_the_agent() {
    if !is_root() {
        eprintln!("skipped: needs root to run a client as `nobody` (setpriv)");
        return;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("skipped: setpriv (util-linux) is not installed");
        return;
    }
    let v = TestVault::new();
    // Open every door the filesystem has, so only the agent's own peer check stands.
    let probe = v.dir.path().join("agent-probe");
    std::fs::copy(bin("agent-probe"), &probe).unwrap();
    for (path, mode) in [
        (v.dir.path().to_owned(), 0o755),
        (v.runtime_dir.clone(), 0o755),
        (v.agent_dir(), 0o755),
        (v.agent_dir().join("agent.sock"), 0o777),
        (probe.clone(), 0o755),
    ] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let probe_as_nobody = || {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&probe)
            .arg(v.agent_dir().join("agent.sock"))
            .arg(r#"{"type":"status"}"#)
            .output()
            .unwrap()
    };
    // setpriv reports a just-copied probe that is still "busy" (see output_of_fresh_copy).
    let mut out = probe_as_nobody();
    for _ in 0..200 {
        if !String::from_utf8_lossy(&out.stderr).contains("Text file busy") {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
        out = probe_as_nobody();
    }
    let answer = String::from_utf8_lossy(&out.stdout);
    assert!(
        answer.contains(r#""code":"refused""#) && answer.contains("serves uid 0 only"),
        "{answer} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = std::fs::read_to_string(v.agent_dir().join("agent.log")).unwrap();
    assert!(log.contains("refused a connection from uid 65534"), "{log}");

    // And the vault client refuses a folder other users can reach, rather than trust it.
    let out = v.bare().args(["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("other users can reach it"));
    std::fs::set_permissions(v.agent_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    v.run(&["ls"]).ok();
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

#[test]
fn a_thousand_malformed_or_oversized_frames_then_a_normal_request() {
    let v = TestVault::new();
    v.add("k", "value-k", &[]);
    let stream = UnixStream::connect(v.agent_dir().join("agent.sock")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let junk: [&[u8]; 6] = [
        b"{not json",
        br#"{"type":"format_disk"}"#,
        br#"{"type":"vault","vault":"/x"}"#,
        b"\xff\xfe\x00binary",
        br#"{"type":"unlock","vault":"/v","password":42}"#,
        b"[]",
    ];
    let huge = vec![b'x'; vault_agent::protocol::MAX_REQUEST_BYTES + 10];
    for i in 0..1000 {
        let frame: &[u8] = if i % 250 == 0 {
            &huge
        } else {
            junk[i % junk.len()]
        };
        writer.write_all(frame).unwrap();
        writer.write_all(b"\n").unwrap();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let answer: Response = serde_json::from_str(&line).unwrap();
        let Response::Error(WireError { message, .. }) = answer else {
            panic!("frame {i}: expected an error, got {line}");
        };
        assert!(
            message.contains("malformed request") || message.contains("larger than"),
            "{message}"
        );
        assert!(
            !message.contains("42"),
            "errors never echo the input: {message}"
        );
    }
    writer.write_all(b"{\"type\":\"status\"}\n").unwrap();
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with(r#"{"type":"status""#), "{line}");
    assert_eq!(
        v.bare().args(["get", "k"]).output().unwrap().stdout,
        b"value-k\n"
    );
}

#[test]
fn fifty_concurrent_clients_lose_no_write() {
    let v = TestVault::new();
    let handles: Vec<_> = (0..50)
        .map(|i| {
            let mut add = v.bare();
            add.args(["add", &format!("item{i:02}")]);
            let mut get = v.bare();
            get.args(["get", &format!("item{i:02}")]);
            std::thread::spawn(move || {
                vault_tests::pipe(&mut add, format!("value-{i}").as_bytes()).ok();
                let out = get.output().unwrap();
                assert_eq!(String::from_utf8_lossy(&out.stdout), format!("value-{i}\n"));
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let listed = json(v.run(&["ls", "--json"]).ok());
    assert_eq!(listed.as_array().unwrap().len(), 50);
}

#[test]
fn an_agent_killed_mid_write_loses_no_acknowledged_write() {
    let v = TestVault::new();
    for round in 0..3 {
        let prefix = format!("BULK{round}_");
        let text: String = (0..5000)
            .map(|i| format!("{prefix}{i}=value-{i}\n"))
            .collect();
        let env_file = v.dir.path().join(format!("bulk{round}.env"));
        std::fs::write(&env_file, text).unwrap();
        v.add(&format!("acked{round}"), "kept", &[]);
        let pid = agent_pid(&v);
        let mut import = v.cmd();
        import.args(["import", env_file.to_str().unwrap()]);
        let importer = std::thread::spawn(move || import.output().unwrap());
        std::thread::sleep(Duration::from_millis(100 + 150 * round));
        kill9(pid);
        let outcome = importer.join().unwrap();
        // The next command starts a fresh agent (and unlocks it with the password file).
        let listed = json(v.run(&["ls", "--json"]).ok());
        let names: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        for r in 0..=round {
            assert!(names.contains(&format!("acked{r}").as_str()), "{names:?}");
        }
        let bulk = names.iter().filter(|n| n.starts_with(&prefix)).count();
        assert!(
            bulk == 0 || bulk == 5000,
            "all of the import or none: {bulk}"
        );
        if outcome.status.success() {
            assert_eq!(bulk, 5000, "an acknowledged import is all there");
        }
        assert_ne!(agent_pid(&v), pid, "a fresh agent serves after the kill");
    }
}

use vault_tests::kill9;

/// Plays an agent of another protocol on `v`'s socket for one connection: answers `hello` in
/// the old shape, then returns the client's hello line and everything it sent after it.
fn fake_stale_agent(v: &TestVault) -> std::thread::JoinHandle<(String, String)> {
    let dir = v.agent_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let socket = dir.join("agent.sock");
    let listener = UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let mut hello = String::new();
        reader.read_line(&mut hello).unwrap();
        writer
            .write_all(
                b"{\"type\":\"hello\",\"protocol\":\"0000\",\"build\":\"0.0.1\",\"pid\":1}\n",
            )
            .unwrap();
        // Everything the client sends until it hangs up.
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
        std::fs::remove_file(&socket).unwrap();
        (hello, rest)
    })
}

#[test]
fn a_stale_agent_is_asked_to_quit_and_replaced() {
    let v = TestVault::new();
    v.stop_agent();
    let stale = fake_stale_agent(&v);
    let out = v.run(&["ls"]);
    out.ok();
    let (hello, next) = stale.join().unwrap();
    assert!(hello.starts_with(r#"{"type":"hello""#), "{hello}");
    assert_eq!(next.trim(), r#"{"type":"quit"}"#);
    let s = status(&v);
    assert!(
        s["agent"]["build"].as_str().unwrap().starts_with("0.1"),
        "{s}"
    );
}

/// The front sends `hello` on connecting and reads the answer at its first request: a stale
/// agent must still get `quit` and never the request, and the command goes to vault-full.
#[test]
fn the_front_never_sends_a_request_to_a_stale_agent() {
    let v = TestVault::new();
    v.add("FRONT_KEY", "front-value", &[]);
    v.stop_agent();
    let stale = fake_stale_agent(&v);
    // No password given, so the front answers `get` itself when the agent is current.
    let out = v.bare().args(["get", "FRONT_KEY"]).output().unwrap();
    let (hello, rest) = stale.join().unwrap();
    assert!(hello.starts_with(r#"{"type":"hello""#), "{hello}");
    assert_eq!(
        rest.trim(),
        r#"{"type":"quit"}"#,
        "only quit, never the request"
    );
    // vault-full took the command over: it found the vault locked and no way to ask.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        !stderr.contains("may not have been carried out"),
        "{stderr}"
    );
    assert!(
        stderr.contains("locked") || stderr.contains("password"),
        "{stderr}"
    );
}

#[test]
fn an_upgraded_binary_restarts_its_agent() {
    let v = TestVault::new();
    v.stop_agent();
    // Run a copy of the programs, then replace the copy of vault-full (which the agent runs)
    // as an upgrade would (new file, rename).
    let exe = v.dir.path().join("vault");
    let full = v.dir.path().join("vault-full");
    std::fs::copy(bin("vault"), &exe).unwrap();
    std::fs::copy(bin("vault-full"), &full).unwrap();
    // `vault` execs vault-full, which must not be busy (ETXTBSY) from the copy any more.
    let settle = || vault_tests::output_of_fresh_copy(Command::new(&full).arg("--version"));
    settle();
    let run_copy = |args: &[&str]| {
        let template = v.cmd();
        let out = vault_tests::output_of_fresh_copy(
            Command::new(&exe)
                .env_clear()
                .envs(template.get_envs().filter_map(|(k, val)| Some((k, val?))))
                .args(template.get_args())
                .args(args),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let first = json(&run_copy(&["status", "--json"]));
    assert!(first["agent"].is_null());
    run_copy(&["unlock"]);
    let pid = json(&run_copy(&["status", "--json"]))["agent"]["pid"].clone();
    let staged = v.dir.path().join("vault.new");
    std::fs::copy(bin("vault-full"), &staged).unwrap();
    std::fs::rename(&staged, &full).unwrap();
    settle();
    run_copy(&["ls"]);
    let after = json(&run_copy(&["status", "--json"]))["agent"]["pid"].clone();
    assert_ne!(pid, after, "the agent of the replaced binary was retired");

    // `vault agent --stop` stops an agent of any version.
    std::fs::copy(bin("vault-full"), &staged).unwrap();
    std::fs::rename(&staged, &full).unwrap();
    settle();
    run_copy(&["agent", "--stop"]);
    assert!(json(&run_copy(&["status", "--json"]))["agent"].is_null());
}

#[test]
fn the_agent_holds_no_secret_in_its_environment_or_arguments_and_dumps_no_core() {
    let v = TestVault::new();
    v.stop_agent();
    let canary = "canary-env-4b1d9e7a";
    let mut cmd = v.cmd();
    cmd.env("GITHUB_TOKEN", canary)
        .env("AWS_SECRET_ACCESS_KEY", canary);
    let out = cmd.args(["unlock"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pid = agent_pid(&v);
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    assert!(!vault_tests::contains(&environ, canary.as_bytes()));
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert_eq!(
        cmdline.split(|b| *b == 0).filter(|a| !a.is_empty()).count(),
        3,
        "vault agent --daemon"
    );
    assert!(!vault_tests::contains(
        &cmdline,
        vault_tests::PASSWORD.as_bytes()
    ));
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert!(
        core.split_whitespace().filter(|w| *w == "0").count() == 2,
        "{core}"
    );
    let log = std::fs::read(v.agent_dir().join("agent.log")).unwrap();
    assert!(!vault_tests::contains(
        &log,
        vault_tests::PASSWORD.as_bytes()
    ));
}

#[test]
fn an_agent_that_cannot_lock_key_memory_says_so_once() {
    if !is_root() || Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("skipped: needs root, setpriv and prlimit (util-linux)");
        return;
    }
    let v = TestVault::new();
    v.stop_agent();
    // Without CAP_IPC_LOCK and with no lockable memory, mlock must fail; the agent carries on.
    let template = v.cmd();
    let out = Command::new("setpriv")
        .args(["--bounding-set=-ipc_lock", "prlimit", "--memlock=0:0"])
        .arg(template.get_program())
        .env_clear()
        .envs(template.get_envs().filter_map(|(k, val)| Some((k, val?))))
        .args(template.get_args())
        .arg("unlock")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    v.run(&["lock"]).ok();
    v.run(&["unlock"]).ok();
    let log = std::fs::read_to_string(v.agent_dir().join("agent.log")).unwrap();
    assert_eq!(
        log.matches("refused to lock the key's memory").count(),
        1,
        "{log}"
    );
    v.add("still-works", "value", &[]);
}

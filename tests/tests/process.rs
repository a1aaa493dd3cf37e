//! The processes vault runs as: a CLI that holds passwords and values (and in `--no-agent`
//! mode the data key) dumps no core and cannot be read by other processes of the user; a
//! command started by `vault run` gets the user's own limits back and no descriptor of vault's
//! (no agent connection, no vault file), exactly as if run directly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use vault_tests::{TestVault, bin};

/// `(soft, hard)` of "Max core file size" in /proc/PID/limits.
fn core_limit(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap()
        .to_owned();
    let words: Vec<&str> = line.split_whitespace().collect();
    (words[4].to_owned(), words[5].to_owned())
}

#[test]
fn a_cli_holding_secrets_dumps_no_core_and_keeps_the_hard_limit() {
    let v = TestVault::new();
    v.stop_agent();
    for args in [&["--no-agent", "add", "k"][..], &["add", "k2"]] {
        // Started with a soft core limit, as a user who enabled core dumps would have.
        let cli = v.cmd();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("ulimit -S -c 1024; exec \"$@\"")
            .arg("sh")
            .arg(cli.get_program())
            .args(cli.get_args())
            .args(args)
            .env_clear()
            .envs(cli.get_envs().filter_map(|(k, val)| Some((k, val?))))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"value-held-in-memory").unwrap();
        // It now holds the value and waits for the end of its input.
        std::thread::sleep(Duration::from_millis(200));
        let ours = core_limit(std::process::id());
        let (soft, hard) = core_limit(child.id());
        assert_eq!(soft, "0", "{args:?}: a crash would write a core file");
        assert_eq!(
            hard, ours.1,
            "{args:?}: the hard limit is the user's to keep"
        );
        if rustix_uid() != 0 {
            // Not dumpable: /proc/PID entries belong to root, so the user's other processes
            // cannot read its memory or attach to it.
            let owner = std::fs::metadata(format!("/proc/{}/environ", child.id()))
                .unwrap()
                .uid();
            assert_eq!(owner, 0, "{args:?}: the process is dumpable");
        }
        drop(stdin);
        assert!(child.wait().unwrap().success());
    }
}

fn rustix_uid() -> u32 {
    std::fs::metadata("/proc/self").unwrap().uid()
}

/// What `sh -c SCRIPT` prints when started directly, and when started by `vault run` (with and
/// without `--mask`), under a soft core limit of 1024 blocks.
#[test]
fn a_command_started_by_vault_run_has_the_users_limits_and_no_vault_descriptor() {
    let v = TestVault::new();
    v.add("k", "secret-value", &["--env", "K"]);
    let script =
        "ulimit -S -c; ulimit -H -c; ls /proc/$$/fd; test \"$K\" = secret-value && echo injected";
    let direct = Command::new("sh")
        .args(["-c", &format!("ulimit -S -c 1024; exec sh -c '{script}'")])
        .env("K", "secret-value")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let expected = String::from_utf8(direct.stdout).unwrap();
    assert!(
        expected.contains("1024\n") && expected.ends_with("injected\n"),
        "{expected}"
    );
    for mask in [false, true] {
        let mut run = format!(
            "exec '{}' --vault '{}' --password-file '{}' run --item k",
            bin("vault").display(),
            v.path.display(),
            v.password_file.display(),
        );
        if mask {
            run.push_str(" --mask");
        }
        let cmd = v.bare();
        // Through a shell that lowers the soft limit first, as a user's `ulimit` would.
        let out = Command::new("sh")
            .args([
                "-c",
                &format!("ulimit -S -c 1024; {run} -- sh -c '{script}'"),
            ])
            .envs(cmd.get_envs().filter_map(|(k, val)| Some((k, val?))))
            .env_remove("K")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let got = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            got,
            expected,
            "mask {mask}: the command must see what it would see run directly\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The limit SECURITY.md states for a compromised command: it runs as the user, so while the
/// agent holds the vault unlocked it can ask the agent for any item, as any program of the
/// user's can (the agent checks the user, not the program). Locking is the boundary: once
/// locked, and with no password source, the same request is refused.
#[test]
fn a_command_can_ask_an_unlocked_agent_for_more_but_not_a_locked_one() {
    let v = TestVault::new();
    v.add("given", "value-given", &["--env", "GIVEN"]);
    v.add("other", "value-other", &[]);
    let reach = format!(
        "'{}' --vault '{}' get other",
        bin("vault").display(),
        v.path.display()
    );
    let out = v
        .cmd()
        .args(["run", "--item", "given", "--", "sh", "-c", &reach])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "value-other\n");

    v.run(&["lock"]).ok();
    let out = v
        .cmd()
        .args([
            "--no-agent",
            "run",
            "--item",
            "given",
            "--",
            "sh",
            "-c",
            &reach,
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(8),
        "locked, and no password to unlock"
    );
    assert!(out.stdout.is_empty());
}

/// `vault run --mask` stays the parent of the command and holds its secrets while it runs: its
/// own core limit stays zero; only the command gets the user's limit back.
#[test]
fn the_masking_parent_keeps_its_core_limit_at_zero() {
    let v = TestVault::new();
    v.add("k", "secret-value", &["--env", "K"]);
    let script = "ulimit -S -c; grep \"Max core file size\" /proc/$PPID/limits";
    let run = format!(
        "exec '{}' --vault '{}' --password-file '{}' run --mask --item k -- sh -c '{script}'",
        bin("vault").display(),
        v.path.display(),
        v.password_file.display(),
    );
    let cmd = v.bare();
    let out = Command::new("sh")
        .args(["-c", &format!("ulimit -S -c 1024; {run}")])
        .envs(cmd.get_envs().filter_map(|(k, val)| Some((k, val?))))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let got = String::from_utf8(out.stdout).unwrap();
    let mut lines = got.lines();
    assert_eq!(lines.next(), Some("1024"), "the command's own limit: {got}");
    let parent: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(parent[4], "0", "vault, holding the secret: {got}");
}

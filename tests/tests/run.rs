//! `vault run`, `vault env` and `vault inject` as a user meets them: the command behaves as if
//! run directly (status, signals, stdio, tty), with exactly the secrets asked for, or it does
//! not start at all.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use vault_tests::{TestVault, bin, contains, pipe};

const KEY: &str = "sk-proj-7f3a9c2e5b1d4a8f";

/// A vault with an `openai` key, and a project folder whose `.vault.env` refers to it.
fn project() -> (TestVault, std::path::PathBuf) {
    let v = TestVault::new();
    v.add("openai", KEY, &["--env", "OPENAI_API_KEY", "--tag", "ai"]);
    let proj = v.dir.path().join("proj");
    std::fs::create_dir_all(proj.join("src/deep")).unwrap();
    std::fs::write(
        proj.join(".vault.env"),
        "# safe to commit\nOPENAI_API_KEY=vault://openai\nPORT=3000\n",
    )
    .unwrap();
    v.allow_project_file(&proj);
    (v, proj)
}

/// `vault run ARGS` in `dir`, with the test's password file. The output goes to the test's
/// pipes, where vault masks by default: these tests check the command as run directly, so
/// `--no-mask` unless they ask for `--mask`.
fn run_in(v: &TestVault, dir: &std::path::Path, args: &[&str]) -> Command {
    let mut c = v.cmd();
    c.current_dir(dir).arg("run");
    if !args.contains(&"--mask") {
        c.arg("--no-mask");
    }
    c.args(args);
    c
}

fn output(mut c: Command) -> std::process::Output {
    c.output().unwrap()
}

#[test]
fn the_command_gets_its_secrets_from_the_nearest_project_file() {
    let (v, proj) = project();
    let out = output(run_in(
        &v,
        &proj.join("src/deep"),
        &["--", "sh", "-c", "echo \"$OPENAI_API_KEY $PORT\""],
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{KEY} 3000\n")
    );
    // `--` is optional, and the command's own options are its own.
    let out = output(run_in(&v, &proj, &["printenv", "-0", "PORT"]));
    assert_eq!(out.stdout, b"3000\0");
}

#[test]
fn exit_statuses_and_signals_are_the_commands_own() {
    let (v, proj) = project();
    for (script, code) in [("exit 0", 0), ("exit 1", 1), ("exit 42", 42)] {
        for mask in [false, true] {
            let mut args = vec![];
            if mask {
                args.push("--mask");
            }
            args.extend(["--", "sh", "-c", script]);
            assert_eq!(
                output(run_in(&v, &proj, &args)).status.code(),
                Some(code),
                "{script}"
            );
        }
    }
    // Death by signal: exactly as if run directly (vault has become the command) ...
    let out = output(run_in(&v, &proj, &["--", "sh", "-c", "kill -TERM $$"]));
    assert_eq!(out.status.signal(), Some(15));
    // ... and 128+N when vault supervises it.
    let out = output(run_in(
        &v,
        &proj,
        &["--mask", "--", "sh", "-c", "kill -TERM $$"],
    ));
    assert_eq!(out.status.code(), Some(128 + 15));

    let out = output(run_in(&v, &proj, &["--", "no-such-command-xyz"]));
    assert_eq!(out.status.code(), Some(127));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no-such-command-xyz: command not found")
    );
    let script = v.dir.path().join("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = output(run_in(&v, &proj, &["--", script.to_str().unwrap()]));
    assert_eq!(out.status.code(), Some(126));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not executable"));
}

#[test]
fn sigterm_and_sigint_reach_a_child_that_traps_them() {
    let (v, proj) = project();
    for mask in [false, true] {
        for (sig, name) in [(15, "TERM"), (2, "INT")] {
            let script = format!(
                "trap 'echo got-{name}; exit 7' {name}; echo ready; while :; do sleep 0.05; done"
            );
            let mut args = vec![];
            if mask {
                args.push("--mask");
            }
            args.extend(["--", "sh", "-c", script.as_str()]);
            let mut child = run_in(&v, &proj, &args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut out = BufReader::new(child.stdout.take().unwrap());
            let mut line = String::new();
            out.read_line(&mut line).unwrap();
            assert_eq!(line, "ready\n");
            Command::new("kill")
                .args([format!("-{sig}"), child.id().to_string()])
                .status()
                .unwrap();
            let mut rest = String::new();
            out.read_to_string(&mut rest).unwrap();
            let status = child.wait().unwrap();
            assert_eq!(rest, format!("got-{name}\n"), "mask={mask}");
            assert_eq!(status.code(), Some(7), "mask={mask} {name}");
        }
    }
}

#[test]
fn stdin_is_piped_through() {
    let (v, proj) = project();
    for mask in [&[][..], &["--mask"][..]] {
        let mut c = run_in(&v, &proj, mask);
        c.args(["--", "tr", "a-z", "A-Z"]);
        assert_eq!(pipe(&mut c, b"hello stdin\n").ok(), "HELLO STDIN\n");
    }
}

/// Runs `vault ...` inside a pseudo-terminal (util-linux `script`), returning what it showed.
fn in_terminal(v: &TestVault, dir: &std::path::Path, vault_args: &str) -> String {
    let command = format!(
        "{} --vault {} --password-file {} {vault_args}",
        bin("vault").display(),
        v.path.display(),
        v.password_file.display()
    );
    let mut c = v.bare();
    // `bare` carries vault's own arguments; take only its environment.
    let envs: Vec<_> = c
        .get_envs()
        .filter_map(|(k, val)| Some((k.to_owned(), val?.to_owned())))
        .collect();
    c = Command::new("script");
    c.env_clear()
        .envs(envs)
        .env("TERM", "xterm")
        .current_dir(dir)
        .args(["-qec", &command, "/dev/null"])
        .stdin(Stdio::null());
    let out = c.output().unwrap();
    String::from_utf8_lossy(&out.stdout).replace('\r', "")
}

#[test]
fn a_child_sees_the_users_terminal_even_when_masked() {
    let (v, proj) = project();
    let check = "if [ -t 1 ]; then echo stdout-is-a-tty; else echo stdout-is-not-a-tty; fi";
    let plain = in_terminal(&v, &proj, &format!("run -- sh -c '{check}'"));
    assert!(plain.contains("stdout-is-a-tty"), "{plain}");
    let masked = in_terminal(
        &v,
        &proj,
        &format!(
            "run --mask -- sh -c '{check}; printf \"\\033[31mred $OPENAI_API_KEY\\033[0m\\n\"'"
        ),
    );
    assert!(masked.contains("stdout-is-a-tty"), "{masked}");
    assert!(
        masked.contains("\x1b[31mred <redacted:OPENAI_API_KEY>\x1b[0m"),
        "colours kept, secret masked: {masked:?}"
    );
    assert!(!masked.contains(KEY));
}

#[test]
fn masking_catches_a_secret_split_across_two_writes() {
    let (v, proj) = project();
    let (a, b) = KEY.split_at(9);
    let script = format!(
        "printf 'key: {a}'; sleep 0.1; printf '{b} done\\n'; echo \"err $OPENAI_API_KEY\" >&2"
    );
    let out = output(run_in(&v, &proj, &["--mask", "--", "sh", "-c", &script]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "key: <redacted:OPENAI_API_KEY> done\n"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("err <redacted:OPENAI_API_KEY>"), "{err}");
    assert!(!contains(&out.stdout, KEY.as_bytes()) && !contains(&out.stderr, KEY.as_bytes()));

    // A pause longer than the relay waits for the rest (300 ms) lets nothing through either.
    let script = format!("printf 'key: {a}'; sleep 0.6; printf '{b} done\\n'");
    let out = output(run_in(&v, &proj, &["--mask", "--", "sh", "-c", &script]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "key: <redacted:OPENAI_API_KEY> done\n"
    );
}

#[test]
fn an_unresolved_reference_means_the_command_never_starts() {
    let (v, proj) = project();
    std::fs::write(
        proj.join(".vault.env"),
        "OPENAI_API_KEY=vault://openai\nSTRIPE=vault://stripe\nBAD LINE\n",
    )
    .unwrap();
    let marker = v.dir.path().join("started");
    let out = output(run_in(
        &v,
        &proj,
        &["--", "touch", marker.to_str().unwrap()],
    ));
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3"), "bad lines are named: {err}");
    assert!(!marker.exists(), "the command must not start");

    std::fs::write(
        proj.join(".vault.env"),
        "A=vault://openai\nB=vault://stripe\nC=vault://x/y\n",
    )
    .unwrap();
    v.allow_project_file(&proj);
    let out = output(run_in(
        &v,
        &proj,
        &["--", "touch", marker.to_str().unwrap()],
    ));
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".vault.env:2 B: vault://stripe: no item named \"stripe\"")
            && err.contains(".vault.env:3 C"),
        "every problem is listed: {err}"
    );
    assert!(!marker.exists());

    // A locked vault with no way to ask for the password: not started either.
    v.run(&["lock"]).ok();
    let mut c = v.bare();
    c.current_dir(&proj)
        .args(["run", "--", "touch", marker.to_str().unwrap()]);
    assert_eq!(c.output().unwrap().status.code(), Some(125));
    assert!(!marker.exists());
}

#[test]
fn references_in_the_inherited_environment_are_resolved() {
    let (v, _) = project();
    let empty = v.dir.path().join("elsewhere");
    std::fs::create_dir_all(&empty).unwrap();
    let mut c = run_in(&v, &empty, &["--", "sh", "-c", "echo \"$MY_KEY|$PLAIN\""]);
    c.env("MY_KEY", "vault://openai").env("PLAIN", "untouched");
    let out = c.output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{KEY}|untouched\n")
    );
}

#[test]
fn the_users_own_variables_win_unless_overridden_and_no_inherit_env_starts_clean() {
    let (v, proj) = project();
    let mut c = run_in(&v, &proj, &["--", "sh", "-c", "echo $OPENAI_API_KEY"]);
    c.env("OPENAI_API_KEY", "my-own");
    let out = c.output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "my-own\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--override"));
    let mut c = run_in(
        &v,
        &proj,
        &["--override", "--", "sh", "-c", "echo $OPENAI_API_KEY"],
    );
    c.env("OPENAI_API_KEY", "my-own");
    assert_eq!(
        String::from_utf8_lossy(&c.output().unwrap().stdout),
        format!("{KEY}\n")
    );

    let mut c = run_in(&v, &proj, &["--no-inherit-env", "--", "env"]);
    c.env("SOMETHING_ELSE", "x")
        .env("USER", "tester")
        .env("TERM", "dumb");
    let out = c.output().unwrap();
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.to_owned()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["HOME", "OPENAI_API_KEY", "PATH", "PORT", "TERM", "USER"]
    );
}

#[test]
fn items_and_profiles_inject_under_their_env_names() {
    let (v, proj) = project();
    v.add(
        "github",
        "ghp_0123456789abcdefghij",
        &["--env", "GITHUB_TOKEN", "--env", "GH_TOKEN", "--tag", "ai"],
    );
    let out = output(run_in(
        &v,
        &proj,
        &[
            "--item",
            "github",
            "--",
            "sh",
            "-c",
            "echo $GITHUB_TOKEN $GH_TOKEN",
        ],
    ));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ghp_0123456789abcdefghij ghp_0123456789abcdefghij\n"
    );
    let out = output(run_in(
        &v,
        &proj,
        &[
            "--profile",
            "ai",
            "--",
            "sh",
            "-c",
            "echo $GH_TOKEN $OPENAI_API_KEY",
        ],
    ));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("ghp_0123456789abcdefghij {KEY}\n")
    );
    let out = output(run_in(&v, &proj, &["--profile", "nope", "--", "true"]));
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no item is tagged \"nope\""));
}

#[test]
fn a_value_never_appears_in_a_command_line_and_every_run_is_audited() {
    let (v, proj) = project();
    let mut child = run_in(&v, &proj, &["--", "sleep", "3"]).spawn().unwrap();
    let pid = child.id();
    let mut environ = Vec::new();
    for _ in 0..100 {
        environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        if contains(&environ, b"OPENAI_API_KEY=") {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        contains(&environ, KEY.as_bytes()),
        "the child has its secret"
    );
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert_eq!(
        cmdline, b"sleep\x003\x00",
        "vault became the command; no secret in argv"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let log = v.run(&["log", "--json"]).ok().to_owned();
    assert!(
        log.contains(r#""event": "run""#) && log.contains(r#""program": "sleep""#),
        "{log}"
    );
    assert!(log.contains(r#""openai""#));
    assert!(!log.contains(KEY));
}

#[test]
fn an_expired_key_gets_one_warning_that_can_be_silenced() {
    let (v, proj) = project();
    v.add("old", "sk-old-000000000", &["--expires", "2020-01-01"]);
    let out = output(run_in(&v, &proj, &["--item", "old", "--", "true"]));
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("vault: warning").count(), 1, "{err}");
    assert!(err.contains("old: expired"), "{err}");
    let out = output(run_in(
        &v,
        &proj,
        &["--item", "old", "--no-rotation-warning", "--", "true"],
    ));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn vault_env_is_eval_able_and_inject_writes_a_private_file() {
    let (v, proj) = project();
    v.add("quote", "it's a \"value\" with $dollar", &[]);
    let mut c = v.cmd();
    c.current_dir(&proj).args(["env", "--item", "quote"]);
    let exports = String::from_utf8(c.output().unwrap().stdout).unwrap();
    let out = Command::new("sh")
        .args([
            "-c",
            &format!("{exports}\nprintf '%s|%s|%s' \"$QUOTE\" \"$OPENAI_API_KEY\" \"$PORT\""),
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("it's a \"value\" with $dollar|{KEY}|3000")
    );

    let tpl = proj.join("config.tpl");
    std::fs::write(
        &tpl,
        "key: {{ vault://openai }}\nname: {{vault://openai/name}}\nkeep: {{ other }}\n",
    )
    .unwrap();
    let dest = proj.join("config.yml");
    v.run(&[
        "inject",
        "-i",
        tpl.to_str().unwrap(),
        "-o",
        dest.to_str().unwrap(),
    ])
    .ok();
    assert_eq!(
        std::fs::read_to_string(&dest).unwrap(),
        format!("key: {KEY}\nname: openai\nkeep: {{{{ other }}}}\n")
    );
    assert_eq!(
        std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let err = v
        .run(&[
            "inject",
            "-i",
            tpl.to_str().unwrap(),
            "-o",
            dest.to_str().unwrap(),
        ])
        .fails(6)
        .to_owned();
    assert!(err.contains("--force"), "{err}");
    v.run(&[
        "inject",
        "-i",
        tpl.to_str().unwrap(),
        "-o",
        dest.to_str().unwrap(),
        "--force",
    ])
    .ok();

    std::fs::write(&tpl, "a: {{ vault://missing }}\n").unwrap();
    let other = proj.join("other.yml");
    v.run(&[
        "inject",
        "-i",
        tpl.to_str().unwrap(),
        "-o",
        other.to_str().unwrap(),
    ])
    .fails(4);
    assert!(
        !other.exists(),
        "nothing is written when a reference does not resolve"
    );
}

/// `vault` finishes `run`, `get` and `token` itself while the agent holds the vault unlocked,
/// and hands everything else to `vault-full` (beside it): shown with a `vault` that has no
/// `vault-full` to hand over to.
#[test]
fn the_front_runs_the_everyday_commands_alone_and_hands_the_rest_over() {
    let (v, proj) = project();
    let alone = v.dir.path().join("alone");
    std::fs::create_dir(&alone).unwrap();
    let front = alone.join("vault");
    std::fs::copy(bin("vault"), &front).unwrap();
    // No password on the command line: one that is given is checked, by vault-full.
    let template = v.bare();
    let front_cmd = |args: &[&str]| {
        let mut c = Command::new(&front);
        c.env_clear()
            .envs(template.get_envs().filter_map(|(k, val)| Some((k, val?))))
            .args(template.get_args())
            .args(args)
            .current_dir(&proj);
        vault_tests::output_of_fresh_copy(&mut c)
    };

    let out = front_cmd(&["run", "--no-mask", "--", "printenv", "OPENAI_API_KEY"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{KEY}\n"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = front_cmd(&["get", "openai"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{KEY}\n"));

    let missing = |out: &std::process::Output| {
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("vault-full is missing"), "{err}");
    };
    missing(&front_cmd(&["ls"]));
    missing(&front_cmd(&["--help"]));
    missing(&front_cmd(&["run", "--help"]));
    missing(&front_cmd(&["get", "--help"]));
    missing(&front_cmd(&["run", "--mask", "--", "true"]));
    // Output to a pipe is masked by default: vault-full's too.
    missing(&front_cmd(&["run", "--", "true"]));

    // Locked: the password is vault-full's to ask for, and the command starts only after it.
    v.run(&["lock"]).ok();
    missing(&front_cmd(&["run", "--", "printenv", "OPENAI_API_KEY"]));
    let user_umask = Command::new("sh").args(["-c", "umask"]).output().unwrap();
    let out = output(run_in(
        &v,
        &proj,
        &["--", "sh", "-c", "umask; printenv OPENAI_API_KEY"],
    ));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}{KEY}\n", String::from_utf8_lossy(&user_umask.stdout)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A multi-line secret printed on a terminal reaches the masker with `\r\n` line ends (the
/// pty's ONLCR): it is still masked whole, and no line of it shows.
#[test]
fn masking_catches_a_multi_line_secret_on_a_terminal() {
    let (v, proj) = project();
    let pem = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----";
    v.add("cert", pem, &["--env", "CERT"]);
    let shown = in_terminal(
        &v,
        &proj,
        "run --mask --item cert -- sh -c 'printf \"%s\\n\" \"$CERT\"'",
    );
    assert!(shown.contains("<redacted:CERT>"), "{shown:?}");
    assert!(
        !shown.contains("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"),
        "{shown:?}"
    );
}

/// With stdout and stderr going to one place (`2>&1`, as in CI logs), a secret written half to
/// each is one secret in the merged output: masked whole, neither half shown.
#[test]
fn masking_catches_a_secret_split_between_stdout_and_stderr_when_merged() {
    let (v, proj) = project();
    let (a, b) = KEY.split_at(9);
    let script = format!("printf 'key: {a}'; printf '{b} done\\n' >&2");
    let vault = format!(
        "exec '{}' --vault '{}' --password-file '{}' run --mask -- sh -c \"{script}\" 2>&1",
        bin("vault").display(),
        v.path.display(),
        v.password_file.display()
    );
    let cmd = v.bare();
    let out = Command::new("sh")
        .args(["-c", &vault])
        .current_dir(&proj)
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, val)| Some((k, val?))))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(shown, "key: <redacted:OPENAI_API_KEY> done\n");
    assert!(!contains(&out.stdout, b.as_bytes()), "{shown}");
}

/// The audit log records what happened: every value that leaves the vault (`get` too, named
/// by what asked), and nothing for a command that could not start or an export that could not
/// be written, which now fail before any value is asked for.
#[test]
fn the_audit_log_records_only_what_happened() {
    let (v, proj) = project();
    let entries = |v: &TestVault| -> Vec<String> {
        v.run(&["log"])
            .ok()
            .lines()
            .skip(1)
            .map(|l| l.split_once("  ").map_or("", |x| x.1).trim().to_owned())
            .collect()
    };
    let before = entries(&v).len();
    // A command that does not exist: 127, before anything is resolved.
    let out = output(run_in(&v, &proj, &["--", "no-such-program-4f2a"]));
    assert_eq!(out.status.code(), Some(127));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("command not found"), "{err}");
    // An export onto an existing file: 6, before anything is exported.
    let existing = v.dir.path().join("existing.env");
    std::fs::write(&existing, "keep me\n").unwrap();
    let export = v.run(&["export", "--yes", "-o", existing.to_str().unwrap()]);
    export.fails(6);
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me\n");
    assert_eq!(entries(&v).len(), before, "{:?}", entries(&v));
    // A read is a release like any other.
    assert_eq!(v.run(&["get", "openai"]).ok(), format!("{KEY}\n"));
    let log = entries(&v);
    assert_eq!(log.len(), before + 1, "{log:?}");
    assert_eq!(log[0], "gave openai to vault get", "{log:?}");
    let out = output(run_in(&v, &proj, &["--", "true"]));
    assert!(out.status.success());
    assert_eq!(entries(&v)[0], "gave openai to true");
}

//! Harness for the end-to-end suites: the real `vault` binary on a temp vault, with its own
//! runtime dir (so agents of different tests never meet) and a password file.

// A harness: a failed expectation here is a failed test, so panicking is the right report.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

pub mod git_http;
pub mod oauth;
pub mod s3;
pub mod sources;
pub mod sync;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub mod desktop;

pub const PASSWORD: &str = "correct horse battery staple";

/// A built binary of this workspace, next to the test executable's `deps/` folder.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --workspace --bins` first (make test does)",
        path.display()
    );
    path
}

/// What a finished command did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(out: Output) -> Self {
        Self::from(out)
    }

    fn from(out: Output) -> Self {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code,
            Some(0),
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic: {}", self.stderr);
        &self.stdout
    }

    /// Asserts the exit code and that the message is a clean error, not a panic.
    #[track_caller]
    pub fn fails(&self, code: i32) -> &str {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit {code}\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic: {}", self.stderr);
        assert!(
            self.stderr.starts_with("vault: "),
            "error message: {}",
            self.stderr
        );
        &self.stderr
    }
}

/// A temp directory holding a vault, a password file and a private runtime dir.
#[derive(Debug)]
pub struct TestVault {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub password_file: PathBuf,
    pub runtime_dir: PathBuf,
}

impl TestVault {
    /// A fresh, initialised vault (minimum KDF cost, to keep suites fast).
    pub fn new() -> Self {
        let v = Self::uninitialised();
        v.run(&["init", "--kdf", "minimum"]).ok();
        v
    }

    /// The paths, without running `vault init`.
    pub fn uninitialised() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("data/vault.db");
        let password_file = dir.path().join("password");
        std::fs::write(&password_file, format!("{PASSWORD}\n")).expect("password file");
        let runtime_dir = dir.path().join("run");
        std::fs::create_dir(&runtime_dir).expect("runtime dir");
        TestVault {
            dir,
            path,
            password_file,
            runtime_dir,
        }
    }

    /// `vault --vault PATH ...` with a clean environment: no `VAULT_PATH`, a private HOME and
    /// runtime dir. No password source: add `--password-file` yourself, or use [`Self::run`].
    pub fn bare(&self) -> Command {
        let mut cmd = Command::new(bin("vault"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_RUNTIME_DIR", &self.runtime_dir)
            .env("XDG_DATA_HOME", self.dir.path().join("xdg-data"))
            .env("TZ", "UTC")
            .arg("--vault")
            .arg(&self.path)
            .stdin(Stdio::null());
        cmd
    }

    /// A command with the password file.
    pub fn cmd(&self) -> Command {
        let mut cmd = self.bare();
        cmd.arg("--password-file").arg(&self.password_file);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd().args(args).output().expect("run vault"))
    }

    /// Runs with `input` on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        pipe(self.cmd().args(args), input)
    }

    /// `vault allow --yes` in `dir`: lets `vault run` there use the nearest `.vault.env` as it
    /// is now (a new or changed project file is refused until allowed).
    pub fn allow_project_file(&self, dir: &Path) {
        Run::from(
            self.cmd()
                .current_dir(dir)
                .args(["allow", "--yes"])
                .output()
                .expect("run vault allow"),
        )
        .ok();
    }

    /// Adds an API key with `value` piped on stdin.
    pub fn add(&self, name: &str, value: &str, extra: &[&str]) {
        let mut args = vec!["add", name];
        args.extend_from_slice(extra);
        self.run_with_stdin(&args, value.as_bytes()).ok();
    }

    /// The bytes of the vault file and its WAL/SHM companions.
    pub fn file_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            if let Ok(b) = std::fs::read(&p) {
                all.extend(b);
            }
        }
        all
    }

    /// A raw SQLite connection to the vault, for tampering.
    pub fn raw(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).expect("open vault with sqlite")
    }
}

impl Default for TestVault {
    fn default() -> Self {
        Self::new()
    }
}

impl TestVault {
    /// Stops this test's agent, if one runs (it would also leave by itself once the temp
    /// dir, and with it its socket, is gone).
    pub fn stop_agent(&self) {
        let _ = self.bare().args(["agent", "--stop"]).output();
    }

    /// The agent's folder in this test's runtime dir.
    pub fn agent_dir(&self) -> PathBuf {
        self.runtime_dir.join("vault")
    }
}

impl Drop for TestVault {
    fn drop(&mut self) {
        self.stop_agent();
    }
}

impl TestVault {
    /// Runs the shell command line `command` in a pseudo-terminal (util-linux `script`), with
    /// this vault's environment, typing `typed`; stdout holds the terminal's whole output.
    pub fn at_terminal(&self, command: &str, typed: &[u8]) -> Run {
        let template = self.bare();
        let mut c = Command::new("script");
        c.env_clear()
            .envs(template.get_envs().filter_map(|(k, val)| Some((k, val?))))
            .env("TERM", "xterm")
            .args(["-qec", command, "/dev/null"]);
        pipe(&mut c, typed)
    }
}

/// Runs `cmd` with `input` on stdin.
pub fn pipe(cmd: &mut Command, input: &[u8]) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vault");
    if let Some(mut stdin) = child.stdin.take() {
        // The child may exit before reading (e.g. it refuses the command): ignore EPIPE.
        let _ = stdin.write_all(input);
    }
    Run::from(child.wait_with_output().expect("wait for vault"))
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs a program the test has just copied. Another test thread may fork while the copy's
/// file is still open for writing; until that child execs, running the copy fails with
/// ETXTBSY ("text file busy"), so that error is waited out.
pub fn output_of_fresh_copy(cmd: &mut Command) -> Output {
    for _ in 0..200 {
        match cmd.output() {
            Err(e) if e.raw_os_error() == Some(26) => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other.expect("run the copied program"),
        }
    }
    panic!("the copied program stayed busy (ETXTBSY) for 2 s");
}

/// `text` as JSON, or a panic that shows it.
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Polls `condition` every 100 ms until it holds; fails the test naming `what` once `timeout`
/// passes. A wait for a condition, never a sleep that hopes.
pub fn wait_until(timeout: std::time::Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + timeout;
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Kills `pid` with SIGKILL (no chance to clean up: what a crash or the OOM killer does).
pub fn kill9(pid: u32) {
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -KILL {pid} failed");
}

/// The ```sh blocks of a Markdown text (the README), each as its commands (a heredoc or a `\` continuation
/// stays with the line that starts it).
pub fn shell_blocks(readme: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "```sh" {
            continue;
        }
        let mut commands = Vec::new();
        let mut current = String::new();
        let mut heredoc: Option<String> = None;
        for line in lines.by_ref() {
            if line.trim() == "```" {
                break;
            }
            current.push_str(line);
            current.push('\n');
            if let Some(end) = &heredoc {
                if line.trim() == end {
                    heredoc = None;
                    commands.push(std::mem::take(&mut current));
                }
                continue;
            }
            if let Some(at) = line.find("<<'") {
                let rest = &line[at + 3..];
                heredoc = rest.split('\'').next().map(str::to_owned);
                continue;
            }
            if line.trim_end().ends_with('\\') {
                continue;
            }
            commands.push(std::mem::take(&mut current));
        }
        blocks.push(commands);
    }
    blocks
}

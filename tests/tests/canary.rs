//! Canaries: every command run with unique canary secrets, item metadata and master
//! passwords, and after each one a search for them wherever they must never be: the vault file
//! and its -wal and -shm, the agent's log, every process's command line, the agent's
//! environment, stderr, the stdout of commands that do not print values, and every file the
//! commands could have left behind (the test's HOME, config, runtime and temp dirs, and new
//! files in /tmp and /dev/shm). The only places a canary may appear are those the user asked
//! for plaintext: the files they wrote (password file, the .env they import, a template),
//! `export -o` and `inject -o` output, and the stdout of `get`, `env` and `export`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use vault_tests::{Run, TestVault, contains};

/// Unique strings: a leftover of another run can never be mistaken for a leak of this one.
fn canary(what: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("CANARY{what}x{}x{nanos:x}", std::process::id())
}

struct Canaries {
    /// Values and master passwords: nowhere but where the user asked for them.
    secrets: Vec<String>,
    /// Names, env names, tags, notes: encrypted in the file (they show in argv and listings).
    meta: Vec<String>,
}

struct Suite {
    v: TestVault,
    c: Canaries,
    master: String,
    new_master: String,
    pw_file: PathBuf,
    tmp: PathBuf,
    /// Files the user wrote or asked vault to write in plaintext.
    allowed: Vec<PathBuf>,
    started: SystemTime,
    searches: usize,
}

impl Suite {
    fn cmd(&self) -> Command {
        let mut c = self.v.bare();
        c.env("TMPDIR", &self.tmp)
            .env("XDG_CONFIG_HOME", self.v.dir.path().join("config"))
            .arg("--password-file")
            .arg(&self.pw_file);
        c
    }

    /// Runs a command to success; its stderr (and stdout, unless it prints values on request)
    /// must hold no secret. Then everything is searched.
    fn run(&mut self, args: &[&str], stdin: Option<&str>, prints_values: bool) -> String {
        let mut cmd = self.cmd();
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
            // The value is in the process now, stdin still open: look at every command line
            // while it waits for the end of its input.
            std::thread::sleep(Duration::from_millis(30));
            self.search_processes(&format!("during {args:?}"));
        }
        drop(input);
        let out = child.wait_with_output().unwrap();
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        run.ok();
        let stage = format!("{args:?}");
        self.absent(run.stderr.as_bytes(), &format!("stderr of {stage}"), false);
        if !prints_values {
            self.absent(run.stdout.as_bytes(), &format!("stdout of {stage}"), false);
        }
        self.search_everywhere(&stage);
        run.stdout
    }

    /// `vault allow --yes` in `dir` (its stderr, which lists the references, is searched too).
    fn allow(&mut self, dir: &Path) {
        let out = self
            .cmd()
            .current_dir(dir)
            .args(["allow", "--yes"])
            .output()
            .unwrap();
        let run = Run::from_output(out);
        run.ok();
        self.absent(run.stderr.as_bytes(), "stderr of vault allow", false);
        self.search_everywhere("vault allow");
    }

    /// Fails if any canary (secrets only, or metadata too) is in `bytes`.
    fn absent(&mut self, bytes: &[u8], place: &str, with_meta: bool) {
        self.searches += 1;
        let meta: &[String] = if with_meta { &self.c.meta } else { &[] };
        for c in self.c.secrets.iter().chain(meta) {
            assert!(
                !contains(bytes, c.as_bytes()),
                "canary {c} found in {place}"
            );
        }
    }

    fn search_everywhere(&mut self, stage: &str) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.v.path.clone().into_os_string();
            p.push(suffix);
            if let Ok(bytes) = std::fs::read(&p) {
                self.absent(
                    &bytes,
                    &format!("{} after {stage}", p.to_string_lossy()),
                    true,
                );
            }
        }
        if let Ok(log) = std::fs::read(self.v.agent_dir().join("agent.log")) {
            self.absent(&log, &format!("the agent log after {stage}"), true);
        }
        if let Some(pid) = self.agent_pid()
            && let Ok(env) = std::fs::read(format!("/proc/{pid}/environ"))
        {
            self.absent(
                &env,
                &format!("the agent's environment after {stage}"),
                true,
            );
        }
        self.search_processes(stage);
    }

    /// Every process's command line on the machine.
    fn search_processes(&mut self, stage: &str) {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
                self.absent(
                    &cmdline,
                    &format!("/proc/{}/cmdline during {stage}", name.to_string_lossy()),
                    false,
                );
            }
        }
    }

    fn agent_pid(&self) -> Option<u64> {
        let pid = std::fs::read_to_string(self.v.agent_dir().join("agent.pid")).ok()?;
        let pid: u64 = pid.trim().parse().ok()?;
        Path::new(&format!("/proc/{pid}")).exists().then_some(pid)
    }

    /// Every file under `dir` that the user did not ask for in plaintext.
    fn search_tree(&mut self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                self.search_tree(&path);
            } else if kind.is_file()
                && !self.allowed.contains(&path)
                && let Ok(bytes) = std::fs::read(&path)
            {
                self.absent(&bytes, &path.display().to_string(), true);
            }
        }
    }

    /// Files created in a shared temp dir since the suite started (secrets only: other tests'
    /// files there are not ours to judge).
    fn search_new_files(&mut self, dir: &Path, depth: usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.path().starts_with(self.v.dir.path()) {
                continue; // searched above, knowing which files the user asked for
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() && depth > 0 {
                self.search_new_files(&entry.path(), depth - 1);
            } else if meta.is_file()
                && meta.len() < 16 * 1024 * 1024
                && meta.modified().is_ok_and(|m| m >= self.started)
                && let Ok(bytes) = std::fs::read(entry.path())
            {
                self.absent(&bytes, &entry.path().display().to_string(), false);
            }
        }
    }
}

#[test]
fn no_canary_is_found_anywhere_after_every_command() {
    let v = TestVault::uninitialised();
    let master = canary("master");
    let new_master = canary("newmaster");
    let add_value = canary("addvalue");
    let rotated_value = canary("rotatedvalue");
    let import_value = canary("importvalue");
    let direct_value = canary("directvalue");
    let (item, renamed, notes, tag, env_name, import_name) = (
        canary("item").to_lowercase(),
        canary("renamed").to_lowercase(),
        canary("notes"),
        canary("tag").to_lowercase(),
        canary("ENV").to_uppercase(),
        canary("IMPORTED").to_uppercase(),
    );
    let dir = v.dir.path().to_owned();
    let tmp = dir.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let pw_file = dir.join("master-password");
    std::fs::write(&pw_file, format!("{master}\n")).unwrap();
    let mut s = Suite {
        c: Canaries {
            secrets: vec![
                master.clone(),
                new_master.clone(),
                add_value.clone(),
                rotated_value.clone(),
                import_value.clone(),
                direct_value.clone(),
            ],
            meta: vec![
                item.clone(),
                renamed.clone(),
                notes.clone(),
                tag.clone(),
                env_name.clone(),
                import_name.clone(),
            ],
        },
        master,
        new_master,
        pw_file: pw_file.clone(),
        tmp,
        allowed: vec![pw_file.clone()],
        started: SystemTime::now(),
        searches: 0,
        v,
    };

    s.run(&["init", "--kdf", "minimum"], None, false);
    s.run(
        &[
            "add", &item, "--env", &env_name, "--tag", &tag, "--notes", &notes,
        ],
        Some(&add_value),
        false,
    );
    let got = s.run(&["get", &item], None, true);
    assert_eq!(got, format!("{add_value}\n"));
    s.run(&["ls"], None, false);
    s.run(&["ls", "--json"], None, false);
    s.run(&["get", &item, "--field", "notes"], None, false);
    s.run(&["edit", &item, "--rename", &renamed], None, false);
    s.run(&["rotate", &renamed], Some(&rotated_value), false);
    s.run(&["history", &renamed], None, false);
    s.run(&["history", &renamed, "--json"], None, false);
    s.run(&["rollback", &renamed], None, false);
    assert_eq!(
        s.run(&["get", &renamed], None, true),
        format!("{add_value}\n")
    );

    // A secret field: from stdin, sealed with the value, listed by name only.
    let field_value = canary("SECRETFIELD");
    s.c.secrets.push(field_value.clone());
    s.run(
        &["edit", &renamed, "--secret-field", "password"],
        Some(&format!("{field_value}\n")),
        false,
    );
    s.run(&["ls", "--json"], None, false);
    s.run(&["history", &renamed, "--json"], None, false);
    assert_eq!(
        s.run(&["get", &renamed, "--field", "password"], None, true),
        format!("{field_value}\n")
    );

    let import_file = dir.join("import.env");
    std::fs::write(&import_file, format!("{import_name}='{import_value}'\n")).unwrap();
    s.allowed.push(import_file.clone());
    s.run(&["import", import_file.to_str().unwrap()], None, false);

    let export_file = dir.join("backup.env");
    s.allowed.push(export_file.clone());
    s.run(
        &["export", "--yes", "-o", export_file.to_str().unwrap()],
        None,
        false,
    );
    assert!(contains(
        &std::fs::read(&export_file).unwrap(),
        import_value.as_bytes()
    ));
    s.run(&["export", "--yes", "--format", "json"], None, true);

    // vault run: look at every command line while the child runs, and at its masked output.
    let project = dir.join("project");
    std::fs::create_dir(&project).unwrap();
    let vault_env = project.join(".vault.env");
    std::fs::write(
        &vault_env,
        format!("APP_KEY=vault://{renamed}\nIMPORTED=vault://{import_name}\n"),
    )
    .unwrap();
    s.allowed.push(vault_env.clone());
    s.allow(&project);
    let mut cmd = s.cmd();
    cmd.current_dir(&project)
        .args(["run", "--", "sh", "-c", "sleep 1; test -n \"$APP_KEY\""])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(400));
    s.search_everywhere("vault run, while the command runs");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.absent(&out.stderr, "stderr of vault run", false);
    let mut cmd = s.cmd();
    cmd.current_dir(&project).args([
        "run",
        "--mask",
        "--",
        "sh",
        "-c",
        "sleep 0.5; echo \"$APP_KEY\"; echo \"$IMPORTED\" >&2",
    ]);
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(250));
    s.search_everywhere("vault run --mask, while the command runs");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    s.absent(&out.stdout, "masked stdout of vault run --mask", false);
    s.absent(&out.stderr, "masked stderr of vault run --mask", false);
    assert!(String::from_utf8_lossy(&out.stdout).contains("<redacted:APP_KEY>"));

    // `vault run --proxy`: the command and what it starts hold a placeholder. Their
    // environments (printed, so searched as stdout), the CA bundle and every file hold no value.
    s.run(
        &["edit", &renamed, "--host", "api.example.com"],
        None,
        false,
    );
    let proxied = s.run(
        &[
            "run",
            "--proxy",
            "--item",
            &renamed,
            "--",
            "sh",
            "-c",
            "cat /proc/self/environ; sh -c 'cat /proc/self/environ /proc/$PPID/environ'; \
             cat \"$SSL_CERT_FILE\" >/dev/null",
        ],
        None,
        false,
    );
    assert!(proxied.contains("HTTPS_PROXY=http://"), "{proxied}");

    let mut cmd = s.cmd();
    let env = cmd.current_dir(&project).arg("env").output().unwrap();
    assert!(
        contains(&env.stdout, add_value.as_bytes()),
        "env prints on request"
    );
    s.absent(&env.stderr, "stderr of vault env", false);
    s.search_everywhere("vault env");

    let template = dir.join("config.tmpl");
    std::fs::write(
        &template,
        format!("key = \"{{{{ vault://{renamed} }}}}\"\n"),
    )
    .unwrap();
    let rendered = dir.join("config.out");
    s.allowed.extend([template.clone(), rendered.clone()]);
    s.run(
        &[
            "inject",
            "-i",
            template.to_str().unwrap(),
            "-o",
            rendered.to_str().unwrap(),
        ],
        None,
        false,
    );
    assert!(contains(
        &std::fs::read(&rendered).unwrap(),
        add_value.as_bytes()
    ));

    // git's credential helper: the value goes to git on stdout only, and a password git sends
    // to `store` or `erase` is kept nowhere.
    s.run(
        &[
            "edit",
            &renamed,
            "--add-host",
            "git.canary.example",
            "--field",
            "username=canary-user",
        ],
        None,
        false,
    );
    s.run(&["setup", "git"], None, false);
    let current = s.run(&["get", &renamed], None, true);
    let answer = s.run(
        &["git-credential", "get"],
        Some("protocol=https\nhost=git.canary.example\n\n"),
        true,
    );
    assert!(
        answer.contains(&format!(
            "username=canary-user\npassword={}",
            current.trim()
        )),
        "the helper answered"
    );
    let git_sent = canary("GITSTORE");
    s.c.secrets.push(git_sent.clone());
    for action in ["store", "erase"] {
        s.run(
            &["git-credential", action],
            Some(&format!(
                "protocol=https\nhost=git.canary.example\nusername=u\npassword={git_sent}\n\n"
            )),
            false,
        );
    }

    s.run(&["log"], None, false);
    s.run(&["log", "--json"], None, false);
    s.run(&["status"], None, false);
    s.run(&["status", "--json"], None, false);
    s.run(&["config", "set", "lock-after", "5m"], None, false);
    s.run(&["config", "list"], None, false);

    // passwd reads the current and the new password from the file; then lock and unlock with
    // the new one, from the file and from stdin.
    std::fs::write(&pw_file, format!("{}\n{}\n", s.master, s.new_master)).unwrap();
    s.run(&["passwd"], None, false);
    s.run(&["lock"], None, false);
    std::fs::write(&pw_file, format!("{}\n", s.new_master)).unwrap();
    s.run(&["unlock"], None, false);
    s.run(&["lock"], None, false);
    let mut cmd = s.v.bare();
    cmd.env("TMPDIR", &s.tmp)
        .args(["--password-stdin", "unlock"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{}\n", s.new_master).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.search_everywhere("unlock --password-stdin");

    // Direct mode: the CLI opens the file itself.
    s.run(&["--no-agent", "ls"], None, false);
    assert_eq!(
        s.run(&["--no-agent", "get", &renamed], None, true),
        format!("{add_value}\n")
    );
    s.run(
        &["--no-agent", "rotate", &renamed],
        Some(&direct_value),
        false,
    );
    s.run(&["rm", &import_name, "--yes"], None, false);

    // Everything the commands could have left behind.
    let dir = s.v.dir.path().to_owned();
    s.search_tree(&dir);
    s.search_new_files(Path::new("/tmp"), 1);
    s.search_new_files(Path::new("/dev/shm"), 1);
    eprintln!(
        "canary: {} canaries ({} secrets and master passwords, {} metadata), {} searches, 0 found",
        s.c.secrets.len() + s.c.meta.len(),
        s.c.secrets.len(),
        s.c.meta.len(),
        s.searches
    );
}

/// The OAuth side: a client secret, and the access tokens a real provider issues (known only
/// once `vault token` prints them; the file, logs and processes are searched again then, and
/// the vault file keeps what the login wrote).
#[test]
fn no_oauth_token_or_client_secret_is_found_anywhere() {
    use vault_tests::oauth::{OAuthServer, browser};

    let server = OAuthServer::start(60);
    let v = TestVault::uninitialised();
    let master = canary("master");
    let client_secret = canary("clientsecret");
    let dir = v.dir.path().to_owned();
    let tmp = dir.join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let pw_file = dir.join("master-password");
    std::fs::write(&pw_file, format!("{master}\n")).unwrap();
    let browser_log = dir.join("browser.log");
    let mut s = Suite {
        c: Canaries {
            secrets: vec![master.clone(), client_secret.clone()],
            meta: Vec::new(),
        },
        master: master.clone(),
        new_master: master,
        pw_file: pw_file.clone(),
        tmp,
        allowed: vec![pw_file, browser_log.clone()],
        started: SystemTime::now(),
        searches: 0,
        v,
    };
    s.run(&["init", "--kdf", "minimum"], None, false);
    s.run(
        &[
            "oauth",
            "add",
            "test",
            "--issuer",
            &server.issuer,
            "--client-id",
            "vault-cli",
        ],
        None,
        false,
    );
    s.run(
        &[
            "oauth",
            "add",
            "github",
            "--client-id",
            "Iv1.canary",
            "--client-secret-stdin",
        ],
        Some(&client_secret),
        false,
    );
    s.run(&["oauth", "ls"], None, false);
    let out = s
        .cmd()
        .env("BROWSER", browser())
        .env("OAUTH_BROWSER_ACTION", "approve")
        .env("OAUTH_BROWSER_LOG", &browser_log)
        .args(["login", "test", "--timeout", "120s"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.absent(&out.stderr, "stderr of vault login", false);
    s.absent(&out.stdout, "stdout of vault login", false);
    s.search_everywhere("vault login");

    let token = s.run(&["token", "test"], None, true).trim().to_owned();
    assert!(token.len() > 20, "{token:?}");
    s.c.secrets.push(token);
    s.search_everywhere("vault token (the first access token now known)");
    s.run(&["grants"], None, false);
    s.run(&["grants", "--json"], None, false);
    s.run(&["refresh", "test"], None, false);
    let refreshed = s.run(&["token", "test"], None, true).trim().to_owned();
    s.c.secrets.push(refreshed);
    s.search_everywhere("vault token after a refresh");

    let project = dir.join("project");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(project.join(".vault.env"), "API_TOKEN=vault://test\n").unwrap();
    s.allowed.push(project.join(".vault.env"));
    s.allow(&project);
    let mut cmd = s.cmd();
    cmd.current_dir(&project)
        .args(["run", "--", "sh", "-c", "sleep 1; test -n \"$API_TOKEN\""])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(400));
    s.search_everywhere("vault run with a grant, while the command runs");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.absent(&out.stderr, "stderr of vault run", false);

    s.run(&["logout", "test"], None, false);
    let dir = s.v.dir.path().to_owned();
    s.search_tree(&dir);
    s.search_new_files(Path::new("/tmp"), 1);
    eprintln!(
        "canary (OAuth): {} secrets (master password, client secret, 2 access tokens), {} \
         searches, 0 found",
        s.c.secrets.len(),
        s.searches
    );
}

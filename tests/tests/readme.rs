//! The README's walk, run as written: every ```sh block, in order, on a fresh default vault,
//! at a terminal (util-linux `script`), the way a newcomer pastes them. Skipped, and named
//! here: what needs `make` or `cargo install` (the test runs the binaries it built), a
//! provider to log in to over the network (the OAuth block; tests/oauth.rs covers it against a
//! real server), `vault agent --foreground`, which runs until stopped, and the `aws` and
//! `docker` commands, which need AWS and a Docker daemon (tests/aws.rs and tests/docker.rs
//! drive what they call).
//!
//! The project the walk works in holds what the README assumes a developer has: a `.env` to
//! import, a `package.json` for `npm start`, an `app.py`, a `deploy.sh`, an `.env.staging` and
//! a template. The master password is typed from a file (`--password-file`, as the README's
//! scripts section does), because a pseudo-terminal cannot tell which prompt comes next.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use vault_tests::{PASSWORD, pipe, shell_blocks};

/// Why a command is not run, if it is not.
fn skipped(command: &str) -> Option<&'static str> {
    let code = command.split(" #").next().unwrap_or("").trim();
    if code.is_empty() || code.starts_with('#') {
        Some("a comment")
    } else if code.starts_with("make ") || code.starts_with("sudo ") {
        Some("make and installing packages: this test runs the binaries it built")
    } else if code.starts_with("cargo install") {
        Some("cargo install: this test runs the binaries it built")
    } else if code.contains("--foreground") {
        Some("runs until stopped")
    } else if code.starts_with("aws ") {
        Some(
            "the AWS CLI talks to AWS: tests/aws.rs signs with botocore against a loopback endpoint",
        )
    } else if code.starts_with("docker ") {
        Some("docker needs a daemon and a registry: tests/docker.rs runs the helper's exchanges")
    } else {
        None
    }
}

/// Whether a block needs a provider on the network or a browser.
fn needs_network(block: &[String]) -> bool {
    block
        .iter()
        .any(|c| c.contains("vault login") || c.contains("vault oauth add"))
}

/// What is typed at the terminal for a command: a value at `vault add`'s hidden prompt, yes at
/// `vault allow`'s question.
fn typed(command: &str) -> &'static str {
    if command.starts_with("vault add openai") {
        // The shape of a real OpenAI project key, so vault recognises it (and its hosts).
        concat!(
            "sk-proj-readmewalk0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL",
            "T3BlbkFJreadmewalk0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL\n"
        )
    } else if command.starts_with("vault add aws-") {
        // An access key pasted whole, as the README says (made up).
        "AKIAQ3EGRJ6TLZ4RDMEW readmeWALKsecretK7MDENG/bPxRfiCYzEXAMPL1\n" // vault-scan:allow
    } else if command.starts_with("vault add ") {
        "readme-walk-value\n"
    } else if command.starts_with("vault allow") || command.starts_with("vault scan --all --fix") {
        "y\n"
    } else if command.starts_with("vault import Passwords.kdbx") {
        "kdbx readme walk\n"
    } else {
        ""
    }
}

/// The files of the README's "Moving in", each written the way its store writes it (the real
/// keepassxc-cli and dotenvx where they run here), holding one item each.
fn moving_in(project: &Path, home: &Path) {
    use vault_tests::sources::{dotenvx, keepassxc, onepux};
    let xml = r#"<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<KeePassFile><Meta><Generator>readme</Generator></Meta><Root><Group><UUID>AAAAAAAAAAAAAAAAAAAAAQ==</UUID><Name>Root</Name>
<Entry><UUID>AAAAAAAAAAAAAAAAAAAAAw==</UUID>
<String><Key>Title</Key><Value>GitHub CI</Value></String>
<String><Key>UserName</Key><Value>ci-bot</Value></String>
<String><Key>Password</Key><Value ProtectInMemory="True">kdbx-readme-token</Value></String>
</Entry></Group></Root></KeePassFile>
"#;
    keepassxc(
        project,
        xml,
        &project.join("Passwords.kdbx"),
        "kdbx readme walk",
        None,
    );
    let item = serde_json::json!([{
        "uuid": "r1", "createdAt": 1700000000, "updatedAt": 1700000000, "state": "active",
        "categoryUuid": "001", "overview": {"title": "Grafana", "url": "https://grafana.example"},
        "details": {"loginFields": [
            {"value": "admin", "name": "username", "fieldType": "T", "designation": "username"},
            {"value": "grafana-readme", "name": "password", "fieldType": "P", "designation": "password"}
        ]}
    }]);
    std::fs::write(project.join("Acme.1pux"), onepux(item)).unwrap();
    let bitwarden = serde_json::json!({"encrypted": false, "folders": [], "items": [
        {"id": "1", "type": 2, "name": "npm token", "notes": "npm-readme-token", "fields": []}
    ]});
    std::fs::write(project.join("bitwarden_export.json"), bitwarden.to_string()).unwrap();
    std::fs::write(
        project.join(".env.production"),
        "SEGMENT_WRITE_KEY=segment-readme\n",
    )
    .unwrap();
    let out = Command::new(dotenvx())
        .args(["encrypt", "-f", ".env.production"])
        .current_dir(project)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        project.join("doppler.json"),
        r#"{"MAPBOX_TOKEN":"mapbox-readme"}"#,
    )
    .unwrap();
    std::fs::write(
        project.join("infisical.json"),
        r#"[{"key":"PUSHER_SECRET","value":"pusher-readme"}]"#,
    )
    .unwrap();
    std::fs::write(
        home.join(".bashrc"),
        "alias ll='ls -l'\nexport HF_TOKEN='hf_readme_walk'\n",
    )
    .unwrap();
}

/// What "Finding leaked keys" finds: the project is a git repository one of whose commits
/// added a file holding the key the README stores as `openai`.
fn leaks(project: &Path) {
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(project)
            .args([
                "-c",
                "user.name=Readme",
                "-c",
                "user.email=readme@example.com",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(project.join("scripts")).unwrap();
    std::fs::write(
        project.join("scripts/dev.env"),
        format!("OPENAI_API_KEY={}", typed("vault add openai")),
    )
    .unwrap();
    git(&["add", "scripts/dev.env"]);
    git(&["commit", "-qm", "dev settings"]);
}

fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_readme_walk_runs_as_written_on_a_fresh_vault() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let blocks = shell_blocks(&readme);
    assert!(
        blocks.len() >= 5,
        "the README's shell blocks were not found"
    );

    let sandbox = tempfile::tempdir().unwrap();
    let root = sandbox.path();
    let (home, run, data, bin, project) = (
        root.join("home"),
        root.join("run"),
        root.join("data"),
        root.join("bin"),
        root.join("home/project"),
    );
    for d in [&home, &run, &data, &bin, &project] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o700)).unwrap();
    let password = root.join("password");
    std::fs::write(&password, format!("{PASSWORD}\n")).unwrap();
    // `vault` as typed, with the password from the file unless the line gives its own.
    write_executable(
        &bin.join("vault"),
        &format!(
            "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --password-*) exec {real} \"$@\";; \
             esac; done\nexec {real} --password-file {pw} \"$@\"\n",
            real = vault_tests::bin("vault").display(),
            pw = password.display()
        ),
    );
    // The developer's project.
    let p = |name: &str| project.join(name);
    std::fs::write(
        p(".env"),
        "# from the team wiki\nDATABASE_URL=postgres://localhost/app\nexport SENTRY_DSN=\"https://abc@o1.ingest.sentry.io/1\"\n",
    )
    .unwrap();
    std::fs::write(
        p("package.json"),
        r#"{"name":"app","private":true,"scripts":{
  "start":"node -e \"if (!process.env.OPENAI_API_KEY) process.exit(3); console.log('started with', Object.keys(process.env).filter(k => k.endsWith('_KEY')).sort().join(' '))\"",
  "test":"node -e \"console.log('config:', process.env.STRIPE_KEY)\""}}"#,
    )
    .unwrap();
    std::fs::write(
        p("app.py"),
        "import os, sys\nsys.exit(0 if os.environ.get('OPENAI_API_KEY') else 3)\n",
    )
    .unwrap();
    write_executable(
        &p("deploy.sh"),
        "#!/bin/sh\ntest -n \"$STRIPE_SECRET_KEY\" || exit 3\necho deployed\n",
    );
    std::fs::write(p(".env.staging"), "STRIPE_KEY=vault://stripe\n").unwrap();
    // What "Moving in" imports, as each store writes it.
    moving_in(&project, &home);
    // "Sharing with your team": the key a teammate sent.
    let alice = vault_core::vault_sync::recipient::Identity::generate().unwrap();
    std::fs::write(p("alice.age"), format!("{}\n", alice.recipient())).unwrap();
    leaks(&project);
    std::fs::write(p("config.yml.tpl"), "openai: {{ vault://openai }}\n").unwrap();

    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let stripe = "sk_test_readmewalk0123456789abcdefghij";
    let mut ran = Vec::new();
    let mut transcript = String::new();
    for block in &blocks {
        if needs_network(block) {
            continue;
        }
        for command in block {
            if skipped(command).is_some() {
                continue;
            }
            let script = root.join("command.sh");
            std::fs::write(&script, format!("set -o pipefail\n{command}")).unwrap();
            let mut c = Command::new("script");
            c.env_clear()
                .current_dir(&project)
                .env("PATH", &path)
                .env("HOME", &home)
                .env("XDG_RUNTIME_DIR", &run)
                .env("XDG_DATA_HOME", &data)
                .env("XDG_CONFIG_HOME", home.join(".config"))
                .env("TERM", "xterm")
                .env("TZ", "UTC")
                // npm's update check would go to the network.
                .env("NPM_CONFIG_UPDATE_NOTIFIER", "false")
                .env("VAULT_MASTER", PASSWORD)
                .args(["-qec", &format!("bash {}", script.display()), "/dev/null"]);
            // The key the README pipes in, in that command's shell only (exported everywhere,
            // it would be a variable the user set, which `vault run` keeps).
            if command.contains("$STRIPE_KEY") {
                c.env("STRIPE_KEY", stripe);
            }
            let out = pipe(&mut c, typed(command).as_bytes());
            transcript.push_str(&format!("$ {command}{}\n", out.stdout));
            // `vault scan` exits 1 when it finds something, as the README says it does.
            let expected = if command.starts_with("vault scan") && out.code == Some(1) {
                Some(1)
            } else {
                Some(0)
            };
            assert_eq!(
                out.code, expected,
                "README command failed:\n{command}\n--- transcript ---\n{transcript}"
            );
            ran.push((command.clone(), out.stdout));
        }
    }
    let _ = Command::new(vault_tests::bin("vault"))
        .env("XDG_RUNTIME_DIR", &run)
        .args(["agent", "--stop"])
        .output();

    // What a reader of the README was promised, checked on what happened.
    let output_of = |prefix: &str| -> &str {
        ran.iter()
            .find(|(c, _)| c.starts_with(prefix))
            .map(|(_, o)| o.as_str())
            .unwrap_or_else(|| panic!("the README no longer runs `{prefix}`"))
    };
    assert!(
        data.join("vault/vault.db").is_file(),
        "the default vault was not created"
    );
    assert!(output_of("vault get openai").contains("sk-proj-readmewalk"));
    let ls = output_of("vault ls");
    assert!(ls.contains("openai") && ls.contains("stripe"), "{ls}");
    let started = output_of("vault run -- npm start");
    assert!(
        started.contains("started with OPENAI_API_KEY\r"),
        "{started}"
    );
    // Proxied, the command starts with its keys' placeholders in the same variables.
    let proxied = output_of("vault run --proxy -- npm start");
    assert!(proxied.contains("started with OPENAI_API_KEY"), "{proxied}");
    let strict = output_of("vault run --proxy --strict -v -- npm start");
    assert!(
        strict.contains("the command holds placeholders; the proxy adds the keys"),
        "{strict}"
    );
    assert!(output_of("vault run --profile billing").contains("deployed"));
    let masked = output_of("vault run --env-file .env.staging --mask");
    assert!(
        masked.contains("config: <redacted:STRIPE_KEY>") && !masked.contains(stripe),
        "{masked}"
    );
    let config = std::fs::read_to_string(p("config.yml")).unwrap();
    assert!(config.contains("openai: sk-proj-readmewalk"), "{config}");
    let backup = std::fs::metadata(p("backup.env")).unwrap();
    assert_eq!(backup.permissions().mode() & 0o777, 0o600);
    assert!(output_of("vault log").contains("exported"));
    // "Finding leaked keys": the committed key is found by item and commit, never shown, and
    // --fix turns the line into a reference.
    let history = output_of("vault scan --git");
    assert!(
        history.contains("scripts/dev.env:1:16 (commit ")
            && history.contains("the value of openai"),
        "{history}"
    );
    assert!(!history.contains("sk-proj-readmewalk"), "{history}");
    assert_eq!(
        std::fs::read_to_string(p("scripts/.vault.env")).unwrap(),
        "OPENAI_API_KEY=vault://openai\n"
    );
    assert!(p(".git/hooks/pre-commit").is_file());
    // "Sync across your machines": the vault syncs through the bare repository, whose objects
    // hold no name or value of it.
    let status = output_of("vault sync status");
    assert!(
        status.contains("vault-sync.git") && status.contains("Last sync:"),
        "{status}"
    );
    let remote = home.join("vault-sync.git");
    let objects = Command::new("git")
        .arg("--git-dir")
        .arg(&remote)
        .args(["cat-file", "--batch-all-objects", "--batch"])
        .output()
        .unwrap()
        .stdout;
    assert!(objects.len() > 1000, "the remote holds the vault's log");
    for secret in [
        "openai",
        "OPENAI_API_KEY",
        "sk-proj-readmewalk",
        "readme-walk-value",
    ] {
        assert!(
            !vault_tests::contains(&objects, secret.as_bytes()),
            "{secret} is readable on the remote"
        );
    }
}

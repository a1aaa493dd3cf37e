//! What the sync and sharing suites share: devices in separate homes whose agents sync only
//! when asked, and the ways they reach a remote (a bare repository, S3 storage).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::s3::S3Server;
use crate::{Run, TestVault, pipe};

/// How devices reach the remote: the arguments of `vault sync init` and `vault sync join`, and
/// for S3 the access key each device holds as an item before it syncs.
#[derive(Debug)]
pub struct Via {
    pub init: Vec<String>,
    pub join: Vec<String>,
    pub key: Option<String>,
}

impl Via {
    pub fn git(url: &str) -> Via {
        Via {
            init: ["sync", "init", "git", url].map(str::to_owned).to_vec(),
            join: ["sync", "join", url].map(str::to_owned).to_vec(),
            key: None,
        }
    }

    pub fn s3(server: &S3Server, prefix: &str) -> Via {
        let url = format!("s3://{}/{prefix}", server.bucket);
        let storage = ["--endpoint", &server.endpoint, "--key", "S3_KEY"].map(str::to_owned);
        Via {
            init: [
                ["sync", "init", "s3", &url].map(str::to_owned).as_slice(),
                &storage,
            ]
            .concat(),
            join: [
                ["sync", "join", &url].map(str::to_owned).as_slice(),
                &storage,
            ]
            .concat(),
            key: Some(server.pasted_key()),
        }
    }

    /// A device ready to sync this way (`every`: see `device`).
    pub fn device(&self, every: &str) -> TestVault {
        let v = device(every);
        if let Some(key) = &self.key {
            v.run_with_stdin(&["add", "S3_KEY"], key.as_bytes()).ok();
        }
        v
    }

    pub fn init(&self, v: &TestVault, name: &str) -> Run {
        let mut args: Vec<&str> = self.init.iter().map(String::as_str).collect();
        args.extend(["--name", name]);
        v.run(&args)
    }
}

pub fn bare_repo(dir: &Path) -> PathBuf {
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
pub fn device(every: &str) -> TestVault {
    syncing_every(TestVault::new(), every)
}

pub fn syncing_every(v: TestVault, every: &str) -> TestVault {
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

pub fn value(v: &TestVault, name: &str) -> String {
    v.run(&["get", name]).ok().trim_end().to_owned()
}

/// The files under `root` that hold any of `values` in plain text.
pub fn holding(root: &Path, values: &[&str]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                if values
                    .iter()
                    .any(|v| bytes.windows(v.len()).any(|w| w == v.as_bytes()))
                {
                    found.push(path);
                }
            }
        }
    }
    found
}

/// `vault sync invite`, running, and the code it shows.
pub fn invite(inviter: &TestVault) -> (Child, String) {
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
pub fn pair(inviter: &TestVault, joiner: &TestVault, via: &Via, name: &str) -> (Run, Run) {
    let (invite, code) = invite(inviter);
    let joined = pipe(
        joiner
            .cmd()
            .args(&via.join)
            .args(["--name", name, "--code-stdin"]),
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

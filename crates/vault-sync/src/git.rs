//! The git engine: segments travel through any git remote, by the system `git`, so the user's
//! SSH agent, credential helpers and `insteadOf` rules apply as they do for their code.
//!
//! The remote holds one branch per device, `devices/<id>`, written only by that device: its
//! tree is `device.json` (the device's public keys) and `log/<seq, 16 hex digits>` (its
//! segments). A push is always a fast-forward of the pusher's own branch, so two devices never
//! conflict. Commits carry a fixed author, date and message: the remote learns when pushes
//! happen, not when items changed. Pairing uses a short-lived branch `pairing/<nameplate>`.
//!
//! Locally, a bare mirror (`git init --bare`, kept beside the vault) holds what was fetched
//! and this device's branch; nothing is checked out.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::keys::{DeviceId, DevicePublic};
use crate::{Error, Result};

/// Every commit's author, committer and date: nothing about the user or the time.
const IDENTITY: [(&str, &str); 6] = [
    ("GIT_AUTHOR_NAME", "vault"),
    ("GIT_AUTHOR_EMAIL", "vault@localhost"),
    ("GIT_AUTHOR_DATE", "2000-01-01T00:00:00Z"),
    ("GIT_COMMITTER_NAME", "vault"),
    ("GIT_COMMITTER_EMAIL", "vault@localhost"),
    ("GIT_COMMITTER_DATE", "2000-01-01T00:00:00Z"),
];

/// A remote and the local mirror of it.
#[derive(Debug, Clone)]
pub struct Remote {
    mirror: PathBuf,
    /// Where this remote's branches live: `""` for a vault's own sync, `shares/<id>/` for a
    /// share (its branches are `shares/<id>/devices/...`, beside the vault's own).
    space: String,
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        what: what.to_owned(),
        source,
    }
}

/// The first line of git's complaint, for a message.
fn first_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("hint:"))
        .collect();
    lines
        .iter()
        .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .or(lines.first())
        .map_or_else(|| "no message".to_owned(), |l| (*l).to_owned())
}

impl Remote {
    /// The mirror at `mirror`, made if missing, pointing at `url`.
    pub fn open(mirror: &Path, url: &str) -> Result<Remote> {
        Remote::open_space(mirror, url, "")
    }

    /// [`Self::open`], for the branches under `space` (`shares/<id>/`): one mirror serves a
    /// vault's own sync and its shares, each in its own refs.
    pub fn open_space(mirror: &Path, url: &str, space: &str) -> Result<Remote> {
        let remote = Remote {
            mirror: mirror.to_owned(),
            space: space.to_owned(),
        };
        if !mirror.join("HEAD").exists() {
            std::fs::create_dir_all(mirror).map_err(io("creating the sync mirror"))?;
            remote.run("init", &["init", "--bare", "--quiet"], None)?;
        }
        let current = remote
            .git(&["config", "--get", "remote.origin.url"])
            .output();
        let current = current.map_err(io("running git"))?;
        if current.status.success() {
            if String::from_utf8_lossy(&current.stdout).trim() != url {
                remote.run("remote", &["remote", "set-url", "origin", url], None)?;
            }
        } else {
            remote.run("remote", &["remote", "add", "origin", url], None)?;
        }
        Ok(remote)
    }

    pub fn url(&self) -> Result<String> {
        let out = self.run("config", &["config", "--get", "remote.origin.url"], None)?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    fn git(&self, args: &[&str]) -> Command {
        let mut c = Command::new("git");
        c.arg("--git-dir")
            .arg(&self.mirror)
            .args([
                "-c",
                "core.hooksPath=/dev/null",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(["-c", "core.fsync=all"])
            .args(args)
            .envs(IDENTITY)
            // Never a prompt: the agent has no terminal. Credentials come from helpers and
            // the SSH agent, as for any background git.
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GCM_INTERACTIVE", "never")
            .stdin(Stdio::null());
        if std::env::var_os("GIT_SSH_COMMAND").is_none() {
            c.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
        }
        c
    }

    fn run(&self, what: &str, args: &[&str], input: Option<&[u8]>) -> Result<Output> {
        let mut cmd = self.git(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        if input.is_some() {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().map_err(io("running git (is it installed?)"))?;
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin.write_all(input).map_err(io("writing to git"))?;
        }
        let out = child.wait_with_output().map_err(io("running git"))?;
        if !out.status.success() {
            return Err(Error::Git {
                what: what.to_owned(),
                message: first_line(&out.stderr),
            });
        }
        Ok(out)
    }

    /// Fetches every device's branch (and the pairing branches) from the remote. The
    /// remote-tracking refs follow the remote even when it rewrote a branch: the logs' own
    /// chains tell a rewrite, not git.
    pub fn fetch(&self) -> Result<()> {
        let space = &self.space;
        let devices = format!("+refs/heads/{space}devices/*:refs/remotes/origin/{space}devices/*");
        let pairing = format!("+refs/heads/{space}pairing/*:refs/remotes/origin/{space}pairing/*");
        self.run(
            "fetch",
            &[
                "fetch",
                "--quiet",
                "--prune",
                "--no-tags",
                "origin",
                &devices,
                &pairing,
            ],
            None,
        )?;
        Ok(())
    }

    /// The devices that have a branch on the remote (as last fetched).
    pub fn devices(&self) -> Result<Vec<DeviceId>> {
        let out = self.run(
            "for-each-ref",
            &[
                "for-each-ref",
                "--format=%(refname)",
                &format!("refs/remotes/origin/{}devices/", self.space),
            ],
            None,
        )?;
        let mut ids = Vec::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some(hex) = line
                .strip_prefix("refs/remotes/origin/")
                .and_then(|l| l.strip_prefix(self.space.as_str()))
                .and_then(|l| l.strip_prefix("devices/"))
            else {
                continue;
            };
            // A branch that does not name a device is none of vault's: left alone.
            if let Ok(id) = hex.parse() {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    fn remote_ref(&self, device: DeviceId) -> String {
        format!("refs/remotes/origin/{}devices/{}", self.space, device.hex())
    }

    fn local_ref(&self, device: DeviceId) -> String {
        format!("refs/heads/{}devices/{}", self.space, device.hex())
    }

    /// The public keys a device's branch on the remote declares (unchecked: the log that
    /// added the device says which keys it has).
    pub fn declared_public(&self, device: DeviceId) -> Result<Option<DevicePublic>> {
        let Some(bytes) = self.read_file(&self.remote_ref(device), "device.json")? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| Error::refused(device, "its device.json does not parse"))
    }

    /// The segment numbers on a ref, in order.
    fn seqs(&self, refname: &str) -> Result<Vec<u64>> {
        self.numbered(refname, "log")
    }

    /// The numbers of the files under `dir` of a ref (`log/<seq>`, `snapshot/<seq>`), in
    /// order.
    fn numbered(&self, refname: &str, dir: &str) -> Result<Vec<u64>> {
        if !self.has_ref(refname)? {
            return Ok(Vec::new());
        }
        let out = self.run(
            "ls-tree",
            &["ls-tree", "--name-only", "-z", &format!("{refname}:{dir}")],
            None,
        );
        let out = match out {
            Ok(out) => out,
            // A branch without a log yet.
            Err(Error::Git { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut seqs: Vec<u64> = out
            .stdout
            .split(|b| *b == 0)
            .filter(|n| !n.is_empty())
            .filter_map(|n| std::str::from_utf8(n).ok())
            .filter_map(|n| u64::from_str_radix(n, 16).ok().filter(|_| n.len() == 16))
            .collect();
        seqs.sort_unstable();
        Ok(seqs)
    }

    /// The segment numbers on the remote's branch of `device`.
    pub fn remote_seqs(&self, device: DeviceId) -> Result<Vec<u64>> {
        self.seqs(&self.remote_ref(device))
    }

    /// The segment numbers on this device's own branch in the mirror.
    pub fn local_seqs(&self, device: DeviceId) -> Result<Vec<u64>> {
        self.seqs(&self.local_ref(device))
    }

    /// Segments `seqs` of `device`'s branch on the remote, in that order, through one
    /// `git cat-file --batch`.
    pub fn read_segments(&self, device: DeviceId, seqs: &[u64]) -> Result<Vec<Vec<u8>>> {
        let refname = self.remote_ref(device);
        let names: Vec<String> = seqs
            .iter()
            .map(|s| format!("{refname}:log/{s:016x}"))
            .collect();
        let blobs = self.cat_files(&names)?;
        blobs
            .into_iter()
            .zip(seqs)
            .map(|(b, s)| {
                b.ok_or_else(|| {
                    Error::refused(device, format!("segment {s} is missing from the remote"))
                })
            })
            .collect()
    }

    fn has_ref(&self, refname: &str) -> Result<bool> {
        let out = self
            .git(&["rev-parse", "--verify", "--quiet", refname])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(io("running git"))?;
        Ok(out.success())
    }

    fn read_file(&self, refname: &str, path: &str) -> Result<Option<Vec<u8>>> {
        if !self.has_ref(refname)? {
            return Ok(None);
        }
        Ok(self
            .cat_files(&[format!("{refname}:{path}")])?
            .pop()
            .flatten())
    }

    /// The contents of each named blob (`rev:path`), `None` where it is missing.
    fn cat_files(&self, names: &[String]) -> Result<Vec<Option<Vec<u8>>>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut child = self
            .git(&["cat-file", "--batch"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(io("running git cat-file"))?;
        let mut input = names.join("\n").into_bytes();
        input.push(b'\n');
        let stdin = child.stdin.take();
        // Written from a thread: git answers while it reads, and both pipes are bounded.
        let writer = std::thread::spawn(move || {
            if let Some(mut stdin) = stdin {
                let _ = stdin.write_all(&input);
            }
        });
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| Error::Corrupt("git cat-file has no output".into()))?;
        let mut reader = BufReader::new(stdout);
        let mut out = Vec::with_capacity(names.len());
        for _ in names {
            let mut line = String::new();
            reader
                .read_line(&mut line)
                .map_err(io("reading git cat-file"))?;
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() != 3 || fields[1] != "blob" {
                out.push(None);
                continue;
            }
            let size: usize = fields[2]
                .parse()
                .map_err(|_| Error::Corrupt("git cat-file answered oddly".into()))?;
            if size > crate::ops::MAX_SEGMENT {
                return Err(Error::Corrupt(
                    "an object on the remote is too large".into(),
                ));
            }
            let mut blob = vec![0u8; size + 1];
            reader
                .read_exact(&mut blob)
                .map_err(io("reading git cat-file"))?;
            blob.pop();
            out.push(Some(blob));
        }
        let _ = writer.join();
        let _ = child.wait();
        Ok(out)
    }

    /// Adds `files` (path, bytes) to the tree of `refname` (made if missing) as one commit.
    fn commit_files(&self, refname: &str, files: &[(String, &[u8])]) -> Result<()> {
        let index = tempfile::Builder::new()
            .prefix("vault-sync-index")
            .tempfile_in(&self.mirror)
            .map_err(io("creating a git index"))?;
        let index_path = index.path().to_owned();
        let with_index = |args: &[&str], input: Option<&[u8]>| -> Result<Output> {
            let mut cmd = self.git(args);
            cmd.env("GIT_INDEX_FILE", &index_path)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            if input.is_some() {
                cmd.stdin(Stdio::piped());
            }
            let mut child = cmd.spawn().map_err(io("running git"))?;
            if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
                stdin.write_all(input).map_err(io("writing to git"))?;
            }
            let out = child.wait_with_output().map_err(io("running git"))?;
            if !out.status.success() {
                return Err(Error::Git {
                    what: args.first().copied().unwrap_or("git").to_owned(),
                    message: first_line(&out.stderr),
                });
            }
            Ok(out)
        };
        let parent = if self.has_ref(refname)? {
            with_index(&["read-tree", refname], None)?;
            Some(refname)
        } else {
            with_index(&["read-tree", "--empty"], None)?;
            None
        };
        let mut listing = Vec::new();
        for (path, bytes) in files {
            let out = self.run(
                "hash-object",
                &["hash-object", "-w", "--stdin"],
                Some(bytes),
            )?;
            let oid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            listing.extend_from_slice(format!("100644 {oid}\t{path}").as_bytes());
            listing.push(0);
        }
        with_index(
            &["update-index", "--add", "-z", "--index-info"],
            Some(&listing),
        )?;
        let tree = with_index(&["write-tree"], None)?;
        let tree = String::from_utf8_lossy(&tree.stdout).trim().to_owned();
        let mut args = vec!["commit-tree", tree.as_str(), "-m", "vault sync"];
        let parent_oid;
        if let Some(parent) = parent {
            let out = self.run("rev-parse", &["rev-parse", parent], None)?;
            parent_oid = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            args.extend(["-p", parent_oid.as_str()]);
        }
        let commit = self.run("commit-tree", &args, None)?;
        let commit = String::from_utf8_lossy(&commit.stdout).trim().to_owned();
        self.run("update-ref", &["update-ref", refname, &commit], None)?;
        Ok(())
    }

    /// Adds this device's segments (numbered) and its public keys to its branch in the mirror.
    /// Segments already there are not written again.
    pub fn append(&self, me: &DevicePublic, segments: &[(u64, Vec<u8>)]) -> Result<()> {
        let have = self.local_seqs(me.id)?;
        let mut files: Vec<(String, &[u8])> = segments
            .iter()
            .filter(|(seq, _)| have.binary_search(seq).is_err())
            .map(|(seq, bytes)| (format!("log/{seq:016x}"), bytes.as_slice()))
            .collect();
        let refname = self.local_ref(me.id);
        let public = serde_json::to_vec_pretty(me)
            .map_err(|e| Error::Corrupt(format!("device keys do not encode: {e}")))?;
        let declared = self.read_file(&refname, "device.json")?;
        if declared.as_deref() != Some(public.as_slice()) {
            files.push(("device.json".to_owned(), public.as_slice()));
        }
        if files.is_empty() {
            return Ok(());
        }
        self.commit_files(&refname, &files)
    }

    /// Pushes this device's branch. Refused when the remote's copy is not an ancestor of ours
    /// (someone else wrote to it): never forced.
    pub fn push(&self, me: DeviceId) -> Result<()> {
        let refname = self.local_ref(me);
        if !self.has_ref(&refname)? {
            return Ok(());
        }
        let spec = format!("{refname}:refs/heads/{}devices/{}", self.space, me.hex());
        self.run(
            "push",
            &["push", "--quiet", "--no-verify", "origin", &spec],
            None,
        )?;
        // What the remote now holds, without another fetch.
        self.run(
            "update-ref",
            &["update-ref", &self.remote_ref(me), &refname],
            None,
        )?;
        Ok(())
    }

    /// Whether the remote's branch of this device holds everything the local one does.
    pub fn pushed(&self, me: DeviceId) -> Result<bool> {
        let local = self.local_ref(me);
        if !self.has_ref(&local)? {
            return Ok(true);
        }
        let remote = self.remote_ref(me);
        if !self.has_ref(&remote)? {
            return Ok(false);
        }
        let status = self
            .git(&["merge-base", "--is-ancestor", &local, &remote])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(io("running git"))?;
        Ok(status.success())
    }

    // --- pairing ---

    fn pairing_remote(&self, nameplate: &str) -> String {
        format!("refs/remotes/origin/{}pairing/{nameplate}", self.space)
    }

    fn pairing_local(&self, nameplate: &str) -> String {
        format!("refs/heads/{}pairing/{nameplate}", self.space)
    }

    /// The files of the pairing branch `nameplate`, as last fetched (fetch first).
    pub fn pairing_files(&self, nameplate: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        let refname = self.pairing_remote(nameplate);
        let mut out = BTreeMap::new();
        if !self.has_ref(&refname)? {
            return Ok(out);
        }
        for name in ["invite", "join", "welcome", "refused"] {
            if let Some(bytes) = self.read_file(&refname, name)? {
                out.insert(name.to_owned(), bytes);
            }
        }
        Ok(out)
    }

    /// Fetches only the pairing branch `nameplate` (cheap: polled while waiting).
    pub fn fetch_pairing(&self, nameplate: &str) -> Result<()> {
        let spec = format!(
            "+{}:{}",
            self.pairing_local(nameplate),
            self.pairing_remote(nameplate)
        );
        match self.run(
            "fetch",
            &["fetch", "--quiet", "--no-tags", "origin", &spec],
            None,
        ) {
            Ok(_) => Ok(()),
            // Not there (yet, or any more).
            Err(Error::Git { message, .. }) if message.contains("couldn't find remote ref") => {
                let _ = self.run(
                    "update-ref",
                    &["update-ref", "-d", &self.pairing_remote(nameplate)],
                    None,
                );
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Adds a file to the pairing branch and pushes it; fails if the remote's branch moved
    /// since it was fetched (the other side wrote first: fetch and look again).
    pub fn pairing_write(&self, nameplate: &str, name: &str, bytes: &[u8]) -> Result<()> {
        let remote = self.pairing_remote(nameplate);
        let local = self.pairing_local(nameplate);
        let expected = if self.has_ref(&remote)? {
            let out = self.run("rev-parse", &["rev-parse", &remote], None)?;
            self.run("update-ref", &["update-ref", &local, &remote], None)?;
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        } else {
            let _ = self.run("update-ref", &["update-ref", "-d", &local], None);
            String::new()
        };
        self.commit_files(&local, &[(name.to_owned(), bytes)])?;
        let lease = format!("--force-with-lease={local}:{expected}");
        let spec = format!("{local}:{local}");
        self.run(
            "push",
            &["push", "--quiet", "--no-verify", &lease, "origin", &spec],
            None,
        )?;
        self.run("update-ref", &["update-ref", &remote, &local], None)?;
        Ok(())
    }

    /// Deletes the pairing branch on the remote and here.
    pub fn pairing_end(&self, nameplate: &str) -> Result<()> {
        let spec = format!(":{}", self.pairing_local(nameplate));
        let pushed = self.run(
            "push",
            &["push", "--quiet", "--no-verify", "origin", &spec],
            None,
        );
        let _ = self.run(
            "update-ref",
            &["update-ref", "-d", &self.pairing_remote(nameplate)],
            None,
        );
        let _ = self.run(
            "update-ref",
            &["update-ref", "-d", &self.pairing_local(nameplate)],
            None,
        );
        match pushed {
            Ok(_) => Ok(()),
            Err(Error::Git { message, .. }) if message.contains("unable to delete") => Ok(()),
            Err(e) => Err(e),
        }
    }
}

impl crate::Source for Remote {
    fn snapshots(&self) -> Result<Vec<(DeviceId, u64)>> {
        let mut out = Vec::new();
        for device in Remote::devices(self)? {
            if let Some(seq) = self.numbered(&self.remote_ref(device), "snapshot")?.pop() {
                out.push((device, seq));
            }
        }
        Ok(out)
    }
    fn read_snapshot(&self, device: DeviceId, seq: u64) -> Result<Vec<u8>> {
        self.read_file(&self.remote_ref(device), &format!("snapshot/{seq:016x}"))?
            .ok_or_else(|| {
                Error::refused(
                    device,
                    format!("its snapshot {seq} is missing from the remote"),
                )
            })
    }
    fn devices(&self) -> Result<Vec<DeviceId>> {
        Remote::devices(self)
    }
    fn seqs(&self, device: DeviceId) -> Result<Vec<u64>> {
        self.remote_seqs(device)
    }
    fn read(&self, device: DeviceId, seqs: &[u64]) -> Result<Vec<Vec<u8>>> {
        self.read_segments(device, seqs)
    }
}

impl crate::Engine for Remote {
    fn fetch(&self) -> Result<()> {
        Remote::fetch(self)
    }
    fn append(&self, me: &DevicePublic, segments: &[(u64, Vec<u8>)]) -> Result<()> {
        Remote::append(self, me, segments)
    }
    fn push(&self, me: DeviceId) -> Result<()> {
        Remote::push(self, me)
    }
    fn pushed(&self, me: DeviceId) -> Result<bool> {
        Remote::pushed(self, me)
    }
    fn put_snapshot(&self, me: DeviceId, seq: u64, bytes: &[u8]) -> Result<()> {
        // On the device's own branch, beside its log: pushed as any of its commits.
        self.commit_files(
            &self.local_ref(me),
            &[(format!("snapshot/{seq:016x}"), bytes)],
        )?;
        Remote::push(self, me)
    }
    fn fetch_pairing(&self, nameplate: &str) -> Result<()> {
        Remote::fetch_pairing(self, nameplate)
    }
    fn pairing_files(&self, nameplate: &str) -> Result<BTreeMap<String, Vec<u8>>> {
        Remote::pairing_files(self, nameplate)
    }
    fn pairing_write(&self, nameplate: &str, name: &str, bytes: &[u8]) -> Result<()> {
        Remote::pairing_write(self, nameplate, name, bytes)
    }
    fn pairing_end(&self, nameplate: &str) -> Result<()> {
        Remote::pairing_end(self, nameplate)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::keys::DeviceKeys;

    fn bare(dir: &Path) -> String {
        let path = dir.join("remote.git");
        let ok = Command::new("git")
            .args(["init", "--bare", "--quiet"])
            .arg(&path)
            .status()
            .unwrap();
        assert!(ok.success());
        format!("file://{}", path.display())
    }

    #[test]
    fn two_mirrors_exchange_segments_through_a_bare_remote() {
        let dir = tempfile::tempdir().unwrap();
        let url = bare(dir.path());
        let a = Remote::open(&dir.path().join("a"), &url).unwrap();
        let b = Remote::open(&dir.path().join("b"), &url).unwrap();
        let (ka, kb) = (
            DeviceKeys::generate().unwrap(),
            DeviceKeys::generate().unwrap(),
        );
        a.append(&ka.public(), &[(1, b"one".to_vec())]).unwrap();
        assert!(!a.pushed(ka.id()).unwrap());
        a.push(ka.id()).unwrap();
        assert!(a.pushed(ka.id()).unwrap());
        a.append(&ka.public(), &[(1, b"one".to_vec()), (2, b"two".to_vec())])
            .unwrap();
        a.push(ka.id()).unwrap();
        b.append(&kb.public(), &[(1, b"b1".to_vec())]).unwrap();
        b.push(kb.id()).unwrap();

        b.fetch().unwrap();
        let mut devices = b.devices().unwrap();
        devices.sort();
        let mut expected = vec![ka.id(), kb.id()];
        expected.sort();
        assert_eq!(devices, expected);
        assert_eq!(b.remote_seqs(ka.id()).unwrap(), vec![1, 2]);
        assert_eq!(
            b.read_segments(ka.id(), &[1, 2]).unwrap(),
            vec![b"one".to_vec(), b"two".to_vec()]
        );
        assert_eq!(b.declared_public(ka.id()).unwrap(), Some(ka.public()));
        assert!(b.read_segments(ka.id(), &[3]).is_err());

        // The mirror of a clone that already has the branch reuses it; a pushed branch that
        // was rewritten elsewhere refuses the push.
        let c = Remote::open(&dir.path().join("c"), &url).unwrap();
        c.append(&ka.public(), &[(1, b"forged".to_vec())]).unwrap();
        assert!(matches!(c.push(ka.id()), Err(Error::Git { .. })));
    }

    #[test]
    fn pairing_files_come_and_go() {
        let dir = tempfile::tempdir().unwrap();
        let url = bare(dir.path());
        let a = Remote::open(&dir.path().join("a"), &url).unwrap();
        let b = Remote::open(&dir.path().join("b"), &url).unwrap();
        a.pairing_write("1234", "invite", b"hello").unwrap();
        b.fetch_pairing("1234").unwrap();
        assert_eq!(b.pairing_files("1234").unwrap()["invite"], b"hello");
        b.pairing_write("1234", "join", b"there").unwrap();
        // A stale writer is refused rather than overwriting.
        assert!(a.pairing_write("1234", "welcome", b"x").is_err());
        a.fetch_pairing("1234").unwrap();
        assert_eq!(a.pairing_files("1234").unwrap().len(), 2);
        a.pairing_end("1234").unwrap();
        b.fetch_pairing("1234").unwrap();
        assert!(b.pairing_files("1234").unwrap().is_empty());
    }
}

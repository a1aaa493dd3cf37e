//! `vault share` through the real CLI and agents: five users in separate homes (an owner and
//! four members) sharing through a bare git repository and through a real S3 server
//! (`s3s-fs`): each member gets what their selector names and nothing else (checked on the
//! remote's bytes with the member's own key), their edits come back, a wrong key is refused,
//! a removed member gets nothing new and what they could read comes due, and a forged
//! "add a device" in a member's log is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use vault_core::vault_sync::recipient::{self, Identity};
use vault_core::vault_sync::{DeviceKeys, DevicePublic, Head, Op, OpHeader, SyncKey, hex, segment};
use vault_core::{LockedVault, SecretValue};
use vault_tests::s3::S3Server;
use vault_tests::sync::{Via, bare_repo, pair, value};
use vault_tests::{PASSWORD, TestVault};

/// Where the remote's bytes are, to read them as an outsider (or a member) would.
enum Store<'a> {
    Git(PathBuf),
    S3(&'a S3Server, &'a str),
}

/// One device's log in one space of the remote (`""`: the vault's own sync).
#[derive(Debug)]
struct Log {
    space: String,
    public: DevicePublic,
    segments: Vec<Vec<u8>>,
}

fn git(repo: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("git")
        .arg("--git-dir")
        .arg(repo)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

impl Store<'_> {
    fn logs(&self) -> Vec<Log> {
        let mut logs = Vec::new();
        match self {
            Store::Git(repo) => {
                let refs =
                    String::from_utf8(git(repo, &["for-each-ref", "--format=%(refname)"])).unwrap();
                for r in refs.lines() {
                    let Some(rest) = r.strip_prefix("refs/heads/") else {
                        continue;
                    };
                    let Some((space, _)) = rest.rsplit_once("devices/") else {
                        continue;
                    };
                    let public =
                        serde_json::from_slice(&git(repo, &["show", &format!("{r}:device.json")]))
                            .unwrap();
                    let names = String::from_utf8(git(
                        repo,
                        &["ls-tree", "--name-only", &format!("{r}:log")],
                    ))
                    .unwrap();
                    let mut names: Vec<&str> = names.lines().collect();
                    names.sort();
                    let segments = names
                        .iter()
                        .map(|n| git(repo, &["show", &format!("{r}:log/{n}")]))
                        .collect();
                    logs.push(Log {
                        space: space.to_owned(),
                        public,
                        segments,
                    });
                }
            }
            Store::S3(server, prefix) => {
                let root = server.object(prefix);
                let mut dirs = vec![root.clone()];
                while let Some(dir) = dirs.pop() {
                    for entry in std::fs::read_dir(&dir).unwrap() {
                        let path = entry.unwrap().path();
                        if !path.is_dir() {
                            continue;
                        }
                        if path.file_name().unwrap() == "log" {
                            let device = path.parent().unwrap();
                            let rel = device.strip_prefix(&root).unwrap().to_string_lossy();
                            let space = rel.rsplit_once("devices/").unwrap().0.to_owned();
                            let public = serde_json::from_slice(
                                &std::fs::read(device.join("device.json")).unwrap(),
                            )
                            .unwrap();
                            let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
                                .unwrap()
                                .map(|e| e.unwrap().path())
                                .filter(|p| p.extension().is_none())
                                .collect();
                            files.sort();
                            let segments =
                                files.iter().map(|f| std::fs::read(f).unwrap()).collect();
                            logs.push(Log {
                                space,
                                public,
                                segments,
                            });
                        } else {
                            dirs.push(path);
                        }
                    }
                }
            }
        }
        logs
    }

    /// The share's key file, sealed to its member, while the share stands.
    fn welcome(&self, share: &str) -> Option<Vec<u8>> {
        match self {
            Store::Git(repo) => {
                let out = Command::new("git")
                    .arg("--git-dir")
                    .arg(repo)
                    .args([
                        "show",
                        &format!("refs/heads/shares/{share}/pairing/key:welcome"),
                    ])
                    .output()
                    .unwrap();
                out.status.success().then_some(out.stdout)
            }
            Store::S3(server, prefix) => std::fs::read(
                server.object(&format!("{prefix}/shares/{share}/pairing/key/welcome")),
            )
            .ok(),
        }
    }
}

/// A member's sharing key, read from their vault file as only they can (their agent stopped).
fn identity_of(v: &TestVault) -> Identity {
    v.stop_agent();
    let vault = LockedVault::open(&v.path)
        .unwrap()
        .unlock(&SecretValue::new(PASSWORD))
        .unwrap();
    let record = vault.own_record("share-identity").unwrap().unwrap();
    let text = std::str::from_utf8(&record.secret).unwrap();
    Identity::parse(text.lines().next().unwrap()).unwrap()
}

/// Every item record a holder of `key` can read on the remote: each log opened segment by
/// segment under it (the others do not decrypt), the item operations' records, and how many
/// segments opened.
fn readable(logs: &[Log], key: &SyncKey) -> (Vec<Vec<u8>>, usize) {
    let mut records = Vec::new();
    let mut opened = 0;
    for log in logs {
        let mut prev: Option<Head> = None;
        for bytes in &log.segments {
            let Ok(o) = segment::open(bytes, &log.public, prev.as_ref(), |_| Some(key.clone()))
            else {
                break;
            };
            opened += 1;
            prev = Some(o.head);
            for op in o.ops {
                if let OpHeader::Put { .. } = op.header {
                    records.push(op.blob.to_vec());
                }
            }
        }
    }
    (records, opened)
}

fn holds(records: &[Vec<u8>], value: &str) -> bool {
    records
        .iter()
        .any(|r| r.windows(value.len()).any(|w| w == value.as_bytes()))
}

/// Runs the line `vault share add` printed, on the member's side.
fn accept(member: &TestVault, line: &str) -> vault_tests::Run {
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&words[..3], ["vault", "share", "accept"], "{line}");
    member.run(&words[1..])
}

fn share_id(line: &str) -> String {
    line.split_whitespace().last().unwrap().to_owned()
}

fn five_users_through(via: &Via, store: &Store<'_>) {
    let owner = via.device("never");
    for (name, value, tag) in [
        ("STAGING_DB", "postgres://staging-secret-1", "staging"),
        ("STAGING_API", "sk_staging_secret_2", "staging"),
        ("PROD_DB", "postgres://prod-secret-3", "prod"),
        (
            "SENTRY_DSN",
            "https://sentry-secret-4@o1.ingest.sentry.io/1",
            "ops",
        ),
    ] {
        owner
            .run_with_stdin(&["add", name, "--tag", tag], value.as_bytes())
            .ok();
    }
    let members: Vec<TestVault> = (0..4).map(|_| via.device("never")).collect();
    let [alice, bob, carol, dave] = &members[..] else {
        unreachable!()
    };
    let key_of = |v: &TestVault| {
        let k = v.run(&["share", "whoami"]).ok().trim().to_owned();
        assert!(k.starts_with("age1"), "{k}");
        assert_eq!(v.run(&["share", "whoami"]).ok().trim(), k, "made once");
        k
    };
    let keys: Vec<String> = members.iter().map(key_of).collect();

    // Sharing needs the vault's remote.
    let early = owner.run(&["share", "add", "alice", &keys[0], "--items", "tag:staging"]);
    assert!(
        early.fails(1).contains("vault sync init"),
        "{}",
        early.stderr
    );
    via.init(&owner, "owner-laptop").ok();
    // The owner's second machine: what members change reaches it too.
    let desk = via.device("never");
    let (invited, joined) = pair(&owner, &desk, via, "owner-desktop");
    invited.ok();
    joined.ok();
    let bad = owner.run(&[
        "share",
        "add",
        "alice",
        "age1nope",
        "--items",
        "tag:staging",
    ]);
    assert!(
        bad.fails(1).contains("not an age public key"),
        "{}",
        bad.stderr
    );

    let mut lines = Vec::new();
    for (name, key, items) in [
        ("alice", &keys[0], "tag:staging"),
        ("bob", &keys[1], "tag:prod"),
        ("carol", &keys[2], "name:SENTRY_*"),
        ("dave", &keys[3], "tag:staging"),
    ] {
        let added = owner.run(&["share", "add", name, key, "--items", items]);
        let line = added.ok().trim().to_owned();
        assert!(
            added.stderr.contains(&format!("{name} gets")),
            "{}",
            added.stderr
        );
        lines.push(line);
    }
    assert!(
        owner
            .run(&["share", "add", "alice", &keys[0], "--items", "tag:prod"])
            .fails(1)
            .contains("already a member")
    );

    // The wrong key: carol runs alice's line. Refused, and nothing arrives.
    let wrong = accept(carol, &lines[0]);
    assert!(
        wrong.fails(1).contains("not sealed to your key"),
        "{}",
        wrong.stderr
    );
    assert!(!carol.run(&["ls"]).ok().contains("STAGING"));

    for (member, line) in members.iter().zip(&lines) {
        let r = accept(member, line);
        assert!(
            r.ok().is_empty() && r.stderr.contains("received"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(value(alice, "STAGING_DB"), "postgres://staging-secret-1");
    assert_eq!(value(dave, "STAGING_API"), "sk_staging_secret_2");
    assert_eq!(value(bob, "PROD_DB"), "postgres://prod-secret-3");
    assert_eq!(
        value(carol, "SENTRY_DSN"),
        "https://sentry-secret-4@o1.ingest.sentry.io/1"
    );
    for (member, not) in [
        (alice, &["PROD_DB", "SENTRY_DSN"][..]),
        (bob, &["STAGING_DB", "STAGING_API", "SENTRY_DSN"][..]),
        (carol, &["STAGING_DB", "PROD_DB"][..]),
    ] {
        let ls = member.run(&["ls"]);
        for name in not {
            assert!(
                !ls.ok().contains(name),
                "{name} reached a member: {}",
                ls.stdout
            );
        }
    }
    let ls = owner.run(&["share", "ls"]);
    for (name, gets) in [
        ("alice", "tag:staging"),
        ("bob", "tag:prod"),
        ("carol", "name:SENTRY_*"),
    ] {
        let row = ls
            .ok()
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default();
        assert!(row.contains(gets), "{}", ls.stdout);
    }
    owner.run(&["sync"]).ok();
    assert!(owner.run(&["share", "ls"]).ok().contains("active"));
    let theirs = alice.run(&["share", "ls"]);
    assert!(theirs.ok().contains("owner-laptop"), "{}", theirs.stdout);

    // On the remote's bytes: everything alice's key opens holds the staging values and
    // nothing else.
    let alice_share = share_id(&lines[0]);
    let identity = identity_of(alice);
    let welcome = store.welcome(&alice_share).expect("the key file stands");
    let key =
        SyncKey::from_bytes(1, &recipient::open(&welcome, &identity).unwrap().unwrap()).unwrap();
    let before = store.logs();
    let (records, opened) = readable(&before, &key);
    assert!(opened >= 2, "the owner's and alice's logs open for her");
    assert!(
        holds(&records, "postgres://staging-secret-1"),
        "the check can see a value"
    );
    for other in ["postgres://prod-secret-3", "sentry-secret-4"] {
        assert!(
            !holds(&records, other),
            "{other} is readable with alice's key"
        );
    }
    for log in &before {
        let mine = log.space == format!("shares/{alice_share}/");
        let (_, n) = readable(std::slice::from_ref(log), &key);
        assert!(
            mine || n == 0,
            "a log of {:?} opens with alice's key",
            log.space
        );
    }

    // A member's edit comes back, and reaches the other members of those items in the same
    // sync of the owner's, whichever share's round ran first.
    dave.run_with_stdin(&["rotate", "STAGING_API"], b"sk_staging_from_dave")
        .ok();
    dave.run(&["sync"]).ok();
    owner.run(&["sync"]).ok();
    assert_eq!(value(&owner, "STAGING_API"), "sk_staging_from_dave");
    desk.run(&["sync"]).ok();
    assert_eq!(value(&desk, "STAGING_API"), "sk_staging_from_dave");
    alice.run(&["sync"]).ok();
    assert_eq!(value(alice, "STAGING_API"), "sk_staging_from_dave");
    // A member's deletion stays on their side.
    bob.run(&["rm", "PROD_DB", "--yes"]).ok();
    bob.run(&["sync"]).ok();
    let r = owner.run(&["sync"]);
    assert!(
        r.stderr
            .contains("share bob: bob deleted PROD_DB on their side: kept here"),
        "{}",
        r.stderr
    );
    assert_eq!(value(&owner, "PROD_DB"), "postgres://prod-secret-3");

    // Alice is removed: nothing after it opens for her, and what she could read comes due.
    let (before_rm, _) = readable(&store.logs(), &key);
    let rm = owner.run(&["share", "rm", "alice"]);
    assert!(rm.stderr.contains("could read 2 items"), "{}", rm.stderr);
    assert!(
        store.welcome(&alice_share).is_none(),
        "her key file is gone"
    );
    let due = owner.run(&["due"]);
    for name in ["STAGING_DB", "STAGING_API"] {
        let row = due
            .stdout
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_default();
        assert!(row.contains("member removed"), "{}", due.stdout);
    }
    owner
        .run_with_stdin(
            &["rotate", "STAGING_DB"],
            b"postgres://staging-after-removal",
        )
        .ok();
    let due = owner.run(&["due"]);
    assert!(
        !due.stdout.contains("STAGING_DB"),
        "rotated: {}",
        due.stdout
    );
    owner.run(&["sync"]).ok();
    dave.run(&["sync"]).ok();
    assert_eq!(
        value(dave, "STAGING_DB"),
        "postgres://staging-after-removal"
    );
    let r = alice.run(&["sync"]);
    assert!(
        r.stderr.contains("removed this vault from the share"),
        "{}",
        r.stderr
    );
    assert_eq!(value(alice, "STAGING_DB"), "postgres://staging-secret-1");
    let after = store.logs();
    let (records, _) = readable(&after, &key);
    assert!(!holds(&records, "staging-after-removal"));
    assert_eq!(
        records.len(),
        before_rm.len(),
        "no item opens for her after the removal"
    );
    let r = alice.run(&["sync"]);
    assert_ne!(r.code, Some(0));
    assert!(alice.run(&["share", "ls"]).ok().contains("removed"));
    assert!(owner.run(&["share", "ls"]).ok().contains("removed"));

    // A compaction, then a new member: erin gets the staging items as they stand now, from
    // the share's first segment (a share starts from the present, never from its history).
    let compact = owner.run(&["sync", "compact"]);
    assert!(compact.stderr.contains("snapshot"), "{}", compact.stderr);
    let erin = via.device("never");
    let key = key_of(&erin);
    let line = owner.run(&["share", "add", "erin", &key, "--items", "tag:staging"]);
    accept(&erin, line.ok().trim()).ok();
    assert_eq!(
        value(&erin, "STAGING_DB"),
        "postgres://staging-after-removal"
    );
    assert_eq!(value(&erin, "STAGING_API"), "sk_staging_from_dave");
    assert!(!erin.run(&["ls"]).ok().contains("PROD_DB"));
}

#[test]
fn five_users_share_through_a_bare_repository() {
    let dir = tempfile::tempdir().unwrap();
    let remote = bare_repo(dir.path());
    five_users_through(
        &Via::git(&format!("file://{}", remote.display())),
        &Store::Git(remote),
    );
}

#[test]
fn five_users_share_through_s3_storage() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path());
    five_users_through(&Via::s3(&server, "team"), &Store::S3(&server, "team"));
}

/// A share's fault cases against s3s-fs: a changed segment of the owner's is refused on the
/// member's side, naming it, and read once restored; a member's device trying to bring in
/// another (a forged "add member") has its log refused by the owner, nothing of it applied,
/// and the stranger's never read.
#[test]
fn a_share_refuses_a_changed_segment_and_a_member_adding_a_device() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path());
    let via = Via::s3(&server, "team");
    let owner = via.device("never");
    owner
        .run_with_stdin(
            &["add", "STAGING_DB", "--tag", "staging"],
            b"postgres://staging-1",
        )
        .ok();
    via.init(&owner, "owner-laptop").ok();
    let alice = via.device("never");
    let key = alice.run(&["share", "whoami"]).ok().trim().to_owned();
    let line = owner
        .run(&["share", "add", "alice", &key, "--items", "tag:staging"])
        .ok()
        .trim()
        .to_owned();
    accept(&alice, &line).ok();
    let share = share_id(&line);
    owner.run(&["sync"]).ok();
    assert!(owner.run(&["share", "ls"]).ok().contains("active"));

    // A changed segment of the owner's in her share: refused, naming the owner's device in
    // it, her value unchanged; restored, it is read.
    owner
        .run_with_stdin(&["rotate", "STAGING_DB"], b"postgres://staging-2")
        .ok();
    owner.run(&["sync"]).ok();
    let host_log = server.object(&format!("team/shares/{share}/devices/{share}/log"));
    let mut segs: Vec<PathBuf> = std::fs::read_dir(&host_log)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none())
        .collect();
    segs.sort();
    let newest = segs.last().unwrap().clone();
    let honest = std::fs::read(&newest).unwrap();
    let mut flipped = honest.clone();
    let n = flipped.len();
    flipped[n / 2] ^= 1;
    std::fs::write(&newest, &flipped).unwrap();
    let r = alice.run(&["sync"]);
    assert_ne!(r.code, Some(0));
    assert!(
        r.stderr.contains("forged or changed") && r.stderr.contains(&share[..8]),
        "{}",
        r.stderr
    );
    assert_eq!(value(&alice, "STAGING_DB"), "postgres://staging-1");
    std::fs::write(&newest, &honest).unwrap();
    alice.run(&["sync"]).ok();
    assert_eq!(value(&alice, "STAGING_DB"), "postgres://staging-2");

    // Alice's device keys in the share, as her vault holds them.
    alice.stop_agent();
    let vault = LockedVault::open(&alice.path)
        .unwrap()
        .unlock(&SecretValue::new(PASSWORD))
        .unwrap();
    let record = vault
        .own_record(&format!("share-{share}"))
        .unwrap()
        .unwrap();
    drop(vault);
    let stored: serde_json::Value = serde_json::from_slice(&record.secret).unwrap();
    let device = DeviceKeys::from_secret(stored["device"].as_str().unwrap().as_bytes()).unwrap();
    let sync_key = SyncKey::from_bytes(
        1,
        &hex::decode(stored["keys"]["1"].as_str().unwrap()).unwrap(),
    )
    .unwrap();
    let log = server.object(&format!(
        "team/shares/{share}/devices/{}/log",
        device.id().hex()
    ));
    let first = std::fs::read(log.join(format!("{:016x}", 1))).unwrap();
    let head = segment::open(&first, &device.public(), None, |_| Some(sync_key.clone()))
        .unwrap()
        .head;

    // Her second segment adds mallory, whose own log (under the share's key) follows.
    let mallory = DeviceKeys::generate().unwrap();
    let add = |d: &DeviceKeys, name: &str| {
        Op::new(
            OpHeader::DeviceAdded {
                device: d.public(),
                name: name.into(),
            },
            Vec::new(),
        )
    };
    let (forged, _) =
        segment::seal(&device, &sync_key, Some(&head), &[add(&mallory, "mallory")]).unwrap();
    std::fs::write(log.join(format!("{:016x}", 2)), &forged).unwrap();
    let (theirs, _) =
        segment::seal(&mallory, &sync_key, None, &[add(&mallory, "mallory")]).unwrap();
    let mallory_dir = server.object(&format!(
        "team/shares/{share}/devices/{}",
        mallory.id().hex()
    ));
    std::fs::create_dir_all(mallory_dir.join("log")).unwrap();
    std::fs::write(
        mallory_dir.join("device.json"),
        serde_json::to_vec(&mallory.public()).unwrap(),
    )
    .unwrap();
    std::fs::write(mallory_dir.join("log").join(format!("{:016x}", 1)), &theirs).unwrap();

    let r = owner.run(&["sync"]);
    assert!(
        r.stderr.contains("share alice") && r.stderr.contains("neither side of a share may do"),
        "{}",
        r.stderr
    );
    // Refused every time, and the share carries on for nobody else: mallory was never read.
    let again = owner.run(&["sync"]);
    assert!(
        again.stderr.contains("neither side of a share may do"),
        "{}",
        again.stderr
    );
    assert!(!again.stderr.contains("mallory"), "{}", again.stderr);
    let ls = owner.run(&["share", "ls"]);
    assert!(!ls.ok().contains("mallory"), "{}", ls.stdout);
}

/// Runs `command` in bash as `v`'s user would type it, in `cwd`, `vault` on the PATH meaning
/// their vault.
fn shell(v: &TestVault, cwd: &Path, command: &str) -> vault_tests::Run {
    let bin = v.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let wrapper = bin.join("vault");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec {} --vault {} --password-file {} \"$@\"\n",
            vault_tests::bin("vault").display(),
            v.path.display(),
            v.password_file.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["-o", "pipefail", "-c", command])
        .current_dir(cwd)
        .env_clear()
        .env("PATH", path)
        .env("HOME", v.dir.path())
        .env("XDG_RUNTIME_DIR", &v.runtime_dir)
        .env("XDG_DATA_HOME", v.dir.path().join("xdg-data"))
        .env("TZ", "UTC")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    vault_tests::Run::from_output(out)
}

/// README "Sharing with your team", as written, against a local S3 server: the owner's
/// commands run in a shell, alice runs the line `vault share add` printed.
#[test]
fn the_readme_sharing_section_works_against_s3_storage() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let start = readme
        .find("### Sharing with your team")
        .expect("the section");
    let end = readme[start..]
        .find("\n## ")
        .map_or(readme.len(), |e| start + e);
    let blocks = vault_tests::shell_blocks(&readme[start..end]);
    assert_eq!(blocks.len(), 1, "one block of commands");

    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path());
    let via = Via::s3(&server, "sync");
    let owner = via.device("never");
    for (name, value) in [
        ("DATABASE_URL", "postgres://readme-share-1"),
        ("SENTRY_DSN", "https://readme-share-2@o1.ingest.sentry.io/1"),
    ] {
        owner
            .run_with_stdin(&["add", name, "--tag", "myapp"], value.as_bytes())
            .ok();
    }
    owner
        .run_with_stdin(
            &["add", "stripe", "--tag", "billing"],
            b"sk_test_not_shared",
        )
        .ok();
    via.init(&owner, "laptop").ok();
    let alice = via.device("never");
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("alice.age"),
        alice.run(&["share", "whoami"]).ok(),
    )
    .unwrap();

    let mut accept_line = None;
    for command in &blocks[0] {
        let r = shell(&owner, &project, command);
        assert_eq!(r.code, Some(0), "{command}\n{}{}", r.stdout, r.stderr);
        let code = command.split(" #").next().unwrap().trim();
        if code.starts_with("vault share whoami") {
            assert!(r.stdout.starts_with("age1"), "{}", r.stdout);
        }
        if code.starts_with("vault share add") {
            accept_line = Some(r.stdout.trim().to_owned());
            assert!(r.stderr.contains("alice gets 2 items"), "{}", r.stderr);
            // Alice accepts before she is removed, as she would.
            let got = accept(&alice, accept_line.as_deref().unwrap());
            assert!(got.stderr.contains("2 changes received"), "{}", got.stderr);
            assert_eq!(value(&alice, "DATABASE_URL"), "postgres://readme-share-1");
            assert!(!alice.run(&["ls"]).ok().contains("stripe"));
        }
        if code.starts_with("vault share ls") {
            assert!(
                r.stdout.contains("alice") && r.stdout.contains("tag:myapp"),
                "{}",
                r.stdout
            );
        }
        if code.starts_with("vault due") {
            for name in ["DATABASE_URL", "SENTRY_DSN"] {
                assert!(r.stdout.contains(name), "{}", r.stdout);
            }
            assert!(!r.stdout.contains("stripe"), "{}", r.stdout);
        }
    }
    assert!(accept_line.unwrap().contains("--endpoint"));
    let r = alice.run(&["sync"]);
    assert!(
        r.stderr.contains("removed this vault from the share"),
        "{}",
        r.stderr
    );
}

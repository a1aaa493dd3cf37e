//! Sync through a real bare repository (the system `git`, `file://`): the first sync of a new
//! device when the vault holds 10,000 items (one segment; after 200 syncs replayed; from a
//! snapshot), one changed item going from one device to another (the round on each side, and
//! git's own fetch and push, measured apart), and sharing: adding a member to a vault of
//! 10,000 items of which 500 are shared, and that member's first sync.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use vault_core::crypto::KdfParams;
use vault_core::model::OnConflict;
use vault_core::share::{WELCOME_FILE, WELCOME_PLACE, space_of};
use vault_core::vault_sync::git::Remote;
use vault_core::vault_sync::{DeviceKeys, Engine};
use vault_core::{SecretValue, Timestamp, Vault, dotenv};

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_780_000_000 + secs).unwrap()
}

fn pw() -> SecretValue {
    SecretValue::new("benchmark master password")
}

fn env_text(n: usize) -> String {
    (0..n)
        .map(|i| format!("SERVICE_{i}_API_KEY=sk-live-{i:08}-abcdefghijklmnopqrstuvwxyz012345\n"))
        .collect()
}

struct Device {
    vault: Vault,
    remote: Remote,
    dir: std::path::PathBuf,
}

impl Device {
    /// The device's git mirror (its shares use it too, in their own refs).
    fn remote_dir(&self) -> std::path::PathBuf {
        self.dir.join("mirror.git")
    }

    fn new(dir: &Path, name: &str, items: usize, url: Option<&str>) -> Device {
        let path = dir.join(name).join("vault.db");
        let mut vault = Vault::create(&path, &pw(), KdfParams::MINIMUM, at(0)).unwrap();
        if items > 0 {
            let parsed = dotenv::parse(&env_text(items));
            vault
                .import(parsed.entries, &[], OnConflict::Skip, at(0))
                .unwrap();
        }
        if let Some(url) = url {
            vault.sync_init(url, name, at(1)).unwrap();
        }
        let remote = Remote::open(
            &dir.join(name).join("mirror.git"),
            url.unwrap_or("file:///nonexistent"),
        )
        .unwrap();
        Device {
            vault,
            remote,
            dir: dir.join(name),
        }
    }

    fn fetch(&self) {
        self.remote.fetch().unwrap();
    }

    fn round(&mut self, now: Timestamp) {
        self.vault.sync_round(&self.remote, now).unwrap();
    }

    fn push(&mut self) {
        let unsent = self.vault.sync_unsent().unwrap();
        let (_, me) = self.vault.sync_target().unwrap().unwrap();
        self.remote.append(&me, &unsent).unwrap();
        self.remote.push(me.id).unwrap();
        if let Some((last, _)) = unsent.last() {
            self.vault.sync_sent(*last).unwrap();
        }
    }
}

/// A new device paired with `a` (admitted there, its keys taken here), its mirror under `dir`,
/// before its first sync.
fn paired(a: &mut Device, dir: &Path, url: &str, now: Timestamp) -> Device {
    let keys = DeviceKeys::generate().unwrap();
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let welcome = a.vault.sync_admit(&keys.public(), &name, now).unwrap();
    let mut b = Device::new(dir, "b", 0, None);
    b.vault.sync_accept(keys, "b", &welcome, now).unwrap();
    b.remote = Remote::open(&dir.join("b/mirror.git"), url).unwrap();
    b
}

fn bare(dir: &Path) -> String {
    let path = dir.join("remote.git");
    assert!(
        Command::new("git")
            .args(["init", "--bare", "--quiet"])
            .arg(&path)
            .status()
            .unwrap()
            .success()
    );
    format!("file://{}", path.display())
}

/// A device joining a vault of 10,000 items: its fetch, then its first round (every segment
/// checked and decrypted, every item sealed into its own vault).
fn first_sync(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let url = bare(dir.path());
    let mut a = Device::new(dir.path(), "a", 10_000, Some(&url));
    a.fetch();
    a.round(at(2));
    a.push();
    let mut g = c.benchmark_group("sync");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    let mut n = 0;
    g.bench_function("first_sync_of_a_new_device_10k_items", |bench| {
        bench.iter_batched(
            || {
                n += 1;
                paired(&mut a, &dir.path().join(format!("b{n}")), &url, at(3))
            },
            |mut b| {
                b.fetch();
                b.round(at(4));
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

/// One item rotated on a device, until the other holds it: the round and push on one side,
/// the fetch and round on the other. Git's own fetch and push are also measured alone.
fn one_change(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let url = bare(dir.path());
    let mut a = Device::new(dir.path(), "a", 1_000, Some(&url));
    a.fetch();
    a.round(at(2));
    a.push();
    let keys = DeviceKeys::generate().unwrap();
    let welcome = a.vault.sync_admit(&keys.public(), "b", at(3)).unwrap();
    a.fetch();
    a.round(at(3));
    a.push();
    let mut b = Device::new(dir.path(), "b", 0, None);
    b.vault.sync_accept(keys, "b", &welcome, at(3)).unwrap();
    b.remote = Remote::open(&dir.path().join("b/mirror.git"), &url).unwrap();
    b.fetch();
    b.round(at(4));
    b.push();
    let mut g = c.benchmark_group("sync");
    g.sample_size(30).measurement_time(Duration::from_secs(20));
    let mut i = 0i64;
    g.bench_function("one_change_to_another_device_1k_items", |bench| {
        bench.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                i += 1;
                a.vault
                    .rotate(
                        "SERVICE_7_API_KEY",
                        &SecretValue::new(format!("rotated-{i}")),
                        at(10 + i),
                    )
                    .unwrap();
                let start = Instant::now();
                a.fetch();
                a.round(at(10 + i));
                a.push();
                b.fetch();
                b.round(at(10 + i));
                total += start.elapsed();
            }
            assert_eq!(
                b.vault.api_key("SERVICE_7_API_KEY").unwrap().value.expose(),
                format!("rotated-{i}")
            );
            total
        })
    });
    g.bench_function("git_fetch_and_push_alone", |bench| {
        bench.iter(|| {
            a.fetch();
            a.remote
                .push(a.vault.sync_target().unwrap().unwrap().1.id)
                .unwrap();
            b.fetch();
        })
    });
    g.finish();
}

/// A device that made 200 syncs after the first of 10,000 items, each with 100 rotated
/// items (20,000 item versions in its log besides the first 10,000), its log pushed; with a
/// snapshot after them when `snapshot`.
fn long_history(dir: &Path, url: &str, snapshot: bool) -> Device {
    let mut a = Device::new(dir, "a", 10_000, Some(url));
    a.fetch();
    a.round(at(2));
    a.push();
    for i in 0..200i64 {
        for j in 0..100 {
            let item = (i * 100 + j) % 10_000;
            a.vault
                .rotate(
                    &format!("SERVICE_{item}_API_KEY"),
                    &SecretValue::new(format!("rotated-{i}")),
                    at(10 + i),
                )
                .unwrap();
        }
        a.round(at(10 + i));
        a.push();
    }
    if snapshot {
        let (seq, bytes) = a.vault.sync_snapshot(None, 1).unwrap().unwrap();
        let me = a.vault.sync_target().unwrap().unwrap().1;
        a.remote.put_snapshot(me.id, seq, &bytes).unwrap();
    }
    a
}

/// A new device's first sync (fetch and round) after 200 syncs of another: every segment
/// replayed, or from the snapshot written after them.
fn first_sync_after_history(c: &mut Criterion) {
    let mut g = c.benchmark_group("sync");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    for snapshot in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let url = bare(dir.path());
        let mut a = long_history(dir.path(), &url, snapshot);
        let name = if snapshot {
            "first_sync_of_a_new_device_10k_items_200_syncs_of_100_from_a_snapshot"
        } else {
            "first_sync_of_a_new_device_10k_items_200_syncs_of_100_replayed"
        };
        let mut n = 0;
        g.bench_function(name, |bench| {
            bench.iter_batched(
                || {
                    n += 1;
                    paired(&mut a, &dir.path().join(format!("b{n}")), &url, at(300))
                },
                |mut b| {
                    b.fetch();
                    b.round(at(301));
                    assert_eq!(
                        b.vault
                            .api_key("SERVICE_9999_API_KEY")
                            .unwrap()
                            .value
                            .expose(),
                        "rotated-199"
                    );
                },
                BatchSize::PerIteration,
            );
        });
    }
    g.finish();
}

/// What `vault share add` does, in-process: the share made, its key file published, its
/// first round (the items the selector names sealed for the member) and push.
fn add_member(
    a: &mut Device,
    url: &str,
    name: &str,
    recipient: &str,
    now: Timestamp,
) -> (String, usize) {
    let shared = a
        .vault
        .share_add(name, recipient, &["tag:staging".to_owned()], now)
        .unwrap();
    let remote = Remote::open_space(&a.remote_dir(), url, &space_of(&shared.id)).unwrap();
    remote.fetch_pairing(WELCOME_PLACE).unwrap();
    remote
        .pairing_write(WELCOME_PLACE, WELCOME_FILE, &shared.welcome)
        .unwrap();
    remote.fetch().unwrap();
    let round = a.vault.share_round(&shared.id, &remote, now).unwrap();
    let unsent = a.vault.share_unsent(&shared.id).unwrap();
    let (_, _, me) = a
        .vault
        .share_targets()
        .unwrap()
        .into_iter()
        .find(|(id, _, _)| *id == shared.id)
        .unwrap();
    remote.append(&me, &unsent).unwrap();
    remote.push(me.id).unwrap();
    a.vault
        .share_sent(&shared.id, unsent.last().unwrap().0)
        .unwrap();
    (shared.id, round.sent)
}

/// A vault of 10,000 items, 500 of them tagged `staging`, syncing through a bare repository.
fn team_vault(dir: &Path, url: &str) -> Device {
    let mut a = Device::new(dir, "a", 9_500, Some(url));
    let staging: String = (0..500)
        .map(|i| format!("STAGING_{i}_API_KEY=sk-staging-{i:08}-abcdefghijklmnopqrstuvwxyz\n"))
        .collect();
    a.vault
        .import(
            dotenv::parse(&staging).entries,
            &["staging".to_owned()],
            OnConflict::Skip,
            at(0),
        )
        .unwrap();
    a.fetch();
    a.round(at(2));
    a.push();
    a
}

/// Adding a member to a vault of 10,000 items of which 500 are shared: only those 500 are
/// sealed (asserted), and a member's first sync of them (accept: the key file opened, the
/// share's segment read and its items sealed into the member's vault).
fn sharing(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let url = bare(dir.path());
    let mut a = team_vault(dir.path(), &url);
    let mut g = c.benchmark_group("share");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    let mut n = 0;
    let recipient = vault_core::vault_sync::recipient::Identity::generate()
        .unwrap()
        .recipient()
        .to_string();
    g.bench_function("add_member_10k_items_500_shared", |bench| {
        bench.iter(|| {
            n += 1;
            let (_, sent) = add_member(&mut a, &url, &format!("m{n}"), &recipient, at(5));
            assert_eq!(sent, 500, "only the shared items are sealed");
        })
    });
    g.bench_function("first_sync_of_a_new_member_500_items", |bench| {
        bench.iter_batched(
            || {
                n += 1;
                let mut m = Device::new(&dir.path().join(format!("m{n}")), "m", 0, None);
                let key = m.vault.share_whoami().unwrap();
                let (id, _) = add_member(&mut a, &url, &format!("m{n}"), &key, at(6));
                (m, id)
            },
            |(mut m, id)| {
                let remote = Remote::open_space(&m.remote_dir(), &url, &space_of(&id)).unwrap();
                remote.fetch_pairing(WELCOME_PLACE).unwrap();
                let welcome = remote
                    .pairing_files(WELCOME_PLACE)
                    .unwrap()
                    .remove(WELCOME_FILE);
                m.vault
                    .share_accept(&url, &id, welcome.as_deref(), at(7))
                    .unwrap();
                remote.fetch().unwrap();
                let round = m.vault.share_round(&id, &remote, at(7)).unwrap();
                assert_eq!(round.received, 500);
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

criterion_group!(
    benches,
    first_sync,
    one_change,
    first_sync_after_history,
    sharing
);
criterion_main!(benches);

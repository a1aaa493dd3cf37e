//! Sync through a real bare repository (the system `git`, `file://`): the first sync of a new
//! device when the vault holds 10,000 items, and one changed item going from one device to
//! another (the round on each side, and git's own fetch and push, measured apart).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use vault_core::crypto::KdfParams;
use vault_core::model::OnConflict;
use vault_core::vault_sync::DeviceKeys;
use vault_core::vault_sync::git::Remote;
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
}

impl Device {
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
        Device { vault, remote }
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
                let sub = dir.path().join(format!("b{n}"));
                let keys = DeviceKeys::generate().unwrap();
                let welcome = a
                    .vault
                    .sync_admit(&keys.public(), &format!("b{n}"), at(3))
                    .unwrap();
                let mut b = Device::new(&sub, "b", 0, None);
                b.vault.sync_accept(keys, "b", &welcome, at(3)).unwrap();
                b.remote = Remote::open(&sub.join("b/mirror.git"), &url).unwrap();
                b
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

criterion_group!(benches, first_sync, one_change);
criterion_main!(benches);

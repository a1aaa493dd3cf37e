//! Core costs: unlocking with the default KDF, listing and searching a 100,000-item vault,
//! and importing 10,000 lines. Whole-process figures (`vault get`, `vault run`) are in `bench/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use vault_core::crypto::KdfParams;
use vault_core::model::OnConflict;
use vault_core::{LockedVault, SecretValue, Timestamp, Vault, dotenv};

fn now() -> Timestamp {
    "2026-06-01T00:00:00Z".parse().unwrap()
}

fn pw() -> SecretValue {
    SecretValue::new("benchmark master password")
}

/// `n` lines of `KEY_i=value`, as a .env file would hold them.
fn env_text(n: usize) -> String {
    (0..n)
        .map(|i| format!("SERVICE_{i}_API_KEY=sk-live-{i:08}-abcdefghijklmnopqrstuvwxyz012345\n"))
        .collect()
}

fn vault_with(path: &Path, n: usize, kdf: KdfParams) -> Vault {
    let mut v = Vault::create(path, &pw(), kdf, now()).unwrap();
    let parsed = dotenv::parse(&env_text(n));
    v.import(parsed.entries, &["bench".into()], OnConflict::Skip, now())
        .unwrap();
    v
}

fn unlock(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    drop(vault_with(&path, 10, KdfParams::STANDARD));
    let mut g = c.benchmark_group("unlock");
    g.sample_size(20).measurement_time(Duration::from_secs(15));
    g.bench_function("standard_kdf_64MiB_t3_p4", |b| {
        b.iter(|| LockedVault::open(&path).unwrap().unlock(&pw()).unwrap())
    });
    g.finish();
}

/// Unlocking a large vault: the key derivation, then every row checked against the vault's
/// commitment (what `--no-agent` commands and the agent's first unlock pay).
fn unlock_large(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut g = c.benchmark_group("unlock");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for n in [10_000, 100_000] {
        let path = dir.path().join(format!("v{n}.db"));
        drop(vault_with(&path, n, KdfParams::STANDARD));
        g.bench_function(
            format!("standard_kdf_and_{}k_rows_verified", n / 1000),
            |b| b.iter(|| LockedVault::open(&path).unwrap().unlock(&pw()).unwrap()),
        );
    }
    g.finish();
}

fn large_vault(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let mut v = vault_with(&path, 100_000, KdfParams::MINIMUM);
    let mut g = c.benchmark_group("100k_items");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    // Once unlocked, the metadata is cached: what `vault ls` and a search cost in the agent.
    g.bench_function("list_all", |b| {
        b.iter(|| black_box(v.items().unwrap().len()))
    });
    // The same listing shared rather than copied: what the agent's own uses (`vault run`'s
    // grants, `vault due`, the refresh timer) read.
    g.bench_function("list_all_shared", |b| {
        b.iter(|| black_box(v.listing(None, None).unwrap().len()))
    });
    g.bench_function("search_name", |b| {
        b.iter(|| black_box(v.search(Some("service_4242_"), None).unwrap().len()))
    });
    g.bench_function("get_by_name", |b| {
        b.iter(|| black_box(v.api_key("SERVICE_77777_API_KEY").unwrap()))
    });
    // The first listing after an item changed: the changed row decrypted, every other row's
    // revision compared (`vault/listing.rs`), then the listing copied out.
    let mut rotations = 0u64;
    let mut after_a_change = |b: &mut criterion::Bencher<'_>, shared: bool| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                rotations += 1;
                let value = SecretValue::new(format!("rotated-{rotations}"));
                v.rotate("SERVICE_1_API_KEY", &value, now()).unwrap();
                let start = std::time::Instant::now();
                if shared {
                    black_box(v.listing(None, None).unwrap().len());
                } else {
                    black_box(v.items().unwrap().len());
                }
                total += start.elapsed();
            }
            total
        })
    };
    g.bench_function("list_all_after_an_item_changed", |b| {
        after_a_change(b, false)
    });
    g.bench_function("list_all_shared_after_an_item_changed", |b| {
        after_a_change(b, true)
    });
    // The first listing after unlocking: every record decrypted, on all cores.
    g.bench_function("list_all_first_after_unlock", |b| {
        b.iter_batched(
            || LockedVault::open(&path).unwrap().unlock(&pw()).unwrap(),
            |v| black_box(v.items().unwrap().len()),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn import(c: &mut Criterion) {
    let text = env_text(10_000);
    let mut g = c.benchmark_group("import");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("10k_lines_parse_and_commit", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let v = Vault::create(&dir.path().join("v.db"), &pw(), KdfParams::MINIMUM, now())
                    .unwrap();
                (dir, v)
            },
            |(dir, mut v)| {
                let parsed = dotenv::parse(&text);
                let report = v
                    .import(parsed.entries, &[], OnConflict::Skip, now())
                    .unwrap();
                assert_eq!(report.added.len(), 10_000);
                (dir, v)
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// `vault passwd` on a 10,000-item vault with a previous value per item: a new data key, every
/// row re-sealed, the WAL truncated, and one Argon2id derivation at the default cost.
fn rekey(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let mut v = vault_with(&path, 10_000, KdfParams::MINIMUM);
    let parsed = dotenv::parse(&env_text(10_000).replace("sk-live-", "sk-next-"));
    v.import(parsed.entries, &[], OnConflict::Rotate, now())
        .unwrap();
    let mut g = c.benchmark_group("rekey");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("10k_items_and_10k_previous_values", |b| {
        b.iter(|| {
            v.change_password(&pw(), Some(KdfParams::STANDARD), now())
                .unwrap()
        })
    });
    g.finish();
}

/// Recognising a key format, as `vault add` and every imported line do: a known key, a
/// near miss that runs the pattern, and a value no prefix matches.
fn detect(c: &mut Criterion) {
    let known = format!(
        "ghp_{}",
        "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF"
            .repeat(2)
            .get(..36)
            .unwrap_or("")
    );
    let near = format!("sk-{}", "x".repeat(48));
    let unknown = "postgres://user:pass@localhost:5432/app".to_owned();
    let mut g = c.benchmark_group("formats");
    for (name, value) in [
        ("known_key", &known),
        ("sk_prefix_near_miss", &near),
        ("no_prefix", &unknown),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| black_box(vault_core::formats::detect(black_box(value))))
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    unlock,
    unlock_large,
    large_vault,
    import,
    rekey,
    detect
);
criterion_main!(benches);

//! `vault sync` killed with SIGKILL at random points of its rounds, on the pushing device and
//! on the pulling one, many times over (until `VAULT_CRASH_KILLS` per side have been killed,
//! default 100: 200 kills in all; delays from `VAULT_CRASH_SEED`). Afterwards, with the syncs let finish, nothing is lost
//! (every item added and the last value of a rotated one reach the other device) and nothing is
//! applied twice (a version applied again would be taken for a concurrent edit: a flag, and its
//! value a second time in the history).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vault_tests::{TestVault, pipe};

fn kills() -> usize {
    std::env::var("VAULT_CRASH_KILLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100)
}

fn seed() -> u64 {
    std::env::var("VAULT_CRASH_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0x5EED_5A4C)
}

/// SplitMix64 (test scheduling, not cryptography).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n.max(1)
    }
}

fn direct(v: &TestVault, args: &[&str]) -> Command {
    let mut c = v.cmd();
    c.arg("--no-agent").args(args);
    c
}

fn ok(mut c: Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn spawn_sync(v: &TestVault) -> Child {
    direct(v, &["sync"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A sync killed after a delay in the window `[0, to)`, which follows the machine: a sync that
/// finished first pulls it in, a kill lets it out, so about half are caught mid-way.
struct Aim {
    to: u64,
    most: u64,
    kills: usize,
    finished: usize,
}

impl Aim {
    fn shoot(&mut self, v: &TestVault, rng: &mut Rng) {
        let mut child = spawn_sync(v);
        std::thread::sleep(Duration::from_micros(rng.below(self.to)));
        match child.try_wait().unwrap() {
            Some(_) => {
                self.finished += 1;
                self.to = (self.to * 85 / 100).max(1000);
            }
            None => {
                child.kill().unwrap();
                child.wait().unwrap();
                self.kills += 1;
                self.to = (self.to * 105 / 100).min(self.most);
            }
        }
    }
}

#[test]
fn syncs_killed_mid_round_lose_nothing_and_apply_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("remote.git");
    assert!(
        Command::new("git")
            .args(["init", "--bare", "-q"])
            .arg(&remote)
            .status()
            .unwrap()
            .success()
    );
    let url = format!("file://{}", remote.display());
    let a = TestVault::new();
    let b = TestVault::new();
    a.add("rotated", "value-0", &[]);
    a.run(&["sync", "init", "git", &url, "--name", "pusher"])
        .ok();
    // Pair through the agents, then stop them: the rounds below are `--no-agent` processes,
    // with no background round besides.
    let mut invite = a
        .cmd()
        .args(["sync", "invite"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut code = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(invite.stdout.take().unwrap()),
        &mut code,
    )
    .unwrap();
    pipe(
        b.cmd()
            .args(["sync", "join", &url, "--name", "puller", "--code-stdin"]),
        code.as_bytes(),
    )
    .ok();
    assert!(invite.wait().unwrap().success());
    a.stop_agent();
    b.stop_agent();

    let t = Instant::now();
    ok(direct(&a, &["sync"]));
    let round = t.elapsed().as_micros() as u64;
    let mut rng = Rng(seed());
    let mut push = Aim {
        to: round * 12 / 10,
        most: round * 4,
        kills: 0,
        finished: 0,
    };
    let mut pull = Aim {
        to: round * 12 / 10,
        most: round * 4,
        kills: 0,
        finished: 0,
    };
    let started = Instant::now();
    let mut n = 0;
    while (push.kills < kills() || pull.kills < kills()) && n < kills() * 4 {
        n += 1;
        let i = n;
        let mut add = direct(&a, &["add", &format!("added_{i}")]);
        pipe(&mut add, format!("added-value-{i}").as_bytes()).ok();
        let mut rotate = direct(&a, &["rotate", "rotated"]);
        pipe(&mut rotate, format!("value-{i}").as_bytes()).ok();
        if push.kills < kills() {
            push.shoot(&a, &mut rng);
        }
        if pull.kills < kills() {
            pull.shoot(&b, &mut rng);
        }
    }
    eprintln!(
        "sync crash (seed {}): {} pushing and {} pulling rounds killed, {} and {} finished first, in {:.0?}",
        seed(),
        push.kills,
        pull.kills,
        push.finished,
        pull.finished,
        started.elapsed()
    );
    assert!(
        push.kills >= kills() && pull.kills >= kills(),
        "rounds were killed mid-way"
    );
    for v in [&a, &b, &a, &b] {
        ok(direct(v, &["sync"]));
    }

    let listed = ok(direct(&b, &["ls"]));
    for i in 1..=n {
        let value = ok(direct(&b, &["get", &format!("added_{i}")]));
        assert_eq!(value.trim_end(), format!("added-value-{i}"));
    }
    assert!(
        !listed.contains("two devices"),
        "a version was applied twice: {listed}"
    );
    assert_eq!(
        ok(direct(&b, &["get", "rotated"])).trim_end(),
        format!("value-{n}")
    );
    // The history b holds: values a set, each once, oldest first.
    let history: Vec<serde_json::Value> =
        serde_json::from_str(&ok(direct(&b, &["history", "rotated", "--json"]))).unwrap();
    let numbers: Vec<u64> = history
        .iter()
        .filter_map(|v| v["version"].as_u64())
        .collect();
    let mut unique = numbers.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        numbers.len(),
        "a version twice in the history: {numbers:?}"
    );
    let status = ok(direct(&a, &["sync", "status"]));
    assert!(
        status.contains("0 changes here, 0 segments not pushed"),
        "{status}"
    );
}

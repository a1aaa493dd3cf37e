//! Crashes during writes: the agent, and separately a `--no-agent` writer, killed with SIGKILL
//! at random points while writes (adds, rotations, imports) are in flight, many times over.
//! After every kill the vault must open and hold exactly the acknowledged writes, plus at
//! most the one write that was in flight, whole or not at all: never a lost acknowledged
//! write, never a half-written one (an import partly there, a value rotated without its
//! history).
//!
//! The number of kills per test is `VAULT_CRASH_KILLS` (default 100; `make crash` runs 500),
//! the random delays come from `VAULT_CRASH_SEED` (printed, so a failure can be replayed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vault_agent::protocol::{ImportEntry, NewKey, Op, Request, Response, WireError, WireSecret};
use vault_agent::{AgentDir, Client};
use vault_core::model::OnConflict;
use vault_core::{LockedVault, SecretValue, Vault};
use vault_tests::{PASSWORD, TestVault};

/// The `--no-agent` test aims its kills from timings it measures first; the `passwd` test's
/// re-seals (CPU-bound) would skew them, so those two take turns.
static TIMED: Mutex<()> = Mutex::new(());

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
        .unwrap_or(0x5EED_CAFE)
}

/// SplitMix64: reproducible delays and values from a seed (test scheduling, not cryptography).
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Items in the vault before writes turn to rotations only.
const MAX_ITEMS: usize = 150;

/// One user-visible change, as the user asked for it.
#[derive(Clone, Debug)]
enum Write {
    Add { name: String, value: String },
    Rotate { name: String, value: String },
    Import { entries: Vec<(String, String)> },
}

/// What the vault must hold: every acknowledged write applied, and the one in flight.
#[derive(Default)]
struct Model {
    /// name -> (value, version)
    items: BTreeMap<String, (String, u32)>,
    pending: Option<Write>,
    counter: u64,
    acknowledged: usize,
}

impl Model {
    fn apply(items: &mut BTreeMap<String, (String, u32)>, w: &Write) {
        match w {
            Write::Add { name, value } => {
                items.insert(name.clone(), (value.clone(), 1));
            }
            Write::Rotate { name, value } => {
                if let Some(item) = items.get_mut(name) {
                    *item = (value.clone(), item.1 + 1);
                }
            }
            Write::Import { entries } => {
                for (k, v) in entries {
                    items.insert(k.clone(), (v.clone(), 1));
                }
            }
        }
    }

    /// The next write: mostly adds and rotations, sometimes a 20-entry import. Past
    /// [`MAX_ITEMS`] only rotations, so checking the whole vault after each kill stays cheap.
    fn next_write(&mut self, rng: &mut Rng) -> Write {
        self.counter += 1;
        let n = self.counter;
        let value = format!("value-{n}-{:016x}", rng.next());
        let full = self.items.len() >= MAX_ITEMS;
        match rng.below(10) {
            _ if full => {
                let i = rng.below(self.items.len() as u64) as usize;
                let name = self.items.keys().nth(i).cloned().unwrap_or_default();
                Write::Rotate { name, value }
            }
            0..=3 if !self.items.is_empty() => {
                let i = rng.below(self.items.len() as u64) as usize;
                let name = self.items.keys().nth(i).cloned().unwrap_or_default();
                Write::Rotate { name, value }
            }
            0..=1 => Write::Import {
                entries: (0..20)
                    .map(|j| (format!("BATCH{n}_{j}"), format!("{value}-{j}")))
                    .collect(),
            },
            _ => Write::Add {
                name: format!("key{n}"),
                value,
            },
        }
    }
}

/// Tallies over one run.
#[derive(Default, Debug)]
struct Tally {
    kills: usize,
    in_flight_landed: usize,
    in_flight_absent: usize,
    finished_before_kill: usize,
}

/// Checks the file against the model after a kill. `reader` is an unlocked vault kept open by
/// the test (its key was derived once); each check also opens the file afresh.
fn verify(path: &std::path::Path, reader: &Vault, model: &mut Model, tally: &mut Tally, at: usize) {
    LockedVault::open(path).unwrap_or_else(|e| panic!("kill {at}: the vault does not open: {e}"));
    let mut found: BTreeMap<String, (String, u32)> = BTreeMap::new();
    // Every record opens (no half-written blob), and every value's history is whole.
    let items = reader
        .items()
        .unwrap_or_else(|e| panic!("kill {at}: cannot list: {e}"));
    for item in items {
        let name = item.meta.name().to_owned();
        let key = reader
            .api_key(&name)
            .unwrap_or_else(|e| panic!("kill {at}: {name}: {e}"));
        let history = reader.history(&name).unwrap();
        assert_eq!(
            history.len(),
            key.meta.version as usize,
            "kill {at}: {name} is at version {} with {} versions kept",
            key.meta.version,
            history.len()
        );
        found.insert(name, (key.value.expose().to_owned(), key.meta.version));
    }
    let before = model.items.clone();
    let mut after = before.clone();
    if let Some(w) = &model.pending {
        Model::apply(&mut after, w);
    }
    if found == before {
        if model.pending.is_some() {
            tally.in_flight_absent += 1;
        }
    } else if found == after {
        tally.in_flight_landed += 1;
    } else {
        let lost: Vec<_> = before
            .iter()
            .filter(|(k, v)| found.get(*k) != Some(v) && after.get(*k) != found.get(*k))
            .map(|(k, _)| k)
            .collect();
        let extra: Vec<_> = found.keys().filter(|k| !after.contains_key(*k)).collect();
        panic!(
            "kill {at}: the vault holds neither the acknowledged state nor it plus the write in \
             flight ({:?}); acknowledged but missing or changed: {lost:?}; unexpected: {extra:?}",
            model.pending
        );
    }
    model.items = found;
    model.pending = None;
}

fn unlocked_reader(path: &std::path::Path) -> Vault {
    LockedVault::open(path)
        .unwrap()
        .unlock(&SecretValue::new(PASSWORD))
        .unwrap()
}

fn request(vault: &std::path::Path, w: &Write) -> Request {
    let secret = |v: &str| WireSecret::new(SecretValue::new(v));
    let op = match w {
        Write::Add { name, value } => Op::Add {
            key: NewKey {
                name: name.clone(),
                value: secret(value),
                env: Vec::new(),
                service: None,
                tags: Vec::new(),
                notes: String::new(),
                rotation: Default::default(),
                expires: None,
                last_rotated: None,
                hosts: None,
                fields: Default::default(),
                secret_fields: Default::default(),
            },
        },
        Write::Rotate { name, value } => Op::Rotate {
            name: name.clone(),
            value: secret(value),
            expires: None,
        },
        Write::Import { entries } => Op::Import {
            entries: entries
                .iter()
                .enumerate()
                .map(|(i, (k, v))| ImportEntry {
                    key: k.clone(),
                    value: secret(v),
                    line: i + 1,
                    meta: None,
                    secret_fields: Default::default(),
                })
                .collect(),
            tags: Vec::new(),
            on_conflict: OnConflict::Skip,
        },
    };
    Request::Vault {
        vault: vault.to_owned(),
        op,
    }
}

#[test]
fn the_agent_killed_during_writes_loses_no_acknowledged_write() {
    let v = TestVault::new();
    let reader = unlocked_reader(&v.path);
    let dir = AgentDir { dir: v.agent_dir() };
    let model = Arc::new(Mutex::new(Model::default()));
    let mut rng = Rng(seed());
    let mut tally = Tally::default();
    let started = Instant::now();
    for round in 0..kills() {
        // A fresh agent, unlocked with the password file, as after any crash.
        v.run(&["unlock"]).ok();
        let mut client = Client::connect(&dir).unwrap().expect("the agent runs");
        let pid = client.pid;
        let writer = {
            let model = Arc::clone(&model);
            let mut rng = Rng(rng.next());
            let path = v.path.clone();
            std::thread::spawn(move || {
                loop {
                    let w = {
                        let mut m = model.lock().unwrap();
                        let w = m.next_write(&mut rng);
                        m.pending = Some(w.clone());
                        w
                    };
                    match client.call(&request(&path, &w)) {
                        Ok(Response::Error(WireError { message, .. })) => {
                            panic!("the agent refused a write: {message}")
                        }
                        Ok(_) => {
                            let mut m = model.lock().unwrap();
                            let m = &mut *m;
                            Model::apply(&mut m.items, &w);
                            m.pending = None;
                            m.acknowledged += 1;
                        }
                        // Killed: the write in flight may or may not have landed.
                        Err(_) => return,
                    }
                }
            })
        };
        std::thread::sleep(Duration::from_micros(rng.below(30_000)));
        kill9(pid);
        writer.join().expect("writer thread");
        tally.kills += 1;
        verify(
            &v.path,
            &reader,
            &mut model.lock().unwrap(),
            &mut tally,
            round,
        );
    }
    let m = model.lock().unwrap();
    eprintln!(
        "crash (agent, seed {}): {} kills in {:.0?}, {} acknowledged writes, 0 lost; in flight at \
         the kill: {} landed whole, {} not at all; {} items",
        seed(),
        tally.kills,
        started.elapsed(),
        m.acknowledged,
        tally.in_flight_landed,
        tally.in_flight_absent,
        m.items.len()
    );
    assert!(m.acknowledged > tally.kills, "writes were in flight");
}

#[test]
fn a_direct_mode_writer_killed_during_writes_loses_no_acknowledged_write() {
    let _turn = TIMED.lock().unwrap_or_else(|e| e.into_inner());
    let v = TestVault::new();
    v.stop_agent();
    let reader = unlocked_reader(&v.path);
    let mut model = Model::default();
    let mut rng = Rng(seed() ^ 0xD1EC7);
    let mut tally = Tally::default();
    let started = Instant::now();
    // Most of a direct-mode write is the key derivation; the kills are aimed at what follows
    // it: from a little before a read-only command would finish to a little after a write does.
    let mut opened = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let out = v.cmd().args(["--no-agent", "ls"]).output().unwrap();
        assert!(out.status.success());
        opened = opened.min(t.elapsed());
    }
    let mut written = Duration::ZERO;
    for _ in 0..3 {
        let w = model.next_write(&mut rng);
        let t = Instant::now();
        let mut child = spawn_direct(&v, &w);
        assert!(child.wait().unwrap().success());
        written = written.max(t.elapsed());
        Model::apply(&mut model.items, &w);
        model.acknowledged += 1;
    }
    let from = opened.as_micros() as u64 * 8 / 10;
    let mut to = (written.as_micros() as u64 * 12 / 10).max(from + 1000);
    let most = to * 4;
    for round in 0..kills() {
        let w = model.next_write(&mut rng);
        model.pending = Some(w.clone());
        let mut child = spawn_direct(&v, &w);
        std::thread::sleep(Duration::from_micros(from + rng.below(to - from)));
        match child.try_wait().unwrap() {
            // The aim follows the machine as it is now, not as it was when measured above: a
            // load that came or went since (another test, CI) would otherwise leave every
            // kill too late or too early. Finishing first pulls the window in; a kill lets it
            // out again, so about half the writers are caught mid-way however fast they run.
            Some(status) => {
                assert!(status.success(), "{w:?} failed on its own");
                Model::apply(&mut model.items, &w);
                model.pending = None;
                model.acknowledged += 1;
                tally.finished_before_kill += 1;
                to = (to * 85 / 100).max(from + 1000);
            }
            None => {
                child.kill().unwrap();
                child.wait().unwrap();
                tally.kills += 1;
                to = (to * 105 / 100).min(most);
            }
        }
        verify(&v.path, &reader, &mut model, &mut tally, round);
    }
    eprintln!(
        "crash (--no-agent, seed {}): {} writers started, {} killed mid-way, {} finished first; \
         {} acknowledged writes, 0 lost; killed writes: {} landed whole, {} not at all; {:.0?}",
        seed(),
        kills(),
        tally.kills,
        tally.finished_before_kill,
        model.acknowledged,
        tally.in_flight_landed,
        tally.in_flight_absent,
        started.elapsed()
    );
    assert!(
        tally.kills > kills() / 4,
        "writers must be killed mid-way, not only after they finished"
    );
}

/// `vault --no-agent` carrying out `w`, its value on stdin (or in a file for imports).
fn spawn_direct(v: &TestVault, w: &Write) -> std::process::Child {
    let mut cmd: Command = v.cmd();
    cmd.arg("--no-agent")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let input = match w {
        Write::Add { name, value } => {
            cmd.args(["add", name]);
            value.clone()
        }
        Write::Rotate { name, value } => {
            cmd.args(["rotate", name]);
            value.clone()
        }
        Write::Import { entries } => {
            let file = v.dir.path().join("batch.env");
            let text: String = entries.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
            std::fs::write(&file, text).unwrap();
            cmd.arg("import").arg(&file);
            String::new()
        }
    };
    let mut child = cmd.stdin(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Written from a thread: a killed child must not leave us blocked on a full pipe.
    std::thread::spawn(move || {
        use std::io::Write as _;
        let _ = stdin.write_all(input.as_bytes());
    });
    child
}

use vault_tests::kill9;

/// `vault --no-agent passwd` SIGKILLed at random points of its re-seal (a new data key, every
/// row re-encrypted in one transaction): after each kill the vault opens with exactly one of
/// the two passwords, and every item, previous value and the audit log read back whole.
#[test]
fn a_passwd_killed_during_its_re_seal_leaves_one_password_and_every_item() {
    let _turn = TIMED.lock().unwrap_or_else(|e| e.into_inner());
    let v = TestVault::new();
    let text: String = (0..300)
        .map(|i| format!("KEY_{i}=value-{i}-{}\n", "x".repeat(40)))
        .collect();
    let file = v.dir.path().join("seed.env");
    std::fs::write(&file, &text).unwrap();
    v.run(&["import", file.to_str().unwrap()]).ok();
    v.run_with_stdin(&["rotate", "KEY_7"], b"value-7-rotated")
        .ok();
    v.stop_agent();
    let passwords = [PASSWORD.to_owned(), "the second password".to_owned()];
    let mut rng = Rng(seed() ^ 0x9A55);
    let (mut killed, mut finished) = (0, 0);
    // A whole re-seal, timed, aims the kills: from a little before the key derivation ends to
    // a little after the commit.
    let timed = |from: usize, to: usize| {
        let pw = v.dir.path().join("passwd-pw");
        std::fs::write(&pw, format!("{}\n{}\n", passwords[from], passwords[to])).unwrap();
        let mut cmd: Command = v.bare();
        cmd.args(["--no-agent", "--password-file"])
            .arg(&pw)
            .arg("passwd")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd
    };
    let t = Instant::now();
    assert!(timed(0, 1).status().unwrap().success());
    let whole = t.elapsed().as_micros() as u64;
    // Which password opens the vault now: read back from the vault after every round.
    let mut current = 1;
    let rounds = (kills() / 4).max(10);
    for _ in 0..rounds {
        let next = 1 - current;
        let mut child = timed(current, next).spawn().unwrap();
        std::thread::sleep(Duration::from_micros(whole / 3 + rng.below(whole * 9 / 10)));
        match child.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success());
                finished += 1;
            }
            None => {
                child.kill().unwrap();
                child.wait().unwrap();
                killed += 1;
            }
        }
        // Exactly one password opens it, and it holds everything.
        let open = |p: &str| {
            LockedVault::open(&v.path)
                .unwrap()
                .unlock(&SecretValue::new(p))
        };
        let (a, b) = (open(&passwords[0]), open(&passwords[1]));
        assert!(
            a.is_ok() != b.is_ok(),
            "exactly one password must open the vault"
        );
        let (vault, which) = match (a, b) {
            (Ok(vault), _) => (vault, 0),
            (_, Ok(vault)) => (vault, 1),
            _ => unreachable!(),
        };
        current = which;
        assert_eq!(vault.items().unwrap().len(), 300);
        assert_eq!(
            vault.api_key("KEY_299").unwrap().value.expose(),
            format!("value-299-{}", "x".repeat(40))
        );
        assert_eq!(
            vault.api_key("KEY_7").unwrap().value.expose(),
            "value-7-rotated"
        );
        assert_eq!(vault.history("KEY_7").unwrap().len(), 2);
        vault.audit_log(10_000).unwrap();
    }
    eprintln!(
        "crash (passwd, seed {}): {rounds} re-seals of 300 items, {killed} killed mid-way, \
         {finished} finished; every time exactly one password opened the vault, nothing lost",
        seed()
    );
    assert!(killed > 0, "a re-seal must be killed mid-way");
}

//! The desktop app's commands (`vault-app`, no window) against the real agent and CLI: the app
//! is one more client of the same unlocked vault. Unlock in the app and the CLI works; lock
//! from a terminal and the app hears of it within a second.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vault_agent::AgentDir;
use vault_app::views::{DueItem, LockState};
use vault_app::{
    AgentConfig, App, AppConfig, BrowserError, Clipboard, ClipboardError, Host, SettingsPaths,
    SyncStorage,
};
use vault_core::{ErrorCode, SecretValue, Timestamp};
use vault_tests::{PASSWORD, TestVault, bin};

/// Records lock events; the clipboard is never used here.
#[derive(Default)]
struct Recorder {
    locks: Mutex<Vec<(Instant, bool)>>,
}

struct NoClipboard;

impl Clipboard for NoClipboard {
    fn set_secret(&self, _: &SecretValue) -> Result<(), ClipboardError> {
        Err(ClipboardError("none in this test".into()))
    }
    fn text(&self) -> Result<Option<SecretValue>, ClipboardError> {
        Ok(None)
    }
    fn clear(&self) -> Result<(), ClipboardError> {
        Ok(())
    }
}

impl Host for Recorder {
    fn lock_changed(&self, state: &LockState) {
        self.locks
            .lock()
            .unwrap()
            .push((Instant::now(), state.unlocked));
    }
    fn attention_changed(&self, _: Option<usize>) {}
    fn became_due(&self, _: &[DueItem]) {}
    fn clipboard(&self) -> &dyn Clipboard {
        &NoClipboard
    }
    fn open_browser(&self, _: &str) -> Result<(), BrowserError> {
        Err(BrowserError("no browser in this test".into()))
    }
}

/// Waits until the app has heard `unlocked`, and says when it did.
fn heard(rec: &Recorder, unlocked: bool, since: Instant) -> Duration {
    let deadline = since + Duration::from_secs(5);
    loop {
        if let Some((at, _)) = rec
            .locks
            .lock()
            .unwrap()
            .iter()
            .find(|(at, u)| *u == unlocked && *at >= since)
        {
            return at.duration_since(since);
        }
        assert!(
            Instant::now() < deadline,
            "the app never heard unlocked={unlocked}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_app_and_the_cli_share_one_unlock_and_one_lock() {
    // `vault init` starts this test's agent (private runtime dir) and leaves the vault unlocked.
    let v = TestVault::new();
    v.add("openai", "sk-from-cli", &[]);
    v.bare().arg("lock").output().unwrap();

    let settings = SettingsPaths {
        desktop: v.dir.path().join("config/desktop.toml"),
        shared: v.dir.path().join("config/config.toml"),
    };
    let app = App::new(
        Recorder::default(),
        AppConfig {
            settings,
            agent: Some(AgentConfig {
                dir: AgentDir { dir: v.agent_dir() },
                vault_exe: bin("vault"),
            }),
            vault_env: Some(v.path.clone()),
            default_vault: None,
            clock: Arc::new(Timestamp::now),
            watch_every: Duration::from_secs(3600),
        },
    );
    app.start().unwrap();
    let rec = app.host();

    let status = app.status().unwrap();
    assert!(status.shared, "served by the agent");
    assert!(status.exists && !status.unlocked, "{status:?}");

    // Unlock in the app: the CLI works without a password.
    app.unlock(SecretValue::new(PASSWORD)).unwrap();
    assert_eq!(
        v.bare().args(["get", "openai"]).output().unwrap().stdout,
        b"sk-from-cli\n"
    );
    assert_eq!(app.items().unwrap()[0].name(), "openai");

    // `vault lock` in a terminal: the app hears it within a second.
    let since = Instant::now();
    v.bare().arg("lock").output().unwrap();
    let after = heard(rec, false, since);
    assert!(
        after <= Duration::from_secs(1),
        "heard the lock {after:?} after `vault lock` began"
    );
    assert!(app.items().unwrap_err().is(ErrorCode::Locked));

    // Unlocked from the CLI: the app hears that too.
    let since = Instant::now();
    v.run(&["unlock"]).ok();
    heard(rec, true, since);
    assert!(app.status().unwrap().unlocked);

    // The idle lock is one shared setting: the app sets it, the agent applies it at once.
    let mut s = app.settings();
    s.auto_lock_secs = Some(120);
    app.save_settings(s).unwrap();
    let status = v.bare().args(["status", "--json"]).output().unwrap();
    let j: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(j["agent"]["lock_after_secs"], 120, "{j}");

    app.lock().unwrap();
    assert_eq!(
        v.bare().args(["ls"]).output().unwrap().status.code(),
        Some(8)
    );
    app.shutdown();
}

/// The app starts syncing, shows an invitation's code, and pairs the device the CLI joins
/// with it: the same agent operations as `vault sync`.
#[test]
fn the_app_starts_syncing_and_pairs_a_device_joined_from_the_cli() {
    let v = TestVault::new();
    let remote = vault_tests::sync::bare_repo(v.dir.path());
    let url = format!("file://{}", remote.display());
    app_pairs_through(v, &url, None, &url);
}

/// The same through S3 storage (s3s-fs): the app's storage fields make the location, the page
/// shows it spelled out, and the `vault sync join` line it shows is the one that works.
#[test]
fn the_app_syncs_through_s3_storage_and_shows_the_join_line() {
    let v = TestVault::new();
    let server = vault_tests::s3::S3Server::start(v.dir.path());
    v.run_with_stdin(&["add", "S3_KEY"], server.pasted_key().as_bytes())
        .ok();
    let storage = SyncStorage {
        endpoint: Some(server.endpoint.clone()),
        region: None,
        key: Some("S3_KEY".into()),
    };
    let shown = format!(
        "s3://team-vault/app (endpoint {}, key S3_KEY)",
        server.endpoint
    );
    let pasted = server.pasted_key();
    app_pairs_through(v, "s3://team-vault/app", Some((storage, pasted)), &shown);
}

/// The app on `v`'s vault through the real agent, unlocked.
fn app_on(v: &TestVault) -> App<Recorder> {
    let app = App::new(
        Recorder::default(),
        AppConfig {
            settings: SettingsPaths {
                desktop: v.dir.path().join("config/desktop.toml"),
                shared: v.dir.path().join("config/config.toml"),
            },
            agent: Some(AgentConfig {
                dir: AgentDir { dir: v.agent_dir() },
                vault_exe: bin("vault"),
            }),
            vault_env: Some(v.path.clone()),
            default_vault: None,
            clock: Arc::new(Timestamp::now),
            watch_every: Duration::from_secs(3600),
        },
    );
    app.start().unwrap();
    app.unlock(SecretValue::new(PASSWORD)).unwrap();
    app
}

/// Sharing from the app: the member gets what the selector names through the very line the
/// page shows, the members list says how each stands, and once removed, what they could read
/// says "rotate now" in the item list.
#[test]
fn the_app_shares_with_a_member_and_marks_what_they_could_read_once_removed() {
    let v = TestVault::new();
    v.add(
        "staging-db",
        "postgres://staging-from-the-app",
        &["--tag", "staging"],
    );
    v.add(
        "prod-db",
        "postgres://prod-from-the-app",
        &["--tag", "prod"],
    );
    let remote = vault_tests::sync::bare_repo(v.dir.path());
    let app = app_on(&v);
    app.sync_init(
        &format!("file://{}", remote.display()),
        Some("desktop".into()),
        None,
    )
    .unwrap();
    assert!(app.shares().unwrap().is_empty());
    assert!(app.share_key().unwrap().starts_with("age1"));

    let alice = TestVault::new();
    let key = alice.run(&["share", "whoami"]).ok().trim().to_owned();
    let added = app.share_add(" alice ", &key, "tag:staging").unwrap();
    assert_eq!((added.share.name.as_str(), added.share.items), ("alice", 1));
    let line: Vec<&str> = added
        .accept
        .strip_prefix("vault ")
        .unwrap()
        .split(' ')
        .collect();
    alice.run(&line).ok();
    assert_eq!(
        alice.run(&["get", "staging-db"]).ok().trim_end(),
        "postgres://staging-from-the-app"
    );
    assert_ne!(alice.run(&["get", "prod-db"]).code, Some(0));
    app.sync_now().unwrap();
    let shares = app.shares().unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].state, vault_core::ShareState::Active);
    assert_eq!(shares[0].selector, ["tag:staging"]);

    let after = app.share_remove("alice").unwrap();
    assert_eq!(after[0].state, vault_core::ShareState::Removed);
    let views = app.items().unwrap();
    let view = |name: &str| views.iter().find(|i| i.name() == name).unwrap();
    let attention = view("staging-db").attention.as_ref().unwrap();
    assert_eq!(
        attention.reason,
        vault_core::rotation::Reason::SharedWithRemovedMember
    );
    assert_eq!(view("staging-db").due, vault_core::DueState::Overdue);
    assert!(view("prod-db").attention.is_none());
    let detail = app.item("staging-db").unwrap();
    assert_eq!(detail.view.due, vault_core::DueState::Overdue);
}

/// `s3`: the storage's settings, and the access key as pasted into each vault.
fn app_pairs_through(v: TestVault, url: &str, s3: Option<(SyncStorage, String)>, shown: &str) {
    v.add("openai", "sk-from-the-app-vault", &[]);
    let (storage, key) = s3.unzip();
    let app = app_on(&v);
    assert!(app.sync_status().unwrap().is_none());
    let synced = app
        .sync_init(url, Some("desktop".into()), storage.clone())
        .unwrap();
    let status = synced.status.unwrap();
    assert_eq!(synced.round.sent, if key.is_some() { 2 } else { 1 });
    assert_eq!(status.devices[0].name, "desktop");
    assert_eq!(status.remote, shown);

    let invitation = app.sync_invite().unwrap();
    assert_eq!(invitation.code.len(), 19);
    assert_eq!(invitation.url, shown);
    let joiner = TestVault::new();
    if let Some(key) = &key {
        // The storage's key goes in first, as the init's message says.
        joiner
            .run_with_stdin(&["add", "S3_KEY"], key.as_bytes())
            .ok();
    }
    let code = invitation.code.clone();
    // The very line the page shows, run by the other device.
    let line: Vec<String> = invitation
        .join
        .strip_prefix("vault ")
        .unwrap()
        .split(' ')
        .map(str::to_owned)
        .collect();
    let joined = std::thread::spawn(move || {
        let out = vault_tests::pipe(
            joiner
                .cmd()
                .args(&line)
                .args(["--name", "laptop", "--code-stdin"]),
            format!("{code}\n").as_bytes(),
        );
        (joiner, out)
    });
    assert_eq!(
        app.sync_invite_wait(&invitation.nameplate).unwrap(),
        "laptop"
    );
    let (joiner, out) = joined.join().unwrap();
    out.ok();
    assert_eq!(
        joiner.run(&["get", "openai"]).ok().trim_end(),
        "sk-from-the-app-vault"
    );
    let status = app.sync_status().unwrap().unwrap();
    let names: Vec<&str> = status.devices.iter().map(|d| d.name.as_str()).collect();
    assert!(
        names.contains(&"laptop") && names.contains(&"desktop"),
        "{names:?}"
    );
}

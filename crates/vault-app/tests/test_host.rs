//! A host that is nothing but the trait: vectors for events, a string for the clipboard, a
//! clock moved by hand. It proves the app's commands run with no desktop around them, and
//! pins what a user of the window would notice: what the clipboard holds and when it is
//! cleared, when the lock screen is asked for, what gets announced as due.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vault_agent::WireSecret;
use vault_agent::protocol::{NewKey, NewProvider};
use vault_app::views::{ConnectRequest, DueItem, KdfStrength, LockState, VaultSource};
use vault_app::{
    App, AppConfig, AppErrorCode, BrowserError, Clipboard, ClipboardError, ErrorKind, Host,
    Settings, SettingsPaths,
};
use vault_core::model::ApiKeyEdit;
use vault_core::{DueState, ErrorCode, RotationPolicy, SecretValue, Timestamp};

const PASSWORD: &str = "correct horse battery staple";

#[derive(Default)]
struct Events {
    locks: Vec<bool>,
    counts: Vec<Option<usize>>,
    due: Vec<DueItem>,
}

#[derive(Default)]
struct MemoryClipboard {
    text: Mutex<Option<String>>,
    /// Whether the last write carried the password-manager hint.
    hinted: Mutex<bool>,
}

impl Clipboard for MemoryClipboard {
    fn set_secret(&self, value: &SecretValue) -> Result<(), ClipboardError> {
        *self.text.lock().unwrap() = Some(value.expose().to_owned());
        *self.hinted.lock().unwrap() = true;
        Ok(())
    }
    fn text(&self) -> Result<Option<SecretValue>, ClipboardError> {
        Ok(self.text.lock().unwrap().clone().map(SecretValue::from))
    }
    fn clear(&self) -> Result<(), ClipboardError> {
        *self.text.lock().unwrap() = None;
        Ok(())
    }
}

impl MemoryClipboard {
    fn get(&self) -> Option<String> {
        self.text.lock().unwrap().clone()
    }
    /// The user copies something else in another program.
    fn user_copies(&self, text: &str) {
        *self.text.lock().unwrap() = Some(text.to_owned());
        *self.hinted.lock().unwrap() = false;
    }
}

#[derive(Default)]
struct TestHost {
    events: Mutex<Events>,
    clipboard: MemoryClipboard,
    /// Pages the app asked the browser to open.
    opened: Mutex<Vec<String>>,
    /// No browser on this machine.
    no_browser: AtomicBool,
}

impl Host for TestHost {
    fn lock_changed(&self, state: &LockState) {
        self.events.lock().unwrap().locks.push(state.unlocked);
    }
    fn attention_changed(&self, count: Option<usize>) {
        self.events.lock().unwrap().counts.push(count);
    }
    fn became_due(&self, items: &[DueItem]) {
        self.events.lock().unwrap().due.extend_from_slice(items);
    }
    fn clipboard(&self) -> &dyn Clipboard {
        &self.clipboard
    }
    fn open_browser(&self, url: &str) -> Result<(), BrowserError> {
        if self.no_browser.load(Ordering::Relaxed) {
            return Err(BrowserError("no browser here".into()));
        }
        self.opened.lock().unwrap().push(url.to_owned());
        Ok(())
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    vault: PathBuf,
    settings: SettingsPaths,
    now: Arc<Mutex<Timestamp>>,
    app: App<TestHost>,
}

impl Fixture {
    /// An app on a temp vault location (nothing created yet), with `settings` on disk.
    fn new(settings: Settings) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("data/vault.db");
        let paths = SettingsPaths {
            desktop: dir.path().join("config/vault/desktop.toml"),
            shared: dir.path().join("config/vault/config.toml"),
        };
        settings.save(&paths).unwrap();
        let now = Arc::new(Mutex::new(
            "2026-03-01T09:00:00Z".parse::<Timestamp>().unwrap(),
        ));
        let clock_now = Arc::clone(&now);
        let app = App::new(
            TestHost::default(),
            AppConfig {
                settings: paths.clone(),
                agent: None,
                vault_env: None,
                default_vault: Some(vault.clone()),
                clock: Arc::new(move || *clock_now.lock().unwrap()),
                watch_every: Duration::from_secs(3600),
            },
        );
        Fixture {
            _dir: dir,
            vault,
            settings: paths,
            now,
            app,
        }
    }

    fn created() -> Self {
        Self::created_with(Settings::default())
    }

    fn created_with(settings: Settings) -> Self {
        let f = Self::new(settings);
        f.app
            .create_vault(SecretValue::new(PASSWORD), KdfStrength::Minimum)
            .unwrap();
        f
    }

    fn advance(&self, by: jiff::SignedDuration) {
        let mut now = self.now.lock().unwrap();
        *now = now.checked_add(by).unwrap();
    }

    fn advance_days(&self, days: i64) {
        self.advance(jiff::SignedDuration::from_hours(24 * days));
    }

    fn add(&self, name: &str, value: &str, rotate_days: u32) {
        self.app
            .add_key(NewKey {
                name: name.into(),
                value: WireSecret::new(SecretValue::new(value)),
                env: vec![],
                service: None,
                tags: vec!["work".into()],
                notes: String::new(),
                rotation: RotationPolicy::Every { days: rotate_days },
                expires: None,
                last_rotated: None,
                hosts: None,
                fields: Default::default(),
                secret_fields: Default::default(),
            })
            .unwrap();
    }

    fn events(&self) -> std::sync::MutexGuard<'_, Events> {
        self.app.host().events.lock().unwrap()
    }
}

fn code(e: &vault_app::AppError) -> ErrorKind {
    e.code
}

#[test]
fn first_run_then_create_unlocks_and_lists_nothing() {
    let f = Fixture::new(Settings::default());
    let status = f.app.status().unwrap();
    assert!(!status.exists && !status.unlocked, "{status:?}");
    assert_eq!(status.source, VaultSource::Default);
    assert_eq!(status.vault, f.vault.display().to_string());

    let short = f
        .app
        .create_vault(SecretValue::new("short"), KdfStrength::Minimum)
        .unwrap_err();
    assert_eq!(code(&short), ErrorKind::App(AppErrorCode::PasswordTooShort));
    assert!(!f.vault.exists(), "a refused password creates nothing");

    f.app
        .create_vault(SecretValue::new(PASSWORD), KdfStrength::Minimum)
        .unwrap();
    let status = f.app.status().unwrap();
    assert!(status.exists && status.unlocked);
    assert!(f.app.items().unwrap().is_empty());
    assert_eq!(f.events().locks, vec![false, true]);
}

#[test]
fn measures_the_unlock_cost_of_each_strength() {
    let f = Fixture::new(Settings::default());
    let choices = f.app.kdf_choices();
    assert_eq!(
        choices.iter().filter(|c| c.recommended).count(),
        1,
        "one recommended strength"
    );
    let m = f.app.measure_kdf(KdfStrength::Minimum).unwrap();
    assert_eq!(m.strength, KdfStrength::Minimum);
    assert!(m.millis < 60_000);
}

#[test]
fn wrong_password_is_a_code_and_loses_nothing() {
    let f = Fixture::created();
    f.add("openai", "sk-live-1", 90);
    f.app.lock().unwrap();
    let e = f
        .app
        .unlock(SecretValue::new("not the password"))
        .unwrap_err();
    assert!(e.is(ErrorCode::WrongPassword), "{e:?}");
    assert!(!e.message.contains("not the password"));
    f.app.unlock(SecretValue::new(PASSWORD)).unwrap();
    assert_eq!(f.app.items().unwrap()[0].name(), "openai");
}

#[test]
fn copy_puts_the_value_on_the_clipboard_and_clears_it_later() {
    // Below the settings screen's floor, written to the file as a user could.
    let f = Fixture::new(Settings {
        clipboard_clear_secs: 1,
        ..Settings::default()
    });
    f.app
        .create_vault(SecretValue::new(PASSWORD), KdfStrength::Minimum)
        .unwrap();
    f.add("stripe", "sk_live_abc", 90);

    let copied = f.app.copy("stripe").unwrap();
    assert_eq!(copied.clears_in_secs, 1);
    assert_eq!(f.app.host().clipboard.get().as_deref(), Some("sk_live_abc"));
    assert!(*f.app.host().clipboard.hinted.lock().unwrap());
    let deadline = Instant::now() + Duration::from_secs(10);
    while f.app.host().clipboard.get().is_some() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        f.app.host().clipboard.get(),
        None,
        "cleared after the timer"
    );

    // Something the user copied since is theirs: left alone.
    f.app.copy("stripe").unwrap();
    f.app.host().clipboard.user_copies("my own text");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(f.app.host().clipboard.get().as_deref(), Some("my own text"));
}

#[test]
fn locking_clears_a_copied_value_and_asks_for_the_lock_screen() {
    let f = Fixture::created();
    f.add("github", "ghp_123", 90);
    f.app.copy("github").unwrap();
    f.app.lock().unwrap();
    assert_eq!(f.app.host().clipboard.get(), None);
    assert_eq!(f.events().locks, vec![true, false]);
    assert_eq!(f.events().counts.last(), Some(&None), "tray count unknown");

    let e = f.app.items().unwrap_err();
    assert!(e.is(ErrorCode::Locked));
    assert!(!f.app.status().unwrap().unlocked);
}

#[test]
fn reveal_is_explicit_and_timed() {
    let f = Fixture::created();
    f.add("aws", "AKIA-secret", 90);
    let r = f.app.reveal("aws").unwrap();
    assert_eq!(r.value.0.expose(), "AKIA-secret");
    assert_eq!(r.hide_after_secs, Settings::default().reveal_secs);
    let json = serde_json::to_string(&f.app.items().unwrap()).unwrap();
    assert!(
        !json.contains("AKIA-secret"),
        "listing never carries values"
    );
    let detail = serde_json::to_string(&f.app.item("aws").unwrap()).unwrap();
    assert!(!detail.contains("AKIA-secret"));
}

#[test]
fn rotate_rollback_and_edit_through_the_app() {
    let f = Fixture::created();
    f.add("openai", "sk-1", 30);
    f.advance_days(1);
    assert_eq!(
        f.app
            .rotate("openai", SecretValue::new("sk-2"), None)
            .unwrap(),
        2
    );
    let detail = f.app.item("openai").unwrap();
    let versions: Vec<u32> = detail.history.iter().map(|v| v.version).collect();
    assert_eq!(versions, vec![2, 1], "newest first");
    assert_eq!(f.app.rollback("openai", 1).unwrap(), 3);
    assert_eq!(f.app.reveal("openai").unwrap().value.0.expose(), "sk-1");

    let expiring = f
        .app
        .edit_key(
            "openai",
            ApiKeyEdit {
                expires: Some(Some("2026-12-31T00:00:00Z".parse().unwrap())),
                notes: Some("team key".into()),
                ..ApiKeyEdit::default()
            },
        )
        .unwrap();
    assert!(expiring.schedule.expires.is_some());
    // The window sends `{"expires": null}` to clear it.
    let clear: ApiKeyEdit = serde_json::from_str(r#"{"expires":null}"#).unwrap();
    let cleared = f.app.edit_key("openai", clear).unwrap();
    assert_eq!(cleared.schedule.expires, None);
    assert_eq!(
        cleared.item.meta.as_api_key().unwrap().notes,
        "team key",
        "an absent field is left alone"
    );

    let audit = f.app.audit(10).unwrap();
    assert!(audit.len() >= 5, "{audit:?}");
    f.app.remove("openai").unwrap();
    assert!(f.app.item("openai").unwrap_err().is(ErrorCode::NotFound));
}

#[test]
fn items_that_fall_due_while_running_are_announced_once() {
    // Days pass between looks: no idle lock in the way.
    let f = Fixture::created_with(Settings {
        auto_lock_secs: None,
        ..Settings::default()
    });
    f.add("soon", "v1", 20);
    f.add("later", "v2", 365);
    let views = f.app.items().unwrap();
    assert!(views.iter().all(|v| v.due == DueState::Ok), "{views:?}");
    assert_eq!(f.events().counts.last(), Some(&Some(0)));

    // 10 days on, "soon" is within the 14-day lead: due soon.
    f.advance_days(10);
    f.app.tick();
    {
        let ev = f.events();
        assert_eq!(
            ev.due,
            vec![DueItem {
                name: "soon".into(),
                due: DueState::DueSoon
            }]
        );
        assert_eq!(ev.counts.last(), Some(&Some(1)));
    }
    f.app.tick();
    assert_eq!(f.events().due.len(), 1, "announced once");

    f.advance_days(11);
    f.app.tick();
    assert_eq!(f.events().due.last().unwrap().due, DueState::Overdue);
    // A rotation puts it back to ok: the tray count drops.
    f.app.rotate("soon", SecretValue::new("v1b"), None).unwrap();
    f.app.items().unwrap();
    assert_eq!(f.events().counts.last(), Some(&Some(0)));
}

#[test]
fn locks_itself_when_idle() {
    let f = Fixture::new(Settings {
        auto_lock_secs: Some(300),
        ..Settings::default()
    });
    f.app
        .create_vault(SecretValue::new(PASSWORD), KdfStrength::Minimum)
        .unwrap();
    f.advance(jiff::SignedDuration::from_mins(4));
    f.app.tick();
    assert!(
        f.app.status().unwrap().unlocked,
        "4 idle minutes: still open"
    );
    f.advance(jiff::SignedDuration::from_mins(2));
    f.app.tick();
    assert_eq!(f.events().locks.last(), Some(&false));
    assert!(!f.app.status().unwrap().unlocked);
}

#[test]
fn a_damaged_file_is_reported_before_any_password() {
    let f = Fixture::new(Settings::default());
    std::fs::create_dir_all(f.vault.parent().unwrap()).unwrap();
    std::fs::write(&f.vault, b"this is not a vault, just some text").unwrap();
    let status = f.app.status().unwrap();
    assert!(status.exists);
    let problem = status.problem.expect("a problem");
    assert_eq!(problem.code, ErrorKind::Vault(ErrorCode::Damaged));
    assert_eq!(
        std::fs::read(&f.vault).unwrap(),
        b"this is not a vault, just some text",
        "left as it was"
    );
}

#[test]
fn settings_are_checked_saved_and_move_the_vault() {
    let f = Fixture::created();
    let mut s = f.app.settings();
    s.clipboard_clear_secs = 2;
    let e = f.app.save_settings(s.clone()).unwrap_err();
    assert!(e.is(ErrorCode::Invalid));
    assert!(!e.message.is_empty(), "says what fits");

    let elsewhere = f.vault.with_file_name("other.db");
    s.clipboard_clear_secs = 45;
    s.vault_path = Some(elsewhere.display().to_string());
    f.app.save_settings(s.clone()).unwrap();
    assert_eq!(Settings::load(&f.settings), s);
    let status = f.app.status().unwrap();
    assert_eq!(status.source, VaultSource::Settings);
    assert!(
        !status.exists && !status.unlocked,
        "first run for the new place"
    );
    assert_eq!(f.events().locks.last(), Some(&false));
}

#[test]
fn a_pasted_key_of_a_known_format_suggests_provider_env_and_rotation() {
    let f = Fixture::new(Settings::default());
    let pat = format!("ghp_{}", "aB3".repeat(12));
    let s = f
        .app
        .detect_key(&SecretValue::new(pat))
        .expect("a GitHub token");
    assert_eq!(s.service, "github");
    assert_eq!(s.env, "GITHUB_TOKEN");
    assert!(s.rotation_days > 0);
    assert!(s.description.contains("GitHub"), "{}", s.description);
    assert_eq!(f.app.detect_key(&SecretValue::new("hunter2")), None);
}

fn provider(name: &str, preset: Option<&str>, issuer: Option<&str>) -> NewProvider {
    NewProvider {
        name: name.into(),
        preset: preset.map(str::to_owned),
        issuer: issuer.map(str::to_owned),
        client_id: "client-id-123".into(),
        client_secret: None,
        scopes: vec![],
        hosts: vec![],
        replace: false,
    }
}

#[test]
fn providers_are_added_from_presets_listed_without_secrets_and_removed() {
    let f = Fixture::created();
    let presets = f.app.oauth_presets().unwrap();
    let github = presets.iter().find(|p| p.id == "github").expect("GitHub");
    assert!(github.client_secret_required);
    assert!(
        presets
            .iter()
            .any(|p| p.id == "google" && !p.console.is_empty())
    );

    // GitHub needs a client secret: refused without one, nothing stored.
    let e = f
        .app
        .add_provider(provider("github", Some("github"), None))
        .unwrap_err();
    assert!(e.is(ErrorCode::Invalid), "{e:?}");
    assert!(e.message.contains("client secret"), "{}", e.message);
    assert!(f.app.oauth_providers().unwrap().is_empty());

    let secret = "gh-client-secret-5f2c9e";
    let mut with_secret = provider("github", Some("github"), None);
    with_secret.client_secret = Some(WireSecret::new(SecretValue::new(secret)));
    assert!(!format!("{with_secret:?}").contains(secret));
    let added = f.app.add_provider(with_secret).unwrap();
    assert!(added.has_client_secret);
    assert_eq!(added.preset.as_deref(), Some("github"));
    let listed = f.app.oauth_providers().unwrap();
    assert_eq!(listed.len(), 1);
    let json = serde_json::to_string(&listed).unwrap();
    assert!(!json.contains(secret), "the window never sees the secret");

    // An issuer nobody answers at: a clear code, and nothing half-added.
    let e = f
        .app
        .add_provider(provider("corp", None, Some("http://127.0.0.1:9")))
        .unwrap_err();
    assert!(e.is(ErrorCode::ProviderUnavailable), "{e:?}");
    assert_eq!(f.app.oauth_providers().unwrap().len(), 1);

    f.app.remove_provider("github").unwrap();
    assert!(f.app.oauth_providers().unwrap().is_empty());
    assert!(
        f.app
            .remove_provider("github")
            .unwrap_err()
            .is(ErrorCode::NotFound)
    );
}

/// The loopback port of a login URL's `redirect_uri`.
fn redirect_port(url: &str) -> u16 {
    let at = url
        .find("redirect_uri=http%3A%2F%2F127.0.0.1%3A")
        .expect("a loopback redirect");
    let rest = &url[at + "redirect_uri=http%3A%2F%2F127.0.0.1%3A".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap()
}

fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn connect_opens_the_browser_shows_the_page_and_cancel_ends_the_login() {
    let f = Fixture::created();
    f.app
        .add_provider(provider("google", Some("google"), None))
        .unwrap();
    let connecting = f
        .app
        .connect(ConnectRequest {
            provider: "google".into(),
            name: Some("work-google".into()),
            scopes: vec![],
            device: false,
        })
        .unwrap();
    assert!(connecting.browser_opened);
    assert_eq!(connecting.grant, "work-google");
    let url = connecting.prompt.url.clone();
    assert_eq!(*f.app.host().opened.lock().unwrap(), vec![url.clone()]);
    assert!(url.starts_with("https://accounts.google.com/"), "{url}");
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    let port = redirect_port(&url);
    assert!(port_open(port), "the callback server listens");

    // The wait blocks on its own; the window's other commands carry on meanwhile.
    let login = connecting.prompt.login;
    let app = f.app.clone();
    let waiting = std::thread::spawn(move || app.connect_wait(login));
    std::thread::sleep(Duration::from_millis(200));
    assert!(f.app.items().unwrap().is_empty());

    // "Open the page again" opens that login's page, and only a login of this app.
    f.app.open_login_page(login).unwrap();
    assert_eq!(f.app.host().opened.lock().unwrap().len(), 2);
    let e = f.app.open_login_page(login + 1000).unwrap_err();
    assert!(e.is(ErrorCode::LoginFailed), "{e:?}");

    let started = Instant::now();
    f.app.connect_cancel(login).unwrap();
    let outcome = waiting.join().unwrap().unwrap();
    assert!(outcome.is_none(), "cancelled: no grant, no error");
    assert!(started.elapsed() < Duration::from_secs(10));
    let deadline = Instant::now() + Duration::from_secs(10);
    while port_open(port) {
        assert!(Instant::now() < deadline, "the callback port stays open");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(f.app.items().unwrap().is_empty(), "nothing stored");
    // The login is over: waiting for it again is a clear failure, not a hang.
    assert!(
        f.app
            .connect_wait(login)
            .unwrap_err()
            .is(ErrorCode::LoginFailed)
    );
}

#[test]
fn without_a_browser_the_login_page_is_still_there_to_copy() {
    let f = Fixture::created();
    f.app.host().no_browser.store(true, Ordering::Relaxed);
    f.app
        .add_provider(provider("gitlab", Some("gitlab"), None))
        .unwrap();
    let connecting = f
        .app
        .connect(ConnectRequest {
            provider: "gitlab".into(),
            name: None,
            scopes: vec!["read_user".into()],
            device: false,
        })
        .unwrap();
    assert!(!connecting.browser_opened);
    assert_eq!(connecting.grant, "gitlab", "named after the provider");
    assert!(connecting.prompt.url.contains("scope=read_user"));
    let e = f.app.open_login_page(connecting.prompt.login).unwrap_err();
    assert_eq!(e.code, ErrorKind::App(AppErrorCode::Browser));
    // Quitting abandons it: its callback port closes.
    let port = redirect_port(&connecting.prompt.url);
    f.app.shutdown();
    let deadline = Instant::now() + Duration::from_secs(10);
    while port_open(port) {
        assert!(Instant::now() < deadline, "the callback port stays open");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn connection_commands_on_missing_names_say_so() {
    let f = Fixture::created();
    let e = f
        .app
        .connect(ConnectRequest {
            provider: "nowhere".into(),
            name: None,
            scopes: vec![],
            device: false,
        })
        .unwrap_err();
    assert!(e.is(ErrorCode::NotFound), "{e:?}");
    assert!(f.app.host().opened.lock().unwrap().is_empty());
    assert!(
        f.app
            .refresh_grant("gh")
            .unwrap_err()
            .is(ErrorCode::NotFound)
    );
    assert!(f.app.disconnect("gh").unwrap_err().is(ErrorCode::NotFound));
    // A grant name taken by an API key: refused before any browser opens.
    f.add("taken", "v", 90);
    f.app
        .add_provider(provider("google", Some("google"), None))
        .unwrap();
    let e = f
        .app
        .connect(ConnectRequest {
            provider: "google".into(),
            name: Some("taken".into()),
            scopes: vec![],
            device: false,
        })
        .unwrap_err();
    assert!(e.is(ErrorCode::AlreadyExists), "{e:?}");
    assert!(f.app.host().opened.lock().unwrap().is_empty());
    f.app.lock().unwrap();
    assert!(f.app.oauth_providers().unwrap_err().is(ErrorCode::Locked));
}

#[test]
fn a_file_is_imported_as_the_cli_imports_it_and_a_keepass_database_asks_for_its_password() {
    use vault_app::{ImportOutcome, ImportRequest};
    let f = Fixture::created();
    let request = |path: &std::path::Path, secret: Option<&str>| ImportRequest {
        path: path.display().to_string(),
        from: None,
        secret: secret.map(|s| WireSecret::new(SecretValue::new(s))),
        key_file: None,
        tags: vec!["moved-in".into()],
        rotate_existing: false,
    };
    let doppler = f.vault.with_file_name("doppler.json");
    std::fs::write(
        &doppler,
        concat!(
            r#"{"DOPPLER_PROJECT":"api","API_TOKEN":"doppler-token-app","#,
            r#""AWS_ACCESS_KEY_ID":"AKIAQ3EGRJ6TLZ4APP22","#, // vault-scan:allow
            r#""AWS_SECRET_ACCESS_KEY":"appTESTsecretK7MDENG/bPxRfiCYzEXAMPLE012"}"#, // vault-scan:allow
        ),
    )
    .unwrap();
    match f.app.import_file(request(&doppler, None)).unwrap() {
        ImportOutcome::Imported { format, report } => {
            assert_eq!(format, "doppler");
            // An AWS key's two variables are one item, the key id its field.
            assert_eq!(report.added, ["API_TOKEN", "AWS_SECRET_ACCESS_KEY"]);
            assert_eq!(report.skipped[0].key.as_deref(), Some("DOPPLER_PROJECT"));
        }
        other => panic!("{other:?}"),
    }
    let item = f.app.item("API_TOKEN").unwrap();
    assert_eq!(item.view.item.meta.tags(), ["moved-in"]);
    let aws = f.app.item("AWS_SECRET_ACCESS_KEY").unwrap();
    assert_eq!(
        aws.view.item.meta.as_api_key().unwrap().fields["access_key_id"],
        "AKIAQ3EGRJ6TLZ4APP22" // vault-scan:allow
    );

    // A KeePass database (its signature, then nothing): the password first, then the error.
    let kdbx = f.vault.with_file_name("db.kdbx");
    std::fs::write(
        &kdbx,
        [0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5, 0, 0],
    )
    .unwrap();
    match f.app.import_file(request(&kdbx, None)).unwrap() {
        ImportOutcome::NeedsSecret {
            format,
            what,
            wrong,
        } => {
            assert_eq!(format, "keepass");
            assert!(what.contains("KeePass database's password"), "{what}");
            assert!(!wrong);
        }
        other => panic!("{other:?}"),
    }
    let e = f.app.import_file(request(&kdbx, Some("pw"))).unwrap_err();
    assert!(e.message.contains("db.kdbx: "), "{}", e.message);
    let e = f
        .app
        .import_file(request(&f.vault.with_file_name("missing.env"), None))
        .unwrap_err();
    assert!(e.message.contains("cannot read"), "{}", e.message);
    assert_eq!(f.app.items().unwrap().len(), 2);
}

//! The commands behind the app's screens. Each one is a protocol request (or a few) plus what a
//! window needs around it: due states, the clipboard timer, lock events, attention counts.
//!
//! Everything here runs without a desktop: the host is a trait and time comes from a clock the
//! caller passes. Commands block (a KDF takes a second); hosts run them off their UI thread.

mod connections;
mod imports;
mod proxy;
mod scan;
mod share;
mod sync;
mod tools;

pub use imports::{ImportOutcome, ImportRequest};
pub use share::MemberAdded;
pub use sync::{Invitation, SyncStorage, Synced};
pub use tools::ToolSetups;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use vault_agent::WireSecret;
use vault_agent::config::Config;
use vault_agent::protocol::{Event, NewKey, Op, Request, Response, VaultStatus, WireFields};
use vault_core::crypto::{MasterKey, random_array};
use vault_core::model::{ApiKeyEdit, AuditEntry};
use vault_core::rotation::{DEFAULT_LEAD_DAYS, Reason};
use vault_core::{DueState, ErrorCode, ItemId, SecretValue};

use crate::attention::Tracker;
use crate::backend::{AgentConfig, Backend};
use crate::error::{AppError, AppErrorCode, AppResult};
use crate::host::Host;
use crate::settings::{Settings, SettingsPaths};
use crate::views::{
    AppStatus, Copied, ItemDetail, ItemView, KdfChoice, KdfMeasurement, KdfStrength, KeySuggestion,
    LockState, Revealed, VaultSource,
};

/// The shortest master password the app accepts when creating a vault (as the CLI).
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Where `now` comes from: the system clock in the app, a hand-moved one in tests.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// Where the app looks for things; [`AppConfig::from_env`] in the app, temp paths in tests.
pub struct AppConfig {
    pub settings: SettingsPaths,
    /// The user's agent; `None` serves the vault in this process, for the app alone.
    pub agent: Option<AgentConfig>,
    /// `VAULT_PATH`, which wins over the setting (as in the CLI).
    pub vault_env: Option<PathBuf>,
    pub default_vault: Option<PathBuf>,
    pub clock: Clock,
    /// How often the watcher re-reads due states and checks the idle timer.
    pub watch_every: Duration,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("settings", &self.settings)
            .field("agent", &self.agent)
            .field("vault_env", &self.vault_env)
            .field("default_vault", &self.default_vault)
            .finish_non_exhaustive()
    }
}

impl AppConfig {
    /// The platform locations, the user's agent (started with the `vault` binary next to this
    /// program, else on `PATH`), the system clock, a 30 s watch.
    pub fn from_env() -> Option<Self> {
        Some(AppConfig {
            settings: SettingsPaths::default_paths()?,
            agent: find_vault_exe().map(|vault_exe| AgentConfig {
                dir: vault_agent::AgentDir::for_current_user(),
                vault_exe,
            }),
            vault_env: std::env::var_os(vault_core::paths::VAULT_PATH_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            default_vault: vault_core::paths::default_vault_path(),
            clock: Arc::new(Timestamp::now),
            watch_every: Duration::from_secs(30),
        })
    }
}

/// `vault` next to the running executable (an installed package, a cargo target dir), else the
/// first one on `PATH`.
pub fn find_vault_exe() -> Option<PathBuf> {
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("vault")));
    let on_path = || {
        std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("vault"))
                .find(|f| f.is_file())
        })
    };
    beside.filter(|p| p.is_file()).or_else(on_path)
}

/// The app: cheap to clone, shared by the host's command handlers and the app's own threads.
pub struct App<H: Host> {
    inner: Arc<Inner<H>>,
}

impl<H: Host> Clone for App<H> {
    fn clone(&self) -> Self {
        App {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<H: Host> std::fmt::Debug for App<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("backend", &self.inner.backend)
            .finish_non_exhaustive()
    }
}

struct Inner<H> {
    host: H,
    backend: Backend,
    config: AppConfig,
    settings: Mutex<Settings>,
    state: Mutex<State>,
    stopped: AtomicBool,
}

#[derive(Default)]
struct State {
    /// The last lock state reported to the host.
    unlocked: Option<bool>,
    /// When a command last ran, for the idle lock.
    last_use: Option<Timestamp>,
    attention: Tracker,
    /// The value last copied, until its timer clears it; the counter tells timers apart.
    copied: Option<(u64, SecretValue)>,
    copies: u64,
    /// OAuth logins this app started and has not seen end, by login id.
    logins: HashMap<u64, PendingLogin>,
}

/// A login waiting for the user in the browser.
struct PendingLogin {
    /// The page to open (again): only this, never an address the window sends.
    page: String,
    timeout_secs: u64,
    /// The user cancelled it: its wait ending in an error is no failure.
    cancelled: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere while holding the lock leaves plain data behind; carry on with it.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn unexpected(what: &str, response: &Response) -> AppError {
    // The variant name only: a response can carry a value.
    AppError::app(
        AppErrorCode::Unexpected,
        format!("{what}: the vault answered {}", response.kind()),
    )
}

impl<H: Host> App<H> {
    pub fn new(host: H, config: AppConfig) -> Self {
        let settings = Settings::load(&config.settings);
        let clock = Arc::clone(&config.clock);
        let backend = match &config.agent {
            Some(agent) => Backend::agent(agent.clone()),
            None => Backend::in_process(clock.clone()),
        };
        App {
            inner: Arc::new(Inner {
                host,
                backend,
                config,
                settings: Mutex::new(settings),
                state: Mutex::new(State::default()),
                stopped: AtomicBool::new(false),
            }),
        }
    }

    pub fn host(&self) -> &H {
        &self.inner.host
    }

    fn now(&self) -> Timestamp {
        (self.inner.config.clock)()
    }

    fn touch(&self) {
        lock(&self.inner.state).last_use = Some(self.now());
    }

    /// The vault's path, named as every client names it (the agent keys vaults by path).
    fn vault(&self) -> AppResult<(PathBuf, VaultSource)> {
        let setting = lock(&self.inner.settings).vault_path.clone();
        let (path, source) = if let Some(p) = &self.inner.config.vault_env {
            (p.clone(), VaultSource::Environment)
        } else if let Some(p) = setting {
            (PathBuf::from(p), VaultSource::Settings)
        } else if let Some(p) = &self.inner.config.default_vault {
            (p.clone(), VaultSource::Default)
        } else {
            return Err(AppError::app(
                AppErrorCode::NoVaultLocation,
                "no home directory to keep the vault in; set VAULT_PATH",
            ));
        };
        let path = vault_core::paths::canonical_vault_path(&path).map_err(|e| {
            AppError::vault(
                ErrorCode::Invalid,
                format!("invalid vault path {}: {e}", path.display()),
            )
        })?;
        Ok((path, source))
    }

    fn vault_path(&self) -> AppResult<PathBuf> {
        self.vault().map(|(p, _)| p)
    }

    /// Tells the host when the lock state differs from what it last heard.
    fn set_unlocked(&self, unlocked: bool) {
        let changed = {
            let mut state = lock(&self.inner.state);
            let changed = state.unlocked != Some(unlocked);
            state.unlocked = Some(unlocked);
            if !unlocked && state.attention.locked() {
                self.inner.host.attention_changed(None);
            }
            changed
        };
        if changed {
            let vault = self
                .vault_path()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            self.inner.host.lock_changed(&LockState { unlocked, vault });
        }
    }

    /// Runs an operation on the vault. A `locked` answer means it locked elsewhere (or idled):
    /// the host hears of it before the error reaches the screen.
    fn op(&self, op: Op) -> AppResult<Response> {
        let vault = self.vault_path()?;
        self.touch();
        self.heard(self.inner.backend.call(Request::Vault { vault, op }))
    }

    /// Passes an answer on; a `locked` one is told to the host first (it locked elsewhere).
    fn heard(&self, result: AppResult<Response>) -> AppResult<Response> {
        if let Err(e) = &result
            && e.is(ErrorCode::Locked)
        {
            self.set_unlocked(false);
        }
        result
    }

    /// [`App::op`] for a request that blocks for long (a login wait): on its own connection.
    fn op_alone(&self, op: Op) -> AppResult<Response> {
        let vault = self.vault_path()?;
        self.touch();
        self.heard(self.inner.backend.call_alone(Request::Vault { vault, op }))
    }

    /// What to open on: first run, unlock, or the items.
    pub fn status(&self) -> AppResult<AppStatus> {
        let (path, source) = self.vault()?;
        let exists = path.exists();
        let mut status = AppStatus {
            vault: path.display().to_string(),
            source,
            exists,
            unlocked: false,
            problem: None,
            shared: self.inner.backend.shared(),
        };
        if exists {
            match self.inner.backend.call(Request::Vault {
                vault: path,
                op: Op::Ping,
            }) {
                Ok(_) => status.unlocked = true,
                Err(e) if e.is(ErrorCode::Locked) => {}
                Err(e) => status.problem = Some(e),
            }
        }
        self.set_unlocked(status.unlocked);
        Ok(status)
    }

    pub fn kdf_choices(&self) -> Vec<KdfChoice> {
        KdfStrength::ALL
            .iter()
            .map(|&strength| KdfChoice {
                strength,
                params: strength.params(),
                recommended: strength == KdfStrength::Standard,
            })
            .collect()
    }

    /// Runs the key derivation once with `strength` on this machine: what unlocking will cost.
    pub fn measure_kdf(&self, strength: KdfStrength) -> AppResult<KdfMeasurement> {
        let salt: [u8; 16] = random_array()?;
        let started = Instant::now();
        MasterKey::derive(b"a password to time the KDF", &salt, &strength.params())
            .map_err(|e| AppError::app(AppErrorCode::Unexpected, format!("key derivation: {e}")))?;
        let millis = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
        Ok(KdfMeasurement { strength, millis })
    }

    /// Creates the vault at the configured location and leaves it unlocked.
    pub fn create_vault(&self, password: SecretValue, strength: KdfStrength) -> AppResult<()> {
        if password.expose().chars().count() < MIN_PASSWORD_CHARS {
            return Err(AppError::app(
                AppErrorCode::PasswordTooShort,
                format!("the master password needs at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        let vault = self.vault_path()?;
        self.inner.backend.call(Request::Init {
            vault,
            password: WireSecret::new(password),
            kdf: strength.params(),
        })?;
        self.touch();
        self.set_unlocked(true);
        self.refresh_attention();
        Ok(())
    }

    pub fn unlock(&self, password: SecretValue) -> AppResult<()> {
        let vault = self.vault_path()?;
        self.inner.backend.call(Request::Unlock {
            vault,
            password: WireSecret::new(password),
        })?;
        self.touch();
        self.set_unlocked(true);
        // Counts for the tray right away, not at the next watch.
        self.refresh_attention();
        Ok(())
    }

    /// Locks (everything, as `vault lock` does: lock anywhere locks everywhere) and clears a
    /// value this app copied.
    pub fn lock(&self) -> AppResult<()> {
        self.inner.backend.call(Request::Lock { vault: None })?;
        self.clear_copied(None);
        self.set_unlocked(false);
        Ok(())
    }

    /// Every item's metadata with its due state, sorted by name.
    pub fn items(&self) -> AppResult<Vec<ItemView>> {
        let items = match self.op(Op::List {
            query: None,
            tag: None,
        })? {
            Response::Items { items } => items,
            other => return Err(unexpected("list", &other)),
        };
        let now = self.now();
        let lead = self.lead_days();
        let mut views: Vec<ItemView> = items
            .into_iter()
            .map(|item| ItemView::new(Arc::unwrap_or_clone(item), now, lead))
            .collect();
        self.mark_exposed(&mut views, lead);
        self.observe(&views);
        Ok(views)
    }

    /// What only the vault knows of items (the agent's `due` report): values a removed device
    /// held, items a removed member could read. They say "rotate now" here as in `vault due`.
    fn mark_exposed(&self, views: &mut [ItemView], lead_days: u32) {
        let Ok(Response::Due { report }) = self.op(Op::Due {
            lead_days,
            tag: None,
        }) else {
            return;
        };
        for a in report.items {
            if !matches!(
                a.reason,
                Reason::HeldByRemovedDevice | Reason::SharedWithRemovedMember
            ) {
                continue;
            }
            if let Some(v) = views.iter_mut().find(|v| v.item.id == a.id) {
                v.due = a.state;
                v.attention = Some(a);
            }
        }
    }

    /// The `due-lead` setting shared with `vault due`: how many days ahead "due soon" starts.
    fn lead_days(&self) -> u32 {
        Config::load(&self.inner.config.settings.shared)
            .and_then(|c| c.due_lead_days())
            .unwrap_or(DEFAULT_LEAD_DAYS)
    }

    fn observe(&self, views: &[ItemView]) {
        let states = views
            .iter()
            .map(|v| (v.item.id, v.name().to_owned(), v.due));
        self.observe_states(states.collect());
    }

    fn observe_states(&self, states: Vec<(ItemId, String, DueState)>) {
        let update = lock(&self.inner.state).attention.observe(states);
        if let Some(count) = update.count {
            self.inner.host.attention_changed(Some(count));
        }
        if !update.worse.is_empty() {
            self.inner.host.became_due(&update.worse);
        }
    }

    pub fn item(&self, name: &str) -> AppResult<ItemDetail> {
        let item = match self.op(Op::Describe {
            name: name.to_owned(),
        })? {
            Response::Item { item } => item,
            other => return Err(unexpected("describe", &other)),
        };
        // Grants keep no value history: their tokens are replaced on every refresh.
        let mut history = if item.meta.as_api_key().is_some() {
            match self.op(Op::History {
                name: name.to_owned(),
            })? {
                Response::Versions { versions } => versions,
                other => return Err(unexpected("history", &other)),
            }
        } else {
            Vec::new()
        };
        history.reverse();
        let lead = self.lead_days();
        let mut view = [ItemView::new(item, self.now(), lead)];
        self.mark_exposed(&mut view, lead);
        let [view] = view;
        Ok(ItemDetail {
            hosts: self.item_hosts(&view.item.meta)?,
            view,
            history,
        })
    }

    pub fn add_key(&self, key: NewKey) -> AppResult<ItemView> {
        match self.op(Op::Add { key })? {
            Response::Item { item } => Ok(ItemView::new(item, self.now(), self.lead_days())),
            other => Err(unexpected("add", &other)),
        }
    }

    pub fn edit_key(&self, name: &str, edit: ApiKeyEdit) -> AppResult<ItemView> {
        self.edit_key_with(name, edit, WireFields::new())
    }

    /// An edit that also sets secret fields (a change of one is a new version).
    pub fn edit_key_with(
        &self,
        name: &str,
        edit: ApiKeyEdit,
        secret_fields: WireFields,
    ) -> AppResult<ItemView> {
        match self.op(Op::Edit {
            name: name.to_owned(),
            edit,
            secret_fields,
        })? {
            Response::Item { item } => Ok(ItemView::new(item, self.now(), self.lead_days())),
            other => Err(unexpected("edit", &other)),
        }
    }

    /// Replaces the value; the old one stays in the history. Returns the new version.
    /// A new value, expiring at `expires` (the replaced value's expiry is not kept).
    pub fn rotate(
        &self,
        name: &str,
        value: SecretValue,
        expires: Option<vault_core::Timestamp>,
    ) -> AppResult<u32> {
        match self.op(Op::Rotate {
            name: name.to_owned(),
            value: WireSecret::new(value),
            expires,
        })? {
            Response::Version { version } => Ok(version),
            other => Err(unexpected("rotate", &other)),
        }
    }

    /// Makes version `to` current again, as a new version.
    pub fn rollback(&self, name: &str, to: u32) -> AppResult<u32> {
        match self.op(Op::Rollback {
            name: name.to_owned(),
            to: Some(to),
        })? {
            Response::Version { version } => Ok(version),
            other => Err(unexpected("rollback", &other)),
        }
    }

    pub fn remove(&self, name: &str) -> AppResult<()> {
        self.op(Op::Remove {
            name: name.to_owned(),
        })
        .map(|_| ())
    }

    /// The value, or one of the item's secret fields.
    fn value(&self, name: &str, field: Option<&str>) -> AppResult<SecretValue> {
        match self.op(Op::Get {
            name: name.to_owned(),
            program: Some("the desktop app".to_owned()),
        })? {
            Response::Secret { value, .. } if field.is_none() => Ok(value.into_inner()),
            Response::Secret { mut fields, .. } => {
                let field = field.unwrap_or_default();
                fields
                    .remove(field)
                    .map(WireSecret::into_inner)
                    .ok_or_else(|| {
                        AppError::vault(
                            vault_core::ErrorCode::Invalid,
                            format!("{name:?} has no secret field {field:?}"),
                        )
                    })
            }
            other => Err(unexpected("get", &other)),
        }
    }

    /// Puts the value on the clipboard from here (it never passes through the window) and
    /// clears it after the configured time if the clipboard still holds it.
    pub fn copy(&self, name: &str) -> AppResult<Copied> {
        self.copy_field(name, None)
    }

    /// [`Self::copy`] of a secret field (`None`: the value).
    pub fn copy_field(&self, name: &str, field: Option<&str>) -> AppResult<Copied> {
        let value = self.value(name, field)?;
        let clipboard_failed =
            |e: crate::host::ClipboardError| AppError::app(AppErrorCode::Clipboard, e.to_string());
        self.inner
            .host
            .clipboard()
            .set_secret(&value)
            .map_err(clipboard_failed)?;
        let secs = lock(&self.inner.settings).clipboard_clear_secs;
        let ticket = {
            let mut state = lock(&self.inner.state);
            state.copies += 1;
            state.copied = Some((state.copies, value));
            state.copies
        };
        let app = self.clone();
        std::thread::Builder::new()
            .name("clipboard-clear".into())
            .spawn(move || {
                std::thread::sleep(Duration::from_secs(u64::from(secs)));
                app.clear_copied(Some(ticket));
            })
            .map_err(|e| AppError::app(AppErrorCode::Clipboard, e.to_string()))?;
        Ok(Copied {
            name: name.to_owned(),
            clears_in_secs: secs,
        })
    }

    /// Clears the clipboard if it still holds the value we copied (with that `ticket`, or any).
    /// Anything the user copied since is left alone.
    fn clear_copied(&self, ticket: Option<u64>) {
        let copied = {
            let mut state = lock(&self.inner.state);
            match (&state.copied, ticket) {
                (Some((t, _)), Some(want)) if *t != want => None,
                _ => state.copied.take(),
            }
        };
        let Some((_, value)) = copied else { return };
        let clipboard = self.inner.host.clipboard();
        if let Ok(Some(now)) = clipboard.text()
            && now.ct_eq(&value)
        {
            let _ = clipboard.clear();
        }
    }

    /// The value, for an explicit reveal; the screen hides it again after `hide_after_secs`.
    pub fn reveal(&self, name: &str) -> AppResult<Revealed> {
        self.reveal_field(name, None)
    }

    /// [`Self::reveal`] of a secret field (`None`: the value).
    pub fn reveal_field(&self, name: &str, field: Option<&str>) -> AppResult<Revealed> {
        let value = self.value(name, field)?;
        Ok(Revealed {
            value: WireSecret::new(value),
            hide_after_secs: lock(&self.inner.settings).reveal_secs,
        })
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit(&self, limit: usize) -> AppResult<Vec<AuditEntry>> {
        match self.op(Op::Audit { limit })? {
            Response::Audit { entries } => Ok(entries),
            other => Err(unexpected("audit", &other)),
        }
    }

    pub fn settings(&self) -> Settings {
        lock(&self.inner.settings).clone()
    }

    /// Checks and saves new settings. A new vault location locks the old vault first.
    pub fn save_settings(&self, new: Settings) -> AppResult<Settings> {
        new.check()?;
        let old = self.settings();
        if old.vault_path != new.vault_path && self.inner.config.vault_env.is_none() {
            let _ = self.lock();
        }
        new.save(&self.inner.config.settings)?;
        if old.auto_lock_secs != new.auto_lock_secs && self.inner.backend.shared() {
            // The agent reads the file when it starts; a running one is told now.
            self.inner.backend.call(Request::Configure {
                lock_after_secs: new.auto_lock_secs,
            })?;
        }
        *lock(&self.inner.settings) = new.clone();
        if old.vault_path != new.vault_path {
            self.status()?;
        }
        Ok(new)
    }

    /// One round of the watcher: the idle lock, then due states for the tray and notifications.
    pub fn tick(&self) {
        let (unlocked, last_use) = {
            let state = lock(&self.inner.state);
            (state.unlocked == Some(true), state.last_use)
        };
        if !unlocked {
            return;
        }
        if self.inner.backend.shared() {
            // The agent locks when idle, and reads are use to it, except `due`: it is passive,
            // so watching what falls due never keeps the vault open.
            self.watch_due();
            return;
        }
        let limit = lock(&self.inner.settings).auto_lock_secs;
        let idle = |limit: u64| {
            let limit = SignedDuration::from_secs(i64::try_from(limit).unwrap_or(i64::MAX));
            last_use.is_some_and(|t| self.now().duration_since(t) >= limit)
        };
        if limit.is_some_and(idle) {
            let _ = self.lock();
            return;
        }
        // Reading the items is not use: it must not keep the vault from idling out.
        let last = lock(&self.inner.state).last_use;
        let _ = self.items();
        lock(&self.inner.state).last_use = last;
    }

    /// The tray count and notifications, from the cheapest source: the agent's passive `due`
    /// report (only what needs attention), or the items in-process.
    fn refresh_attention(&self) {
        if self.inner.backend.shared() {
            self.watch_due();
        } else {
            let _ = self.items();
        }
    }

    fn watch_due(&self) {
        let Ok(vault) = self.vault_path() else { return };
        let op = Op::Due {
            lead_days: self.lead_days(),
            tag: None,
        };
        if let Ok(Response::Due { report }) = self.inner.backend.call(Request::Vault { vault, op })
        {
            let states = report
                .items
                .into_iter()
                .map(|a| (a.id, a.name, a.state))
                .collect();
            self.observe_states(states);
        }
    }

    /// What a value looks like, when it is a known provider's key format; nothing is stored.
    pub fn detect_key(&self, value: &SecretValue) -> Option<KeySuggestion> {
        let format = vault_core::formats::detect(value.expose())?;
        Some(KeySuggestion {
            service: format.service.id.to_owned(),
            provider: format.service.name.to_owned(),
            description: format.description(),
            env: format.env.to_owned(),
            rotation_days: format.service.rotation_days,
        })
    }

    /// Starts the watcher thread and, with the agent, the follower of its events (lock state,
    /// changed items); both stop at [`App::shutdown`].
    pub fn start(&self) -> std::io::Result<()> {
        let app = self.clone();
        std::thread::Builder::new()
            .name("vault-watch".into())
            .spawn(move || {
                while app.running() {
                    std::thread::sleep(app.inner.config.watch_every);
                    if !app.running() {
                        break;
                    }
                    app.tick();
                }
            })?;
        if self.inner.backend.shared() {
            let app = self.clone();
            std::thread::Builder::new()
                .name("vault-agent-events".into())
                .spawn(move || {
                    app.inner
                        .backend
                        .follow_events(&|| app.running(), &|event| match event {
                            Event::LockState(vaults) => app.lock_state_from_agent(&vaults),
                            Event::Changed { vault, items } => {
                                app.items_changed_in_agent(&vault, &items);
                            }
                            // The app runs no project's command.
                            Event::ProjectFile { .. } => {}
                        });
                })?;
        }
        Ok(())
    }

    fn running(&self) -> bool {
        !self.inner.stopped.load(Ordering::Relaxed)
    }

    /// The agent announced the unlocked vaults: ours is among them or not.
    pub(crate) fn lock_state_from_agent(&self, vaults: &[VaultStatus]) {
        let Ok(ours) = self.vault_path() else { return };
        let unlocked = vaults.iter().any(|v| v.unlocked && v.path == ours);
        let was = lock(&self.inner.state).unlocked;
        if !unlocked && was == Some(true) {
            // Locked elsewhere: what this app copied goes too.
            self.clear_copied(None);
        }
        self.set_unlocked(unlocked);
        if unlocked && was != Some(true) {
            // Unlocked elsewhere (the CLI): counts for the tray.
            self.refresh_attention();
        }
    }

    /// The agent announced changed items: the window hears of those in our vault, and the
    /// tray's count follows.
    pub(crate) fn items_changed_in_agent(&self, vault: &std::path::Path, names: &[String]) {
        if self.vault_path().is_ok_and(|ours| ours == vault) {
            self.inner.host.items_changed(names);
            self.refresh_attention();
        }
    }

    /// The app is quitting: clear a value it copied, abandon its logins, stop the watcher.
    pub fn shutdown(&self) {
        self.inner.stopped.store(true, Ordering::Relaxed);
        self.cancel_logins();
        self.clear_copied(None);
    }
}

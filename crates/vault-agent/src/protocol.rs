//! The agent protocol: one JSON object per line, `type`-tagged requests and responses.
//!
//! The first request on a connection is `hello`; an agent built from another schema (see
//! [`PROTOCOL`]) or whose executable has been replaced since it started is asked to quit and
//! restarted by the client. `hello` and `quit` are frozen: every build must understand them, so
//! any client can retire any agent. Secrets cross the socket only inside [`WireSecret`], whose
//! `Debug` is redacted.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use vault_core::attention::DueReport;
use vault_core::crypto::KdfParams;
use vault_core::model::{
    ApiKeyEdit, AuditEntry, ImportReport, Item, OnConflict, ProviderMeta, Version,
};
use vault_core::refs::Reference;
use vault_core::trust::{Allowance, Refusal};
use vault_core::{ErrorCode, RotationPolicy, SecretValue, Timestamp};

mod op_kinds;
mod run;
pub use run::{
    DueWarning, Injection, ProjectFileUse, ProxyRequest, ProxySent, ProxySession, ProxySessionInfo,
    Resolution, UpstreamProxy,
};

/// The schema's identity: a fingerprint of this file's text and of vault-core's (whose types
/// the wire carries), computed at build time (`build.rs`), so two builds agree only when they
/// speak exactly the same protocol. Nothing to bump by hand.
pub const PROTOCOL: &str = env!("VAULT_PROTOCOL_FINGERPRINT");

/// This build, for messages: the crate version and the protocol fingerprint.
pub const BUILD: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "+",
    env!("VAULT_PROTOCOL_FINGERPRINT")
);

/// The largest request frame the agent reads; longer lines get an error reply.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// The largest response frame a client reads (an export of a large vault fits many times).
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// How often a subscription repeats the lock state when nothing changes.
pub const EVENT_HEARTBEAT_SECS: u64 = 20;

/// What a subscriber hears (on the wire: [`Response::LockState`], [`Response::Changed`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The vaults unlocked now.
    LockState(Vec<VaultStatus>),
    /// Items of an unlocked vault changed, by name.
    Changed { vault: PathBuf, items: Vec<String> },
    /// A project file's allowance was recorded (`vault allow`) or forgotten (`vault deny`):
    /// a `vault run --watch` that read it looks at the file again.
    ProjectFile { vault: PathBuf, path: String },
}

// One request is built per round trip and moved once: boxing the large `Vault` variant would
// only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    Hello {
        protocol: String,
        build: String,
    },
    /// Which vaults are unlocked, and when the agent will lock them.
    Status,
    /// Turns the connection into a stream of events: [`Response::LockState`] now, then on
    /// every change (and a repeat every [`EVENT_HEARTBEAT_SECS`] as a heartbeat), and
    /// [`Response::Changed`] when items of an unlocked vault change.
    Subscribe,
    /// Changes the idle time after which the agent locks every vault (`None`: never).
    Configure {
        lock_after_secs: Option<u64>,
    },
    /// Locks one vault, or all of them.
    Lock {
        vault: Option<PathBuf>,
    },
    /// Asks the agent to exit (a client found it stale).
    Quit,
    /// Creates a vault and leaves it unlocked.
    Init {
        vault: PathBuf,
        password: WireSecret,
        kdf: KdfParams,
    },
    Unlock {
        vault: PathBuf,
        password: WireSecret,
    },
    /// Checks a password a command was given explicitly (`--password-file`, `--password-stdin`)
    /// against a vault this agent holds unlocked: `ok`, or `wrong_password`. A vault that is not
    /// unlocked answers `ok` without a derivation: the unlock that follows checks it.
    CheckPassword {
        vault: PathBuf,
        password: WireSecret,
    },
    /// Needs the current password even when unlocked.
    ChangePassword {
        vault: PathBuf,
        current: WireSecret,
        new: WireSecret,
        kdf: Option<KdfParams>,
    },
    /// An operation on an unlocked vault; answered `locked` otherwise.
    Vault {
        vault: PathBuf,
        op: Op,
    },
}

impl Request {
    /// Gives a `vault run --proxy` request the client's process id, as the kernel reported it
    /// (the wire never carries it).
    pub fn set_proxy_pid(&mut self, pid: Option<u32>) {
        if let Request::Vault {
            op: Op::Resolve {
                proxy: Some(proxy), ..
            },
            ..
        } = self
        {
            proxy.pid = pid;
        }
    }

    /// Whether this request may be sent again after the connection broke mid-way: it changes
    /// nothing, or changing it twice is the same as once.
    pub fn repeatable(&self) -> bool {
        match self {
            Request::Status
            | Request::Lock { .. }
            | Request::Unlock { .. }
            | Request::CheckPassword { .. } => true,
            Request::Configure { .. } => true,
            Request::Vault { op, .. } => matches!(
                op,
                Op::Ping
                    | Op::List { .. }
                    | Op::Describe { .. }
                    | Op::Get { .. }
                    | Op::History { .. }
                    | Op::Scan { .. }
                    | Op::SyncStatus
                    | Op::ShareList
                    | Op::Audit { .. }
                    | Op::OauthPresets
                    | Op::OauthProviders
            ),
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Answers `ok` when the vault is unlocked (and `locked` otherwise).
    Ping,
    /// Metadata of items matching a case-insensitive query (name, env names, tags, service)
    /// and a tag; never values.
    List {
        #[serde(default)]
        query: Option<String>,
        #[serde(default)]
        tag: Option<String>,
    },
    /// Metadata of one item.
    Describe {
        name: String,
    },
    /// One item with its value.
    /// An API key with its value. Logged as a release of the value to `program` (default
    /// `vault get`), like every value that leaves the vault.
    Get {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        program: Option<String>,
    },
    Add {
        key: NewKey,
    },
    /// Metadata changes, and secret fields to set (a change of one is a new version).
    Edit {
        name: String,
        edit: ApiKeyEdit,
        #[serde(default, skip_serializing_if = "WireFields::is_empty")]
        secret_fields: WireFields,
    },
    /// A new value; the previous one's expiry is cleared, `expires` is the new value's.
    Rotate {
        name: String,
        value: WireSecret,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires: Option<Timestamp>,
    },
    History {
        name: String,
    },
    /// A previous (or the current) value by version number.
    VersionValue {
        name: String,
        version: u32,
    },
    Rollback {
        name: String,
        to: Option<u32>,
    },
    /// `vault sync resolve NAME`: settles an item changed on two devices, keeping its current
    /// value or taking the other one (answered `settled`).
    SyncResolve {
        name: String,
        take_other: bool,
    },
    /// A server refused the key's current value (`by`: what refused it), or, with `None`,
    /// accepted it again.
    MarkRefused {
        name: String,
        by: Option<String>,
    },
    Remove {
        name: String,
    },
    Import {
        entries: Vec<ImportEntry>,
        tags: Vec<String>,
        on_conflict: OnConflict,
    },
    Export,
    /// An encrypted copy of the whole vault, written by whoever holds it open to `path` (a new
    /// file, absolute). Answered with [`Response::BackedUp`].
    Backup {
        path: std::path::PathBuf,
    },
    Audit {
        limit: usize,
    },
    /// The built-in OAuth provider presets.
    OauthPresets,
    /// The configured OAuth providers (never client secrets).
    OauthProviders,
    /// Adds (or with `replace`, replaces) a provider configuration: a preset, or any issuer
    /// through discovery (done by the agent, which then stores the endpoints it found).
    OauthAdd {
        provider: NewProvider,
    },
    OauthRemove {
        name: String,
    },
    /// Sets where a provider's grants' tokens may be sent (`vault oauth edit --host`): the
    /// rules as written (the vault says which one is bad); `None`: its preset's hosts.
    /// Answered `provider`.
    OauthHosts {
        name: String,
        hosts: Option<Vec<String>>,
    },
    /// Starts a login to `provider`, stored as grant `name` (default: the provider's name;
    /// an existing grant of that name is replaced: a re-login). Answers `login_started` at once
    /// with the URL to open (browser flow) or the code to enter (device flow); then send
    /// `login_wait` with the login id to wait for the outcome.
    LoginStart {
        provider: String,
        #[serde(default)]
        name: Option<String>,
        /// Empty: the provider's configured scopes.
        #[serde(default)]
        scopes: Vec<String>,
        #[serde(default)]
        device: bool,
    },
    /// Waits up to `timeout_secs` for a started login; answers `item` with the stored grant.
    LoginWait {
        login: u64,
        timeout_secs: u64,
    },
    /// Abandons a started login (its callback server closes).
    LoginCancel {
        login: u64,
    },
    /// A valid access token of grant `name`, valid for at least `min_valid_secs` (or half the
    /// token's lifetime, if shorter), refreshing it first when needed. One refresh per grant at
    /// a time; a rotated refresh token is stored before the new access token is answered.
    /// This is what a `vault://NAME` reference to a grant resolves through.
    Token {
        name: String,
        #[serde(default = "default_min_valid")]
        min_valid_secs: u64,
    },
    /// Refreshes a grant now, whatever its expiry. Answered with [`Response::Refreshed`]: the
    /// new token stays in the vault (`Token` is the one request that returns a token).
    Refresh {
        name: String,
    },
    /// Revokes a grant at its provider (refresh token first, then access token) and deletes
    /// it. A revocation failure is reported in the answer; the grant is deleted anyway.
    Logout {
        name: String,
    },
    /// What needs attention (expired, overdue, due within `lead_days`), most urgent first,
    /// optionally only items with `tag`. Does not count as use: polling it (`vault status`, a
    /// cron `vault due --check`, the desktop app) never keeps a vault from locking when idle.
    Due {
        lead_days: u32,
        #[serde(default)]
        tag: Option<String>,
    },
    /// Values for `vault run`, `vault env` and `vault inject`, in one round trip: every
    /// reference (answered in order), every env name of the named items, and the items of the
    /// tags. Unresolvable references are answered one by one, so the client can name them all.
    Resolve {
        #[serde(default)]
        references: Vec<Reference>,
        #[serde(default)]
        items: Vec<String>,
        #[serde(default)]
        tags: Vec<String>,
        /// OAuth access tokens handed out must stay valid at least this long.
        #[serde(default)]
        min_valid_secs: u64,
        /// The program the values are for, recorded in the audit log after the answer is sent.
        #[serde(default)]
        program: Option<String>,
        /// The project file the references come from: nothing is resolved unless the user
        /// allowed it as it is (answered [`Response::ProjectFileRefused`] otherwise).
        #[serde(default)]
        project: Option<ProjectFileUse>,
        /// `vault run --proxy`: answer with placeholders and a proxy session instead of the
        /// values (see [`ProxyRequest`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proxy: Option<Box<ProxyRequest>>,
    },
    /// The vault's running `vault run --proxy` sessions (answered `proxy_sessions`). Does not
    /// count as use: a window showing them live never keeps the vault from locking.
    ProxySessions,
    /// Ends a session (`vault proxy end`, the app's End button): its program's next request
    /// through the proxy is refused, and its CA bundle is removed. The program keeps running.
    ProxyEnd {
        id: String,
    },
    /// `vault allow`: the project file at `path` (canonical) may be used with this content,
    /// and may set these hook variables.
    Allow {
        path: String,
        digest: String,
        #[serde(default)]
        vars: Vec<String>,
    },
    /// `vault deny`: forgets a project file's allowance (answered `denied`).
    Deny {
        path: String,
    },
    /// What is recorded for a project file (answered `allowance`).
    Allowance {
        path: String,
    },
    /// `vault scan`: looks for every secret of the vault, and keys in known formats, in files,
    /// folders or git history, in the process that holds the vault open and outside its lock
    /// (answered `scanned`, which names items and places, never a value).
    Scan {
        request: vault_scan::Request,
    },
    /// `vault sync init git URL`: this vault becomes the first device of a sync through the
    /// git remote `url`, and syncs once (answered `synced`).
    SyncInit {
        url: String,
        name: String,
    },
    /// `vault sync`: fetch, merge and push now (answered `synced`).
    Sync,
    /// `vault sync status` (answered `sync_status`).
    SyncStatus,
    /// `vault sync compact`: a sync, then a snapshot of this device's state on the remote, so
    /// a new device starts from it (answered `synced`, the snapshot in its notes).
    SyncCompact,
    /// `vault sync remove-device NAME`, then a sync (answered `synced`).
    SyncRemoveDevice {
        device: String,
    },
    /// `vault sync invite`: publishes an invitation on the remote (answered `invitation`, with
    /// the pairing code).
    SyncInvite,
    /// Waits for the device invited as `nameplate` to answer, until the invitation expires
    /// (answered `paired`).
    SyncInviteWait {
        nameplate: String,
    },
    /// `vault sync join URL`: pairs with the device that showed `code`, then syncs (answered
    /// `synced`).
    SyncJoin {
        url: String,
        name: String,
        code: WireSecret,
    },
    /// `vault share whoami`: this user's age public key, made on first use (answered
    /// `share_key`).
    ShareWhoami,
    /// `vault share ls` (answered `shares`).
    ShareList,
    /// `vault share add NAME age1... --items SELECTOR`: shares what the selector names with a
    /// member, through the vault's remote (answered `share_added`).
    ShareAdd {
        member: String,
        recipient: String,
        items: Vec<String>,
    },
    /// `vault share accept URL ID`: receives a share sealed to this user's key (answered
    /// `synced`).
    ShareAccept {
        url: String,
        id: String,
    },
    /// `vault share rm NAME` (answered `shares`).
    ShareRemove {
        member: String,
    },
}

fn default_min_valid() -> u64 {
    60
}

/// A provider configuration as sent by `vault oauth add` (and the app's provider form).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewProvider {
    pub name: String,
    /// A built-in preset (`github`, ...). Without it, `issuer` is required.
    #[serde(default)]
    pub preset: Option<String>,
    /// An issuer URL, discovered through OIDC Discovery, then RFC 8414.
    #[serde(default)]
    pub issuer: Option<String>,
    pub client_id: String,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub client_secret: Option<WireSecret>,
    /// Default scopes; empty: the preset's, or `openid email offline_access` where supported.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Where its grants' tokens may be sent (`vault run --proxy`), as written; empty: the
    /// preset's API hosts.
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub replace: bool,
}

/// A built-in provider, for pickers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PresetInfo {
    pub id: String,
    pub title: String,
    pub default_scopes: Vec<String>,
    /// Where to register an app and get a client id.
    pub console: String,
    pub client_secret_required: bool,
    pub device_flow: bool,
}

/// What the user must do to finish a started login.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoginPrompt {
    /// Pass to `login_wait`.
    pub login: u64,
    /// Browser flow: the URL to open (always shown too). Device flow: where to enter the code.
    pub url: String,
    /// Device flow: the code to enter at `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_code: Option<String>,
    /// Device flow: `url` with the code filled in, when the provider offers it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_complete: Option<String>,
    /// How long the login can be completed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_secs: Option<u64>,
}

/// A new API key as sent to the agent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewKey {
    pub name: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub value: WireSecret,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub rotation: RotationPolicy,
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub expires: Option<Timestamp>,
    /// When the value was issued, if before now: the first due date counts from it.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(as = "Option<String>"))]
    pub last_rotated: Option<Timestamp>,
    /// Where the value may be sent; `None`: its service's hosts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(as = "Option<Vec<String>>", optional))]
    pub hosts: Option<Vec<vault_core::hosts::HostRule>>,
    /// Named plain fields (`username`...).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[cfg_attr(
        feature = "ts",
        ts(as = "Option<std::collections::BTreeMap<String, String>>", optional)
    )]
    pub fields: std::collections::BTreeMap<String, String>,
    /// Named secret fields, sealed with the value.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[cfg_attr(
        feature = "ts",
        ts(as = "Option<std::collections::BTreeMap<String, String>>", optional)
    )]
    pub secret_fields: WireFields,
}

/// Secret fields by name, as they cross the socket.
pub type WireFields = std::collections::BTreeMap<String, WireSecret>;

impl NewKey {
    /// A key called `name` holding `value`, everything else as `vault add` leaves it by
    /// default: set the rest with struct update syntax.
    pub fn new(name: impl Into<String>, value: WireSecret) -> NewKey {
        NewKey {
            name: name.into(),
            value,
            env: Vec::new(),
            service: None,
            tags: Vec::new(),
            notes: String::new(),
            rotation: RotationPolicy::Default,
            expires: None,
            last_rotated: None,
            hosts: None,
            fields: Default::default(),
            secret_fields: Default::default(),
        }
    }
}

/// Secret fields as the vault takes them.
pub fn into_secret_fields(fields: WireFields) -> vault_core::model::SecretFields {
    fields
        .into_iter()
        .map(|(name, value)| (name, value.into_inner()))
        .collect()
}

/// Secret fields as they cross the socket.
pub fn wire_fields(fields: vault_core::model::SecretFields) -> WireFields {
    fields
        .into_iter()
        .map(|(name, value)| (name, WireSecret::new(value)))
        .collect()
}

impl ImportEntry {
    /// An entry as a source was read (`vault_import::load`): the metadata never carries a
    /// secret over the socket, so its secret fields go beside it as secrets.
    pub fn new(
        entry: vault_core::dotenv::Entry,
        mut meta: Option<vault_core::model::ImportedMeta>,
    ) -> Self {
        let secret_fields = meta
            .as_mut()
            .map(|m| std::mem::take(&mut m.secret_fields))
            .unwrap_or_default();
        ImportEntry {
            key: entry.key,
            value: WireSecret::new(entry.value),
            line: entry.line,
            meta,
            secret_fields: wire_fields(secret_fields),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportEntry {
    pub key: String,
    pub value: WireSecret,
    pub line: usize,
    /// A new item's metadata, from a JSON export (a dotenv line has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<vault_core::model::ImportedMeta>,
    /// Its secret fields, from a JSON export (the metadata never carries a secret).
    #[serde(default, skip_serializing_if = "WireFields::is_empty")]
    pub secret_fields: WireFields,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Hello {
        protocol: String,
        build: String,
        pid: u32,
        /// The agent's executable was replaced (upgraded or rebuilt) since it started.
        #[serde(default)]
        replaced: bool,
    },
    Ok,
    /// Done (the change is committed), but the old sealed rows are still in the vault's WAL:
    /// another process held a read snapshot. A copy of the file with its `-wal` could open them
    /// until the next use of the vault erases them. Answers `remove` and `change_password`.
    ErasePending,
    Error(WireError),
    Status {
        vaults: Vec<VaultStatus>,
        lock_after_secs: Option<u64>,
    },
    /// A subscription event: the vaults unlocked now (an empty list: everything is locked).
    LockState {
        vaults: Vec<VaultStatus>,
    },
    /// A subscription event: items of an unlocked vault were added, changed or removed (by
    /// a request, a background refresh or sync round, or another process), by name; a
    /// deleted or renamed item under the name it had. Names only, never a value.
    Changed {
        vault: PathBuf,
        items: Vec<String>,
    },
    /// A subscription event: the allowance of the project file at `path` (canonical) was
    /// recorded or forgotten.
    ProjectFile {
        vault: PathBuf,
        path: String,
    },
    Items {
        /// Shared with the agent's listing (`Vault::listing`): answering `vault ls` copies
        /// no item.
        items: Vec<Arc<Item>>,
    },
    Item {
        item: Item,
    },
    Secret {
        item: Item,
        value: WireSecret,
        /// The item's secret fields.
        #[serde(default, skip_serializing_if = "WireFields::is_empty")]
        fields: WireFields,
    },
    Secrets {
        items: Vec<(Item, WireSecret, WireFields)>,
    },
    Value {
        value: WireSecret,
    },
    Versions {
        versions: Vec<Version>,
    },
    Version {
        version: u32,
    },
    BackedUp {
        items: usize,
    },
    Imported {
        report: ImportReport,
    },
    Audit {
        entries: Vec<AuditEntry>,
    },
    Scanned {
        report: vault_scan::Report,
    },
    SyncStatus {
        status: Option<vault_core::SyncStatus>,
    },
    Synced {
        round: vault_core::SyncRound,
        status: Option<vault_core::SyncStatus>,
    },
    /// A pairing code to show (once) on this device and type on the new one.
    Invitation {
        code: WireSecret,
        nameplate: String,
        expires: Timestamp,
    },
    /// The invited device joined, under this name.
    Paired {
        name: String,
    },
    /// This user's age public key.
    ShareKey {
        recipient: String,
    },
    Shares {
        shares: Vec<vault_core::ShareInfo>,
    },
    /// A member added: the share, and the line the member runs to accept it.
    ShareAdded {
        share: vault_core::ShareInfo,
        accept: String,
    },
    ProxySessions {
        sessions: Vec<ProxySessionInfo>,
    },
    Presets {
        presets: Vec<PresetInfo>,
    },
    Providers {
        providers: Vec<ProviderMeta>,
    },
    Provider {
        provider: ProviderMeta,
    },
    LoginStarted {
        prompt: LoginPrompt,
    },
    /// An access token, and the grant's metadata after any refresh.
    Token {
        item: Item,
        value: WireSecret,
        /// Set when the token could not be refreshed but the current one is still valid.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        warning: Option<String>,
    },
    /// A grant refreshed on request: its metadata, never its token.
    Refreshed {
        item: Item,
        /// Set when the provider could not refresh it (the current token is kept).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        warning: Option<String>,
    },
    LoggedOut {
        /// Whether the provider confirmed the revocation (false: it has no revocation endpoint,
        /// or revocation failed; see `problem`).
        revoked: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        problem: Option<String>,
    },
    Due {
        report: DueReport,
    },
    /// The project file of a `resolve` may not be used; nothing was resolved.
    ProjectFileRefused {
        path: String,
        refusal: Refusal,
    },
    Allowance {
        allowance: Option<Allowance>,
    },
    Denied {
        existed: bool,
    },
    Settled {
        settled: vault_core::model::Settled,
    },
    Resolved {
        references: Vec<Resolution>,
        selected: Vec<Injection>,
        /// Items named by `items` or `tags` that do not resolve, as messages.
        missing: Vec<String>,
        attention: Vec<DueWarning>,
        /// With [`ProxyRequest`]: the values above are placeholders, and this is their proxy.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proxy: Option<ProxySession>,
    },
}

/// The items of a `Response::Items`, owned: a client's copies were just read off the wire, so
/// each is unwrapped, not cloned.
pub fn owned_items(items: Vec<Arc<Item>>) -> Vec<Item> {
    items.into_iter().map(Arc::unwrap_or_clone).collect()
}

impl Response {
    /// The variant's name as on the wire (`"items"`, `"secret"`), never its content: what an
    /// error about an unexpected answer may show.
    pub fn kind(&self) -> &'static str {
        match self {
            Response::Hello { .. } => "hello",
            Response::Ok => "ok",
            Response::ErasePending => "erase_pending",
            Response::Error(_) => "error",
            Response::Status { .. } => "status",
            Response::LockState { .. } => "lock_state",
            Response::Changed { .. } => "changed",
            Response::ProjectFile { .. } => "project_file",
            Response::Items { .. } => "items",
            Response::Item { .. } => "item",
            Response::Secret { .. } => "secret",
            Response::Secrets { .. } => "secrets",
            Response::Value { .. } => "value",
            Response::Versions { .. } => "versions",
            Response::Version { .. } => "version",
            Response::Imported { .. } => "imported",
            Response::BackedUp { .. } => "backed_up",
            Response::Audit { .. } => "audit",
            Response::Scanned { .. } => "scanned",
            Response::SyncStatus { .. } => "sync_status",
            Response::Synced { .. } => "synced",
            Response::Invitation { .. } => "invitation",
            Response::Paired { .. } => "paired",
            Response::ShareKey { .. } => "share_key",
            Response::Shares { .. } => "shares",
            Response::ShareAdded { .. } => "share_added",
            Response::ProxySessions { .. } => "proxy_sessions",
            Response::Presets { .. } => "presets",
            Response::Providers { .. } => "providers",
            Response::Provider { .. } => "provider",
            Response::LoginStarted { .. } => "login_started",
            Response::Token { .. } => "token",
            Response::Refreshed { .. } => "refreshed",
            Response::LoggedOut { .. } => "logged_out",
            Response::Due { .. } => "due",
            Response::ProjectFileRefused { .. } => "project_file_refused",
            Response::Allowance { .. } => "allowance",
            Response::Denied { .. } => "denied",
            Response::Settled { .. } => "settled",
            Response::Resolved { .. } => "resolved",
        }
    }

    pub fn error(e: &vault_core::Error) -> Self {
        Response::Error(WireError::from(e))
    }
}

/// An error for the other end, the one shape every layer passes on: a stable code and a
/// message without secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireError {
    pub code: ErrorCode,
    pub message: String,
}

impl WireError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        WireError {
            code,
            message: message.into(),
        }
    }
}

impl From<&vault_core::Error> for WireError {
    fn from(e: &vault_core::Error) -> Self {
        WireError::new(e.code(), e.to_string())
    }
}

impl From<vault_core::Error> for WireError {
    fn from(e: vault_core::Error) -> Self {
        WireError::from(&e)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaultStatus {
    pub path: PathBuf,
    pub unlocked: bool,
    /// Seconds until the agent locks it when idle.
    #[serde(default)]
    pub locks_in_secs: Option<u64>,
}

/// A secret on the wire. Serialising it is the point of use: handing it to the other end.
#[derive(Clone)]
pub struct WireSecret(pub SecretValue);

impl WireSecret {
    pub fn new(value: SecretValue) -> Self {
        WireSecret(value)
    }

    pub fn into_inner(self) -> SecretValue {
        self.0
    }
}

impl fmt::Debug for WireSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WireSecret(<redacted>)")
    }
}

impl Serialize for WireSecret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.expose())
    }
}

/// The window sends a secret as plain text; TypeScript sees a `string`.
#[cfg(feature = "ts")]
impl ts_rs::TS for WireSecret {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(_: &ts_rs::Config) -> String {
        "string".to_owned()
    }

    fn inline(cfg: &ts_rs::Config) -> String {
        Self::name(cfg)
    }
}

impl<'de> Deserialize<'de> for WireSecret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(WireSecret(SecretValue::from(String::deserialize(d)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_tagged_json_lines() {
        let req = Request::Vault {
            vault: "/v.db".into(),
            op: Op::Rotate {
                name: "gh".into(),
                value: WireSecret(SecretValue::new("s3cr3t")),
                expires: None,
            },
        };
        let json = serde_json::to_string(&req).unwrap();
        assert!(!json.contains('\n'));
        assert!(
            json.starts_with(r#"{"type":"vault","vault":"/v.db","op":{"op":"rotate""#),
            "{json}"
        );
        let back: Request = serde_json::from_str(&json).unwrap();
        assert!(
            !format!("{back:?}").contains("s3cr3t"),
            "Debug must not show the value"
        );
    }

    #[test]
    fn a_responses_kind_is_its_wire_tag() {
        for r in [
            Response::Ok,
            Response::Denied { existed: false },
            Response::LockState { vaults: Vec::new() },
            Response::Changed {
                vault: PathBuf::from("/v"),
                items: vec!["a".into()],
            },
            Response::ProjectFile {
                vault: PathBuf::from("/v"),
                path: "/p/.vault.env".into(),
            },
            Response::Error(WireError {
                code: ErrorCode::Locked,
                message: "m".into(),
            }),
        ] {
            let json: serde_json::Value = serde_json::to_value(&r).unwrap();
            assert_eq!(json["type"], r.kind(), "{json}");
        }
    }

    #[test]
    fn the_fingerprint_covers_the_vault_core_types_on_the_wire() {
        let sources = env!("VAULT_PROTOCOL_SOURCES");
        for file in [
            "vault-agent/src/protocol.rs",
            "vault-agent/src/protocol/run.rs",
            "vault-core/src/model.rs",
            "vault-core/src/model/audit.rs",
            "vault-core/src/attention.rs",
            "vault-core/src/rotation.rs",
            "vault-core/src/crypto/kdf.rs",
            "vault-core/src/trust.rs",
            "vault-core/src/error.rs",
        ] {
            assert!(
                sources.split(' ').any(|s| s == file),
                "{file} not in {sources}"
            );
        }
    }

    #[test]
    fn unknown_requests_fail_to_parse() {
        assert!(serde_json::from_str::<Request>(r#"{"type":"format_disk"}"#).is_err());
        assert!(serde_json::from_str::<Request>(r#"{"type":"vault","vault":"/v"}"#).is_err());
    }
}

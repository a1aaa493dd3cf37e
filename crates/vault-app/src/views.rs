//! What the screens receive: item metadata with its rotation state worked out, the app's
//! status, choices and receipts. Plain data with generated TypeScript twins; the only value a
//! view ever carries is [`Revealed`], sent on an explicit reveal.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vault_agent::WireSecret;
use vault_agent::protocol::LoginPrompt;
use vault_core::attention::{Attention, attention_of};
use vault_core::crypto::KdfParams;
use vault_core::model::Version;
use vault_core::rotation::Schedule;
use vault_core::{DueState, Item};

/// An item as listed: metadata, never the value, and where it stands on `now`.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct ItemView {
    pub item: Item,
    /// `ok`, or the state of `attention`.
    pub due: DueState,
    /// Why it needs the user (rotation, expiry, a grant's login), as `vault due` says it.
    pub attention: Option<Attention>,
    /// An API key's rotation due date and expiry.
    pub schedule: Schedule,
    /// The next date that needs the user: the earlier of due and expiry.
    #[ts(as = "Option<String>")]
    pub next: Option<Timestamp>,
}

impl ItemView {
    /// Warning `lead_days` ahead (the `due-lead` setting).
    pub fn new(item: Item, now: Timestamp, lead_days: u32) -> Self {
        let schedule = match item.meta.as_api_key() {
            Some(meta) => meta.schedule(),
            None => Schedule {
                due: None,
                expires: None,
            },
        };
        let attention = attention_of(&item, now, lead_days);
        ItemView {
            due: attention.as_ref().map_or(DueState::Ok, |a| a.state),
            next: schedule.next(),
            schedule,
            attention,
            item,
        }
    }

    pub fn name(&self) -> &str {
        self.item.meta.name()
    }
}

/// One item with its history, for the detail screen.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct ItemDetail {
    pub view: ItemView,
    /// Newest first.
    pub history: Vec<Version>,
    pub hosts: ItemHosts,
}

/// Where `vault run --proxy` may send an item's value (a grant's access tokens).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct ItemHosts {
    /// Host rules as written (`api.openai.com`, `*.example.com`, `localhost:8443/v1`...);
    /// empty: nowhere, so `--proxy` refuses to run with it.
    pub rules: Vec<String>,
    /// Whether they were set for it (an API key's own, a grant's provider's own), rather than
    /// its service's or its provider preset's.
    pub own: bool,
    /// What they are when not set: the service's (a key), the provider preset's (a grant).
    pub defaults: Vec<String>,
    /// A grant's provider, whose hosts these are (shared by its other grants).
    pub provider: Option<String>,
}

/// Locked or unlocked, as every screen and the tray must show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct LockState {
    pub unlocked: bool,
    pub vault: String,
}

/// Where the vault path came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum VaultSource {
    /// The `VAULT_PATH` environment variable (it wins over the setting).
    Environment,
    Settings,
    Default,
}

/// What the app opens on: first run, unlock, or the items.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct AppStatus {
    pub vault: String,
    pub source: VaultSource,
    /// Whether a file exists at `vault`.
    pub exists: bool,
    pub unlocked: bool,
    /// A problem with the file found before any password was asked (damaged, newer format...).
    pub problem: Option<crate::AppError>,
    /// Whether the vault is served by the agent, shared with the CLI.
    pub shared: bool,
}

/// How hard the master password is made to guess (Argon2id cost).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KdfStrength {
    /// RFC 9106's second recommendation: 64 MiB, 3 passes.
    Standard,
    /// 256 MiB, for machines with memory to spare.
    High,
    /// The floor: for small or old machines.
    Minimum,
}

impl KdfStrength {
    pub const ALL: [KdfStrength; 3] = [
        KdfStrength::Standard,
        KdfStrength::High,
        KdfStrength::Minimum,
    ];

    pub fn params(self) -> KdfParams {
        match self {
            KdfStrength::Standard => KdfParams::STANDARD,
            KdfStrength::High => KdfParams::HIGH,
            KdfStrength::Minimum => KdfParams::MINIMUM,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct KdfChoice {
    pub strength: KdfStrength,
    pub params: KdfParams,
    pub recommended: bool,
}

/// How long unlocking takes with a strength, measured on this machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct KdfMeasurement {
    pub strength: KdfStrength,
    pub millis: u32,
}

/// What a copy did: the clipboard will be cleared after this many seconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct Copied {
    pub name: String,
    pub clears_in_secs: u32,
}

/// A value shown on an explicit reveal; the screen hides it again after `hide_after_secs`.
#[derive(Debug, Serialize, TS)]
pub struct Revealed {
    #[ts(type = "string")]
    pub value: WireSecret,
    pub hide_after_secs: u32,
}

/// An item whose state got worse, for a notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct DueItem {
    pub name: String,
    pub due: DueState,
}

/// What a pasted value looks like: a known provider's key format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct KeySuggestion {
    /// The provider id, stored as the item's service (e.g. `github`).
    pub service: String,
    /// The provider's name, e.g. `GitHub`.
    pub provider: String,
    /// What it is, e.g. `GitHub personal access token (classic)`.
    pub description: String,
    /// The usual environment variable, e.g. `GITHUB_TOKEN`.
    pub env: String,
    /// The provider's recommended rotation interval.
    pub rotation_days: u32,
}

/// What the "Connect" button asks for: a login to `provider`, stored as grant `name` (default:
/// the provider's name; an existing grant of that name is replaced, which is "log in again").
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, TS)]
pub struct ConnectRequest {
    pub provider: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Empty: the provider's configured scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The device flow: a code entered on any device, instead of this machine's browser.
    #[serde(default)]
    pub device: bool,
}

/// A login in progress: what the window shows while the user signs in.
#[derive(Clone, Debug, Serialize, TS)]
pub struct Connecting {
    /// The login page (always shown, for when the browser does not open) or, in the device
    /// flow, where to enter `user_code`.
    pub prompt: LoginPrompt,
    pub provider: String,
    /// The grant it will be stored as.
    pub grant: String,
    /// Whether the system browser was opened on the login page (never in the device flow).
    pub browser_opened: bool,
}

/// What disconnecting did: the grant is gone from the vault either way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct Disconnected {
    pub name: String,
    /// Whether the provider confirmed the revocation.
    pub revoked: bool,
    /// Why it was not revoked (no revocation endpoint, provider unreachable...).
    pub problem: Option<String>,
}

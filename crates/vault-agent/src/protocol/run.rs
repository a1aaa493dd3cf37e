//! What `vault run`, `vault env` and `vault inject` send and receive: project files, the
//! proxy's session and settings, resolved references, due warnings, and the running proxy
//! sessions as `vault proxy ls` shows them. Part of the protocol's schema (its fingerprint
//! covers this file).

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use vault_core::Timestamp;
use vault_core::rotation::Reason;

use super::WireSecret;

/// A project file about to be used by `vault run`, `vault env` or `vault inject`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProjectFileUse {
    /// Canonical path.
    pub path: String,
    /// [`vault_core::trust::digest`] of the content read.
    pub digest: String,
    /// The variables it sets that need allowing by name ([`vault_core::vars::code_risk`]) and
    /// that the command line did not allow with `--allow-var`.
    #[serde(default)]
    pub hooks: Vec<String>,
}

/// How `vault run --proxy` wants its session.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProxyRequest {
    /// Refuse every host no secret of the run may go to, instead of tunnelling it.
    #[serde(default)]
    pub strict: bool,
    /// Report every substitution on the program's stderr, not only refusals.
    #[serde(default)]
    pub verbose: bool,
    /// Items whose values go to the program as they are (`--plain`).
    #[serde(default)]
    pub plain: Vec<String>,
    /// PEM texts of further roots for upstream servers (`--proxy-ca-file`): a corporate CA.
    /// Read by the client, whose working directory the paths are relative to.
    #[serde(default)]
    pub extra_roots_pem: Vec<String>,
    /// The CA bundle the program was already told to trust (its `SSL_CERT_FILE` and the like),
    /// as text: kept in the bundle it gets instead of the system's roots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_pem: Option<String>,
    /// The proxy the program would otherwise use (its `HTTPS_PROXY` and the like): the
    /// session's connections go through it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<UpstreamProxy>,
    /// The process the session ends with. The agent takes it from the socket's peer, never
    /// from the request: `vault run` asks, then becomes the program under the same pid.
    #[serde(skip)]
    pub pid: Option<u32>,
    /// The program's name, for `vault proxy ls`: taken from the resolve's `program`.
    #[serde(skip)]
    pub program: Option<String>,
}

/// A program's proxy settings. A proxy URL may hold a password: never shown.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct UpstreamProxy {
    #[serde(default)]
    pub all: Option<String>,
    #[serde(default)]
    pub http: Option<String>,
    #[serde(default)]
    pub https: Option<String>,
    #[serde(default)]
    pub no: Option<String>,
}

impl fmt::Debug for UpstreamProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamProxy").finish_non_exhaustive()
    }
}

/// The proxy session of a `vault run --proxy`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ProxySession {
    /// `http://ID:CREDENTIAL@127.0.0.1:PORT`: what the program's proxy variables hold.
    pub url: WireSecret,
    /// The system's (or the program's own) roots plus the proxy's CA; removed when the
    /// session ends.
    pub ca_bundle: PathBuf,
    /// Loopback names no secret of the run goes to: `NO_PROXY`.
    pub no_proxy: Vec<String>,
}

/// One reference's answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Resolution {
    Value { item: String, value: WireSecret },
    Unresolved { message: String },
}

/// A value to set as an environment variable, for `--item` and `--profile`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Injection {
    pub env: String,
    pub item: String,
    pub value: WireSecret,
}

/// An item used by a run that is past its rotation date or expired.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DueWarning {
    pub item: String,
    pub reason: Reason,
    /// Since when: the due date or the expiry.
    pub since: Timestamp,
}

/// A running `vault run --proxy` session, as `vault proxy ls` and the desktop app show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProxySessionInfo {
    /// What `vault proxy end` takes.
    pub id: String,
    /// The program `vault run` started (its name, not its arguments).
    pub program: String,
    pub pid: u32,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub started: Timestamp,
    /// The items whose placeholders it holds.
    pub items: Vec<String>,
    pub strict: bool,
    /// Requests a value was put into.
    pub requests: u64,
    /// Where values went.
    pub sent: Vec<ProxySent>,
    /// Requests refused.
    pub refusals: u64,
    /// The latest refusals as the program's stderr said them, oldest first.
    pub recent_refusals: Vec<String>,
}

/// Values put into a session's requests to one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProxySent {
    /// `https://host:port`.
    pub destination: String,
    pub items: Vec<String>,
    pub requests: u64,
}

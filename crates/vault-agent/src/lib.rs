//! The vault agent: the one process that holds unlocked vaults, and the protocol to reach it.
//!
//! [`protocol`] is the single declared schema spoken by the CLI and the desktop app;
//! [`service`] answers it against `vault-core`; [`server`] serves it on the user's socket and
//! [`client`] reaches it. The CLI in `--no-agent` mode runs the same service in-process, so
//! both paths share every behaviour. Nothing here prints or logs a value.

pub mod client;
pub mod config;
pub mod dirs;
mod frame;
pub mod grants;
pub mod hardening;
pub mod protocol;
pub mod server;
pub mod service;

use std::path::PathBuf;

pub use client::{Client, Events};
pub use dirs::AgentDir;
pub use protocol::{BUILD, Op, PROTOCOL, Request, Response, WireSecret};
pub use service::Service;

/// What can go wrong reaching or running the agent. Messages name paths and causes, never a
/// secret.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },

    #[error("refusing the agent folder {}: {why}", path.display())]
    UnsafeDir { path: PathBuf, why: String },

    #[error("an agent is already running for {}", dir.display())]
    AlreadyRunning { dir: PathBuf },

    #[error("the agent (pid {}) is from another version and could not be replaced", pid.map_or_else(|| "unknown".to_owned(), |p| p.to_string()))]
    Stale { pid: Option<u32> },

    #[error("cannot start the agent: {0}")]
    Start(String),

    #[error("lost the connection to the agent: {0}")]
    Disconnected(String),

    #[error("{0}")]
    Protocol(String),

    #[error("settings: {0}")]
    Config(String),
}

impl AgentError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        AgentError::Io {
            context: context.into(),
            source,
        }
    }
}

//! The vault agent: the one process that holds unlocked vaults, and the protocol to reach it.
//!
//! [`protocol`] is the single declared schema spoken by the CLI and the desktop app;
//! [`service`] answers it against `vault-core`; [`server`] serves it on the user's socket and
//! [`client`] reaches it. The CLI in `--no-agent` mode runs the same service in-process, so
//! both paths share every behaviour. Nothing here prints or logs a value.

pub mod aws_config;
pub mod client;
pub mod config;
pub mod dirs;
pub mod docker_config;
mod frame;
pub mod git_config;
pub mod grants;
pub mod hardening;
pub mod kube_config;
pub mod os;
pub mod protocol;
mod refresh_gate;
mod replace_file;
pub mod server;
pub mod service;

use std::path::PathBuf;

pub use client::{Client, Events};
pub use dirs::AgentDir;
pub use protocol::{BUILD, Op, PROTOCOL, Request, Response, WireSecret};
pub use service::Service;

/// This machine's name, for a new sync device: the host name, else "this device".
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this device".to_owned())
}

/// Entry points for the fuzz targets (`fuzz/`), compiled only for them and
/// their replay in `make test` (`--cfg fuzzing`, or the `fuzzing` feature; never in a shipped
/// build): the exact
/// paths by which the agent reads a client's bytes and a client reads the agent's.
#[cfg(any(fuzzing, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing {
    use std::io::BufReader;

    use crate::server::{Incoming, next_request};
    use crate::{AgentError, Request, Response};

    /// Every frame of `input` as the agent's connection loop sees it, read through a buffer
    /// of `buffer` bytes with a frame limit of `limit`: a request, or the error it answers.
    pub fn requests(input: &[u8], buffer: usize, limit: usize) -> Vec<Result<Request, Response>> {
        let mut reader = BufReader::with_capacity(buffer.max(1), input);
        let mut out = Vec::new();
        loop {
            match next_request(&mut reader, limit) {
                Incoming::Request(r) => out.push(Ok(*r)),
                Incoming::Reject(e) => out.push(Err(*e)),
                Incoming::Closed => return out,
            }
        }
    }

    /// The first answer in `input` as a client reads it.
    pub fn response(input: &[u8], buffer: usize) -> Result<Response, AgentError> {
        crate::client::read_response(&mut BufReader::with_capacity(buffer.max(1), input))
    }
}

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

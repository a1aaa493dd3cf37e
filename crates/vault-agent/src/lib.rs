//! The vault agent: the one process that holds unlocked vaults, and the protocol to reach it.
//!
//! [`protocol`] is the single declared schema spoken by the CLI and the desktop app;
//! [`service`] answers it against `vault-core`. The CLI in `--no-agent` mode runs the same
//! service in-process, so both paths share every behaviour. Nothing here prints or logs a value.

pub mod grants;
pub mod protocol;
pub mod service;

pub use protocol::{Op, PROTOCOL_VERSION, Request, Response, WireSecret};
pub use service::Service;

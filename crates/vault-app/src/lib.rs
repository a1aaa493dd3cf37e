//! The desktop app's commands, host-free: what each screen asks of the vault and the events it
//! shows, as plain Rust. The Tauri shell (`src-tauri`) is a thin adapter over [`App`]; the tests
//! run the same commands with no desktop at all (`tests/test_host.rs`).
//!
//! The app is a client of the vault exactly like the CLI: every vault operation is a protocol
//! request. It must never hand a stored value to the window except on an explicit reveal, and
//! never keep one longer than the clipboard timer needs.

mod app;
pub mod attention;
mod backend;
pub mod bindings;
pub mod commands;
pub mod error;
pub mod host;
pub mod settings;
pub mod views;

pub use app::{
    App, AppConfig, Clock, ImportOutcome, ImportRequest, Invitation, MIN_PASSWORD_CHARS,
    MemberAdded, SyncStorage, Synced, ToolSetups, find_vault_exe,
};
pub use backend::AgentConfig;
pub use error::{AppError, AppErrorCode, AppResult, ErrorKind};
pub use host::{BrowserError, Clipboard, ClipboardError, Host};
pub use settings::SettingsPaths;
pub use settings::{Settings, Theme};

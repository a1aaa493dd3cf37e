//! The encrypted vault: cryptography, storage, items, rotation and references.
//!
//! This crate owns every decision about what reaches disk and how. It knows nothing of
//! terminals, windows or sockets: the CLI, the agent and the desktop app are adapters over it.
//! It must never write a secret in plaintext (to the database, a log or an error message), and
//! never read the clock itself: callers pass `now`, so tests control time.

pub mod attention;
pub mod crypto;
pub mod dotenv;
pub mod error;
pub mod formats;
pub mod generate;
pub mod hosts;
pub mod model;
pub mod names;
pub mod paths;
pub mod platform;
pub mod refs;
pub mod rotation;
pub mod secret;
mod store;
pub mod trust;
pub mod vars;
pub mod vault;

pub use error::{Error, ErrorCode, Result};
pub use model::{
    ApiKey, ApiKeyMeta, Grant, GrantMeta, GrantStatus, GrantTokens, Item, ItemId, ItemKind,
    ItemMeta, NewApiKey, NewGrant, ProviderMeta, RefreshedTokens,
};
pub use rotation::{DueState, RotationPolicy};
pub use secret::SecretValue;
pub use store::{Erased, FORMAT_VERSION};
pub use vault::{
    LockedVault, SNAPSHOT_EVERY, ShareInfo, ShareState, Shared, SyncDevice, SyncRound, SyncSource,
    SyncStatus, Vault, share,
};
pub use vault_sync;

/// The clock type every time-dependent function takes.
pub use jiff::Timestamp;

//! Errors of the vault, by what the user can do about them.
//!
//! Messages name the file and the cause, never a secret value. Adapters map an error to an exit
//! code or a UI message through [`Error::code`], never by matching on the text.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("wrong master password")]
    WrongPassword,

    #[error("no vault at {}; create one with `vault init`", path.display())]
    NoVault { path: PathBuf },

    #[error("a vault already exists at {}", path.display())]
    VaultExists { path: PathBuf },

    #[error("{} is not a vault file ({reason})", path.display())]
    NotAVault { path: PathBuf, reason: String },

    #[error("{} is damaged ({reason}); it was not modified", path.display())]
    Corrupt { path: PathBuf, reason: String },

    #[error(
        "{} was written by a newer version of vault (format {found}, this version reads up to {supported})",
        path.display()
    )]
    NewerFormat {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    /// Authentication of sealed data failed although the password was right: the file was
    /// modified outside vault, or data was moved between rows or vaults.
    #[error("{} has been tampered with: {what} failed authentication", path.display())]
    Tampered { path: PathBuf, what: String },

    /// The file's structure was changed in a way no version of vault writes (its schema, or a
    /// row duplicated): nothing is read from it.
    #[error("{} has been tampered with: {what}; refusing to use it", path.display())]
    Altered { path: PathBuf, what: String },

    #[error(
        "the key-derivation parameters of {} are {problem}; refusing to use this vault",
        path.display()
    )]
    UnsafeKdf { path: PathBuf, problem: String },

    #[error("no item named {name:?}")]
    NotFound { name: String },

    #[error(
        "no OAuth provider named {name:?}; see `vault oauth ls`, or add one with `vault oauth add`"
    )]
    NoProvider { name: String },

    #[error("an item named {name:?} already exists")]
    AlreadyExists { name: String },

    #[error("an OAuth provider named {name:?} is already configured; pass --replace to change it")]
    ProviderExists { name: String },

    #[error("{0}")]
    Invalid(String),

    #[error("the vault {} is busy: another process is writing to it (waited {waited_secs} s); try again", path.display())]
    Busy { path: PathBuf, waited_secs: u64 },

    #[error("the vault is locked")]
    Locked,

    /// The password (and with it the data key) was changed by another process since this one
    /// unlocked the vault: nothing was written, the new password is needed.
    #[error("the master password of {} was changed by another process; unlock it again", path.display())]
    KeyChanged { path: PathBuf },

    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },

    #[error("database error on {}: {source}", path.display())]
    Database {
        path: PathBuf,
        source: rusqlite::Error,
    },

    #[error("the operating system's random number generator failed")]
    Random,

    /// Sync: a refused log (naming the device), the remote unreachable, a pairing failure.
    #[error(transparent)]
    Sync(#[from] vault_sync::Error),
}

/// Stable codes for adapters: exit codes in the CLI, message keys in the desktop app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    WrongPassword,
    NoVault,
    VaultExists,
    Damaged,
    NewerFormat,
    Tampered,
    NotFound,
    AlreadyExists,
    Invalid,
    Busy,
    Locked,
    Io,
    Internal,
    /// An OAuth grant's refresh token was refused (or it has none and expired): log in again.
    NeedsRelogin,
    /// The OAuth provider could not be reached or answered with a server error; worth retrying.
    ProviderUnavailable,
    /// The OAuth provider answered with an error or something malformed.
    Provider,
    /// A login was refused, forged (bad `state`/`iss`) or not completed in time.
    LoginFailed,
    /// The agent refused the connection or request (another user's agent, a protocol mismatch).
    Refused,
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::WrongPassword => ErrorCode::WrongPassword,
            Error::NoVault { .. } => ErrorCode::NoVault,
            Error::VaultExists { .. } => ErrorCode::VaultExists,
            Error::NotAVault { .. } | Error::Corrupt { .. } | Error::UnsafeKdf { .. } => {
                ErrorCode::Damaged
            }
            Error::NewerFormat { .. } => ErrorCode::NewerFormat,
            Error::Tampered { .. } | Error::Altered { .. } => ErrorCode::Tampered,
            Error::NotFound { .. } | Error::NoProvider { .. } => ErrorCode::NotFound,
            Error::AlreadyExists { .. } | Error::ProviderExists { .. } => ErrorCode::AlreadyExists,
            Error::Invalid(_) => ErrorCode::Invalid,
            Error::Busy { .. } => ErrorCode::Busy,
            Error::Locked | Error::KeyChanged { .. } => ErrorCode::Locked,
            Error::Io { .. } => ErrorCode::Io,
            Error::Database { .. } | Error::Random => ErrorCode::Internal,
            Error::Sync(e) => match e {
                vault_sync::Error::Refused { .. } => ErrorCode::Tampered,
                vault_sync::Error::Git { .. }
                | vault_sync::Error::Storage { .. }
                | vault_sync::Error::Io { .. } => ErrorCode::Io,
                vault_sync::Error::Pairing(_) | vault_sync::Error::Location(_) => {
                    ErrorCode::Invalid
                }
                vault_sync::Error::Corrupt(_) => ErrorCode::Damaged,
                vault_sync::Error::Random => ErrorCode::Internal,
            },
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid(message.into())
    }
}

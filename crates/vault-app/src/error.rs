//! Errors the app's screens show, as codes.
//!
//! The UI turns a code into a sentence for a person; it never reads `message`, which is the
//! technical English kept for logs and for the one case where it *is* the explanation
//! (`invalid`: "a rotation interval must be at least one day"). No message ever holds a secret.

use serde::Serialize;
use ts_rs::TS;
use vault_agent::protocol::WireError;
use vault_core::ErrorCode;

/// What went wrong in the app itself, beside the vault's own [`ErrorCode`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AppErrorCode {
    /// The master password is shorter than [`crate::MIN_PASSWORD_CHARS`].
    PasswordTooShort,
    /// No vault location: no `VAULT_PATH`, no setting and no home directory.
    NoVaultLocation,
    /// The clipboard could not be written or read.
    Clipboard,
    /// The settings file could not be read or written.
    Settings,
    /// The system browser could not be opened (the login page's address is shown instead).
    Browser,
    /// The agent could not be reached or started.
    AgentUnavailable,
    /// The vault answered something this version does not expect.
    Unexpected,
}

/// Either side's code, as one string union in TypeScript.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(untagged)]
pub enum ErrorKind {
    Vault(ErrorCode),
    App(AppErrorCode),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorKind,
    /// Technical detail for logs; shown only for `invalid` input.
    pub message: String,
}

impl AppError {
    pub fn app(code: AppErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code: ErrorKind::App(code),
            message: message.into(),
        }
    }

    pub fn vault(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code: ErrorKind::Vault(code),
            message: message.into(),
        }
    }

    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == ErrorKind::Vault(code)
    }
}

impl From<vault_core::Error> for AppError {
    fn from(e: vault_core::Error) -> Self {
        AppError::vault(e.code(), e.to_string())
    }
}

impl From<WireError> for AppError {
    fn from(e: WireError) -> Self {
        AppError::vault(e.code, e.message)
    }
}

pub type AppResult<T> = Result<T, AppError>;

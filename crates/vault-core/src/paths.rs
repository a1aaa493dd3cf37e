//! Where the vault lives by default.

use std::path::PathBuf;

/// The environment variable that overrides the default vault path.
pub const VAULT_PATH_ENV: &str = "VAULT_PATH";

/// The platform's data directory for vault (Linux: `$XDG_DATA_HOME/vault/vault.db`).
pub fn default_vault_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "vault").map(|d| d.data_dir().join("vault.db"))
}

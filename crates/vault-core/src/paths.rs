//! Where the vault lives by default.

use std::path::PathBuf;

/// The environment variable that overrides the default vault path.
pub const VAULT_PATH_ENV: &str = "VAULT_PATH";

/// The platform's data directory for vault (Linux: `$XDG_DATA_HOME/vault/vault.db`).
pub fn default_vault_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "vault").map(|d| d.data_dir().join("vault.db"))
}

/// `path` made absolute with symlinks in its folder resolved (the file itself may not exist
/// yet), so every process names a vault the same way: the agent keys unlocked vaults by path.
pub fn canonical_vault_path(path: &std::path::Path) -> std::io::Result<PathBuf> {
    let path = std::path::absolute(path)?;
    Ok(match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => dir.canonicalize().map_or(path.clone(), |d| d.join(name)),
        _ => path,
    })
}

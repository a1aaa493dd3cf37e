//! The desktop app's own settings: theme, timers, vault location.
//!
//! Kept in `$XDG_CONFIG_HOME/vault/desktop.toml` (mode 0600, folder 0700), written whole through
//! a temp file and a rename so a crash never leaves half a file. A missing or unreadable file
//! means defaults; the vault itself never depends on this file.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{AppError, AppErrorCode, AppResult};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Light or dark, following the system.
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct Settings {
    pub theme: Theme,
    /// Lock after this many minutes without use; 0 never locks on its own.
    pub auto_lock_minutes: u32,
    /// Clear a copied value from the clipboard after this many seconds.
    pub clipboard_clear_secs: u32,
    /// Hide a revealed value again after this many seconds.
    pub reveal_secs: u32,
    /// The vault file; `None` uses the default location. `VAULT_PATH` wins over it.
    #[ts(optional = nullable)]
    pub vault_path: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: Theme::System,
            auto_lock_minutes: 15,
            clipboard_clear_secs: 30,
            reveal_secs: 15,
            vault_path: None,
        }
    }
}

impl Settings {
    /// Refuses values the app cannot honour, with a sentence saying what fits.
    pub fn check(&self) -> AppResult<()> {
        let invalid = |m: &str| Err(AppError::vault(vault_core::ErrorCode::Invalid, m));
        if self.auto_lock_minutes > 24 * 60 {
            return invalid("Auto-lock can be at most 24 hours (1440 minutes).");
        }
        if !(5..=600).contains(&self.clipboard_clear_secs) {
            return invalid("Clear the clipboard after 5 to 600 seconds.");
        }
        if !(3..=300).contains(&self.reveal_secs) {
            return invalid("Hide revealed values after 3 to 300 seconds.");
        }
        if let Some(p) = &self.vault_path
            && !Path::new(p).is_absolute()
        {
            return invalid("The vault location must be a full path, starting with /.");
        }
        Ok(())
    }

    /// Reads `path`; defaults when it does not exist or cannot be understood.
    pub fn load(path: &Path) -> Settings {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| toml::from_str(&text).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, path: &Path) -> AppResult<()> {
        let failed = |e: std::io::Error| {
            AppError::app(
                AppErrorCode::Settings,
                format!("cannot save settings to {}: {e}", path.display()),
            )
        };
        let text = toml::to_string_pretty(self)
            .map_err(|e| AppError::app(AppErrorCode::Settings, e.to_string()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(failed)?;
        let tmp = temp_path(path);
        let write = || -> std::io::Result<()> {
            let mut f = private_file(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            failed(e)
        })
    }
}

/// `$XDG_CONFIG_HOME/vault/desktop.toml`.
pub fn default_settings_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "vault").map(|d| d.config_dir().join("desktop.toml"))
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::create(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_falls_back_to_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg/vault/desktop.toml");
        assert_eq!(Settings::load(&path), Settings::default());
        let s = Settings {
            theme: Theme::Dark,
            auto_lock_minutes: 5,
            vault_path: Some("/tmp/x.db".into()),
            ..Settings::default()
        };
        s.save(&path).unwrap();
        assert_eq!(Settings::load(&path), s);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "theme = 42\n").unwrap();
        assert_eq!(Settings::load(&path), Settings::default());
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        let ok = Settings::default();
        assert!(ok.check().is_ok());
        for bad in [
            Settings {
                clipboard_clear_secs: 1,
                ..ok.clone()
            },
            Settings {
                auto_lock_minutes: 100_000,
                ..ok.clone()
            },
            Settings {
                vault_path: Some("relative/v.db".into()),
                ..ok.clone()
            },
        ] {
            let e = bad.check().unwrap_err();
            assert!(e.is(vault_core::ErrorCode::Invalid), "{e:?}");
        }
    }
}

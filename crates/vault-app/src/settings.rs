//! The desktop app's settings: theme, timers, vault location, and the idle lock.
//!
//! The app's own are kept in `$XDG_CONFIG_HOME/vault/desktop.toml` (mode 0600, folder 0700),
//! written whole through a temp file and a rename so a crash never leaves half a file. The idle
//! lock is the `lock-after` key of the `config.toml` shared with the CLI and the agent, so one
//! setting governs every client. A missing or unreadable file means defaults; the vault itself
//! never depends on these files.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use vault_agent::config::{Config, LOCK_AFTER};

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

/// The window's settings: the app's own file, plus the idle lock, which is shared with the CLI
/// and the agent (`lock-after` in `config.toml`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Settings {
    pub theme: Theme,
    /// Lock after this many seconds without use; `None` never locks on its own.
    #[ts(type = "number | null")]
    pub auto_lock_secs: Option<u64>,
    /// Clear a copied value from the clipboard after this many seconds.
    pub clipboard_clear_secs: u32,
    /// Hide a revealed value again after this many seconds.
    pub reveal_secs: u32,
    /// The vault file; `None` uses the default location. `VAULT_PATH` wins over it.
    #[ts(type = "string | null")]
    pub vault_path: Option<String>,
}

/// What `desktop.toml` holds: everything but the shared idle lock.
#[derive(Debug, Serialize, Deserialize)]
#[serde(default)]
struct DesktopFile {
    theme: Theme,
    clipboard_clear_secs: u32,
    reveal_secs: u32,
    vault_path: Option<String>,
}

impl Default for DesktopFile {
    fn default() -> Self {
        let s = Settings::default();
        DesktopFile {
            theme: s.theme,
            clipboard_clear_secs: s.clipboard_clear_secs,
            reveal_secs: s.reveal_secs,
            vault_path: s.vault_path,
        }
    }
}

/// The agent's default idle lock (15 minutes).
const DEFAULT_LOCK_AFTER_SECS: u64 = vault_agent::service::DEFAULT_LOCK_AFTER.as_secs();

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: Theme::System,
            auto_lock_secs: Some(DEFAULT_LOCK_AFTER_SECS),
            clipboard_clear_secs: 30,
            reveal_secs: 15,
            vault_path: None,
        }
    }
}

/// Where the settings live: the app's file and the shared one.
#[derive(Clone, Debug)]
pub struct SettingsPaths {
    pub desktop: PathBuf,
    pub shared: PathBuf,
}

impl SettingsPaths {
    /// `$XDG_CONFIG_HOME/vault/desktop.toml` and `config.toml`.
    pub fn default_paths() -> Option<Self> {
        Some(SettingsPaths {
            desktop: default_settings_path()?,
            shared: Config::default_path()?,
        })
    }
}

impl Settings {
    /// Refuses values the app cannot honour, with a sentence saying what fits.
    pub fn check(&self) -> AppResult<()> {
        let invalid = |m: &str| Err(AppError::vault(vault_core::ErrorCode::Invalid, m));
        if let Some(secs) = self.auto_lock_secs
            && !(60..=24 * 3600).contains(&secs)
        {
            return invalid("Auto-lock must be between 1 minute and 24 hours, or never.");
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

    /// Reads both files; defaults for what is missing or cannot be understood.
    pub fn load(paths: &SettingsPaths) -> Settings {
        let file: DesktopFile = std::fs::read_to_string(&paths.desktop)
            .ok()
            .and_then(|text| toml::from_str(&text).ok())
            .unwrap_or_default();
        let auto_lock_secs = Config::load(&paths.shared)
            .and_then(|c| c.lock_after())
            .map_or(Some(DEFAULT_LOCK_AFTER_SECS), |d| d.map(|d| d.as_secs()));
        Settings {
            theme: file.theme,
            auto_lock_secs,
            clipboard_clear_secs: file.clipboard_clear_secs,
            reveal_secs: file.reveal_secs,
            vault_path: file.vault_path,
        }
    }

    pub fn save(&self, paths: &SettingsPaths) -> AppResult<()> {
        let file = DesktopFile {
            theme: self.theme,
            clipboard_clear_secs: self.clipboard_clear_secs,
            reveal_secs: self.reveal_secs,
            vault_path: self.vault_path.clone(),
        };
        write_desktop_file(&file, &paths.desktop)?;
        let lock_after = match self.auto_lock_secs {
            None => "never".to_owned(),
            Some(s) if s % 60 == 0 => format!("{}m", s / 60),
            Some(s) => format!("{s}s"),
        };
        let shared = || -> Result<(), vault_agent::AgentError> {
            let mut config = Config::load(&paths.shared)?;
            if config.get(LOCK_AFTER)? != lock_after {
                config.set(LOCK_AFTER, &lock_after)?;
            }
            Ok(())
        };
        shared().map_err(|e| AppError::app(AppErrorCode::Settings, e.to_string()))
    }
}

fn write_desktop_file(file: &DesktopFile, path: &Path) -> AppResult<()> {
    let failed = |e: std::io::Error| {
        AppError::app(
            AppErrorCode::Settings,
            format!("cannot save settings to {}: {e}", path.display()),
        )
    };
    let text = toml::to_string_pretty(file)
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

    fn paths(dir: &Path) -> SettingsPaths {
        SettingsPaths {
            desktop: dir.join("cfg/vault/desktop.toml"),
            shared: dir.join("cfg/vault/config.toml"),
        }
    }

    #[test]
    fn round_trips_and_falls_back_to_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let paths = paths(dir.path());
        assert_eq!(Settings::load(&paths), Settings::default());
        let s = Settings {
            theme: Theme::Dark,
            auto_lock_secs: Some(300),
            vault_path: Some("/tmp/x.db".into()),
            ..Settings::default()
        };
        s.save(&paths).unwrap();
        assert_eq!(Settings::load(&paths), s);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&paths.desktop)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&paths.desktop, "theme = 42\n").unwrap();
        assert_eq!(Settings::load(&paths).theme, Theme::System);
    }

    #[test]
    fn the_idle_lock_is_the_shared_setting() {
        let dir = tempfile::tempdir().unwrap();
        let paths = paths(dir.path());
        let never = Settings {
            auto_lock_secs: None,
            ..Settings::default()
        };
        never.save(&paths).unwrap();
        let shared = Config::load(&paths.shared).unwrap();
        assert_eq!(shared.get(LOCK_AFTER).unwrap(), "never");
        let mut config = Config::load(&paths.shared).unwrap();
        config.set(LOCK_AFTER, "90s").unwrap();
        assert_eq!(Settings::load(&paths).auto_lock_secs, Some(90));
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
                auto_lock_secs: Some(10),
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

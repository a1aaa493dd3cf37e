//! The user's settings: `$XDG_CONFIG_HOME/vault/config.toml`, shared by the CLI, the agent and
//! the desktop app.
//!
//! Keys are declared once in [`KEYS`] with their parser, so `vault config set` refuses a typo or
//! a bad value before it reaches the file, and every reader agrees on the meaning. Writes keep
//! keys this version does not know and replace the file atomically. Nothing secret lives here.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::AgentError;

/// A setting the user can change.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub help: &'static str,
    pub default: &'static str,
    /// Checks a value and returns it in canonical form.
    check: fn(&str) -> Result<String, String>,
}

pub const LOCK_AFTER: &str = "lock-after";
pub const DUE_LEAD: &str = "due-lead";
pub const SYNC_EVERY: &str = "sync-every";

/// Every setting.
pub const KEYS: &[Key] = &[
    Key {
        name: LOCK_AFTER,
        help: "lock the vault after this much idle time (e.g. 5m, 1h, never)",
        default: "15m",
        check: check_duration_or_never,
    },
    Key {
        name: DUE_LEAD,
        help: "`vault due` and `vault status` warn this long before a key is due or expires (e.g. 14d, 4w)",
        default: "14d",
        check: check_days,
    },
    Key {
        name: SYNC_EVERY,
        help: "a vault that syncs does so in the background this often, and soon after a change here (e.g. 2m, 1h, never); read when the agent starts",
        default: "2m",
        check: check_duration_or_never,
    },
];

/// Whole days (`14d`, `2w`, `0`), stored as `Nd`.
fn check_days(text: &str) -> Result<String, String> {
    vault_core::rotation::parse_days(text.trim())
        .map(|days| format!("{days}d"))
        .map_err(|e| e.to_string())
}

fn check_duration_or_never(text: &str) -> Result<String, String> {
    parse_duration_or_never(text).map(|_| text.trim().to_owned())
}

/// The longest duration any option takes. Longer ones are refused, not clamped: `5y` is almost
/// certainly a typo, and a duration near `u64::MAX` seconds would overflow the clock it is
/// added to.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 86_400);

/// The refusal of a duration over [`MAX_DURATION`].
pub fn too_long(text: &str) -> String {
    format!("{text:?} is longer than the 366 days any duration may be")
}

/// `15m`, `1h 30m`, `90s`, or `never`/`off` (`None`).
pub fn parse_duration_or_never(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    if matches!(text, "never" | "off" | "none") {
        return Ok(None);
    }
    let bad = || format!("{text:?} is not a duration (examples: 90s, 5m, 1h, never)");
    let d: jiff::SignedDuration = text.parse().map_err(|_| bad())?;
    let d = Duration::try_from(d).map_err(|_| bad())?;
    if d.is_zero() {
        return Err("use `never` to turn it off".into());
    }
    if d > MAX_DURATION {
        return Err(too_long(text));
    }
    Ok(Some(d))
}

/// The settings file, as read.
#[derive(Debug, Default, Clone)]
pub struct Config {
    path: PathBuf,
    table: toml::Table,
}

impl Config {
    /// The default location: `$XDG_CONFIG_HOME/vault/config.toml`.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "vault").map(|d| d.config_dir().join("config.toml"))
    }

    /// Reads the file; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<Config, AgentError> {
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(AgentError::io(format!("cannot read {}", path.display()), e)),
        };
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            AgentError::Config(format!(
                "{} is not valid TOML: {}",
                path.display(),
                e.message()
            ))
        })?;
        Ok(Config {
            path: path.to_owned(),
            table,
        })
    }

    /// The value of a known key, or its default.
    pub fn get(&self, key: &str) -> Result<String, AgentError> {
        let k = find(key)?;
        Ok(match self.table.get(k.name) {
            Some(toml::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => k.default.to_owned(),
        })
    }

    /// Whether the key was set in the file (as opposed to its default).
    pub fn is_set(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// The idle time before locking; a bad value in the file is an error naming it.
    pub fn lock_after(&self) -> Result<Option<Duration>, AgentError> {
        parse_duration_or_never(&self.get(LOCK_AFTER)?)
            .map_err(|e| AgentError::Config(format!("{}: {LOCK_AFTER}: {e}", self.path.display())))
    }

    /// How often the agent syncs in the background (`None`: never); a bad value in the file
    /// is an error naming it.
    pub fn sync_every(&self) -> Result<Option<Duration>, AgentError> {
        parse_duration_or_never(&self.get(SYNC_EVERY)?)
            .map_err(|e| AgentError::Config(format!("{}: {SYNC_EVERY}: {e}", self.path.display())))
    }

    /// How many days ahead `vault due` warns; a bad value in the file is an error naming it.
    pub fn due_lead_days(&self) -> Result<u32, AgentError> {
        vault_core::rotation::parse_days(self.get(DUE_LEAD)?.trim())
            .map_err(|e| AgentError::Config(format!("{}: {DUE_LEAD}: {e}", self.path.display())))
    }

    /// Checks and stores a value, writing the file atomically (0600).
    pub fn set(&mut self, key: &str, value: &str) -> Result<String, AgentError> {
        let k = find(key)?;
        let value = (k.check)(value).map_err(|e| AgentError::Config(format!("{key}: {e}")))?;
        self.table
            .insert(k.name.to_owned(), toml::Value::String(value.clone()));
        self.save()?;
        Ok(value)
    }

    /// Removes a key (back to its default).
    pub fn unset(&mut self, key: &str) -> Result<(), AgentError> {
        let k = find(key)?;
        if self.table.remove(k.name).is_some() {
            self.save()?;
        }
        Ok(())
    }

    fn save(&self) -> Result<(), AgentError> {
        let io = |e| AgentError::io(format!("cannot write {}", self.path.display()), e);
        let dir = self.path.parent().unwrap_or(Path::new("."));
        fs::DirBuilder::new()
            .recursive(true)
            .create(dir)
            .map_err(io)?;
        let text = toml::to_string(&self.table)
            .map_err(|e| AgentError::Config(format!("cannot write the settings: {e}")))?;
        let tmp = self.path.with_extension("toml.tmp");
        let mut f = vault_core::platform::private_file_options()
            .and_then(|mut o| o.write(true).create(true).truncate(true).open(&tmp))
            .map_err(io)?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(io)?;
        fs::rename(&tmp, &self.path).map_err(io)
    }
}

fn find(key: &str) -> Result<&'static Key, AgentError> {
    KEYS.iter().find(|k| k.name == key).ok_or_else(|| {
        let known: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        AgentError::Config(format!(
            "unknown setting {key:?}; settings are: {}",
            known.join(", ")
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration_or_never("5m").unwrap(),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            parse_duration_or_never("1h 30m").unwrap(),
            Some(Duration::from_secs(5400))
        );
        assert_eq!(parse_duration_or_never("never").unwrap(), None);
        assert!(parse_duration_or_never("0s").is_err());
        assert!(parse_duration_or_never("-5m").is_err());
        assert!(parse_duration_or_never("soon").is_err());
        assert!(parse_duration_or_never("400d").is_err());
        assert!(parse_duration_or_never("292000000000y").is_err());
    }

    #[test]
    fn set_get_keeps_unknown_keys_and_refuses_bad_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault/config.toml");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "future-key = 3\n").unwrap();
        let mut c = Config::load(&path).unwrap();
        assert_eq!(c.get(LOCK_AFTER).unwrap(), "15m");
        c.set(LOCK_AFTER, "5m").unwrap();
        assert!(c.set(LOCK_AFTER, "5 bananas").is_err());
        assert!(c.set("lock-afterr", "5m").is_err());
        let again = Config::load(&path).unwrap();
        assert_eq!(again.lock_after().unwrap(), Some(Duration::from_secs(300)));
        assert!(
            fs::read_to_string(&path)
                .unwrap()
                .contains("future-key = 3")
        );
        let mut again = again;
        again.unset(LOCK_AFTER).unwrap();
        assert_eq!(Config::load(&path).unwrap().get(LOCK_AFTER).unwrap(), "15m");
    }

    #[test]
    fn due_lead_is_whole_days() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let mut c = Config::load(&path).unwrap();
        assert_eq!(c.due_lead_days().unwrap(), 14);
        assert_eq!(c.set(DUE_LEAD, " 2w ").unwrap(), "14d");
        assert_eq!(c.set(DUE_LEAD, "30").unwrap(), "30d");
        assert_eq!(Config::load(&path).unwrap().due_lead_days().unwrap(), 30);
        for bad in ["soon", "36h", "6mo", "-1d"] {
            assert!(c.set(DUE_LEAD, bad).is_err(), "{bad}");
        }
        fs::write(&path, "due-lead = \"fortnight\"\n").unwrap();
        let err = Config::load(&path)
            .unwrap()
            .due_lead_days()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("due-lead") && err.contains("config.toml"),
            "{err}"
        );
    }

    #[test]
    fn broken_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        fs::write(&path, "lock-after = [\n").unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains("not valid TOML"), "{err}");
    }
}

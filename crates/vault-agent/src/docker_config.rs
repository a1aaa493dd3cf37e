//! vault as Docker's credential store, in the user's Docker configuration: `credsStore` (every
//! registry) or `credHelpers` (one registry) set to `vault` in `$DOCKER_CONFIG/config.json`
//! (else `~/.docker/config.json`), for `vault setup docker` and the desktop app alike. The
//! file is read as JSON: the other settings stay
//! (their order is the JSON library's), and a file that does not parse is left alone. It is
//! replaced whole (`replace_file`).

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The helper's name: Docker runs `docker-credential-vault`.
pub const HELPER: &str = "vault";
/// The program Docker runs, found on PATH.
pub const PROGRAM: &str = "docker-credential-vault";

#[derive(Debug, thiserror::Error)]
pub enum DockerConfigError {
    #[error("cannot find a home directory for ~/.docker")]
    NoHome,
    #[error("{} is not a JSON object; fix or move it, then run this again", .0.display())]
    NotJson(PathBuf),
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where Docker reads its configuration, honouring `DOCKER_CONFIG` as it does.
pub fn config_path() -> Result<PathBuf, DockerConfigError> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".docker/config.json"))
        .ok_or(DockerConfigError::NoHome)
}

fn read(path: &Path) -> Result<Map<String, Value>, DockerConfigError> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(Map::new()),
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(DockerConfigError::NotJson(path.to_owned())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(source) => Err(DockerConfigError::Io {
            what: "read",
            path: path.to_owned(),
            source,
        }),
    }
}

/// Replaces `path` with `map`, pretty-printed as Docker writes it (see
/// [`crate::replace_file`]).
fn write(path: &Path, map: &Map<String, Value>) -> Result<(), DockerConfigError> {
    let io = |(what, source)| DockerConfigError::Io {
        what,
        path: path.to_owned(),
        source,
    };
    let mut text = serde_json::to_vec_pretty(map).map_err(|e| io(("write", e.into())))?;
    text.push(b'\n');
    crate::replace_file::replace(path, &text).map_err(io)
}

/// How Docker is set up to ask vault, as the desktop app shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DockerSetup {
    /// `credsStore` is vault's: every registry.
    pub every_registry: bool,
    /// Registries whose `credHelpers` entry is vault's.
    pub registries: Vec<String>,
    /// Registries whose credentials are still in config.json (base64, readable by anyone who
    /// can read the file).
    pub plaintext: Vec<String>,
}

pub fn status(path: &Path) -> Result<DockerSetup, DockerConfigError> {
    let map = read(path)?;
    Ok(DockerSetup {
        every_registry: map.get("credsStore").and_then(Value::as_str) == Some(HELPER),
        registries: map
            .get("credHelpers")
            .and_then(Value::as_object)
            .map(|h| {
                h.iter()
                    .filter(|(_, v)| v.as_str() == Some(HELPER))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default(),
        plaintext: map
            .get("auths")
            .and_then(Value::as_object)
            .map(|a| {
                a.iter()
                    .filter(|(_, v)| {
                        v.get("auth")
                            .and_then(Value::as_str)
                            .is_some_and(|s| !s.is_empty())
                    })
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// What [`install`] changed: the previous value of the setting, if it had another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installed {
    pub already: bool,
    pub replaced: Option<String>,
}

/// Sets `credsStore` (no registry) or `credHelpers[registry]` to vault.
pub fn install(path: &Path, registry: Option<&str>) -> Result<Installed, DockerConfigError> {
    let mut map = read(path)?;
    let old = match registry {
        None => map.get("credsStore"),
        Some(r) => map.get("credHelpers").and_then(|h| h.get(r)),
    }
    .and_then(Value::as_str)
    .map(str::to_owned);
    if old.as_deref() == Some(HELPER) {
        return Ok(Installed {
            already: true,
            replaced: None,
        });
    }
    let ours = Value::String(HELPER.to_owned());
    match registry {
        None => {
            map.insert("credsStore".to_owned(), ours);
        }
        Some(r) => {
            let mut helpers = match map.remove("credHelpers") {
                Some(Value::Object(h)) => h,
                _ => Map::new(),
            };
            helpers.insert(r.to_owned(), ours);
            map.insert("credHelpers".to_owned(), Value::Object(helpers));
        }
    }
    write(path, &map)?;
    Ok(Installed {
        already: false,
        replaced: old,
    })
}

/// Takes vault out of `credsStore` (no registry) or `credHelpers[registry]`; whether it was
/// there.
pub fn uninstall(path: &Path, registry: Option<&str>) -> Result<bool, DockerConfigError> {
    let mut map = read(path)?;
    let removed = match registry {
        None if map.get("credsStore").and_then(Value::as_str) == Some(HELPER) => {
            map.remove("credsStore");
            true
        }
        None => false,
        Some(r) => {
            let Some(Value::Object(h)) = map.get_mut("credHelpers") else {
                return Ok(false);
            };
            if h.get(r).and_then(Value::as_str) != Some(HELPER) {
                return Ok(false);
            }
            h.remove(r);
            if h.is_empty() {
                map.remove("credHelpers");
            }
            true
        }
    };
    if removed {
        write(path, &map)?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn setting_up_keeps_the_other_settings_and_undo_restores_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(
            &path,
            r#"{"auths":{"ghcr.io":{"auth":"dXNlcjpwYXNz"},"quay.io":{}},"currentContext":"desktop"}"#,
        )
        .unwrap();
        let first = install(&path, None).unwrap();
        assert!(!first.already && first.replaced.is_none());
        assert!(install(&path, None).unwrap().already);
        assert!(install(&path, Some("registry.example.com:5000")).is_ok());
        let s = status(&path).unwrap();
        assert!(s.every_registry);
        assert_eq!(s.registries, ["registry.example.com:5000"]);
        assert_eq!(s.plaintext, ["ghcr.io"]);
        assert!(uninstall(&path, None).unwrap());
        assert!(uninstall(&path, Some("registry.example.com:5000")).unwrap());
        assert!(!uninstall(&path, None).unwrap());
        let back: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            back,
            serde_json::json!({"auths":{"ghcr.io":{"auth":"dXNlcjpwYXNz"},"quay.io":{}},"currentContext":"desktop"})
        );
    }

    #[test]
    fn a_file_that_is_not_json_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, "{ not json").unwrap();
        assert!(matches!(
            install(&path, None),
            Err(DockerConfigError::NotJson(_))
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
    }
}

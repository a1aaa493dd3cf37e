//! vault as the AWS CLI's and SDKs' `credential_process`, in the user's AWS config files: read,
//! set and removed for `vault setup aws` and the desktop app alike. The files are
//! `$AWS_CONFIG_FILE` (else `~/.aws/config`) and `$AWS_SHARED_CREDENTIALS_FILE` (else
//! `~/.aws/credentials`), as the SDKs find them; they are edited line by line ([`ini`]) and
//! replaced whole (`replace_file`).

pub mod ini;

use std::path::{Path, PathBuf};

use ini::{Ini, Set};

/// What vault's `credential_process` runs, after the program (and its `--vault`).
const SUBCOMMAND: &str = " aws ";

#[derive(Debug, thiserror::Error)]
pub enum AwsConfigError {
    #[error("cannot find a home directory for ~/.aws")]
    NoHome,
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The two files the SDKs read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsFiles {
    pub config: PathBuf,
    pub credentials: PathBuf,
}

impl AwsFiles {
    /// Where the AWS CLI and SDKs look, honouring the same environment variables.
    pub fn locate() -> Result<AwsFiles, AwsConfigError> {
        let home = || {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".aws"))
                .ok_or(AwsConfigError::NoHome)
        };
        let config = match std::env::var_os("AWS_CONFIG_FILE").filter(|v| !v.is_empty()) {
            Some(p) => PathBuf::from(p),
            None => home()?.join("config"),
        };
        let credentials =
            match std::env::var_os("AWS_SHARED_CREDENTIALS_FILE").filter(|v| !v.is_empty()) {
                Some(p) => PathBuf::from(p),
                None => home()?.join("credentials"),
            };
        Ok(AwsFiles {
            config,
            credentials,
        })
    }
}

/// The config file's section of a profile: `[default]` or `[profile NAME]`.
pub fn config_section(profile: &str) -> String {
    if profile == "default" {
        "default".to_owned()
    } else {
        format!("profile {profile}")
    }
}

/// `'/usr/bin/vault' aws NAME`: botocore splits it as a POSIX shell would, with no shell.
pub fn process_line(program: &Path, vault: Option<&Path>, item: &str) -> String {
    let mut line = quote(&program.to_string_lossy());
    if let Some(v) = vault {
        line.push_str(" --vault ");
        line.push_str(&quote(&v.to_string_lossy()));
    }
    line.push_str(SUBCOMMAND);
    line.push_str(&quote(item));
    line
}

fn quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:@,".contains(&b))
    {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Whether a `credential_process` line runs vault (wherever it was installed).
pub fn is_ours(line: &str) -> bool {
    line.contains("vault") && line.contains(SUBCOMMAND)
}

/// A profile that gets its keys from vault, as the desktop app lists them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AwsProfile {
    pub profile: String,
    /// The `credential_process` line.
    pub process: String,
    /// The credentials file also has keys for this profile: they win over vault's.
    pub shadowed: bool,
}

/// The credentials file's profiles that hold an access key (what `--migrate` moves). Its
/// `Debug` shows the profile and key id, never the secret or the token.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKeys {
    pub profile: String,
    pub access_key_id: String,
    pub secret_access_key: zeroize::Zeroizing<String>,
    pub session_token: Option<zeroize::Zeroizing<String>>,
}

impl std::fmt::Debug for StoredKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKeys")
            .field("profile", &self.profile)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// The settings of the credentials file that are secrets: what `--migrate` takes out.
pub const SECRET_KEYS: [&str; 3] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
];

fn read(path: &Path) -> Result<Ini, AwsConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Ini::parse(&text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Ini::default()),
        Err(source) => Err(AwsConfigError::Io {
            what: "read",
            path: path.to_owned(),
            source,
        }),
    }
}

/// Replaces `path` with `ini` (see [`crate::replace_file`]).
fn write(path: &Path, ini: &Ini) -> Result<(), AwsConfigError> {
    crate::replace_file::replace(path, ini.render().as_bytes()).map_err(|(what, source)| {
        AwsConfigError::Io {
            what,
            path: path.to_owned(),
            source,
        }
    })
}

/// What [`install`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installed {
    pub section: String,
    pub line: String,
    /// It was there already: nothing changed.
    pub already: bool,
    /// The `credential_process` it replaced.
    pub replaced: Option<String>,
    /// The credentials file has keys for this profile, which the SDKs use first.
    pub shadowed: bool,
}

/// Sets the profile's `credential_process` to `line`.
pub fn install(files: &AwsFiles, profile: &str, line: &str) -> Result<Installed, AwsConfigError> {
    let mut config = read(&files.config)?;
    let section = config_section(profile);
    let set = config.set(&section, "credential_process", line);
    if set != Set::Unchanged {
        write(&files.config, &config)?;
    }
    Ok(Installed {
        section,
        line: line.to_owned(),
        already: set == Set::Unchanged,
        replaced: match set {
            Set::Replaced(old) => Some(old),
            _ => None,
        },
        shadowed: has_keys(&read(&files.credentials)?, profile),
    })
}

fn has_keys(credentials: &Ini, profile: &str) -> bool {
    credentials.get(profile, "aws_access_key_id").is_some()
}

/// Removes vault's `credential_process` from the profile (and the section, if nothing else is
/// left in it); the line removed, if there was one of vault's.
pub fn uninstall(files: &AwsFiles, profile: &str) -> Result<Option<String>, AwsConfigError> {
    let mut config = read(&files.config)?;
    let section = config_section(profile);
    match config.get(&section, "credential_process") {
        Some(line) if is_ours(&line) => {
            config.remove(&section, "credential_process");
            config.drop_if_empty(&section);
            write(&files.config, &config)?;
            Ok(Some(line))
        }
        _ => Ok(None),
    }
}

/// Every profile whose `credential_process` is vault's.
pub fn profiles(files: &AwsFiles) -> Result<Vec<AwsProfile>, AwsConfigError> {
    let config = read(&files.config)?;
    let credentials = read(&files.credentials)?;
    Ok(config
        .sections()
        .into_iter()
        .filter_map(|section| {
            let process = config.get(&section, "credential_process")?;
            if !is_ours(&process) {
                return None;
            }
            let profile = match section.strip_prefix("profile ") {
                Some(p) => p.trim().to_owned(),
                None => section.clone(),
            };
            Some(AwsProfile {
                shadowed: has_keys(&credentials, &profile),
                profile,
                process,
            })
        })
        .collect())
}

/// The profiles whose access keys are in plain in the credentials file and that do not ask
/// vault (those that do are [`AwsProfile::shadowed`]): what `--migrate` would move.
pub fn plain_profiles(
    files: &AwsFiles,
    asking: &[AwsProfile],
) -> Result<Vec<String>, AwsConfigError> {
    Ok(stored_keys(files)?
        .into_iter()
        .map(|k| k.profile.clone())
        .filter(|p| !asking.iter().any(|a| a.profile == *p))
        .collect())
}

/// The access keys the credentials file holds, by profile.
pub fn stored_keys(files: &AwsFiles) -> Result<Vec<StoredKeys>, AwsConfigError> {
    let credentials = read(&files.credentials)?;
    Ok(credentials
        .sections()
        .into_iter()
        .filter_map(|profile| {
            let id = credentials.get(&profile, "aws_access_key_id")?;
            let secret = credentials.get(&profile, "aws_secret_access_key")?;
            Some(StoredKeys {
                access_key_id: id,
                secret_access_key: zeroize::Zeroizing::new(secret),
                session_token: credentials
                    .get(&profile, "aws_session_token")
                    .map(zeroize::Zeroizing::new),
                profile,
            })
        })
        .collect())
}

/// Takes the keys of `profiles` out of the credentials file, after copying it whole to
/// `backup` (0600, never over an existing file). Sections left with nothing are removed.
pub fn remove_keys(
    files: &AwsFiles,
    profiles: &[String],
    backup: &Path,
) -> Result<(), AwsConfigError> {
    let io = |what, path: &Path, source| AwsConfigError::Io {
        what,
        path: path.to_owned(),
        source,
    };
    let original =
        std::fs::read(&files.credentials).map_err(|e| io("read", &files.credentials, e))?;
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        use std::io::Write;
        let mut file = options.open(backup).map_err(|e| io("create", backup, e))?;
        file.write_all(&original)
            .and_then(|()| file.sync_all())
            .map_err(|e| io("write", backup, e))?;
    }
    let mut credentials = Ini::parse(&String::from_utf8_lossy(&original));
    for profile in profiles {
        for key in SECRET_KEYS {
            credentials.remove(profile, key);
        }
        credentials.drop_if_empty(profile);
    }
    write(&files.credentials, &credentials)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn files(dir: &Path) -> AwsFiles {
        AwsFiles {
            config: dir.join("config"),
            credentials: dir.join("credentials"),
        }
    }

    #[test]
    fn the_process_line_is_split_by_botocore_as_written() {
        assert_eq!(
            process_line(Path::new("/usr/bin/vault"), None, "aws-prod"),
            "/usr/bin/vault aws aws-prod"
        );
        assert_eq!(
            process_line(
                Path::new("/opt/my tools/vault"),
                Some(Path::new("/v/it's.db")),
                "a b"
            ),
            r"'/opt/my tools/vault' --vault '/v/it'\''s.db' aws 'a b'"
        );
    }

    #[test]
    fn install_is_idempotent_and_undo_leaves_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        std::fs::write(&f.config, "[profile work]\nregion = eu-west-1\n").unwrap();
        std::fs::write(&f.credentials, "[work]\naws_access_key_id = AKIAX\n").unwrap();
        let line = process_line(Path::new("/usr/bin/vault"), None, "aws-work");
        let first = install(&f, "work", &line).unwrap();
        assert!(!first.already && first.shadowed);
        assert!(install(&f, "work", &line).unwrap().already);
        assert!(install(&f, "default", &line).unwrap().section == "default");
        let listed = profiles(&f).unwrap();
        assert_eq!(
            listed
                .iter()
                .map(|p| p.profile.as_str())
                .collect::<Vec<_>>(),
            ["work", "default"]
        );
        assert_eq!(
            uninstall(&f, "work").unwrap().as_deref(),
            Some(line.as_str())
        );
        assert_eq!(uninstall(&f, "work").unwrap(), None);
        assert_eq!(
            uninstall(&f, "default").unwrap().as_deref(),
            Some(line.as_str())
        );
        assert_eq!(
            std::fs::read_to_string(&f.config).unwrap(),
            "[profile work]\nregion = eu-west-1\n"
        );
    }

    #[test]
    fn keys_leave_the_credentials_file_and_a_backup_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        let f = files(dir.path());
        let text = "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s1\n\n\
                    [work]\naws_access_key_id = ASIA2\naws_secret_access_key = s2\n\
                    aws_session_token = t2\nregion = us-east-1\n";
        std::fs::write(&f.credentials, text).unwrap();
        let keys = stored_keys(&f).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            keys[1].session_token.as_deref().map(String::as_str),
            Some("t2")
        );
        let shown = format!("{keys:?}");
        assert!(shown.contains("ASIA2") && !shown.contains("s2") && !shown.contains("t2"));
        let backup = dir.path().join("credentials.bak");
        remove_keys(&f, &["default".into(), "work".into()], &backup).unwrap();
        assert_eq!(std::fs::read_to_string(&backup).unwrap(), text);
        assert_eq!(
            std::fs::read_to_string(&f.credentials).unwrap(),
            "[work]\nregion = us-east-1\n"
        );
        assert!(
            remove_keys(&f, &[], &backup).is_err(),
            "a backup is never overwritten"
        );
    }
}

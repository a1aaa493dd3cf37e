//! vault as one of git's credential helpers, in the user's global git configuration: read,
//! added and removed through `git config` itself (never by editing the file), for `vault setup
//! git` and the desktop app's settings alike.

use std::path::Path;
use std::process::Command;

/// What vault's helper line ends with; `--undo` removes any of vault's, wherever the program
/// was installed when it was added.
const SUFFIX: &str = " git-credential";

#[derive(Debug, thiserror::Error)]
pub enum GitConfigError {
    #[error("cannot run git (is it installed?): {0}")]
    NoGit(std::io::Error),
    #[error("git config failed: {0}")]
    Failed(String),
}

/// Where vault stands among git's credential helpers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GitHelpers {
    /// Every `credential.helper` of the global config, in the order git asks them.
    pub helpers: Vec<String>,
    /// Vault's own line among them, if any.
    pub ours: Option<String>,
    /// The helpers git asks before vault's: a credential they hold wins.
    pub before: Vec<String>,
}

/// What [`install`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installed {
    pub line: String,
    /// It was there already: nothing changed.
    pub already: bool,
    /// Another vault line it replaced (another install's path, another vault).
    pub replaced: Option<String>,
    pub before: Vec<String>,
}

pub fn is_ours(helper: &str) -> bool {
    helper.starts_with('!') && helper.contains("vault") && helper.ends_with(SUFFIX)
}

/// `!'/usr/bin/vault' git-credential`: git runs it with the shell, adding the action.
pub fn helper_line(program: &Path, vault: Option<&Path>) -> String {
    let mut line = format!("!{}", quote(&program.to_string_lossy()));
    if let Some(v) = vault {
        line.push_str(" --vault ");
        line.push_str(&quote(&v.to_string_lossy()));
    }
    line.push_str(SUFFIX);
    line
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The global config's helpers now.
pub fn helpers() -> Result<GitHelpers, GitConfigError> {
    let out = Command::new("git")
        .args(["config", "--global", "--get-all", "credential.helper"])
        .output()
        .map_err(GitConfigError::NoGit)?;
    // Exit 1: none configured.
    let helpers: Vec<String> = match out.status.code() {
        Some(0) => String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect(),
        Some(1) => Vec::new(),
        _ => {
            return Err(GitConfigError::Failed(
                String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            ));
        }
    };
    let ours = helpers.iter().find(|h| is_ours(h)).cloned();
    let before = helpers
        .iter()
        .take_while(|h| !is_ours(h))
        .filter(|h| !h.is_empty())
        .cloned()
        .collect();
    Ok(GitHelpers {
        helpers,
        ours,
        before,
    })
}

fn git(args: &[&str]) -> Result<(), GitConfigError> {
    let out = Command::new("git")
        .args(args)
        .output()
        .map_err(GitConfigError::NoGit)?;
    if out.status.success() {
        Ok(())
    } else {
        Err(GitConfigError::Failed(format!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

/// Adds `program` (with `vault`, when not the default) as a helper, replacing another vault
/// line so git asks one vault once.
pub fn install(program: &Path, vault: Option<&Path>) -> Result<Installed, GitConfigError> {
    let line = helper_line(program, vault);
    let now = helpers()?;
    if now.helpers.contains(&line) {
        return Ok(Installed {
            line,
            already: true,
            replaced: None,
            before: now.before,
        });
    }
    let replaced = now.ours.clone();
    if let Some(old) = &replaced {
        git(&[
            "config",
            "--global",
            "--fixed-value",
            "--unset-all",
            "credential.helper",
            old,
        ])?;
    }
    git(&["config", "--global", "--add", "credential.helper", &line])?;
    Ok(Installed {
        line,
        already: false,
        replaced,
        before: helpers()?.before,
    })
}

/// Removes every vault line; returns them.
pub fn uninstall() -> Result<Vec<String>, GitConfigError> {
    let ours: Vec<String> = helpers()?
        .helpers
        .into_iter()
        .filter(|h| is_ours(h))
        .collect();
    for h in &ours {
        git(&[
            "config",
            "--global",
            "--fixed-value",
            "--unset-all",
            "credential.helper",
            h,
        ])?;
    }
    Ok(ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_helper_line_is_shell_quoted_and_recognised() {
        let line = helper_line(
            Path::new("/opt/my vault/vault"),
            Some(Path::new("/v/it's.db")),
        );
        assert_eq!(
            line,
            r"!'/opt/my vault/vault' --vault '/v/it'\''s.db' git-credential"
        );
        assert!(is_ours(&line));
        assert!(!is_ours("store"));
        assert!(!is_ours("!gopass git-credential"));
    }
}

//! `vault setup pre-commit`: `vault scan --staged` as the repository's pre-commit hook, where
//! git looks for hooks (`core.hooksPath` included). A hook that is not vault's is never
//! replaced or removed.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::run::shell_quote;

/// The line that marks a hook as vault's own.
const MARK: &str = "# Installed by `vault setup pre-commit`.";

fn hook_path() -> Result<PathBuf> {
    let out = Command::new("git")
        .args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!(
            "not in a git repository: run `vault setup pre-commit` inside the repository to \
             protect"
        );
    }
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    Ok(Path::new(&dir).join("pre-commit"))
}

fn script(program: &Path, vault: Option<&Path>) -> String {
    let vault = vault
        .map(|v| format!(" --vault {}", shell_quote(&v.to_string_lossy())))
        .unwrap_or_default();
    format!(
        "#!/bin/sh\n{MARK}\n\
         # Refuses a commit that adds a value stored in the vault or a key in a known format.\n\
         # Skip it once with `git commit --no-verify`; remove it with `vault setup pre-commit --undo`.\n\
         exec {}{vault} scan --staged\n",
        shell_quote(&program.to_string_lossy())
    )
}

/// This repository's pre-commit hook and whether it is vault's; `None` outside a repository.
pub fn hook_status() -> Option<(PathBuf, bool)> {
    let path = hook_path().ok()?;
    let ours = std::fs::read_to_string(&path).is_ok_and(|t| t.contains(MARK));
    Some((path, ours))
}

pub fn pre_commit(vault: Option<&Path>, undo: bool) -> Result<()> {
    let path = hook_path()?;
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let ours = existing.as_deref().is_some_and(|t| t.contains(MARK));
    if undo {
        match (&existing, ours) {
            (None, _) => eprintln!("No pre-commit hook at {}: nothing to undo.", path.display()),
            (Some(_), false) => bail!(
                "{} is not vault's hook; it is left as it is",
                path.display()
            ),
            (Some(_), true) => {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
                eprintln!("Removed vault's pre-commit hook ({}).", path.display());
            }
        }
        return Ok(());
    }
    if existing.is_some() && !ours {
        bail!(
            "{} already holds a pre-commit hook that is not vault's; it is left as it is. Add \
             this line to it:\n  vault scan --staged",
            path.display()
        );
    }
    let text = script(&super::setup::program()?, vault);
    if existing.as_deref() == Some(text.as_str()) {
        eprintln!("Already set up: {}", path.display());
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    write_executable(&path, &text)?;
    eprintln!(
        "Installed {}:\n{}\
         git now refuses a commit that adds a stored value or a key in a known format, naming \
         the file and line. Undo with `vault setup pre-commit --undo`.",
        path.display(),
        text.lines().map(|l| format!("  {l}\n")).collect::<String>()
    );
    Ok(())
}

#[cfg(unix)]
fn write_executable(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let tmp = path.with_extension("vault-tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o755)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(not(unix))]
fn write_executable(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

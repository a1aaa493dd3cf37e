//! `vault setup git [--undo]`: adds (or removes) vault as a credential helper in the user's
//! global git configuration (see `vault_agent::git_config`) and says what changed.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vault_agent::git_config;

pub fn setup(vault: Option<&Path>, undo: bool) -> Result<()> {
    if undo {
        let removed = git_config::uninstall()?;
        if removed.is_empty() {
            eprintln!("vault is not one of git's credential helpers: nothing to undo.");
        }
        for h in removed {
            eprintln!("Removed from your global git config: credential.helper = {h}");
        }
        return Ok(());
    }
    let done = git_config::install(&program()?, vault)?;
    if done.already {
        eprintln!("Already set up: credential.helper = {}", done.line);
    } else {
        if let Some(old) = &done.replaced {
            eprintln!("Replaced credential.helper = {old}");
        }
        eprintln!(
            "Added to your global git config (~/.gitconfig):\n  [credential]\n  \thelper = {}",
            done.line
        );
    }
    if !done.before.is_empty() {
        eprintln!(
            "git asks {} first: a credential it holds for a host wins over vault's.",
            done.before.join(", ")
        );
    }
    eprintln!(
        "git now asks vault for HTTPS credentials: an OAuth grant's fresh token (github.com, \
         gitlab.com, or its provider's hosts) or an API key allowed to go to that host, with its \
         `username` field. Undo with `vault setup git --undo`."
    );
    Ok(())
}

/// The `vault` users run: this program, or the front next to it when this is `vault-full`.
pub(crate) fn program() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    if exe.file_name().is_some_and(|n| n == "vault-full")
        && let Some(front) = exe.parent().map(|d| d.join("vault"))
        && front.is_file()
    {
        return Ok(front);
    }
    Ok(exe)
}

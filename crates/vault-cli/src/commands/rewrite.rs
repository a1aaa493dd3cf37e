//! After an import from a file that held secrets in plaintext, offered (never forced): a
//! `.env` becomes a `.vault.env` of `vault://` references beside it, and a shell profile's
//! imported `export NAME=value` lines become `export NAME='vault://NAME'` (resolved by
//! `vault run`). The original is kept as `FILE.vault-backup`, for the user to delete.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vault_core::refs::Reference;
use vault_import::Format;

use vault_import::aws::Joined;

use crate::exit::{self, Failure};
use crate::output;
use crate::session::{confirm, interactive};

/// The backup of `file`: `FILE.vault-backup`.
fn backup_of(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".vault-backup");
    PathBuf::from(name)
}

/// The references a rewritten file holds: each item now holding one of its values, under its
/// variable, and the variables an AWS access key took in as fields (`vault://ITEM/FIELD`).
pub(super) fn references(holding: &[String], joined: Option<&Joined>) -> Vec<(String, String)> {
    let mut refs: Vec<(String, String)> = holding
        .iter()
        .map(|name| {
            let env = if vault_core::names::check_env_name(name).is_ok() {
                name.clone()
            } else {
                vault_core::names::env_name_for(name)
            };
            let reference = Reference {
                item: name.clone(),
                field: None,
            };
            (env, reference.to_string())
        })
        .collect();
    if let Some(j) = joined.filter(|j| holding.contains(&j.item)) {
        for (var, field) in &j.fields {
            let reference = Reference {
                item: j.item.clone(),
                field: Some((*field).to_owned()),
            };
            refs.push((var.clone(), reference.to_string()));
        }
    }
    refs
}

/// Offers the rewrite of `file` (read as `format`) as `refs` (variable, reference; see
/// [`references`]): asked at a terminal, done at once with `--rewrite`, else one line saying
/// how. `dotenv`: an `env` source that was a dotenv file (not `vault export`'s JSON).
pub(super) fn offer(
    file: &Path,
    format: Format,
    dotenv: bool,
    refs: &[(String, String)],
    rewrite: bool,
) -> Result<()> {
    let kind = match format {
        Format::Env if dotenv => "a .vault.env of vault:// references beside it",
        Format::Shell => "export NAME='vault://NAME' lines, which `vault run` resolves",
        _ => return Ok(()),
    };
    if refs.is_empty() || file == Path::new("-") {
        return Ok(());
    }
    let question = format!(
        "{} still holds {} in plaintext. Rewrite it as {kind} (the original kept as {})?",
        file.display(),
        output::count(refs.len(), "secret"),
        backup_of(file).display()
    );
    let go = if rewrite {
        true
    } else if interactive() {
        confirm(&question)?
    } else {
        eprintln!(
            "{} still holds the imported values in plaintext: `vault import {} --rewrite` \
             turns it into {kind}, keeping a backup.",
            file.display(),
            file.display()
        );
        false
    };
    if !go {
        return Ok(());
    }
    match format {
        Format::Shell => rewrite_profile(file, refs),
        _ => rewrite_env(file, refs),
    }
}

pub(super) fn keep_backup(file: &Path) -> Result<PathBuf> {
    let backup = backup_of(file);
    if backup.exists() {
        return Err(Failure::new(
            exit::EXISTS,
            format!(
                "{} exists (an earlier backup?): nothing was rewritten",
                backup.display()
            ),
        )
        .into());
    }
    Ok(backup)
}

fn rewrite_env(file: &Path, refs: &[(String, String)]) -> Result<()> {
    let backup = keep_backup(file)?;
    let target = file.with_file_name(".vault.env");
    let mut text = String::from("# Written by `vault import --rewrite`: references, not values.\n");
    for (env, reference) in refs {
        text.push_str(&format!("{env}={reference}\n"));
    }
    output::write_private(&target, text.as_bytes(), false)?;
    std::fs::rename(file, &backup)
        .with_context(|| format!("cannot move {} to {}", file.display(), backup.display()))?;
    eprintln!(
        "Wrote {} ({} references) and moved the plaintext to {}: delete it once you no longer \
         need it. `vault allow` in that folder lets `vault run` use the new file.",
        target.display(),
        refs.len(),
        backup.display()
    );
    Ok(())
}

fn rewrite_profile(file: &Path, refs: &[(String, String)]) -> Result<()> {
    let refs: HashMap<&str, &str> = refs
        .iter()
        .map(|(env, r)| (env.as_str(), r.as_str()))
        .collect();
    let backup = keep_backup(file)?;
    let original =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut changed = 0;
    let mut out = String::with_capacity(original.len());
    for line in original.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let indent = &body[..body.len() - body.trim_start().len()];
        let name = body
            .trim_start()
            .strip_prefix("export ")
            .and_then(|r| r.trim_start().split_once('='))
            .map(|(n, _)| n);
        match name.and_then(|n| Some((n, *refs.get(n)?))) {
            Some((n, reference)) => {
                out.push_str(&format!("{indent}export {n}='{reference}'"));
                out.push_str(&line[body.len()..]);
                changed += 1;
            }
            _ => out.push_str(line),
        }
    }
    // The backup holds the secrets: readable by the user only.
    output::write_private(&backup, original.as_bytes(), false)?;
    output::write_private(file, out.as_bytes(), true)?;
    eprintln!(
        "Rewrote {changed} line(s) of {} as vault:// references (`vault run -- CMD` resolves \
         them) and kept the original as {}: delete it once you no longer need it.",
        file.display(),
        backup.display()
    );
    Ok(())
}

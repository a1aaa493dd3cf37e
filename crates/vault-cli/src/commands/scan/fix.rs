//! `vault scan --fix`: the rewrites `vault import --rewrite` makes, for stored values found
//! where a line is plainly `NAME=value`. A `.env` file's line moves to a `.vault.env` beside it
//! as `NAME=vault://ITEM`; a shell profile's `export NAME=value` becomes
//! `export NAME='vault://ITEM'`. Each file is kept as `FILE.vault-backup` (mode 0600) first.
//! Anything else is listed for the user to edit: a rewrite must never change what a program
//! means.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vault_core::vault::SecretRole;
use vault_scan::{Finding, Found, Report};

use crate::output;
use crate::session::{confirm, interactive};

const PROFILES: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".profile",
    ".zshrc",
    ".zshenv",
    ".zprofile",
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Dotenv,
    Profile,
}

fn kind(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_str()?;
    if PROFILES.contains(&name) {
        return Some(Kind::Profile);
    }
    let dotenv = name == ".env" || name.starts_with(".env.") || name.ends_with(".env");
    (dotenv && name != ".vault.env" && !name.ends_with(".vault-backup")).then_some(Kind::Dotenv)
}

/// The reference a current value is reached by; none for previous values and refresh tokens.
fn reference(found: &Found) -> Option<String> {
    let Found::Stored { stored_as } = found else {
        return None;
    };
    stored_as.iter().find_map(|s| {
        let path = match &s.role {
            SecretRole::Value | SecretRole::AccessToken => s.item.clone(),
            SecretRole::Field { field } => format!("{}/{field}", s.item),
            _ => return None,
        };
        Some(format!("{}{path}", vault_core::refs::SCHEME))
    })
}

/// `NAME` when `line` is `[export ]NAME=` + an optional quote + exactly the finding's span +
/// the same quote + an optional comment.
fn assignment(line: &str, f: &Finding, kind: Kind) -> Option<String> {
    let chars: Vec<char> = line.chars().collect();
    let start = (f.column as usize).checked_sub(1)?;
    let end = (f.end_column as usize).checked_sub(1)?;
    let before: String = chars.get(..start)?.iter().collect();
    let after: String = chars.get(end..)?.iter().collect();
    let (before, quote) = match before.chars().last() {
        Some(q @ ('"' | '\'')) => (before[..before.len() - 1].to_owned(), Some(q)),
        _ => (before, None),
    };
    let after = match quote {
        Some(q) => after.strip_prefix(q)?.to_owned(),
        None => after,
    };
    let rest = after.trim_start();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    let body = before.trim_start();
    let body = match kind {
        Kind::Profile => body.strip_prefix("export ")?.trim_start(),
        Kind::Dotenv => body.strip_prefix("export ").unwrap_or(body).trim_start(),
    };
    let name = body.strip_suffix('=')?;
    vault_core::names::check_env_name(name)
        .is_ok()
        .then(|| name.to_owned())
}

struct Change {
    line: usize,
    name: String,
    reference: String,
}

pub(super) fn fix(report: &Report, cwd: &Path, yes: bool) -> Result<()> {
    let mut plans: BTreeMap<PathBuf, (Kind, Vec<Change>)> = BTreeMap::new();
    let mut by_hand = Vec::new();
    for f in &report.findings {
        let path = cwd.join(&f.path);
        let planned = kind(&path)
            .zip(reference(&f.found))
            .and_then(|(k, reference)| {
                let text = std::fs::read_to_string(&path).ok()?;
                let line = text.lines().nth((f.line as usize).checked_sub(1)?)?;
                let name = assignment(line, f, k)?;
                Some((k, reference, name))
            });
        match planned {
            Some((k, reference, name)) => {
                plans.entry(path).or_insert((k, Vec::new())).1.push(Change {
                    line: f.line as usize,
                    name,
                    reference,
                })
            }
            None => by_hand.push(format!("{}:{}", f.path, f.line)),
        }
    }
    for (path, (kind, changes)) in &plans {
        let what = match kind {
            Kind::Dotenv => format!(
                "move {} line(s) to {} as vault:// references",
                changes.len(),
                shown(&vault_env(path), cwd)
            ),
            Kind::Profile => format!(
                "rewrite {} export line(s) as vault:// references",
                changes.len()
            ),
        };
        eprintln!(
            "{}: {what} (the original kept as {}.vault-backup)",
            shown(path, cwd),
            shown(path, cwd)
        );
    }
    if !by_hand.is_empty() {
        eprintln!(
            "Not rewritten (not a plain NAME=value line of a .env file or shell profile, or not a \
             current value): {}. Edit {} by hand.",
            by_hand.join(", "),
            if by_hand.len() == 1 { "it" } else { "them" }
        );
    }
    if plans.is_empty() {
        return Ok(());
    }
    let go = yes
        || (interactive() && confirm(&format!("Rewrite {}?", output::count(plans.len(), "file")))?);
    if !go {
        eprintln!("Nothing rewritten (--yes rewrites without asking).");
        return Ok(());
    }
    for (path, (kind, changes)) in plans {
        rewrite(&path, kind, &changes, cwd)?;
    }
    Ok(())
}

/// A path as the user named it: relative to the current folder when under it.
fn shown(path: &Path, cwd: &Path) -> String {
    path.strip_prefix(cwd).unwrap_or(path).display().to_string()
}

fn vault_env(file: &Path) -> PathBuf {
    file.with_file_name(".vault.env")
}

fn rewrite(path: &Path, kind: Kind, changes: &[Change], cwd: &Path) -> Result<()> {
    let original =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let backup = super::super::rewrite::keep_backup(path)?;
    let mut out = String::with_capacity(original.len());
    for (i, line) in original.split_inclusive('\n').enumerate() {
        match changes.iter().find(|c| c.line == i + 1) {
            None => out.push_str(line),
            Some(_) if kind == Kind::Dotenv => {}
            Some(c) => {
                let body = line.trim_end_matches(['\n', '\r']);
                let indent = &body[..body.len() - body.trim_start().len()];
                out.push_str(&format!("{indent}export {}='{}'", c.name, c.reference));
                out.push_str(&line[body.len()..]);
            }
        }
    }
    // The backup holds the secrets: readable by the user only.
    output::write_private(&backup, original.as_bytes(), false)?;
    if kind == Kind::Dotenv {
        let target = vault_env(path);
        let mut refs = std::fs::read_to_string(&target).unwrap_or_default();
        if !refs.is_empty() && !refs.ends_with('\n') {
            refs.push('\n');
        }
        for c in changes {
            refs.push_str(&format!("{}={}\n", c.name, c.reference));
        }
        output::write_private(&target, refs.as_bytes(), true)?;
        eprintln!(
            "Moved {} to {} (run `vault allow` there so `vault run` uses it).",
            output::count(changes.len(), "secret"),
            shown(&target, cwd)
        );
    }
    output::write_private(path, out.as_bytes(), true)?;
    eprintln!(
        "Rewrote {}; the original is {}: delete it once you no longer need it.",
        shown(path, cwd),
        shown(&backup, cwd)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(line: &str, value: &str) -> Finding {
        let start = line.find(value).unwrap_or(0);
        let column = line[..start].chars().count() as u32 + 1;
        Finding {
            path: ".env".into(),
            line: 1,
            column,
            end_column: column + value.chars().count() as u32,
            commit: None,
            found: Found::Format {
                format: String::new(),
                description: String::new(),
            },
        }
    }

    #[test]
    fn only_plain_assignments_are_rewritten() {
        let v = "s3cr3t-value";
        for (line, kind, name) in [
            ("API_KEY=s3cr3t-value", Kind::Dotenv, Some("API_KEY")),
            (
                "export API_KEY=\"s3cr3t-value\"  # prod",
                Kind::Profile,
                Some("API_KEY"),
            ),
            ("API_KEY='s3cr3t-value' # x", Kind::Dotenv, Some("API_KEY")),
            ("API_KEY=s3cr3t-value-and-more", Kind::Dotenv, None),
            ("URL=https://u:s3cr3t-value@host", Kind::Dotenv, None),
            ("API_KEY=s3cr3t-value", Kind::Profile, None),
            ("curl -H s3cr3t-value", Kind::Profile, None),
        ] {
            let got = assignment(line, &finding(line, v), kind);
            assert_eq!(got.as_deref(), name, "{line}");
        }
    }
}

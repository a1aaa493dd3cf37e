//! `vault import` and `vault export`.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Result;
use serde::Serialize;
use vault_agent::protocol::{ImportEntry, Op, Response};
use vault_core::model::{Item, OnConflict, Recognised};
use vault_core::{dotenv, formats};
use zeroize::Zeroizing;

use crate::cli::{ExportFormat, ImportArgs};
use crate::exit::{self, fail};
use crate::output;
use crate::session::{Session, confirm, interactive};

use crate::exit::unexpected;

#[derive(Serialize)]
struct ImportSummary<'a> {
    /// The format the file was read as (`--from`'s names).
    format: &'static str,
    dry_run: bool,
    /// Entries whose value is a `vault://` reference (stored as that text).
    references: &'a [String],
    added: &'a [String],
    rotated: &'a [String],
    skipped: &'a [vault_core::model::Skipped],
    recognised: &'a [Recognised],
    /// Variables that became fields of another entry's item (an AWS access key's id and
    /// session token).
    joined: Vec<JoinedVar<'a>>,
}

#[derive(Serialize)]
struct JoinedVar<'a> {
    variable: &'a str,
    item: &'a str,
    field: &'a str,
}

pub(super) fn import(session: &mut Session, args: ImportArgs) -> Result<()> {
    let super::sources::Source {
        format,
        parsed,
        metas,
        joined,
    } = super::sources::read(session, &args)?;
    let ImportArgs {
        file,
        tag: tags,
        rotate_existing,
        dry_run,
        json,
        rewrite,
        ..
    } = args;
    // A dotenv line carries no metadata (but for an AWS key's joined entry); `vault
    // export`'s JSON always does.
    let dotenv = parsed
        .entries
        .iter()
        .zip(&metas)
        .all(|(e, m)| m.is_none() || joined.as_ref().is_some_and(|j| j.item == e.key));
    let mut skipped = parsed.skipped;
    // A value that is itself a reference would be stored as the reference's text, not the
    // secret it names: almost always a project file imported by mistake.
    let references: Vec<String> = parsed
        .entries
        .iter()
        .filter(|e| {
            e.value
                .expose()
                .trim_start()
                .starts_with(vault_core::refs::SCHEME)
        })
        .map(|e| e.key.clone())
        .collect();
    let (added, rotated, recognised) = if dry_run {
        // What exists decides between "add" and "skip" (or "rotate"): ask, change nothing.
        let existing: std::collections::HashSet<String> = match session.op(Op::List {
            query: None,
            tag: None,
        })? {
            Response::Items { items } => items
                .into_iter()
                .map(|i| i.meta.name().to_owned())
                .collect(),
            other => return Err(unexpected(other)),
        };
        let recognised = parsed
            .entries
            .iter()
            .filter_map(|e| formats::detect(e.value.expose()).map(|f| Recognised::new(&e.key, f)))
            .collect();
        let (exists, new): (Vec<_>, Vec<_>) = parsed
            .entries
            .iter()
            .map(|e| e.key.clone())
            .partition(|k| existing.contains(k));
        if rotate_existing {
            (new, exists, recognised)
        } else {
            skipped.extend(
                parsed
                    .entries
                    .iter()
                    .filter(|e| existing.contains(&e.key))
                    .map(|e| vault_core::model::Skipped {
                        line: e.line,
                        key: Some(e.key.clone()),
                        reason: "an item of this name exists (--rotate-existing replaces its \
                                 value)"
                            .to_owned(),
                    }),
            );
            (new, Vec::new(), recognised)
        }
    } else {
        let entries = parsed
            .entries
            .into_iter()
            .zip(metas)
            .map(|(e, meta)| ImportEntry::new(e, meta))
            .collect();
        let on_conflict = if rotate_existing {
            OnConflict::Rotate
        } else {
            OnConflict::Skip
        };
        match session.op(Op::Import {
            entries,
            tags,
            on_conflict,
        })? {
            Response::Imported { report } => {
                skipped.extend(report.skipped);
                (report.added, report.rotated, report.recognised)
            }
            other => return Err(unexpected(other)),
        }
    };
    skipped.sort_by_key(|s| s.line);
    // The items now holding the file's values, which a rewrite may reference.
    let holding: Vec<String> = added.iter().chain(&rotated).cloned().collect();
    let refs = super::rewrite::references(&holding, joined.as_ref());
    let joined_vars: Vec<JoinedVar> = joined
        .iter()
        .flat_map(|j| {
            j.fields.iter().map(|(variable, field)| JoinedVar {
                variable,
                item: &j.item,
                field,
            })
        })
        .collect();
    if json {
        output::json(&ImportSummary {
            format: format.name(),
            dry_run,
            references: &references,
            added: &added,
            rotated: &rotated,
            skipped: &skipped,
            recognised: &recognised,
            joined: joined_vars,
        })?;
        if rewrite && !dry_run {
            super::rewrite::offer(&file, format, dotenv, &refs, true)?;
        }
        return Ok(());
    }
    let (verb, rotate_verb) = if dry_run {
        ("Would import", "rotate")
    } else {
        ("Imported", "rotated")
    };
    eprintln!(
        "{verb} {} new item{}{} from {}{}",
        added.len(),
        if added.len() == 1 { "" } else { "s" },
        if rotated.is_empty() {
            String::new()
        } else {
            format!(" and {rotate_verb} {}", rotated.len())
        },
        file.display(),
        if dry_run && !(added.is_empty() && rotated.is_empty()) {
            ":"
        } else {
            "."
        }
    );
    if dry_run {
        for name in &added {
            eprintln!("  add {name}");
        }
        for name in &rotated {
            eprintln!("  rotate {name}");
        }
    }
    if !references.is_empty() {
        eprintln!(
            "warning: {} a vault:// reference, which would be stored as that text rather \
             than the secret it names: {}. A file of references is a project file: use it with \
             `vault allow` and `vault run`, not `vault import`.",
            if references.len() == 1 {
                "1 value is".to_owned()
            } else {
                format!("{} values are", references.len())
            },
            references.join(", ")
        );
    }
    // A repository's `.env` may set variables that make programs load code: they become items
    // like any other, but never without saying so.
    let risky: Vec<&str> = added
        .iter()
        .filter(|k| vault_core::vars::is_hook(k))
        .map(String::as_str)
        .collect();
    if !risky.is_empty() {
        eprintln!(
            "Note: {} variables that make programs load or run code: {}. `vault run` \
             injects them with --item NAME (and a warning), and through --profile only with \
             --allow-var NAME; remove them with `vault rm` if they are not yours.",
            if risky.len() == 1 {
                "1 entry sets".to_owned()
            } else {
                format!("{} entries set", risky.len())
            },
            risky.join(", ")
        );
    }
    if !recognised.is_empty() {
        eprintln!(
            "Recognised {} (service and rotation set from the format):",
            output::count(recognised.len(), "known key format")
        );
        for r in &recognised {
            eprintln!("  {}: {}", r.key, r.description);
        }
    }
    if !skipped.is_empty() {
        eprintln!("Skipped {}:", skipped.len());
        for s in &skipped {
            match &s.key {
                // Line 0: an entry of a password manager's file, which has no lines.
                Some(k) if s.line == 0 => eprintln!("  {k}: {}", s.reason),
                Some(k) => eprintln!("  line {}: {k}: {}", s.line, s.reason),
                None => eprintln!("  line {}: {}", s.line, s.reason),
            }
        }
    }
    if let Some(j) = &joined {
        let vars: Vec<String> = j
            .fields
            .iter()
            .map(|(var, field)| format!("{var} as its {field} field"))
            .collect();
        eprintln!(
            "An AWS access key: {} {} {} (one item, which `vault setup aws {0}` lets the AWS \
             CLI use).",
            j.item,
            if dry_run { "would take in" } else { "takes in" },
            vars.join(" and ")
        );
    }
    if !dry_run {
        super::rewrite::offer(&file, format, dotenv, &refs, rewrite)?;
    }
    Ok(())
}

#[derive(Serialize)]
struct Exported<'a> {
    #[serde(flatten)]
    item: &'a Item,
    value: &'a str,
    /// As `vault get --json` names them.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    secret_values: std::collections::BTreeMap<&'a str, &'a str>,
}

pub(super) fn export(
    session: &mut Session,
    format: ExportFormat,
    tag: Option<String>,
    output: Option<&Path>,
    force: bool,
    yes: bool,
) -> Result<()> {
    let to_terminal = output.is_none() && std::io::stdout().is_terminal();
    if !yes {
        if !interactive() {
            return fail(
                exit::CANCELLED,
                "export prints every secret in plaintext; pass --yes to confirm",
            );
        }
        let question = if to_terminal {
            "Print every secret in plaintext to this terminal?"
        } else {
            "Write every secret in plaintext?"
        };
        if !confirm(question)? {
            return fail(exit::CANCELLED, "cancelled; nothing was exported");
        }
    }
    if let Some(path) = output {
        output::refuse_existing(path, force)?;
    }
    let items = match session.op(Op::Export)? {
        Response::Secrets { items } => items,
        other => return Err(unexpected(other)),
    };
    let items: Vec<_> = items
        .into_iter()
        .filter(|(i, _, _)| {
            tag.as_deref()
                .is_none_or(|t| i.meta.tags().iter().any(|x| x == t))
        })
        .collect();
    let mut text = Zeroizing::new(String::new());
    match format {
        ExportFormat::Env => {
            let mut seen = std::collections::HashSet::new();
            // Secret fields are not environment variables: a JSON export keeps them.
            for (item, value, _) in &items {
                for env in item.meta.env() {
                    if !seen.insert(env.clone()) {
                        eprintln!(
                            "warning: {env} is set by more than one item; the later one ({}) wins",
                            item.meta.name()
                        );
                    }
                    text.push_str(&dotenv::format_line(env, value.0.expose()));
                    text.push('\n');
                }
            }
        }
        ExportFormat::Json => {
            let list: Vec<Exported<'_>> = items
                .iter()
                .map(|(item, value, fields)| Exported {
                    item,
                    value: value.0.expose(),
                    secret_values: fields
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.0.expose()))
                        .collect(),
                })
                .collect();
            text.push_str(&serde_json::to_string_pretty(&list)?);
            text.push('\n');
        }
    }
    match output {
        Some(path) => {
            output::write_private(path, text.as_bytes(), force)?;
            eprintln!(
                "Exported {} item{} to {}.",
                items.len(),
                if items.len() == 1 { "" } else { "s" },
                path.display()
            );
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}

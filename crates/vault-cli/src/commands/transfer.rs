//! `vault import` and `vault export`.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use vault_agent::protocol::{ImportEntry, Op, Response, WireSecret, wire_fields};
use vault_core::SecretValue;
use vault_core::model::{ImportedMeta, Item, OnConflict, Recognised};
use vault_core::{dotenv, formats};
use zeroize::Zeroizing;

use crate::cli::ExportFormat;
use crate::exit::{self, Failure, fail};
use crate::output;
use crate::session::{Session, confirm, interactive};

use crate::exit::unexpected;

#[derive(Serialize)]
struct ImportSummary<'a> {
    dry_run: bool,
    /// Entries whose value is a `vault://` reference (stored as that text).
    references: &'a [String],
    added: &'a [String],
    rotated: &'a [String],
    skipped: &'a [vault_core::model::Skipped],
    recognised: &'a [Recognised],
}

pub(super) fn import(
    session: &mut Session,
    file: &Path,
    tags: Vec<String>,
    rotate_existing: bool,
    dry_run: bool,
    json: bool,
) -> Result<()> {
    let mut text = Zeroizing::new(String::new());
    if file == Path::new("-") {
        if session.passwords.uses_stdin() {
            return fail(
                exit::OTHER,
                "cannot read the file from stdin when --password-stdin is used",
            );
        }
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read stdin")?;
    } else {
        std::fs::File::open(file)
            .and_then(|mut f| f.read_to_string(&mut text))
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    let (parsed, metas) = parse(&text, file)?;
    drop(text);
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
            .map(|(e, mut meta)| ImportEntry {
                key: e.key,
                value: WireSecret::new(e.value),
                line: e.line,
                // The metadata never carries a secret over the socket: they go as secrets.
                secret_fields: wire_fields(
                    meta.as_mut()
                        .map(|m| std::mem::take(&mut m.secret_fields))
                        .unwrap_or_default(),
                ),
                meta,
            })
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
    if json {
        return output::json(&ImportSummary {
            dry_run,
            references: &references,
            added: &added,
            rotated: &rotated,
            skipped: &skipped,
            recognised: &recognised,
        });
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
                Some(k) => eprintln!("  line {}: {k}: {}", s.line, s.reason),
                None => eprintln!("  line {}: {}", s.line, s.reason),
            }
        }
    }
    Ok(())
}

/// The entries of a dotenv file, or of `vault export --format json`'s output (a JSON array),
/// whose items keep their metadata; for JSON, "line" is the item's position in the array.
fn parse(text: &str, file: &Path) -> Result<(dotenv::Parsed, Vec<Option<ImportedMeta>>)> {
    if !text.trim_start().starts_with('[') {
        let parsed = dotenv::parse(text);
        let metas = vec![None; parsed.entries.len()];
        return Ok((parsed, metas));
    }
    #[derive(serde::Deserialize)]
    struct ExportedKey {
        name: String,
        value: String,
        #[serde(default)]
        secret_values: std::collections::BTreeMap<String, String>,
        #[serde(flatten)]
        meta: ImportedMeta,
    }
    // Only the position is told: serde's message may quote a value.
    let list: Vec<ExportedKey> = serde_json::from_str(text).map_err(|e| {
        Failure::new(
            exit::OTHER,
            format!(
                "{}: a JSON file, but not a `vault export --format json` (at line {}, column \
                 {}); nothing was imported",
                file.display(),
                e.line(),
                e.column()
            ),
        )
    })?;
    let mut parsed = dotenv::Parsed::default();
    let mut metas = Vec::with_capacity(list.len());
    for (i, k) in list.into_iter().enumerate() {
        parsed.entries.push(dotenv::Entry {
            key: k.name,
            value: SecretValue::from(k.value),
            line: i + 1,
        });
        let mut meta = k.meta;
        meta.secret_fields = k
            .secret_values
            .into_iter()
            .map(|(n, v)| (n, SecretValue::from(v)))
            .collect();
        metas.push(Some(meta));
    }
    Ok((parsed, metas))
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

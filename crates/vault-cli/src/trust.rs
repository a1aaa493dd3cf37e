//! Project files at the command line: the nearest `.vault.env` that passes the ownership checks
//! of [`vault_core::trust`], read once (what is hashed is what is parsed), and `vault allow` /
//! `vault deny`, which record or forget the user's decision in the vault.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vault_agent::protocol::{Injection, Op, ProjectFileUse, Response};
use vault_core::refs::{self, Binding, Source};
use vault_core::trust::{self, ProjectFile, Refusal};
use zeroize::Zeroizing;

use crate::exit::{self, Failure};
use crate::session::{Session, confirm, interactive};

/// A project file as read: its canonical path, content and digest.
pub struct ProjectText {
    pub path: PathBuf,
    pub canonical: String,
    pub text: Zeroizing<String>,
    pub digest: String,
}

impl std::fmt::Debug for ProjectText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The text may hold plain values; the path is enough to tell files apart.
        f.debug_struct("ProjectText")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ProjectText {
    /// Reads `path` once: the digest is of the very bytes that are then parsed. The file was
    /// checked not to be a symbolic link; it is opened without following one, so a link put in
    /// its place since is refused rather than read.
    pub fn read(path: &Path) -> Result<ProjectText> {
        use std::io::Read;
        use std::os::unix::fs::OpenOptionsExt;
        let canonical = std::fs::canonicalize(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let mut bytes = Zeroizing::new(Vec::new());
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {}", path.display()))?;
        let digest = trust::digest(&bytes);
        let text = Zeroizing::new(
            String::from_utf8(bytes.to_vec())
                .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))?,
        );
        Ok(ProjectText {
            path: path.to_owned(),
            canonical: canonical.to_string_lossy().into_owned(),
            text,
            digest,
        })
    }

    pub fn bindings(&self) -> Result<Vec<Binding>> {
        refs::read_env_file(&self.path, &self.text).map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// What the agent checks before resolving anything from this file: the variables it sets
    /// that need allowing by name, less those the command line allowed.
    pub fn use_with(&self, bindings: &[Binding], allowed: &[String]) -> ProjectFileUse {
        let mut hooks: Vec<String> = bindings
            .iter()
            .filter(|b| risk(b).is_some() && !allowed.contains(&b.name))
            .map(|b| b.name.clone())
            .collect();
        hooks.sort();
        hooks.dedup();
        ProjectFileUse {
            path: self.canonical.clone(),
            digest: self.digest.clone(),
            hooks,
        }
    }
}

/// Why a binding needs allowing by name (its name, or its plain value), if it does.
pub fn risk(b: &Binding) -> Option<&'static str> {
    let value = match &b.source {
        Source::Plain(v) => Some(v.expose()),
        Source::Reference(_) => None,
    };
    vault_core::vars::code_risk(&b.name, value)
}

/// The nearest project file from the current directory, checked.
pub fn find() -> Result<ProjectFile> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_absolute());
    Ok(trust::find_project_file(
        &cwd,
        rustix::process::getuid().as_raw(),
        home.as_deref(),
    ))
}

/// The message for a file that may not be read (another user could have written it, or it is
/// a link): the reason says which, and what to do.
pub fn refused_message(path: &Path, reason: &str) -> String {
    format!("{} was not read: it {reason}", path.display())
}

/// The message for a file the user has not allowed as it is.
pub fn refusal_message(path: &str, refusal: &Refusal) -> String {
    match refusal {
        Refusal::NotAllowed => format!(
            "{path} is not allowed: a project file decides which of your secrets a command gets. \
             Review it with `vault allow` (or name a file with --env-file)"
        ),
        Refusal::Changed => {
            format!("{path} changed since you allowed it; review it with `vault allow` again")
        }
        Refusal::Hooks { names } => format!(
            "{path} sets {}, which can make programs run other code; allow {} with \
             `--allow-var NAME` (on this run, or on `vault allow`)",
            names.join(", "),
            if names.len() == 1 { "it" } else { "each" }
        ),
    }
}

/// The file `vault allow`/`vault deny` act on: the one named, or the nearest project file.
fn target(file: Option<&Path>) -> Result<PathBuf> {
    if let Some(f) = file {
        return Ok(f.to_owned());
    }
    match find()? {
        ProjectFile::Found(p) | ProjectFile::Refused { path: p, .. } => Ok(p),
        ProjectFile::Absent => Err(Failure::new(
            exit::NOT_FOUND,
            format!(
                "no {} from this directory upward; name the file",
                trust::PROJECT_FILE
            ),
        )
        .into()),
    }
}

/// `vault allow [FILE]`: shows what the file asks for, then records it.
pub fn allow(session: &mut Session, file: Option<&Path>, vars: &[String], yes: bool) -> Result<()> {
    let path = target(file)?;
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(
            Failure::new(exit::NOT_FOUND, format!("{}: no such file", path.display())).into(),
        );
    }
    if let Err(reason) = trust::check_project_file(&path, rustix::process::getuid().as_raw()) {
        return Err(Failure::new(exit::OTHER, refused_message(&path, &reason)).into());
    }
    let project = ProjectText::read(&path)?;
    let bindings = project.bindings()?;
    for v in vars {
        if !bindings.iter().any(|b| &b.name == v) {
            return Err(Failure::new(
                exit::OTHER,
                format!("--allow-var {v}: {} does not set {v}", path.display()),
            )
            .into());
        }
    }
    let mut vars = vars.to_vec();
    vars.sort();
    vars.dedup();
    let before = match session.op(Op::Allowance {
        path: project.canonical.clone(),
    })? {
        Response::Allowance { allowance } => allowance,
        other => return Err(crate::exit::unexpected(other)),
    };
    match &before {
        Some(a) if a.digest == project.digest && a.vars == vars => {
            eprintln!(
                "{} is already allowed as it is (since {}).",
                project.canonical,
                crate::output::date_time(a.allowed_at)
            );
            return Ok(());
        }
        Some(a) if a.digest != project.digest => eprintln!(
            "{} changed since you allowed it ({}).",
            project.canonical,
            crate::output::date_time(a.allowed_at)
        ),
        _ => {}
    }
    eprintln!("{} asks for:", project.canonical);
    let width = bindings.iter().map(|b| b.name.len()).max().unwrap_or(0);
    // Every value in full: the review is the point, and the file is the user's to read anyway.
    for b in &bindings {
        let what = match &b.source {
            Source::Reference(r) => r.to_string(),
            Source::Plain(v) => format!("{:?}", v.expose()),
        };
        let note = match (risk(b), vars.contains(&b.name)) {
            (Some(why), true) => format!("  <- {why}: allowed by --allow-var"),
            (Some(why), false) => format!("  <- {why}: refused unless --allow-var"),
            (None, _) => String::new(),
        };
        eprintln!("  {:width$}  {what}{note}", b.name);
    }
    if bindings.is_empty() {
        eprintln!("  (nothing)");
    }
    if !yes {
        if !interactive() {
            return Err(Failure::new(
                exit::CANCELLED,
                "pass --yes to allow without a terminal to confirm on",
            )
            .into());
        }
        if !confirm("Allow `vault run` to use this file as it is now?")? {
            return Err(Failure::new(exit::CANCELLED, "nothing was allowed").into());
        }
    }
    // Said after allowing: what the next run would still refuse, not left for that run to say.
    let still: Vec<&str> = bindings
        .iter()
        .filter(|b| risk(b).is_some() && !vars.contains(&b.name))
        .map(|b| b.name.as_str())
        .collect();
    match session.op(Op::Allow {
        path: project.canonical.clone(),
        digest: project.digest,
        vars,
    })? {
        Response::Ok => {}
        other => return Err(crate::exit::unexpected(other)),
    }
    eprintln!(
        "Allowed {}; a change to it needs `vault allow` again.",
        project.canonical
    );
    if !still.is_empty() {
        let flags: Vec<String> = still.iter().map(|n| format!("--allow-var {n}")).collect();
        eprintln!(
            "`vault run` still refuses this file while it sets {} without allowing it by name: \
             run `vault allow {}`, or pass the same flag to `vault run`.",
            still.join(", "),
            flags.join(" ")
        );
    }
    Ok(())
}

/// `vault deny [FILE]`.
pub fn deny(session: &mut Session, file: Option<&Path>) -> Result<()> {
    let path = target(file)?;
    // A file that no longer exists can still be forgotten, by the path it was allowed under.
    let canonical = std::fs::canonicalize(&path)
        .unwrap_or_else(|_| std::path::absolute(&path).unwrap_or(path.clone()))
        .to_string_lossy()
        .into_owned();
    match session.op(Op::Deny {
        path: canonical.clone(),
    })? {
        Response::Denied { existed: true } => {
            eprintln!("{canonical} is no longer allowed.");
            Ok(())
        }
        Response::Denied { existed: false } => {
            Err(Failure::new(exit::NOT_FOUND, format!("{canonical} was not allowed")).into())
        }
        other => Err(crate::exit::unexpected(other)),
    }
}

/// Variables of items picked by `--profile` (a tag, so whatever items carry it, imported from a
/// repository's `.env` perhaps) that make programs load code are refused unless allowed by name;
/// those of an item named with `--item` are the user's explicit choice, said on stderr.
pub fn check_selected_vars(
    selected: &[Injection],
    items: &[String],
    allow_var: &[String],
) -> Result<()> {
    let named = |item: &str| {
        items
            .iter()
            .any(|i| vault_core::names::fold(i) == vault_core::names::fold(item))
    };
    let mut refused = Vec::new();
    for s in selected {
        let Some(why) = vault_core::vars::code_risk(&s.env, None) else {
            continue;
        };
        if allow_var.contains(&s.env) {
            continue;
        }
        if named(&s.item) {
            eprintln!(
                "vault: warning: item {} sets {} ({why}); pass --allow-var {} to silence this",
                s.item, s.env, s.env
            );
        } else {
            refused.push(format!("{} (item {}: {why})", s.env, s.item));
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    Err(anyhow::anyhow!(
        "--profile would set {}, which can make programs run other code; allow each with \
         --allow-var NAME, or name the item with --item",
        refused.join(", ")
    ))
}

/// Two items that set the same variable (`stripe` and `stripe-live`, both
/// `STRIPE_SECRET_KEY`, as format recognition names them) would leave the choice to the order
/// of a list. The one named with `--item` wins; a variable a file line sets is that line's; any
/// other such pair is refused, naming both, before anything starts.
pub fn one_item_per_env(
    selected: Vec<Injection>,
    items: &[String],
    set_by_a_line: impl Fn(&str) -> bool,
) -> Result<Vec<Injection>> {
    use std::collections::BTreeMap;
    let fold = vault_core::names::fold;
    let named = |item: &str| items.iter().any(|i| fold(i) == fold(item));
    let mut by_env: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for s in &selected {
        let setters = by_env.entry(&s.env).or_default();
        if !setters.contains(&s.item.as_str()) {
            setters.push(&s.item);
        }
    }
    let mut winners: BTreeMap<String, String> = BTreeMap::new();
    let mut ambiguous = Vec::new();
    for (env, setters) in by_env {
        if setters.len() < 2 || set_by_a_line(env) {
            continue;
        }
        let chosen: Vec<&&str> = setters.iter().filter(|i| named(i)).collect();
        match chosen.as_slice() {
            [one] => {
                winners.insert(env.to_owned(), (**one).to_owned());
            }
            _ => ambiguous.push(format!("{env} (items {})", setters.join(", "))),
        }
    }
    if !ambiguous.is_empty() {
        return Err(anyhow::anyhow!(
            "more than one item sets {}; name the one to use with --item NAME, or give the \
             other another variable name (`vault edit NAME --env OTHER_NAME`)",
            ambiguous.join(", ")
        ));
    }
    Ok(selected
        .into_iter()
        .filter(|s| winners.get(&s.env).is_none_or(|w| *w == s.item))
        .collect())
}

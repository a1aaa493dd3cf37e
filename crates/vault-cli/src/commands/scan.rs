//! `vault scan`: asks whoever holds the vault open (the agent, or this process with
//! `--no-agent`) to look for its secrets and known key formats, then shows where they are.
//! The values never come here: the answer names items and places.

use std::path::Path;

use anyhow::{Context, Result, bail};
use vault_agent::protocol::{Op, Request, Response};
use vault_core::ErrorCode;
use vault_core::vault::SecretRole;
use vault_scan::{Found, Report, Target};

use crate::cli::{ScanArgs, ScanFormat};
use crate::exit::{self, Failure};
use crate::output;
use crate::session::Session;

mod fix;
mod sarif;

/// Runs the scan; the exit status is 1 when anything was found.
pub fn scan(session: &mut Session, args: ScanArgs) -> Result<u8> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let mut request = vault_scan::Request::new(targets(&args, &cwd)?);
    request.all = args.all;
    request.follow = args.follow;
    request.max_size = parse_size(&args.max_size)?;
    let mut report = if args.staged {
        staged(session, request)?
    } else if !session.vault_path().exists() {
        // No vault yet: known formats can still be looked for.
        eprintln!(
            "No vault at {}: looking for keys in known formats only.",
            session.vault_path().display()
        );
        vault_scan::scan(&request, &vault_scan::Matcher::formats_only())
    } else {
        match session.op(Op::Scan { request })? {
            Response::Scanned { report } => report,
            other => bail!("unexpected answer from the agent: {}", other.kind()),
        }
    };
    report.relative_to(&cwd);
    let format = if args.json {
        ScanFormat::Json
    } else {
        args.format
    };
    match format {
        ScanFormat::Json => output::json(&report)?,
        ScanFormat::Sarif => output::json(&sarif::sarif(&report))?,
        ScanFormat::Text => text(&report, args.verbose, args.staged),
    }
    if args.fix && report.found() {
        fix::fix(&report, &cwd, args.yes)?;
    }
    Ok(u8::from(report.found()))
}

fn targets(args: &ScanArgs, cwd: &Path) -> Result<Vec<Target>> {
    let mut paths = Vec::new();
    for p in &args.paths {
        let path = cwd.join(p);
        if std::fs::symlink_metadata(&path).is_err() {
            bail!("{}: no such file or folder", p.display());
        }
        paths.push(path);
    }
    if args.staged {
        is_repository(cwd)?;
        // A hook of `git commit -a` or `git commit PATH` gets a temporary index: that is what
        // is being committed. (The scan may run in the agent, which has not this environment.)
        let index = std::env::var_os("GIT_INDEX_FILE").map(|i| cwd.join(i));
        return Ok(vec![Target::Staged {
            repo: cwd.to_path_buf(),
            index,
        }]);
    }
    if args.git {
        if paths.is_empty() {
            paths.push(cwd.to_path_buf());
        }
        for repo in &paths {
            is_repository(repo)?;
        }
        return Ok(paths
            .into_iter()
            .map(|repo| Target::History { repo })
            .collect());
    }
    let mut targets = Vec::new();
    if args.home {
        let home = directories::BaseDirs::new()
            .map(|d| d.home_dir().to_path_buf())
            .context("cannot find your home folder")?;
        targets.push(Target::Home { home });
    }
    if paths.is_empty() && !args.home {
        paths.push(cwd.to_path_buf());
    }
    if !paths.is_empty() {
        targets.push(Target::Paths { paths });
    }
    Ok(targets)
}

/// A repository for `--git` and `--staged`, asked of git itself (worktrees, bare
/// repositories and `GIT_DIR` included).
fn is_repository(path: &Path) -> Result<()> {
    let inside = std::process::Command::new("git")
        .arg("-C")
        .arg(path)
        .args(["rev-parse", "--git-dir"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .context("cannot run git")?;
    if !inside.success() {
        return Err(Failure::new(
            exit::NOT_FOUND,
            format!("{} is not a git repository", path.display()),
        )
        .into());
    }
    Ok(())
}

/// `--staged` runs as a hook: it never asks for a password. An agent holding the vault
/// unlocked looks for the stored values; otherwise the formats are looked for here, and one
/// line says so.
fn staged(session: &mut Session, request: vault_scan::Request) -> Result<Report> {
    if !session.uses_agent() {
        // `--no-agent` opens the vault here, with the password given for it.
        return match session.op(Op::Scan { request })? {
            Response::Scanned { report } => Ok(report),
            other => bail!("unexpected answer: {}", other.kind()),
        };
    }
    let vault = session.vault_path().to_path_buf();
    if let Some(agent) = session.running_agent()? {
        let answer = agent.call(&Request::Vault {
            vault,
            op: Op::Scan {
                request: request.clone(),
            },
        })?;
        match answer {
            Response::Scanned { report } => return Ok(report),
            Response::Error(e) if matches!(e.code, ErrorCode::Locked | ErrorCode::NoVault) => {}
            Response::Error(e) => return Err(Failure::from(e).into()),
            other => bail!("unexpected answer from the agent: {}", other.kind()),
        }
    }
    eprintln!(
        "vault: the vault is locked, so only keys in known formats were looked for \
         (`vault unlock` to look for every stored value too)."
    );
    Ok(vault_scan::scan(
        &request,
        &vault_scan::Matcher::formats_only(),
    ))
}

/// What a finding is, in words: `stored value of openai`, `GitHub personal access token
/// (classic), not in the vault`.
pub(crate) fn describe(found: &Found) -> String {
    match found {
        Found::Format { description, .. } => format!("{description} (not in the vault)"),
        Found::Stored { stored_as } => {
            let mut parts: Vec<String> = stored_as
                .iter()
                .map(|s| {
                    let item = &s.item;
                    match &s.role {
                        SecretRole::Value => format!("the value of {item}"),
                        SecretRole::Field { field } => format!("secret field {field} of {item}"),
                        SecretRole::Previous { version } => {
                            format!("a previous value of {item} (version {version})")
                        }
                        SecretRole::PreviousField { version, field } => {
                            format!("a previous {field} of {item} (version {version})")
                        }
                        SecretRole::AccessToken => format!("the access token of {item}"),
                        SecretRole::RefreshToken => format!("the refresh token of {item}"),
                        SecretRole::ClientSecret => {
                            format!("the client secret of OAuth provider {item}")
                        }
                    }
                })
                .collect();
            parts.dedup();
            parts.join(", also ")
        }
    }
}

fn text(report: &Report, verbose: bool, staged: bool) {
    for f in &report.findings {
        let commit = f
            .commit
            .as_deref()
            .map(|c| format!(" (commit {c})"))
            .unwrap_or_default();
        println!(
            "{}:{}:{}{commit}: {}",
            f.path,
            f.line,
            f.column,
            describe(&f.found)
        );
    }
    if report.more > 0 {
        println!("... and {} more", report.more);
    }
    if verbose {
        for s in &report.skipped {
            eprintln!("skipped {}: {}", s.path, s.reason);
        }
        if report.more_skipped > 0 {
            eprintln!("... and {} more skipped", report.more_skipped);
        }
    }
    let found = report.findings.len() + report.more as usize;
    let files: std::collections::BTreeSet<&str> =
        report.findings.iter().map(|f| f.path.as_str()).collect();
    let looked = if report.values > 0 {
        format!(
            "{} and known key formats",
            output::count(report.values as usize, "stored value")
        )
    } else {
        "known key formats".to_owned()
    };
    let read = format!(
        "{} read ({})",
        output::count(report.files as usize, if staged { "line" } else { "file" }),
        size(report.bytes)
    );
    if found == 0 {
        eprintln!("Nothing found: {read}, looking for {looked}.");
    } else {
        eprintln!(
            "Found {} in {}: {read}, looking for {looked}.",
            output::count(found, "secret"),
            output::count(files.len(), "file")
        );
    }
    if report.too_short > 0 {
        eprintln!(
            "{} shorter than {} characters not looked for (they would match everywhere).",
            output::count(report.too_short as usize, "stored value"),
            vault_scan::matcher::MIN_VALUE_LEN
        );
    }
    let skipped = report.skipped.len() + report.more_skipped as usize;
    if skipped > 0 && !verbose {
        eprintln!(
            "Skipped {} (binary, too large, links or unreadable): --verbose lists them.",
            output::count(skipped, "file")
        );
    }
    if staged && found > 0 {
        eprintln!(
            "vault: this commit would add {}. Remove {} from the staged files (keep the \
             value in the vault and use `vault run` or a vault:// reference), or skip this \
             check once with `git commit --no-verify`.",
            output::count(found, "secret"),
            if found == 1 { "it" } else { "them" }
        );
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// `64M`, `1G`, `500K`, `4096`: binary units.
fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                _ => bail!("{text:?} is not a size: use a number with K, M or G, like 64M"),
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .with_context(|| format!("{text:?} is not a size: use a number with K, M or G, like 64M"))
}

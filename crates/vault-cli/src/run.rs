//! `vault run`, `vault env` and `vault inject`: secrets into a command's environment, a shell,
//! or a file.
//!
//! What to inject is always explicit: the nearest `.vault.env` (or `--env-file`), `--item`,
//! `--profile`, and `vault://` references already in the environment. Everything is resolved
//! in one request before anything starts; if anything does not resolve, nothing starts.
//! Without `--mask`, `vault run` then *becomes* the command (exec): the command has the
//! terminal, stdio, signals and exit status exactly as if run directly, and vault costs
//! nothing while it runs.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::io::{IsTerminal, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vault_agent::protocol::{
    DueWarning, Op, ProjectFileUse, ProxyRequest, ProxySession, Resolution, Response,
};
use vault_core::SecretValue;
use vault_core::refs::{self, Binding, Reference, Source};
use vault_core::trust::ProjectFile;
use zeroize::Zeroizing;

use crate::cli::{EnvFormat, RunArgs, Selection};
use crate::exit::{self, Failure};
use crate::output;
use crate::session::{HandOver, Session};

mod proxy;
mod watch;

/// Variables a `--no-inherit-env` command still gets.
const BASE_ENV: &[&str] = &["PATH", "HOME", "USER", "TERM"];

/// A variable to set, and where its value came from.
struct Value {
    name: String,
    value: SecretValue,
    /// `.vault.env:3`, `--item openai`, `environment`.
    origin: String,
    /// Values from the vault are secrets (masked, audited); plain file values are not.
    secret: bool,
    /// The item it came from (`--watch` restarts when it changes).
    item: Option<String>,
}

/// What a selection resolved to.
struct Resolved {
    values: Vec<Value>,
    attention: Vec<DueWarning>,
    /// The env files read, for `-v`.
    files: Vec<PathBuf>,
    /// With `--proxy`: the secret values above are placeholders, and this is their proxy.
    proxy: Option<ProxySession>,
}

/// `vault run`: resolve, then exec (or supervise with `--mask`). Returns only on failure, or
/// with the command's status under `--mask`.
pub fn run(session: &mut Session, args: RunArgs) -> Result<u8> {
    let Some(program) = args.command.first().cloned() else {
        return Err(not_started(
            "no command given: vault run -- COMMAND [ARGS...]",
        ));
    };
    let inherited: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let proxy = match args.proxy {
        true => Some(proxy::request(&args, &inherited).map_err(|e| not_started(format!("{e:#}")))?),
        false => None,
    };
    let (mut cmd, resolved) = prepare(session, &args, &inherited, &program, proxy, false)?;
    if args.watch {
        return watch::watch(session, &args, &inherited, &program, cmd, resolved);
    }
    // Nothing secret to hide (plain values only): exec, whatever the output.
    if args.masks() && resolved.values.iter().any(|v| v.secret) {
        // vault stays the parent and holds the secrets: its core limit stays zero, only the
        // child gets the user's back.
        crate::restore_umask_only();
        let secrets = resolved
            .values
            .iter()
            .filter(|v| v.secret)
            .map(|v| {
                (
                    v.name.clone(),
                    Zeroizing::new(v.value.expose().as_bytes().to_vec()),
                )
            })
            .collect();
        return crate::supervise::run_masked(cmd, &program, secrets, crate::user_core_limit());
    }
    crate::restore_user_umask();
    drop(resolved);
    let err = cmd.exec();
    Err(exit::exec_failure(&program, &err))
}

/// Resolves what `args` asks for and builds the command with it; nothing is started. `again`:
/// a `--watch` restart, which does not repeat the warnings of the first start.
fn prepare(
    session: &mut Session,
    args: &RunArgs,
    inherited: &[(OsString, OsString)],
    program: &OsStr,
    proxy: Option<ProxyRequest>,
    again: bool,
) -> Result<(std::process::Command, Resolved)> {
    let inherited_path = var(inherited, "PATH");
    let mut executable = exit::find_executable(program, inherited_path)?;
    let resolved =
        resolve(session, &args.selection, inherited, Some(program), proxy).map_err(|e| {
            // Handed over whole, so `vault-full` can ask for the password and start the command.
            if e.is::<HandOver>() {
                e
            } else {
                not_started(format!("{e:#}"))
            }
        })?;
    if !args.no_rotation_warning && !again {
        warn_attention(&resolved.attention);
    }
    if args.verbose {
        for f in &resolved.files {
            eprintln!("vault: read {}", f.display());
        }
        for v in &resolved.values {
            eprintln!("vault: {} from {}", v.name, v.origin);
        }
    }
    let mut env = child_env(
        inherited,
        &resolved.values,
        args.no_inherit_env,
        args.override_env,
    );
    if let Some(session) = &resolved.proxy {
        proxy::point_at(&mut env, session);
        if args.verbose {
            eprintln!(
                "vault: the command holds placeholders; the proxy adds the keys (CA bundle {})",
                session.ca_bundle.display()
            );
        }
    }
    // The project file may set PATH (when allowed): the command is looked up along the PATH it
    // gets, as `env PATH=... COMMAND` would.
    let child_path = var(&env, "PATH");
    if child_path != inherited_path {
        executable = exit::find_executable(program, child_path)?;
    }
    let mut cmd = std::process::Command::new(&executable);
    cmd.arg0(program)
        .args(&args.command[1..])
        .env_clear()
        .envs(env);
    Ok((cmd, resolved))
}

/// The value of `name` in an environment list.
fn var<'a>(env: &'a [(OsString, OsString)], name: &str) -> Option<&'a OsStr> {
    env.iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_os_str())
}

fn not_started(message: impl Into<String>) -> anyhow::Error {
    Failure::new(exit::NOT_STARTED, message).into()
}

/// `vault env`: the resolved variables as shell `export` lines (or dotenv / JSON).
pub fn env(session: &mut Session, selection: &Selection, format: EnvFormat) -> Result<()> {
    let inherited: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let resolved = resolve(
        session,
        selection,
        &inherited,
        Some(OsStr::new("vault env")),
        None,
    )?;
    if std::io::stdout().is_terminal() {
        eprintln!(
            "vault: warning: printing secrets to the terminal; use `eval \"$(vault env)\"` or \
             `vault run -- COMMAND` instead"
        );
    }
    let mut text = Zeroizing::new(String::new());
    match format {
        EnvFormat::Shell => {
            for v in &resolved.values {
                text.push_str(&format!(
                    "export {}={}\n",
                    v.name,
                    shell_quote(v.value.expose())
                ));
            }
        }
        EnvFormat::Dotenv => {
            for v in &resolved.values {
                text.push_str(&vault_core::dotenv::format_line(&v.name, v.value.expose()));
                text.push('\n');
            }
        }
        EnvFormat::Json => {
            let map: BTreeMap<&str, &str> = resolved
                .values
                .iter()
                .map(|v| (v.name.as_str(), v.value.expose()))
                .collect();
            text.push_str(&serde_json::to_string_pretty(&map)?);
            text.push('\n');
        }
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// `'value'`, with `'` written as `'\''`: safe for any value in POSIX shells.
pub(crate) fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `vault inject`: renders `{{ vault://ITEM[/FIELD] }}` in a template.
pub fn inject(
    session: &mut Session,
    input: Option<&Path>,
    output_path: Option<&Path>,
    force: bool,
) -> Result<()> {
    let mut template = Zeroizing::new(String::new());
    match input {
        Some(p) if p != Path::new("-") => {
            template.push_str(
                &std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?,
            );
        }
        _ => {
            if session.passwords.uses_stdin() {
                return Err(Failure::new(
                    exit::OTHER,
                    "the template cannot come from stdin when --password-stdin is used",
                )
                .into());
            }
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut template)
                .context("cannot read the template from stdin")?;
        }
    }
    if let Some(out) = output_path {
        output::refuse_existing(out, force)?;
    }
    let pieces = template_pieces(&template)?;
    let references: Vec<Reference> = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Reference(r) => Some(r.clone()),
            Piece::Text(_) => None,
        })
        .collect();
    let (values, _) = resolve_references(session, &references, Some(OsStr::new("vault inject")))?;
    let mut rendered = Zeroizing::new(String::with_capacity(template.len()));
    let mut next = values.into_iter();
    for piece in &pieces {
        match piece {
            Piece::Text(t) => rendered.push_str(t),
            Piece::Reference(_) => {
                if let Some(v) = next.next() {
                    rendered.push_str(v.expose());
                }
            }
        }
    }
    match output_path {
        Some(path) => {
            output::write_private(path, rendered.as_bytes(), force)?;
            // Say what the file now holds (names, never values): it is a file of secrets.
            let mut items: Vec<String> = references.iter().map(ToString::to_string).collect();
            items.sort();
            items.dedup();
            eprintln!(
                "Wrote {} (mode 0600) with {}{}{}",
                path.display(),
                output::count(references.len(), "secret"),
                if items.is_empty() { "" } else { " from " },
                if items.is_empty() {
                    ".".to_owned()
                } else {
                    format!("{}.", items.join(", "))
                }
            );
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(rendered.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}

enum Piece<'a> {
    Text(&'a str),
    Reference(Reference),
}

/// Splits a template at `{{ vault://... }}`. Other `{{ }}` are left alone (the file may be a
/// template for another tool too); a malformed reference inside one is an error.
fn template_pieces(text: &str) -> Result<Vec<Piece<'_>>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    let mut line = 1;
    while let Some(open) = rest.find("{{") {
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        let inner = rest[open + 2..open + close].trim();
        if refs::Reference::looks_like(inner) {
            let at = line + rest[..open].matches('\n').count();
            let r = Reference::parse(inner)
                .map_err(|e| Failure::new(exit::OTHER, format!("template line {at}: {e}")))?;
            pieces.push(Piece::Text(&rest[..open]));
            pieces.push(Piece::Reference(r));
        } else {
            pieces.push(Piece::Text(&rest[..open + close + 2]));
        }
        line += rest[..open + close + 2].matches('\n').count();
        rest = &rest[open + close + 2..];
    }
    pieces.push(Piece::Text(rest));
    Ok(pieces)
}

/// Everything a selection asks for, resolved in one request.
fn resolve(
    session: &mut Session,
    selection: &Selection,
    inherited: &[(OsString, OsString)],
    program: Option<&OsStr>,
    proxy: Option<ProxyRequest>,
) -> Result<Resolved> {
    let Bindings {
        mut bindings,
        files,
        project,
    } = bindings(selection)?;
    // References exported in the shell (OPENAI_API_KEY=vault://openai) are resolved too.
    for (name, value) in inherited {
        let (Some(name), Some(value)) = (name.to_str(), value.to_str()) else {
            continue;
        };
        if Reference::looks_like(value) {
            let r = Reference::parse(value)
                .map_err(|e| anyhow::anyhow!("{name} in your environment: {e}"))?;
            bindings.push(Binding {
                name: name.to_owned(),
                source: Source::Reference(r),
                origin: "environment".into(),
            });
        }
    }
    let references: Vec<Reference> = bindings
        .iter()
        .filter_map(|b| match &b.source {
            Source::Reference(r) => Some(r.clone()),
            Source::Plain(_) => None,
        })
        .collect();
    if references.is_empty()
        && selection.item.is_empty()
        && selection.profile.is_empty()
        && project.is_none()
        && proxy.is_none()
    {
        // Plain values only, from files named on the command line: no need to reach (or
        // unlock) the vault. A project file always needs its allowance checked.
        let values = bindings
            .into_iter()
            .filter_map(|b| match b.source {
                Source::Plain(value) => Some(Value {
                    name: b.name,
                    value,
                    origin: b.origin,
                    secret: false,
                    item: None,
                }),
                Source::Reference(_) => None,
            })
            .collect();
        return Ok(Resolved {
            values,
            attention: Vec::new(),
            files,
            proxy: None,
        });
    }
    // Under --proxy the program gets placeholders, which are nothing to mask; the items it gets
    // in plain (--plain) are secrets as ever.
    let plain: Option<Vec<String>> = proxy.as_ref().map(|p| p.plain.clone());
    let is_secret = |item: &str| {
        plain.as_ref().is_none_or(|plain| {
            plain
                .iter()
                .any(|p| vault_core::names::fold(p) == vault_core::names::fold(item))
        })
    };
    let response = session.op(Op::Resolve {
        references,
        items: selection.item.clone(),
        tags: selection.profile.clone(),
        min_valid_secs: 60,
        program: program.map(program_name),
        project,
        proxy: proxy.map(Box::new),
    })?;
    let (answers, selected, missing, attention, session) = match response {
        Response::Resolved {
            references,
            selected,
            missing,
            attention,
            proxy,
        } => (references, selected, missing, attention, proxy),
        Response::ProjectFileRefused { path, refusal } => {
            return Err(anyhow::anyhow!(
                "{}",
                crate::trust::refusal_message(&path, &refusal)
            ));
        }
        other => return Err(exit::unexpected(other)),
    };
    let mut problems: Vec<String> = missing;
    crate::trust::check_selected_vars(&selected, &selection.item, &selection.allow_var)?;
    let selected = crate::trust::one_item_per_env(selected, &selection.item, |env| {
        bindings.iter().any(|b| b.name == env)
    })?;
    let mut values = Vec::new();
    // `--item`/`--profile` first, so a file's explicit line for the same name wins.
    for s in selected {
        values.push(Value {
            origin: format!("item {}", s.item),
            secret: is_secret(&s.item),
            name: s.env,
            value: s.value.into_inner(),
            item: Some(s.item),
        });
    }
    let mut answers = answers.into_iter();
    for b in bindings {
        match b.source {
            Source::Plain(value) => values.push(Value {
                name: b.name,
                value,
                origin: b.origin,
                secret: false,
                item: None,
            }),
            Source::Reference(_) => match answers.next() {
                Some(Resolution::Value { value, item }) => values.push(Value {
                    name: b.name,
                    value: value.into_inner(),
                    origin: b.origin,
                    secret: is_secret(&item),
                    item: Some(item),
                }),
                Some(Resolution::Unresolved { message }) => {
                    problems.push(format!("{} {}: {message}", b.origin, b.name));
                }
                None => problems.push(format!("{} {}: no answer", b.origin, b.name)),
            },
        }
    }
    if !problems.is_empty() {
        let n = problems.len();
        return Err(anyhow::anyhow!(
            "{} not resolve:\n  {}",
            if n == 1 {
                "1 reference does"
            } else {
                "these references do"
            },
            problems.join("\n  ")
        ));
    }
    Ok(Resolved {
        values,
        attention,
        files,
        proxy: session,
    })
}

/// Resolves bare references (for templates), in order.
fn resolve_references(
    session: &mut Session,
    references: &[Reference],
    program: Option<&OsStr>,
) -> Result<(Vec<SecretValue>, Vec<DueWarning>)> {
    if references.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let response = session.op(Op::Resolve {
        references: references.to_vec(),
        items: Vec::new(),
        tags: Vec::new(),
        min_valid_secs: 60,
        program: program.map(program_name),
        project: None,
        proxy: None,
    })?;
    let (answers, attention) = match response {
        Response::Resolved {
            references,
            attention,
            ..
        } => (references, attention),
        other => return Err(exit::unexpected(other)),
    };
    let mut values = Vec::new();
    let mut problems = Vec::new();
    for a in answers {
        match a {
            Resolution::Value { value, .. } => values.push(value.into_inner()),
            Resolution::Unresolved { message } => problems.push(message),
        }
    }
    if !problems.is_empty() {
        return Err(Failure::new(
            exit::NOT_FOUND,
            format!("cannot render the template:\n  {}", problems.join("\n  ")),
        )
        .into());
    }
    Ok((values, attention))
}

/// What the env files bind, and where it came from.
struct Bindings {
    bindings: Vec<Binding>,
    files: Vec<PathBuf>,
    /// The project file, when one is used: the agent checks it was allowed as it is.
    project: Option<ProjectFileUse>,
}

/// The bindings of the env files: `--env-file`s in order (an explicit choice, used as they
/// are), else the nearest `.vault.env` that passes the ownership checks.
fn bindings(selection: &Selection) -> Result<Bindings> {
    let mut out = Bindings {
        bindings: Vec::new(),
        files: Vec::new(),
        project: None,
    };
    if !selection.env_file.is_empty() {
        for path in &selection.env_file {
            let text = Zeroizing::new(
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?,
            );
            let mut b = refs::read_env_file(path, &text).map_err(|e| anyhow::anyhow!("{e}"))?;
            // Named on the command line, so used as it is; but never silently.
            for binding in &b {
                if let Some(why) = crate::trust::risk(binding)
                    && !selection.allow_var.contains(&binding.name)
                {
                    eprintln!(
                        "vault: warning: {} sets {} ({why}); --env-file is used as it is",
                        binding.origin, binding.name
                    );
                }
            }
            out.bindings.append(&mut b);
            out.files.push(path.clone());
        }
        return Ok(out);
    }
    let explicit = !selection.item.is_empty() || !selection.profile.is_empty();
    match crate::trust::find()? {
        ProjectFile::Found(path) => {
            let project = crate::trust::ProjectText::read(&path)?;
            let bindings = project.bindings()?;
            out.project = Some(project.use_with(&bindings, &selection.allow_var));
            out.bindings = bindings;
            out.files.push(path);
        }
        ProjectFile::Refused { path, reason } => {
            let message = crate::trust::refused_message(&path, &reason);
            if !explicit {
                return Err(anyhow::anyhow!(
                    "{message}. Fix its owner or mode, or name a file with --env-file"
                ));
            }
            // --item/--profile say what to inject; the refused file is only left out.
            eprintln!("vault: warning: {message}");
        }
        ProjectFile::Absent if !explicit => {
            // Not an error: references in the environment may be all there is. Said once,
            // since a missing .vault.env is the commonest surprise.
            eprintln!(
                "vault: no {} found from this directory upward; injecting only vault:// \
                 references from the environment",
                vault_core::trust::PROJECT_FILE
            );
        }
        ProjectFile::Absent => {}
    }
    Ok(out)
}

/// The program's name for the audit log: the file name, never its arguments.
fn program_name(program: &OsStr) -> String {
    Path::new(program)
        .file_name()
        .unwrap_or(program)
        .to_string_lossy()
        .into_owned()
}

/// The child's environment: inherited (or the base variables), then the resolved values. A
/// variable the user already set keeps its value unless `--override`, and they hear of it.
fn child_env(
    inherited: &[(OsString, OsString)],
    values: &[Value],
    no_inherit: bool,
    override_env: bool,
) -> Vec<(OsString, OsString)> {
    let mut env: HashMap<OsString, OsString> = inherited
        .iter()
        .filter(|(name, _)| !no_inherit || BASE_ENV.iter().any(|b| OsStr::new(b) == name))
        .cloned()
        .collect();
    // Variables the user set themselves (not references we are about to resolve).
    let user_set: HashMap<&OsStr, &OsStr> = inherited
        .iter()
        .filter(|(_, v)| !v.to_str().is_some_and(Reference::looks_like))
        .map(|(n, v)| (n.as_os_str(), v.as_os_str()))
        .collect();
    let mut kept = Vec::new();
    for v in values {
        let name = OsString::from(&v.name);
        let users = user_set.get(name.as_os_str());
        if !no_inherit
            && !override_env
            && users.is_some_and(|u| u.as_bytes() != v.value.expose().as_bytes())
        {
            if v.origin != "environment" {
                kept.push(format!("{} ({})", v.name, v.origin));
            }
            continue;
        }
        env.insert(name, OsString::from(v.value.expose()));
    }
    if !kept.is_empty() {
        eprintln!(
            "vault: keeping your own value of {}; pass --override to use the vault's",
            kept.join(", ")
        );
    }
    env.into_iter().collect()
}

/// One line on stderr naming keys past their rotation date or expired.
fn warn_attention(attention: &[DueWarning]) {
    if attention.is_empty() {
        return;
    }
    let now = vault_core::Timestamp::now();
    let items: Vec<String> = attention
        .iter()
        .map(|a| {
            use vault_core::rotation::Reason as R;
            // A grant's reasons carry their own `vault login` hint.
            let hint = match a.reason {
                R::NeedsRelogin | R::LoginExpired | R::LoginExpiresSoon => String::new(),
                _ => format!(" (`vault rotate {}`)", a.item),
            };
            let reason = output::reason(a.reason, a.since, now);
            format!("{}: {reason}{hint}", a.item)
        })
        .collect();
    eprintln!(
        "vault: warning: {}; silence with --no-rotation-warning",
        items.join("; ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_any_value() {
        assert_eq!(shell_quote("plain"), "'plain'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME `x` \"q\""), "'$HOME `x` \"q\"'");
    }

    #[test]
    fn template_pieces_leave_other_braces_alone() {
        let p = template_pieces("a={{ vault://k }}\nb={{ other }}\nc={{vault://x/notes}}").unwrap();
        let refs: Vec<String> = p
            .iter()
            .filter_map(|p| match p {
                Piece::Reference(r) => Some(r.to_string()),
                Piece::Text(_) => None,
            })
            .collect();
        assert_eq!(refs, ["vault://k", "vault://x/notes"]);
        let text: String = p
            .iter()
            .map(|p| match p {
                Piece::Text(t) => *t,
                Piece::Reference(_) => "#",
            })
            .collect();
        assert_eq!(text, "a=#\nb={{ other }}\nc=#");
        let err = template_pieces("x\n{{ vault:// }}")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("template line 2"), "{err}");
    }

    #[test]
    fn the_users_own_value_wins_unless_overridden() {
        let inherited = vec![
            (OsString::from("PATH"), OsString::from("/bin")),
            (OsString::from("API_KEY"), OsString::from("mine")),
            (OsString::from("REF"), OsString::from("vault://x")),
        ];
        let values = vec![
            Value {
                name: "API_KEY".into(),
                value: SecretValue::new("vaults"),
                origin: ".vault.env:1".into(),
                secret: true,
                item: Some("api".into()),
            },
            Value {
                name: "REF".into(),
                value: SecretValue::new("resolved"),
                origin: "environment".into(),
                secret: true,
                item: Some("x".into()),
            },
        ];
        fn get<'a>(env: &'a [(OsString, OsString)], k: &str) -> Option<&'a str> {
            var(env, k).and_then(OsStr::to_str)
        }
        let env = child_env(&inherited, &values, false, false);
        assert_eq!(get(&env, "API_KEY"), Some("mine"));
        assert_eq!(get(&env, "REF"), Some("resolved"));
        let env = child_env(&inherited, &values, false, true);
        assert_eq!(get(&env, "API_KEY"), Some("vaults"));
        let env = child_env(&inherited, &values, true, false);
        assert_eq!(get(&env, "PATH"), Some("/bin"));
        assert_eq!(get(&env, "API_KEY"), Some("vaults"));
    }
}

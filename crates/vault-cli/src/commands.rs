//! The commands. Each builds protocol requests, sends them through the session and renders the
//! answer; none touches the vault file itself.

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use vault_agent::protocol::{ImportEntry, NewKey, Op, Request, Response, WireSecret};
use vault_core::attention::{self, Reason};
use vault_core::crypto::KdfParams;
use vault_core::model::{ApiKeyEdit, Item, ItemMeta, OnConflict, Recognised};
use vault_core::rotation::{self, DEFAULT_LEAD_DAYS};
use vault_core::{RotationPolicy, SecretValue, dotenv, formats};
use zeroize::Zeroizing;

use crate::cli::{Command, ConfigAction, ExportFormat, GetArgs, MetaArgs};
use crate::output;
use crate::session::{Session, confirm, exit, fail, interactive, read_value};

/// Runs a command that needs the vault; `Ok` holds the exit status.
pub fn run(session: &mut Session, command: Command) -> Result<u8> {
    if let Command::Run(args) = command {
        return crate::run::run(session, args);
    }
    run_simple(session, command).map(|()| 0)
}

fn run_simple(session: &mut Session, command: Command) -> Result<()> {
    match command {
        Command::Init { kdf } => init(session, &kdf),
        Command::Add { name, value, meta } => add(session, name, value, meta),
        Command::Get(args) => get(session, &args),
        Command::Ls { query, tag, json } => ls(session, query, tag, json),
        Command::Edit {
            name,
            rename,
            env,
            add_env,
            remove_env,
            tag,
            untag,
            service,
            notes,
            rotate_every,
            expires,
            no_expiry,
        } => {
            let changes = EditArgs {
                rename,
                env,
                add_env,
                remove_env,
                tag,
                untag,
                service,
                notes,
                rotate_every,
                expires,
                no_expiry,
            };
            edit(session, &name, changes)
        }
        Command::Rm { name, yes } => rm(session, &name, yes),
        Command::Rotate { name, value } => rotate(session, &name, value),
        Command::History { name, json } => history(session, &name, json),
        Command::Rollback { name, to } => rollback(session, &name, to),
        Command::Due {
            lead,
            check,
            tag,
            json,
        } => due(session, lead.as_deref(), check, tag, json),
        Command::Passwd { kdf } => passwd(session, kdf.as_deref()),
        Command::Import {
            file,
            tag,
            rotate_existing,
            dry_run,
            json,
        } => import(session, &file, tag, rotate_existing, dry_run, json),
        Command::Export {
            format,
            tag,
            output,
            force,
            yes,
        } => export(session, format, tag, output.as_deref(), force, yes),
        Command::Log { limit, json } => log(session, limit, json),
        Command::Env { selection, format } => crate::run::env(session, &selection, format),
        Command::Inject {
            input,
            output,
            force,
        } => crate::run::inject(session, input.as_deref(), output.as_deref(), force),
        Command::Allow {
            file,
            allow_var,
            yes,
        } => crate::trust::allow(session, file.as_deref(), &allow_var, yes),
        Command::Deny { file } => crate::trust::deny(session, file.as_deref()),
        Command::Unlock => unlock(session),
        Command::Lock => lock(session),
        Command::Status { json } => status(session, json),
        Command::Oauth(command) => crate::oauth::oauth(session, command),
        Command::Login {
            provider,
            name,
            scope,
            device,
            timeout,
            no_browser,
        } => crate::oauth::login(
            session,
            crate::oauth::LoginArgs {
                provider,
                name,
                scopes: scope,
                device,
                timeout,
                no_browser,
            },
        ),
        Command::Token(args) => crate::oauth::token(session, &args),
        Command::Grants { json } => crate::oauth::grants(session, json),
        Command::Refresh { name } => crate::oauth::refresh(session, &name),
        Command::Logout { name } => crate::oauth::logout(session, &name),
        // Handled before a session exists.
        Command::Completions { .. }
        | Command::Config { .. }
        | Command::Agent { .. }
        | Command::Run(_) => Ok(()),
    }
}

pub(crate) fn unexpected(response: Response) -> anyhow::Error {
    anyhow::anyhow!(
        "unexpected answer from the vault: {}",
        response_kind(&response)
    )
}

fn response_kind(r: &Response) -> &'static str {
    match r {
        Response::Hello { .. } => "hello",
        Response::Ok => "ok",
        Response::Error { .. } => "error",
        Response::Status { .. } => "status",
        Response::Items { .. } => "items",
        Response::Item { .. } => "item",
        Response::Secret { .. } => "secret",
        Response::Secrets { .. } => "secrets",
        Response::Value { .. } => "value",
        Response::Versions { .. } => "versions",
        Response::Version { .. } => "version",
        Response::Imported { .. } => "imported",
        Response::Audit { .. } => "audit",
        Response::LockState { .. } => "lock state",
        Response::Presets { .. } => "presets",
        Response::Providers { .. } => "providers",
        Response::Provider { .. } => "provider",
        Response::LoginStarted { .. } => "login_started",
        Response::Token { .. } => "token",
        Response::Refreshed { .. } => "refreshed",
        Response::LoggedOut { .. } => "logged_out",
        Response::Due { .. } => "due",
        Response::Resolved { .. } => "resolved",
        Response::ProjectFileRefused { .. } => "project_file_refused",
        Response::Allowance { .. } => "allowance",
        Response::Denied { .. } => "denied",
    }
}

fn init(session: &mut Session, kdf: &str) -> Result<()> {
    if session.vault.exists() {
        return fail(
            exit::EXISTS,
            format!("a vault already exists at {}", session.vault.display()),
        );
    }
    let params = KdfParams::preset(kdf).unwrap_or_default();
    let password = session.passwords.new_password("New master password")?;
    let started = Instant::now();
    session.call(Request::Init {
        vault: session.vault.clone(),
        password: WireSecret::new(password),
        kdf: params,
    })?;
    eprintln!(
        "Created {} (Argon2id, {} MiB, {} passes; unlocking takes about {:.2} s).",
        session.vault.display(),
        params.memory_kib / 1024,
        params.iterations,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Refuses a value given as an argument: it is already in shell history and visible in `ps`.
fn refuse_argv_value(value: Option<String>, command: &str, name: &str) -> Result<()> {
    if value.is_some() {
        return fail(
            exit::OTHER,
            format!(
                "refusing to take a secret from the command line: it would be visible in your shell \
                 history and to other processes. Run `vault {command} {name}` and type the value at \
                 the prompt, or pipe it: `printf %s \"$VALUE\" | vault {command} {name}`. Nothing was stored."
            ),
        );
    }
    Ok(())
}

fn add(session: &mut Session, name: String, value: Option<String>, meta: MetaArgs) -> Result<()> {
    refuse_argv_value(value, "add", &name)?;
    let mut rotation = meta
        .rotate_every
        .as_deref()
        .map(RotationPolicy::parse)
        .transpose()?;
    let expires = meta.expires.as_deref().map(parse_expiry).transpose()?;
    let last_rotated = meta.last_rotated.as_deref().map(parse_expiry).transpose()?;
    session.ensure_unlocked()?;
    let value = read_value(&session.passwords, &name)?;
    let mut env = meta.env;
    let mut service = meta.service;
    if let Some(format) = formats::detect(value.expose()) {
        apply_known_format(format, &mut env, &mut service, &mut rotation);
    }
    let key = NewKey {
        name,
        value: WireSecret::new(value),
        env,
        service,
        tags: meta.tag,
        notes: meta.notes,
        rotation: rotation.unwrap_or_default(),
        expires,
        last_rotated,
    };
    match session.op(Op::Add { key })? {
        Response::Item { item } => {
            eprintln!(
                "Added {} (as {}).",
                item.meta.name(),
                item.meta.env().join(", ")
            );
            // An old key (--last-rotated) or a near expiry needs saying now, not at the next
            // `vault due`.
            let now = Timestamp::now();
            let lead = due_lead(None).unwrap_or(DEFAULT_LEAD_DAYS);
            if let Some(a) = attention::attention_of(&item, now, lead) {
                eprintln!(
                    "note: {}: {} ({}); see `vault due`.",
                    a.name,
                    output::reason(a.reason, a.at, now),
                    output::date(a.at)
                );
            }
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

/// Fills in what the user left out from a recognised key format, and says on stderr what was
/// filled in, or that a given service contradicts the value.
fn apply_known_format(
    format: &formats::KeyFormat,
    env: &mut Vec<String>,
    service: &mut Option<String>,
    rotation: &mut Option<RotationPolicy>,
) {
    let mut applied = Vec::new();
    if env.is_empty() {
        env.push(format.env.to_owned());
        applied.push(format!("env {}", format.env));
    }
    match service.as_deref() {
        None => {
            *service = Some(format.provider.id.to_owned());
            applied.push(format!("service {}", format.provider.id));
        }
        Some(given) => {
            if let Some(p) = formats::provider_for_service(given)
                && p.id != format.provider.id
            {
                eprintln!(
                    "warning: the value looks like a {}, but the service given is {}; \
                     check you pasted the right key",
                    format.description(),
                    p.name
                );
            }
        }
    }
    if rotation.is_none() {
        *rotation = Some(format.policy());
        applied.push(format!(
            "rotation {}",
            output::interval(format.interval_days())
        ));
    }
    if !applied.is_empty() {
        eprintln!(
            "Recognised a {}: {} (choose otherwise with --env, --service or --rotate-every).",
            format.description(),
            applied.join(", ")
        );
    }
}

/// A date (local midnight) or an RFC 3339 timestamp.
fn parse_expiry(text: &str) -> Result<Timestamp> {
    if let Ok(t) = text.parse::<Timestamp>() {
        return Ok(t);
    }
    let date: Date = text.parse().map_err(|_| {
        anyhow::Error::from(crate::session::Failure::new(
            exit::OTHER,
            format!("{text:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"),
        ))
    })?;
    Ok(date.to_zoned_datetime(TimeZone::system())?.timestamp())
}

#[derive(Serialize)]
struct ItemWithValue<'a> {
    #[serde(flatten)]
    item: &'a Item,
    value: &'a str,
}

/// `vault get`: one of the `vault` front's fast paths.
pub fn get(session: &mut Session, args: &GetArgs) -> Result<()> {
    let GetArgs {
        name,
        field,
        no_newline,
        json,
    } = args;
    let (item, value) = match session.op(Op::Get { name: name.clone() })? {
        Response::Secret { item, value } => (item, value.into_inner()),
        other => return Err(unexpected(other)),
    };
    if *json {
        return output::json(&ItemWithValue {
            item: &item,
            value: value.expose(),
        });
    }
    let text = field_text(&item, value, field)?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.expose().as_bytes())?;
    if !no_newline {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

fn field_text(item: &Item, value: SecretValue, field: &str) -> Result<SecretValue> {
    let ItemMeta::ApiKey(meta) = item.meta.clone() else {
        return fail(
            exit::OTHER,
            format!("{} is an OAuth grant; see `vault grants`", item.meta.name()),
        );
    };
    let key = vault_core::ApiKey {
        id: item.id,
        meta,
        value,
    };
    key.field(field)
        .map_err(|e| crate::session::Failure::new(exit::OTHER, e.to_string()).into())
}

#[derive(Serialize)]
struct ListedItem<'a> {
    #[serde(flatten)]
    item: &'a Item,
    state: vault_core::DueState,
    #[serde(skip_serializing_if = "Option::is_none")]
    due: Option<Timestamp>,
}

fn ls(session: &mut Session, query: Option<String>, tag: Option<String>, json: bool) -> Result<()> {
    let filtered = query.is_some() || tag.is_some();
    let lead = due_lead(None)?;
    let items = match session.op(Op::List { query, tag })? {
        Response::Items { items } => items,
        other => return Err(unexpected(other)),
    };
    let now = Timestamp::now();
    if json {
        let listed: Vec<ListedItem<'_>> = items
            .iter()
            .map(|item| match &item.meta {
                ItemMeta::ApiKey(m) => {
                    let schedule = m.schedule();
                    let (state, _) = output::rotation(m, now, lead);
                    ListedItem {
                        item,
                        state,
                        due: schedule.due,
                    }
                }
                // A grant needs attention only when it needs a new login; it refreshes itself.
                ItemMeta::Grant(g) => ListedItem {
                    item,
                    state: if g.status == vault_core::GrantStatus::Ok {
                        vault_core::DueState::Ok
                    } else {
                        vault_core::DueState::Expired
                    },
                    due: None,
                },
            })
            .collect();
        return output::json(&listed);
    }
    if items.is_empty() {
        if filtered {
            eprintln!("No matching items.");
        } else {
            eprintln!(
                "The vault is empty. Add a key with `vault add NAME` or `vault import .env`."
            );
        }
        return Ok(());
    }
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| match &item.meta {
            ItemMeta::ApiKey(m) => vec![
                m.name.clone(),
                m.env.join(","),
                m.tags.join(","),
                output::rotation(m, now, lead).1,
            ],
            ItemMeta::Grant(g) => vec![
                g.name.clone(),
                g.env.join(","),
                g.tags.join(","),
                format!(
                    "OAuth grant ({}): {}",
                    g.provider,
                    crate::oauth::status_text(g, now)
                ),
            ],
        })
        .collect();
    let mut out = std::io::stdout().lock();
    out.write_all(output::table(&["NAME", "ENV", "TAGS", "ROTATION"], &rows).as_bytes())?;
    Ok(())
}

struct EditArgs {
    rename: Option<String>,
    env: Vec<String>,
    add_env: Vec<String>,
    remove_env: Vec<String>,
    tag: Vec<String>,
    untag: Vec<String>,
    service: Option<String>,
    notes: Option<String>,
    rotate_every: Option<String>,
    expires: Option<String>,
    no_expiry: bool,
}

fn edit(session: &mut Session, name: &str, a: EditArgs) -> Result<()> {
    let mut edit = ApiKeyEdit {
        rename: a.rename,
        service: a.service.map(|s| Some(s).filter(|s| !s.is_empty())),
        notes: a.notes,
        rotation: a
            .rotate_every
            .as_deref()
            .map(RotationPolicy::parse)
            .transpose()?,
        expires: if a.no_expiry {
            Some(None)
        } else {
            a.expires
                .as_deref()
                .map(parse_expiry)
                .transpose()?
                .map(Some)
        },
        ..Default::default()
    };
    let list_changes = !a.env.is_empty()
        || !a.add_env.is_empty()
        || !a.remove_env.is_empty()
        || !a.tag.is_empty()
        || !a.untag.is_empty();
    if list_changes {
        let current = match session.op(Op::Describe {
            name: name.to_owned(),
        })? {
            Response::Item { item } => item,
            other => return Err(unexpected(other)),
        };
        let ItemMeta::ApiKey(m) = current.meta else {
            return fail(
                exit::OTHER,
                format!("{name} is an OAuth grant; its settings come from `vault login`"),
            );
        };
        if !a.env.is_empty() || !a.add_env.is_empty() || !a.remove_env.is_empty() {
            let mut env = if a.env.is_empty() { m.env } else { a.env };
            env.extend(a.add_env);
            env.retain(|e| !a.remove_env.contains(e));
            if env.is_empty() {
                return fail(
                    exit::OTHER,
                    "an item needs at least one environment variable name",
                );
            }
            edit.env = Some(env);
        }
        if !a.tag.is_empty() || !a.untag.is_empty() {
            let mut tags = m.tags;
            tags.extend(a.tag);
            tags.retain(|t| !a.untag.contains(t));
            edit.tags = Some(tags);
        }
    }
    if edit == ApiKeyEdit::default() {
        return fail(exit::OTHER, "nothing to change; see `vault edit --help`");
    }
    match session.op(Op::Edit {
        name: name.to_owned(),
        edit,
    })? {
        Response::Item { item } => {
            eprintln!("Updated {}.", item.meta.name());
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

fn rm(session: &mut Session, name: &str, yes: bool) -> Result<()> {
    let item = match session.op(Op::Describe {
        name: name.to_owned(),
    })? {
        Response::Item { item } => item,
        other => return Err(unexpected(other)),
    };
    if !yes {
        if !interactive() {
            return fail(
                exit::CANCELLED,
                "not deleting without confirmation; pass --yes",
            );
        }
        if !confirm(&format!(
            "Delete {} and all its previous values?",
            item.meta.name()
        ))? {
            return fail(exit::CANCELLED, "cancelled; nothing was deleted");
        }
    }
    session.op(Op::Remove {
        name: name.to_owned(),
    })?;
    eprintln!("Deleted {}.", item.meta.name());
    Ok(())
}

fn rotate(session: &mut Session, name: &str, value: Option<String>) -> Result<()> {
    refuse_argv_value(value, "rotate", name)?;
    session.ensure_unlocked()?;
    // Fail on a missing item before asking for a value.
    let item = describe(session, name)?;
    let ItemMeta::ApiKey(meta) = &item.meta else {
        return fail(
            exit::OTHER,
            format!(
                "{name} is an OAuth grant: its tokens rotate on refresh (`vault refresh {name}`)"
            ),
        );
    };
    let value = read_value(&session.passwords, name)?;
    // A new value of another provider's format is most likely a paste of the wrong key.
    let expected = meta
        .service
        .as_deref()
        .and_then(formats::provider_for_service);
    if let (Some(found), Some(expected)) = (formats::detect(value.expose()), expected)
        && found.provider.id != expected.id
    {
        eprintln!(
            "warning: the new value looks like a {}, but {} is a {} item; \
             `vault rollback {name}` restores the previous value",
            found.description(),
            meta.name,
            expected.name
        );
    }
    let version = match session.op(Op::Rotate {
        name: name.to_owned(),
        value: WireSecret::new(value),
    })? {
        Response::Version { version } => version,
        other => return Err(unexpected(other)),
    };
    let ItemMeta::ApiKey(meta) = describe(session, name)?.meta else {
        return Err(anyhow::anyhow!("{name} changed kind while rotating"));
    };
    let next = match meta.schedule().due {
        Some(d) => format!("next rotation due {}", output::date(d)),
        None => "no rotation scheduled".into(),
    };
    eprintln!(
        "Rotated {}: version {version} is current ({next}); the previous value is kept in its history.",
        meta.name
    );
    Ok(())
}

fn describe(session: &mut Session, name: &str) -> Result<Item> {
    match session.op(Op::Describe {
        name: name.to_owned(),
    })? {
        Response::Item { item } => Ok(item),
        other => Err(unexpected(other)),
    }
}

fn history(session: &mut Session, name: &str, json: bool) -> Result<()> {
    let versions = match session.op(Op::History {
        name: name.to_owned(),
    })? {
        Response::Versions { versions } => versions,
        other => return Err(unexpected(other)),
    };
    if json {
        return output::json(&versions);
    }
    let rows: Vec<Vec<String>> = versions
        .iter()
        .rev()
        .map(|v| {
            vec![
                v.version.to_string(),
                output::date_time(v.set_at),
                v.replaced_at
                    .map_or_else(|| "current".to_owned(), output::date_time),
            ]
        })
        .collect();
    print!("{}", output::table(&["VERSION", "SET", "REPLACED"], &rows));
    Ok(())
}

fn rollback(session: &mut Session, name: &str, to: Option<u32>) -> Result<()> {
    match session.op(Op::Rollback {
        name: name.to_owned(),
        to,
    })? {
        Response::Version { version } => {
            eprintln!("Rolled back {name}: the restored value is now version {version}.");
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

/// The lead time: `--lead` when given, else the `due-lead` setting (default 14 days).
fn due_lead(flag: Option<&str>) -> Result<u32> {
    if let Some(text) = flag {
        return Ok(rotation::parse_days(text.trim())?);
    }
    use vault_agent::config::Config;
    match Config::default_path() {
        Some(path) => Ok(Config::load(&path)?.due_lead_days()?),
        None => Ok(DEFAULT_LEAD_DAYS),
    }
}

fn due(
    session: &mut Session,
    lead: Option<&str>,
    check: bool,
    tag: Option<String>,
    json: bool,
) -> Result<()> {
    let lead_days = due_lead(lead)?;
    let report = match session.op(Op::Due { lead_days, tag })? {
        Response::Due { report } => report,
        other => return Err(unexpected(other)),
    };
    let now = report.now;
    if json {
        output::json(&report)?;
    } else if !report.items.is_empty() {
        let rows: Vec<Vec<String>> = report
            .items
            .iter()
            .map(|a| {
                vec![
                    a.state.label().to_owned(),
                    a.name.clone(),
                    output::reason(a.reason, a.at, now),
                    output::date(a.at),
                ]
            })
            .collect();
        print!(
            "{}",
            output::table(&["STATE", "NAME", "WHAT", "DATE"], &rows)
        );
    }
    let failing = report.has_overdue_or_expired();
    if check {
        if failing {
            let c = report.counts;
            let mut parts = Vec::new();
            if c.expired > 0 {
                parts.push(format!("{} expired", c.expired));
            }
            if c.overdue > 0 {
                parts.push(format!("{} overdue for rotation", c.overdue));
            }
            return fail(
                exit::ATTENTION,
                format!(
                    "{} of {} need action: {}",
                    c.expired + c.overdue,
                    output::count(report.checked, "item"),
                    parts.join(", ")
                ),
            );
        }
        return Ok(());
    }
    if json {
        return Ok(());
    }
    if report.items.is_empty() {
        let next = report.next.as_ref().map_or(String::new(), |n| {
            let what = if n.reason == Reason::Expired {
                "expires"
            } else {
                "rotation due"
            };
            format!(" Next: {}, {what} {}.", n.name, output::date(n.at))
        });
        let what = if lead_days == 0 {
            "expired or overdue".to_owned()
        } else {
            format!(
                "expired, overdue or due within {}",
                output::count(lead_days as usize, "day")
            )
        };
        eprintln!(
            "Nothing is {what} ({} checked).{next}",
            output::count(report.checked, "item")
        );
    } else {
        eprintln!(
            "After replacing a key at its provider, record the new value with `vault rotate NAME`."
        );
    }
    Ok(())
}

fn passwd(session: &mut Session, kdf: Option<&str>) -> Result<()> {
    let current = session.passwords.next(&format!(
        "Current master password for {}: ",
        session.vault.display()
    ))?;
    // Check the current password before asking for a new one.
    session.call(Request::Unlock {
        vault: session.vault.clone(),
        password: WireSecret::new(current.clone()),
    })?;
    let new = session.passwords.new_password("New master password")?;
    let kdf = kdf.and_then(KdfParams::preset);
    // Every item is re-sealed under a new data key: seconds for a very large vault.
    let notice = output::SlowNotice::start(
        "re-encrypting every item under a new key (the old password opens nothing afterwards)…"
            .into(),
    );
    let changed = session.call(Request::ChangePassword {
        vault: session.vault.clone(),
        current: WireSecret::new(current),
        new: WireSecret::new(new),
        kdf,
    });
    drop(notice);
    changed?;
    eprintln!(
        "Changed the master password of {}.",
        session.vault.display()
    );
    Ok(())
}

#[derive(Serialize)]
struct ImportSummary<'a> {
    dry_run: bool,
    added: &'a [String],
    rotated: &'a [String],
    skipped: &'a [vault_core::model::Skipped],
    recognised: &'a [Recognised],
}

fn import(
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
    let parsed = dotenv::parse(&text);
    drop(text);
    let mut skipped = parsed.skipped;
    let (added, rotated, recognised) = if dry_run {
        let recognised = parsed
            .entries
            .iter()
            .filter_map(|e| formats::detect(e.value.expose()).map(|f| Recognised::new(&e.key, f)))
            .collect();
        (
            parsed.entries.iter().map(|e| e.key.clone()).collect(),
            Vec::new(),
            recognised,
        )
    } else {
        let entries = parsed
            .entries
            .into_iter()
            .map(|e| ImportEntry {
                key: e.key,
                value: WireSecret::new(e.value),
                line: e.line,
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
            added: &added,
            rotated: &rotated,
            skipped: &skipped,
            recognised: &recognised,
        });
    }
    let verb = if dry_run { "Would import" } else { "Imported" };
    eprintln!(
        "{verb} {} new item{}{} from {}.",
        added.len(),
        if added.len() == 1 { "" } else { "s" },
        if rotated.is_empty() {
            String::new()
        } else {
            format!(" and rotated {}", rotated.len())
        },
        file.display()
    );
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

#[derive(Serialize)]
struct Exported<'a> {
    #[serde(flatten)]
    item: &'a Item,
    value: &'a str,
}

fn export(
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
    let items = match session.op(Op::Export)? {
        Response::Secrets { items } => items,
        other => return Err(unexpected(other)),
    };
    let items: Vec<_> = items
        .into_iter()
        .filter(|(i, _)| {
            tag.as_deref()
                .is_none_or(|t| i.meta.tags().iter().any(|x| x == t))
        })
        .collect();
    let mut text = Zeroizing::new(String::new());
    match format {
        ExportFormat::Env => {
            let mut seen = std::collections::HashSet::new();
            for (item, value) in &items {
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
                .map(|(item, value)| Exported {
                    item,
                    value: value.0.expose(),
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

fn log(session: &mut Session, limit: usize, json: bool) -> Result<()> {
    let entries = match session.op(Op::Audit { limit })? {
        Response::Audit { entries } => entries,
        other => return Err(unexpected(other)),
    };
    if json {
        return output::json(&entries);
    }
    use vault_core::model::AuditEvent as E;
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let what = match &e.event {
                E::VaultCreated => "vault created".to_owned(),
                E::PasswordChanged => "master password changed".to_owned(),
                E::ItemAdded { name } => format!("added {name}"),
                E::ItemEdited { name } => format!("edited {name}"),
                E::ItemRenamed { from, to } => format!("renamed {from} to {to}"),
                E::ItemRotated { name, version } => format!("rotated {name} (version {version})"),
                E::ItemRolledBack {
                    name,
                    to_version,
                    version,
                } => {
                    format!("rolled {name} back to version {to_version} (now version {version})")
                }
                E::ItemRemoved { name } => format!("deleted {name}"),
                E::Imported { added, rotated } => {
                    format!("imported {added} new, {rotated} rotated")
                }
                E::Exported { count } => format!("exported {count} items"),
                E::GrantLoggedIn { name, provider } => {
                    format!("logged in to {provider} as grant {name}")
                }
                E::GrantNeedsRelogin { name } => {
                    format!("grant {name} was refused by its provider; it needs a new login")
                }
                E::GrantLoggedOut { name, revoked } => format!(
                    "logged out of {name}{}",
                    if *revoked {
                        " (revoked at the provider)"
                    } else {
                        " (deleted locally)"
                    }
                ),
                E::ProviderAdded { name } => format!("configured OAuth provider {name}"),
                E::ProviderRemoved { name } => format!("removed OAuth provider {name}"),
                E::ProjectFileAllowed { path, vars } if vars.is_empty() => {
                    format!("allowed project file {path}")
                }
                E::ProjectFileAllowed { path, vars } => {
                    format!("allowed project file {path} (with {})", vars.join(", "))
                }
                E::ProjectFileDenied { path } => format!("denied project file {path}"),
                E::Run { program, items } => {
                    format!("ran {program} with {}", items.join(", "))
                }
            };
            vec![output::date_time(e.at), what]
        })
        .collect();
    print!("{}", output::table(&["TIME", "EVENT"], &rows));
    Ok(())
}

fn unlock(session: &mut Session) -> Result<()> {
    if !session.uses_agent() {
        return fail(
            exit::OTHER,
            "`vault unlock` keeps the vault unlocked in the agent; with --no-agent every command \
             asks for the password instead",
        );
    }
    match session.call(Request::Vault {
        vault: session.vault.clone(),
        op: Op::Ping,
    }) {
        Ok(_) => {
            eprintln!("{} is already unlocked.", session.vault.display());
            return Ok(());
        }
        Err(e)
            if e.downcast_ref::<crate::session::Failure>()
                .is_some_and(|f| f.code == exit::LOCKED) => {}
        Err(e) => return Err(e),
    }
    session.unlock()?;
    eprintln!("Unlocked {}.", session.vault.display());
    Ok(())
}

fn lock(session: &mut Session) -> Result<()> {
    match session.running_agent()? {
        Some(agent) => {
            agent.call(&Request::Lock { vault: None })?;
            eprintln!("Locked.");
        }
        None => eprintln!("No agent is running: nothing is unlocked."),
    }
    Ok(())
}

#[derive(Serialize)]
struct StatusReport {
    vault: std::path::PathBuf,
    exists: bool,
    unlocked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    locks_in_secs: Option<u64>,
    agent: Option<AgentReport>,
    /// What `vault due` would show; absent while the vault is locked.
    #[serde(skip_serializing_if = "Option::is_none")]
    due: Option<attention::DueReport>,
}

#[derive(Serialize)]
struct AgentReport {
    pid: u32,
    build: String,
    lock_after_secs: Option<u64>,
}

fn status(session: &mut Session, json: bool) -> Result<()> {
    let vault = session.vault.clone();
    let mut report = StatusReport {
        exists: vault.exists(),
        vault,
        unlocked: false,
        locks_in_secs: None,
        agent: None,
        due: None,
    };
    if let Some(agent) = session.running_agent()? {
        let (pid, build) = (agent.pid, agent.build.clone());
        match agent.call(&Request::Status)? {
            Response::Status {
                vaults,
                lock_after_secs,
            } => {
                if let Some(v) = vaults.iter().find(|v| v.path == report.vault) {
                    report.unlocked = v.unlocked;
                    report.locks_in_secs = v.locks_in_secs;
                }
                report.agent = Some(AgentReport {
                    pid,
                    build,
                    lock_after_secs,
                });
            }
            other => return Err(unexpected(other)),
        }
        // Status never asks for a password: the due section needs the vault already unlocked
        // (and says so when the agent locked it in the meantime).
        if report.unlocked {
            let due = Request::Vault {
                vault: report.vault.clone(),
                op: Op::Due {
                    lead_days: due_lead(None)?,
                    tag: None,
                },
            };
            if let Response::Due { report: due } = agent.call(&due)? {
                report.due = Some(due);
            }
        }
    }
    if json {
        return output::json(&report);
    }
    let state = if !report.exists {
        "no vault here yet; create one with `vault init`".to_owned()
    } else if report.unlocked {
        match report.locks_in_secs {
            Some(s) => format!("unlocked, locks {}", output::in_duration(s)),
            None => "unlocked, no automatic lock".to_owned(),
        }
    } else {
        "locked".to_owned()
    };
    println!("Vault:  {} ({state})", report.vault.display());
    match &report.agent {
        Some(a) => println!(
            "Agent:  running, pid {} ({}), locks after {} idle",
            a.pid,
            a.build,
            a.lock_after_secs
                .map_or_else(|| "never".to_owned(), output::duration)
        ),
        None if session.uses_agent() => {
            println!("Agent:  not running (the next command that needs the vault starts it)")
        }
        None => println!("Agent:  not used (--no-agent)"),
    }
    if report.exists {
        print!("{}", due_section(report.due.as_ref()));
    }
    Ok(())
}

/// The `Due:` lines of `vault status`: a summary, then the most urgent items.
fn due_section(due: Option<&attention::DueReport>) -> String {
    const SHOWN: usize = 5;
    let Some(r) = due else {
        return "Due:    unknown while locked (`vault due` unlocks and shows it)\n".into();
    };
    let within = output::count(r.lead_days as usize, "day");
    if r.items.is_empty() {
        let next = r.next.as_ref().map_or(String::new(), |n| {
            format!("; next: {} on {}", n.name, output::date(n.at))
        });
        return format!("Due:    nothing expired, overdue or due within {within}{next}\n");
    }
    let c = r.counts;
    let mut parts = Vec::new();
    for (n, what) in [
        (c.expired, "expired"),
        (c.overdue, "overdue"),
        (c.due_soon, "due soon"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let mut out = format!(
        "Due:    {} (within {within}; `vault due` for details)\n",
        parts.join(", ")
    );
    let rows: Vec<Vec<String>> = r
        .items
        .iter()
        .take(SHOWN)
        .map(|a| {
            vec![
                a.state.label().to_owned(),
                a.name.clone(),
                output::reason(a.reason, a.at, r.now),
            ]
        })
        .collect();
    // The table without its header row, indented under `Due:`.
    for line in output::table(&["", "", ""], &rows).lines().skip(1) {
        out.push_str(&format!("        {line}\n"));
    }
    if r.items.len() > SHOWN {
        out.push_str(&format!("        ... and {} more\n", r.items.len() - SHOWN));
    }
    out
}

/// `vault config ...`: the settings file, and the running agent told at once.
pub fn config(action: ConfigAction, no_agent: bool) -> Result<()> {
    use vault_agent::config::{Config, KEYS, LOCK_AFTER, parse_duration_or_never};
    let path =
        Config::default_path().context("cannot find a home directory for the settings file")?;
    let mut config = Config::load(&path)?;
    match action {
        ConfigAction::List { json } => {
            let mut rows = Vec::new();
            let mut map = serde_json::Map::new();
            for k in KEYS {
                let value = config.get(k.name)?;
                map.insert(k.name.to_owned(), value.clone().into());
                let origin = if config.is_set(k.name) {
                    ""
                } else {
                    " (default)"
                };
                rows.push(vec![
                    k.name.to_owned(),
                    format!("{value}{origin}"),
                    k.help.to_owned(),
                ]);
            }
            if json {
                return output::json(&map);
            }
            print!("{}", output::table(&["SETTING", "VALUE", "MEANING"], &rows));
        }
        ConfigAction::Get { key } => println!("{}", config.get(&key)?),
        ConfigAction::Set { key, value } => {
            let value = config.set(&key, &value)?;
            eprintln!("Set {key} to {value} in {}.", path.display());
        }
        ConfigAction::Unset { key } => {
            config.unset(&key)?;
            eprintln!("{key} is back to its default ({}).", config.get(&key)?);
        }
    }
    // The agent reads the file when it starts; a running one is told now.
    if !no_agent
        && let Ok(Some(mut agent)) =
            vault_agent::Client::connect(&vault_agent::AgentDir::for_current_user())
    {
        let lock_after =
            parse_duration_or_never(&config.get(LOCK_AFTER)?).map_err(anyhow::Error::msg)?;
        agent.call(&Request::Configure {
            lock_after_secs: lock_after.map(|d| d.as_secs()),
        })?;
    }
    Ok(())
}

/// `vault agent`: start it in the background, run it in the foreground, or stop it.
pub fn agent(foreground: bool, stop: bool, daemon: bool) -> Result<()> {
    use vault_agent::server::{self, Mode};
    use vault_agent::{AgentDir, Client};
    let dir = AgentDir::for_current_user();
    if stop {
        match Client::stop(&dir)? {
            Some(pid) => eprintln!("Stopped the agent (pid {pid})."),
            None => eprintln!("No agent is running."),
        }
        return Ok(());
    }
    if foreground || daemon {
        let config = vault_agent::config::Config::default_path()
            .map(|p| vault_agent::config::Config::load(&p))
            .transpose()?
            .unwrap_or_default();
        let mode = if daemon {
            Mode::Daemon
        } else {
            Mode::Foreground
        };
        server::run(
            dir,
            mode,
            config.lock_after()?,
            Box::new(vault_core::Timestamp::now),
        )?;
        return Ok(());
    }
    if let Ok(Some(c)) = Client::connect(&dir) {
        eprintln!("The agent is already running (pid {}).", c.pid);
        return Ok(());
    }
    let exe = std::env::current_exe().context("cannot find this program's path")?;
    let c = Client::connect_or_start(&dir, &exe)?;
    eprintln!("Started the agent (pid {}).", c.pid);
    Ok(())
}

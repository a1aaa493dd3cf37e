//! The commands on one item: `add`, `ls`, `edit`, `rm`, `rotate`, `history` and `rollback`
//! (`get` is `get`'s).

use std::io::Write;

use anyhow::Result;
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Serialize;
use vault_agent::protocol::{NewKey, Op, Response, WireSecret};
use vault_core::attention::{self};
use vault_core::hosts::{self, HostRule};
use vault_core::model::{ApiKeyEdit, Item, ItemMeta};
use vault_core::rotation::DEFAULT_LEAD_DAYS;
use vault_core::{RotationPolicy, SecretValue, formats};

use crate::cli::{EditArgs, MetaArgs, check_secret_field_args};
use crate::exit::{self, fail, unexpected};
use crate::output;
use crate::session::{Session, confirm, interactive, read_value, read_values};

use super::vault::due_lead;

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

/// `vault add`; `generated` is `vault generate`'s value, used instead of reading one.
pub(super) fn add(
    session: &mut Session,
    name: String,
    value: Option<String>,
    meta: MetaArgs,
    generated: Option<SecretValue>,
) -> Result<()> {
    refuse_argv_value(value, "add", &name)?;
    check_secret_field_args(&meta.secret_field).or_else(|m| fail(exit::OTHER, m))?;
    let mut rotation = meta
        .rotate_every
        .as_deref()
        .map(RotationPolicy::parse)
        .transpose()?;
    let expires = meta.expires.as_deref().map(parse_expiry).transpose()?;
    let last_rotated = meta.last_rotated.as_deref().map(parse_expiry).transpose()?;
    let hosts = if meta.no_host {
        Some(Vec::new())
    } else if meta.host.is_empty() {
        None
    } else {
        Some(parse_hosts(&meta.host)?)
    };
    session.ensure_unlocked()?;
    let labels: Vec<String> = meta
        .secret_field
        .iter()
        .map(|f| format!("{name}'s {f}"))
        .collect();
    let (value, secrets) = match generated {
        Some(v) if labels.is_empty() => (v, Vec::new()),
        Some(v) => (v, read_values(&session.passwords, &labels)?),
        None if labels.is_empty() => (read_value(&session.passwords, &name)?, Vec::new()),
        None => {
            let mut all = vec![format!("Value for {name}")];
            all.extend(labels);
            let mut values = read_values(&session.passwords, &all)?.into_iter();
            let value = values
                .next()
                .ok_or_else(|| anyhow::anyhow!("internal: no value read for {name}"))?;
            (value, values.collect())
        }
    };
    let mut secret_fields: vault_agent::protocol::WireFields = meta
        .secret_field
        .into_iter()
        .zip(secrets)
        .map(|(f, v)| (f, WireSecret::new(v)))
        .collect();
    let mut env = meta.env;
    let mut service = meta.service;
    let mut fields: std::collections::BTreeMap<String, String> = meta.field.into_iter().collect();
    // An AWS access key pasted whole (id, secret, maybe a session token): one item that
    // `vault aws` can answer with.
    let value = match crate::aws::pasted(value.expose()) {
        Some(p) => {
            fields.insert(crate::aws::KEY_ID_FIELD.to_owned(), p.key_id);
            if let Some(t) = p.session_token {
                secret_fields.insert(crate::aws::TOKEN_FIELD.to_owned(), WireSecret::new(t));
            }
            if env.is_empty() {
                env.push("AWS_SECRET_ACCESS_KEY".to_owned());
            }
            service.get_or_insert_with(|| "AWS".to_owned());
            eprintln!(
                "An AWS access key: the secret is the value, the key id its {} field (`vault setup aws {name}` lets the AWS CLI use it).",
                crate::aws::KEY_ID_FIELD
            );
            p.secret
        }
        None => value,
    };
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
        hosts,
        fields,
        secret_fields,
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
            warn_shared_env(session, &item);
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

/// Says when another item already sets one of `item`'s variables: `vault run --profile` would
/// have to choose, so it refuses until one is named with --item.
fn warn_shared_env(session: &mut Session, item: &Item) {
    let Ok(Response::Items { items }) = session.op(Op::List {
        query: None,
        tag: None,
    }) else {
        return;
    };
    for env in item.meta.env() {
        let others: Vec<&str> = items
            .iter()
            .filter(|i| i.id != item.id && i.meta.env().contains(env))
            .map(|i| i.meta.name())
            .collect();
        if !others.is_empty() {
            eprintln!(
                "warning: {env} is also set by {}; `vault run` takes one of them only when it \
                 is named (--item NAME), or give this one another name with `vault edit {} \
                 --env OTHER_NAME`.",
                others.join(", "),
                item.meta.name()
            );
        }
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
            *service = Some(format.service.id.to_owned());
            applied.push(format!("service {}", format.service.id));
        }
        Some(given) => {
            if let Some(p) = formats::service_by_name(given)
                && p.id != format.service.id
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
            "Recognised {}: {} (choose otherwise with --env, --service or --rotate-every).",
            output::with_article(&format.description()),
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
        anyhow::Error::from(crate::exit::Failure::new(
            exit::OTHER,
            format!("{text:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"),
        ))
    })?;
    Ok(date.to_zoned_datetime(TimeZone::system())?.timestamp())
}

#[derive(Serialize)]
struct ListedItem<'a> {
    #[serde(flatten)]
    item: &'a Item,
    state: vault_core::DueState,
    due: Option<Timestamp>,
    /// Where an API key may be sent: its own hosts (`hosts`, when it has some) or its
    /// service's.
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_hosts: Option<Vec<String>>,
}

/// `--host` rules, checked before anything is asked or sent.
fn parse_hosts(rules: &[String]) -> Result<Vec<HostRule>> {
    hosts::parse_all(rules).map_err(|e| exit::Failure::new(exit::OTHER, e.to_string()).into())
}

/// An API key's hosts as the table shows them: the service's are marked as such.
fn hosts_text(m: &vault_core::model::ApiKeyMeta) -> String {
    let allowed: Vec<String> = m.allowed_hosts().iter().map(ToString::to_string).collect();
    match (&m.hosts, allowed.is_empty()) {
        (_, true) => "(none)".to_owned(),
        (Some(_), false) => allowed.join(","),
        (None, false) => format!("{} (service)", allowed.join(",")),
    }
}

pub(super) fn ls(
    session: &mut Session,
    query: Option<String>,
    tag: Option<String>,
    json: bool,
    long: bool,
) -> Result<()> {
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
                        allowed_hosts: Some(
                            m.allowed_hosts().iter().map(ToString::to_string).collect(),
                        ),
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
                    allowed_hosts: None,
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
        .map(|item| {
            let (mut row, hosts) = match &item.meta {
                ItemMeta::ApiKey(m) => (
                    vec![
                        m.name.clone(),
                        m.env.join(","),
                        m.tags.join(","),
                        output::rotation(m, now, lead).1,
                    ],
                    hosts_text(m),
                ),
                ItemMeta::Grant(g) => (
                    vec![
                        g.name.clone(),
                        g.env.join(","),
                        g.tags.join(","),
                        format!(
                            "OAuth grant ({}): {}",
                            g.provider,
                            super::oauth::status_text(g, now)
                        ),
                    ],
                    String::new(),
                ),
            };
            if long {
                row.push(hosts);
            }
            row
        })
        .collect();
    let mut headers = vec!["NAME", "ENV", "TAGS", "ROTATION"];
    if long {
        headers.push("HOSTS");
    }
    let mut out = std::io::stdout().lock();
    out.write_all(output::table(&headers, &rows).as_bytes())?;
    Ok(())
}

pub(super) fn edit(session: &mut Session, a: EditArgs) -> Result<()> {
    let name = a.name.as_str();
    check_secret_field_args(&a.secret_field).or_else(|m| fail(exit::OTHER, m))?;
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
    if a.no_host {
        edit.hosts = Some(Some(Vec::new()));
    } else if a.default_hosts {
        edit.hosts = Some(None);
    }
    if !a.field.is_empty() || !a.remove_field.is_empty() {
        let mut fields = std::collections::BTreeMap::new();
        for name in a.remove_field {
            fields.insert(name, None);
        }
        for (name, value) in a.field {
            fields.insert(name, Some(value));
        }
        edit.fields = Some(fields);
    }
    let host_changes = !a.host.is_empty() || !a.add_host.is_empty() || !a.remove_host.is_empty();
    let list_changes = !a.env.is_empty()
        || !a.add_env.is_empty()
        || !a.remove_env.is_empty()
        || !a.tag.is_empty()
        || !a.untag.is_empty()
        || host_changes;
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
            let mut env = if a.env.is_empty() {
                m.env.clone()
            } else {
                a.env
            };
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
            let mut tags = m.tags.clone();
            tags.extend(a.tag);
            tags.retain(|t| !a.untag.contains(t));
            edit.tags = Some(tags);
        }
        if host_changes {
            // Added to and removed from the hosts the key goes to now (its service's until it
            // has its own), compared as rules: `API.example.com` is `api.example.com`.
            let mut hosts = if a.host.is_empty() {
                m.allowed_hosts()
            } else {
                parse_hosts(&a.host)?
            };
            hosts.extend(parse_hosts(&a.add_host)?);
            let removed = parse_hosts(&a.remove_host)?;
            hosts.retain(|h| !removed.contains(h));
            edit.hosts = Some(Some(hosts.iter().map(ToString::to_string).collect()));
        }
    }
    if edit == ApiKeyEdit::default() && a.secret_field.is_empty() {
        return fail(exit::OTHER, "nothing to change; see `vault edit --help`");
    }
    let secret_fields = if a.secret_field.is_empty() {
        Default::default()
    } else {
        session.ensure_unlocked()?;
        let labels: Vec<String> = a
            .secret_field
            .iter()
            .map(|f| format!("{name}'s {f}"))
            .collect();
        a.secret_field
            .into_iter()
            .zip(read_values(&session.passwords, &labels)?)
            .map(|(f, v)| (f, WireSecret::new(v)))
            .collect()
    };
    match session.op(Op::Edit {
        name: name.to_owned(),
        edit,
        secret_fields,
    })? {
        Response::Item { item } => {
            eprintln!("Updated {}.", item.meta.name());
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

pub(super) fn rm(session: &mut Session, name: &str, yes: bool) -> Result<()> {
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
    let done = session.op(Op::Remove {
        name: name.to_owned(),
    })?;
    eprintln!("Deleted {}.", item.meta.name());
    if matches!(done, Response::ErasePending) {
        output::erase_pending(&session.vault, "its old sealed values");
    }
    Ok(())
}

/// `vault generate`: a random value, added as a new item or (`rotate`) as a new version of
/// one; never printed.
pub(super) fn generate(
    session: &mut Session,
    name: String,
    length: usize,
    charset: &str,
    rotate_existing: bool,
    meta: MetaArgs,
) -> Result<()> {
    if rotate_existing
        && (!meta.env.is_empty()
            || !meta.tag.is_empty()
            || meta.service.is_some()
            || !meta.notes.is_empty()
            || meta.rotate_every.is_some()
            || meta.last_rotated.is_some())
    {
        return fail(
            exit::OTHER,
            "with --rotate only --expires applies (the new value's); change the rest with \
             `vault edit`",
        );
    }
    let invalid = |e: vault_core::Error| crate::exit::Failure::new(exit::OTHER, e.to_string());
    let charset = vault_core::generate::Charset::parse(charset).map_err(invalid)?;
    let value = vault_core::generate::value(length, charset).map_err(invalid)?;
    if rotate_existing {
        rotate(session, &name, None, meta.expires.as_deref(), Some(value))?;
    } else {
        add(session, name.clone(), None, meta, Some(value))?;
    }
    let bits = (charset.bits_per_char() * length as f64).floor();
    eprintln!(
        "The value is {length} random characters ({bits} bits); `vault get {name}` prints it, \
         `vault get {name} --copy` copies it."
    );
    Ok(())
}

/// `vault rotate`; `generated` is `vault generate --rotate`'s value.
pub(super) fn rotate(
    session: &mut Session,
    name: &str,
    value: Option<String>,
    expires: Option<&str>,
    generated: Option<SecretValue>,
) -> Result<()> {
    refuse_argv_value(value, "rotate", name)?;
    let expires = expires.map(parse_expiry).transpose()?;
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
    let value = match generated {
        Some(v) => v,
        None => read_value(&session.passwords, name)?,
    };
    // A new value of another provider's format is most likely a paste of the wrong key.
    let expected = meta.service.as_deref().and_then(formats::service_by_name);
    if let (Some(found), Some(expected)) = (formats::detect(value.expose()), expected)
        && found.service.id != expected.id
    {
        eprintln!(
            "warning: the new value looks like {}, but {} is a {} item; \
             `vault rollback {name}` restores the previous value",
            output::with_article(&found.description()),
            meta.name,
            expected.name
        );
    }
    let had_expiry = meta.expires.is_some();
    let version = match session.op(Op::Rotate {
        name: name.to_owned(),
        value: WireSecret::new(value),
        expires,
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
    match meta.expires {
        Some(e) => eprintln!("The new value expires {}.", output::date(e)),
        None if had_expiry => eprintln!(
            "The previous value's expiry was cleared; give the new value's with \
             `vault edit {} --expires DATE`.",
            meta.name
        ),
        None => {}
    }
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

pub(super) fn history(session: &mut Session, name: &str, json: bool) -> Result<()> {
    let versions = match session.op(Op::History {
        name: name.to_owned(),
    })? {
        Response::Versions { versions } => versions,
        other => return Err(unexpected(other)),
    };
    if json {
        // Newest first, as in the table.
        let newest_first: Vec<_> = versions.iter().rev().collect();
        return output::json(&newest_first);
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

pub(super) fn rollback(session: &mut Session, name: &str, to: Option<u32>) -> Result<()> {
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

//! Commands on the vault as a whole: `init`, `passwd`, `unlock`, `lock`, `status`, `due`, `log`.

use std::time::Instant;

use anyhow::Result;
use serde::Serialize;
use vault_agent::protocol::{Op, Request, Response, WireSecret};
use vault_core::attention;
use vault_core::crypto::KdfParams;
use vault_core::rotation::{self, DEFAULT_LEAD_DAYS};

use crate::exit::{self, fail};
use crate::output;
use crate::session::Session;

use crate::exit::unexpected;

pub(super) fn init(session: &mut Session, kdf: &str) -> Result<()> {
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

/// The lead time: `--lead` when given, else the `due-lead` setting (default 14 days).
pub(super) fn due_lead(flag: Option<&str>) -> Result<u32> {
    if let Some(text) = flag {
        return Ok(rotation::parse_days(text.trim())?);
    }
    use vault_agent::config::Config;
    match Config::default_path() {
        Some(path) => Ok(Config::load(&path)?.due_lead_days()?),
        None => Ok(DEFAULT_LEAD_DAYS),
    }
}

pub(super) fn due(
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
            let acting = c.expired + c.overdue;
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
                    "{acting} of {} {}: {}",
                    output::count(report.checked, "item"),
                    if acting == 1 {
                        "needs action"
                    } else {
                        "need action"
                    },
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
            format!(
                " Next: {}, {} {}.",
                n.name,
                n.event.words(),
                output::date(n.at)
            )
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

pub(super) fn passwd(session: &mut Session, kdf: Option<&str>) -> Result<()> {
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
    let changed = changed?;
    eprintln!(
        "Changed the master password of {}.",
        session.vault.display()
    );
    if matches!(changed, Response::ErasePending) {
        output::erase_pending(
            &session.vault,
            "the rows sealed under the old key (which the old password opens)",
        );
    }
    Ok(())
}

pub(super) fn log(session: &mut Session, limit: usize, json: bool) -> Result<()> {
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
                E::BackedUp { path, items } => format!("backed up {items} items to {path}"),
                E::Restored { from } => format!("restored from {from}"),
                E::GrantLoggedIn { name, provider } => {
                    format!("logged in to {provider} as grant {name}")
                }
                E::GrantNeedsRelogin { name } => {
                    format!("grant {name} was refused by its provider; it needs a new login")
                }
                E::ItemRefused { name, by } => {
                    format!("{by} refused the value of {name}; it needs a new one")
                }
                E::ItemAccepted { name, by } => {
                    format!("{by} accepted the value of {name} again")
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
                    format!("gave {} to {program}", items.join(", "))
                }
                E::ProxyRefused { item, destination } => format!(
                    "the proxy kept {item} from {destination} (not one of its hosts); nothing was sent"
                ),
                E::SyncStarted { device } => format!("started syncing as device {device}"),
                E::SyncDeviceAdded { device } => format!("paired device {device}"),
                E::SyncDeviceRemoved { device } => format!("removed device {device} from sync"),
                E::SyncPairingRefused { device } => format!(
                    "refused device {device}: it answered an invitation with a wrong pairing code"
                ),
                E::ShareAdded { member, items } => format!("shared {items} with {member}"),
                E::ShareRemoved { member } => format!(
                    "removed {member} from sharing (what they could read is due for rotation)"
                ),
                E::ShareAccepted { share } => format!("accepted share {share}"),
                E::SyncConflictResolved {
                    name,
                    with,
                    took_other,
                } => {
                    if *took_other {
                        format!("settled {name} (changed here and on {with}) taking the other value")
                    } else {
                        format!("settled {name} (changed here and on {with}) keeping this value")
                    }
                }
            };
            vec![output::date_time(e.at), what]
        })
        .collect();
    print!("{}", output::table(&["TIME", "EVENT"], &rows));
    Ok(())
}

pub(super) fn unlock(session: &mut Session) -> Result<()> {
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
            if e.downcast_ref::<crate::exit::Failure>()
                .is_some_and(|f| f.code == exit::LOCKED) => {}
        Err(e) => return Err(e),
    }
    session.unlock()?;
    eprintln!("Unlocked {}.", session.vault.display());
    Ok(())
}

pub(super) fn lock(session: &mut Session) -> Result<()> {
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
    locks_in_secs: Option<u64>,
    agent: Option<AgentReport>,
    /// What `vault due` would show; absent while the vault is locked.
    due: Option<attention::DueReport>,
}

#[derive(Serialize)]
struct AgentReport {
    pid: u32,
    build: String,
    lock_after_secs: Option<u64>,
}

pub(super) fn status(session: &mut Session, json: bool) -> Result<()> {
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
            Some(s) => format!("unlocked, locks {} if left idle", output::in_duration(s)),
            None => "unlocked, never locks by itself".to_owned(),
        }
    } else {
        "locked".to_owned()
    };
    println!("Vault:  {} ({state})", report.vault.display());
    match &report.agent {
        Some(a) => println!(
            "Agent:  running, pid {} ({}), {}",
            a.pid,
            a.build,
            a.lock_after_secs.map_or_else(
                || "lock-after never".to_owned(),
                |s| format!("lock-after {}", output::duration(s))
            )
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
pub(super) fn due_section(due: Option<&attention::DueReport>) -> String {
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

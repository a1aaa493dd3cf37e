//! `vault sync`: init, a round now, status, devices, pairing (invite and join) and removing a
//! device. The agent does the work (the network, the keys); this renders it.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result};
use jiff::Timestamp;
use vault_agent::protocol::{Op, Response, WireSecret};
use vault_core::{SecretValue, SyncRound, SyncStatus};

use vault_core::vault_sync::location::{Location, join_command, shown};

use crate::cli::{StorageArgs, SyncArgs, SyncCommand, SyncEngine};
use crate::exit::{self, fail, unexpected};
use crate::output;
use crate::session::{Session, confirm, interactive};

pub fn sync(session: &mut Session, args: SyncArgs) -> Result<()> {
    match args.command {
        None => {
            let (round, status) = synced(session.op(Op::Sync)?)?;
            report(&round, status.as_ref());
            Ok(())
        }
        Some(SyncCommand::Init(engine)) => {
            let (url, name) = match engine {
                SyncEngine::Git { url, name } => (url, name),
                SyncEngine::S3 { url, storage, name } => (s3_url(&url, &storage)?, name),
            };
            let name = name.unwrap_or_else(vault_agent::host_name);
            let (round, _) = synced(session.op(Op::SyncInit {
                url: url.clone(),
                name: name.clone(),
            })?)?;
            eprintln!(
                "This vault now syncs through {} as {name:?}: {} sent, as ciphertext only.",
                shown(&url),
                output::count(round.sent, "item")
            );
            let key = Location::parse(&url).ok().and_then(|l| l.key);
            match key {
                Some(key) => eprintln!(
                    "To add another machine: add the storage's key there too (`vault add {key}`), run `vault sync invite` here, then `{}` there.",
                    join_command(&url)
                ),
                None => eprintln!(
                    "To add another machine: run `vault sync invite` here, then `{}` there.",
                    join_command(&url)
                ),
            }
            Ok(())
        }
        Some(SyncCommand::Compact) => {
            let (round, status) = synced(session.op(Op::SyncCompact)?)?;
            report(&round, status.as_ref());
            Ok(())
        }
        Some(SyncCommand::Status { json }) => {
            let status = status(session)?;
            if json {
                return output::json(&status);
            }
            let Some(s) = status else {
                println!(
                    "This vault does not sync. Start with `vault sync init git URL`, or `vault sync join URL` to join another device's."
                );
                return Ok(());
            };
            print_status(&s);
            Ok(())
        }
        Some(SyncCommand::Devices { json }) => {
            let Some(s) = status(session)? else {
                return fail(
                    exit::OTHER,
                    "this vault does not sync; `vault sync init git URL` starts",
                );
            };
            if json {
                return output::json(&s.devices);
            }
            let rows: Vec<Vec<String>> = s
                .devices
                .iter()
                .map(|d| {
                    let state = if d.this {
                        "this device"
                    } else if d.removed {
                        "removed"
                    } else {
                        "paired"
                    };
                    vec![d.name.clone(), d.id.clone(), state.to_owned()]
                })
                .collect();
            print!("{}", output::table(&["NAME", "ID", "STATE"], &rows));
            Ok(())
        }
        Some(SyncCommand::Invite) => invite(session),
        Some(SyncCommand::Join {
            url,
            storage,
            name,
            code_stdin,
        }) => join(
            session,
            &remote_url(url, &storage)?,
            name.unwrap_or_else(vault_agent::host_name),
            code_stdin,
        ),
        Some(SyncCommand::Resolve { name, use_other }) => {
            let settled = match session.op(Op::SyncResolve {
                name,
                take_other: use_other,
            })? {
                Response::Settled { settled } => settled,
                other => return Err(unexpected(other)),
            };
            if settled.took_other {
                eprintln!(
                    "{} now holds the other value (version {}); the one it replaced is in `vault history {}`.",
                    settled.name, settled.version, settled.name
                );
            } else {
                eprintln!(
                    "Kept the current value of {}; the other one (the conflict with {}) stays as version {} in `vault history {}`.",
                    settled.name, settled.with, settled.other_version, settled.name
                );
            }
            eprintln!("The other devices see it settled after their next sync.");
            Ok(())
        }
        Some(SyncCommand::RemoveDevice { device, yes }) => {
            if !yes {
                if !interactive() {
                    return fail(
                        exit::CANCELLED,
                        "not removing a device without confirmation; pass --yes",
                    );
                }
                if !confirm(&format!(
                    "Remove {device} from sync? It gets nothing new, and every value it held comes due for rotation."
                ))? {
                    return fail(exit::CANCELLED, "cancelled; nothing was removed");
                }
            }
            let (round, status) = synced(session.op(Op::SyncRemoveDevice {
                device: device.clone(),
            })?)?;
            eprintln!(
                "Removed {device}: nothing it writes from now on is read, and it does not have the new sync key."
            );
            eprintln!("Rotate the values it held: `vault due` lists them.");
            report(&round, status.as_ref());
            Ok(())
        }
    }
}

/// The `s3://` URL the agent stores: the one typed, with the flags' settings in it.
/// The remote a user typed, with the S3 flags folded into an `s3://` URL (refused for git).
pub(super) fn remote_url(url: String, storage: &StorageArgs) -> Result<String> {
    if Location::is_s3(&url) {
        s3_url(&url, storage)
    } else if storage.endpoint.is_some() || storage.region.is_some() || storage.key.is_some() {
        fail(
            exit::OTHER,
            "--endpoint, --region and --key are for s3:// URLs; a git remote signs in through git's own credential helpers or SSH key",
        )
    } else {
        Ok(url)
    }
}

fn s3_url(url: &str, storage: &StorageArgs) -> Result<String> {
    Location::with_settings(
        url,
        storage.endpoint.as_deref(),
        storage.region.as_deref(),
        storage.key.as_deref(),
    )
    .map_err(|e| exit::Failure::new(exit::OTHER, e.to_string()).into())
}

pub(super) fn synced(response: Response) -> Result<(SyncRound, Option<SyncStatus>)> {
    match response {
        Response::Synced { round, status } => Ok((round, status)),
        other => Err(unexpected(other)),
    }
}

fn status(session: &mut Session) -> Result<Option<SyncStatus>> {
    match session.op(Op::SyncStatus)? {
        Response::SyncStatus { status } => Ok(status),
        other => Err(unexpected(other)),
    }
}

pub(super) fn report(round: &SyncRound, status: Option<&SyncStatus>) {
    // A vault that does not sync itself still receives what members of others' vaults share
    // with it: there is no remote of its own to name then.
    let with = status.map_or_else(
        || "the items shared with this vault".to_owned(),
        |s| format!("with {}", s.remote),
    );
    report_as(round, &with);
}

/// The round's counts, conflicts and notes, after "Synced {with}".
pub(super) fn report_as(round: &SyncRound, with: &str) {
    eprintln!(
        "Synced {with}: {} received, {} sent.",
        output::count(round.received, "change"),
        output::count(round.sent, "change")
    );
    for name in &round.conflicts {
        eprintln!(
            "{name} was changed on two devices at once: both values are kept (`vault history {name}`; `vault sync resolve {name}` settles it)."
        );
    }
    for note in &round.notes {
        eprintln!("Note: {note}");
    }
}

fn print_status(s: &SyncStatus) {
    let now = Timestamp::now();
    let this = s.devices.iter().find(|d| d.this);
    println!("Remote:    {}", s.remote);
    if let Some(d) = this {
        println!("Device:    {} ({})", d.name, d.id);
    }
    println!(
        "Last sync: {}",
        s.last_sync
            .map_or_else(|| "never".to_owned(), |t| output::relative(t, now))
    );
    println!(
        "Pending:   {} here, {} not pushed yet",
        output::count(s.pending, "change"),
        output::count(s.unsent, "segment")
    );
    let others: Vec<String> = s
        .devices
        .iter()
        .filter(|d| !d.this && !d.removed)
        .map(|d| d.name.clone())
        .collect();
    println!(
        "Devices:   {}",
        if others.is_empty() {
            "no other device yet (`vault sync invite`)".to_owned()
        } else {
            others.join(", ")
        }
    );
    if !s.conflicts.is_empty() {
        println!(
            "Changed on two devices: {} (`vault sync resolve NAME` keeps a value)",
            s.conflicts.join(", ")
        );
    }
    for note in &s.notes {
        println!("Note: {note}");
    }
    if s.removed {
        println!("This device was removed from sync by another one: it receives nothing new.");
    }
}

fn invite(session: &mut Session) -> Result<()> {
    let (code, nameplate, expires) = match session.op(Op::SyncInvite)? {
        Response::Invitation {
            code,
            nameplate,
            expires,
        } => (code.into_inner(), nameplate, expires),
        other => return Err(unexpected(other)),
    };
    let url = status(session)?.map(|s| s.url).unwrap_or_default();
    eprintln!(
        "On the new device, run:\n\n  {}\n\nand type this pairing code (valid until {}, once):\n",
        join_command(&url),
        output::date_time(expires)
    );
    // The code alone on stdout, for scripts; never in a log.
    println!("{}", code.expose());
    eprintln!("\nWaiting for the new device... (Ctrl-C gives up)");
    match session.op(Op::SyncInviteWait { nameplate })? {
        Response::Paired { name } => {
            eprintln!(
                "Paired {name:?}: it has the sync keys, and receives everything on its first sync."
            );
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

fn join(session: &mut Session, url: &str, name: String, code_stdin: bool) -> Result<()> {
    if !session.vault.exists() {
        let path = session.vault.display().to_string();
        if !interactive() || code_stdin {
            return fail(
                exit::VAULT,
                format!(
                    "no vault at {path} to join with: create this device's with `vault init` first (its own master password; the items come from the other devices)"
                ),
            );
        }
        if !confirm(&format!(
            "No vault at {path} yet. Create one for this device? It gets its own master password; the items come from the other devices."
        ))? {
            return fail(exit::CANCELLED, "cancelled; nothing was created");
        }
        super::vault::init(session, "standard")?;
    }
    let code = if code_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the pairing code from stdin")?;
        SecretValue::from(line.trim().to_owned())
    } else {
        if !std::io::stdin().is_terminal() {
            return fail(
                exit::OTHER,
                "no terminal to type the pairing code on; pass --code-stdin",
            );
        }
        eprint!("Pairing code (shown by `vault sync invite` on the other device): ");
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the pairing code")?;
        SecretValue::from(line.trim().to_owned())
    };
    eprintln!("Pairing through {}...", shown(url));
    let (round, status) = synced(session.op(Op::SyncJoin {
        url: url.to_owned(),
        name: name.clone(),
        code: WireSecret::new(code),
    })?)?;
    eprintln!("Joined as {name:?}.");
    report(&round, status.as_ref());
    Ok(())
}

//! `vault share`: whoami, add, accept, ls, rm. The agent does the work (the remote, the keys);
//! this renders it.

use anyhow::Result;
use jiff::Timestamp;
use vault_agent::protocol::{Op, Response};
use vault_core::{ShareInfo, ShareState};

use super::sync::{remote_url, report_as, synced};
use crate::cli::ShareCommand;
use crate::exit::unexpected;
use crate::output;
use crate::session::Session;

pub fn share(session: &mut Session, command: ShareCommand) -> Result<()> {
    match command {
        ShareCommand::Whoami => match session.op(Op::ShareWhoami)? {
            Response::ShareKey { recipient } => {
                println!("{recipient}");
                Ok(())
            }
            other => Err(unexpected(other)),
        },
        ShareCommand::Add {
            member,
            recipient,
            items,
        } => match session.op(Op::ShareAdd {
            member,
            recipient,
            items,
        })? {
            Response::ShareAdded { share, accept } => {
                eprintln!(
                    "{} gets {} ({}), encrypted to their key alone. They run:",
                    share.name,
                    output::count(share.items, "item"),
                    share.selector.join(", ")
                );
                println!("{accept}");
                Ok(())
            }
            other => Err(unexpected(other)),
        },
        ShareCommand::Accept { url, id, storage } => {
            let url = remote_url(url, &storage)?;
            let shown = vault_core::vault_sync::location::shown(&url);
            let (round, _) = synced(session.op(Op::ShareAccept { url, id })?)?;
            report_as(&round, &format!("with {shown}"));
            eprintln!("`vault sync` keeps them current; `vault share ls` shows the share.");
            Ok(())
        }
        ShareCommand::Ls { json } => {
            let shares = list(session)?;
            if json {
                return output::json(&shares);
            }
            print_list(&shares);
            Ok(())
        }
        ShareCommand::Rm { member } => {
            let shares = match session.op(Op::ShareRemove {
                member: member.clone(),
            })? {
                Response::Shares { shares } => shares,
                other => return Err(unexpected(other)),
            };
            let held = shares
                .iter()
                .filter(|s| s.owner && s.state == ShareState::Removed)
                .find(|s| s.name.eq_ignore_ascii_case(&member))
                .map_or(0, |s| s.items);
            eprintln!(
                "{member} gets nothing new. They could read {}: `vault due` lists each until it is rotated.",
                output::count(held, "item")
            );
            Ok(())
        }
    }
}

fn list(session: &mut Session) -> Result<Vec<ShareInfo>> {
    match session.op(Op::ShareList)? {
        Response::Shares { shares } => Ok(shares),
        other => Err(unexpected(other)),
    }
}

fn print_list(shares: &[ShareInfo]) {
    if shares.is_empty() {
        println!(
            "No shares yet. `vault share add NAME age1... --items tag:T` shares with a member; `vault share whoami` prints your key for others."
        );
        return;
    }
    let now = Timestamp::now();
    let when =
        |t: Option<Timestamp>| t.map_or_else(|| "never".to_owned(), |t| output::relative(t, now));
    let state = |s: ShareState| match s {
        ShareState::Waiting => "waiting for them to accept",
        ShareState::Active => "active",
        ShareState::Removed => "removed",
    };
    let (given, received): (Vec<&ShareInfo>, Vec<&ShareInfo>) =
        shares.iter().partition(|s| s.owner);
    if !given.is_empty() {
        let rows: Vec<Vec<String>> = given
            .iter()
            .map(|s| {
                vec![
                    s.name.clone(),
                    s.selector.join(", "),
                    s.items.to_string(),
                    state(s.state).to_owned(),
                    when(s.last_seen),
                ]
            })
            .collect();
        print!(
            "{}",
            output::table(&["MEMBER", "GETS", "ITEMS", "STATE", "LAST SEEN"], &rows)
        );
    }
    if !received.is_empty() {
        if !given.is_empty() {
            println!();
        }
        let rows: Vec<Vec<String>> = received
            .iter()
            .map(|s| {
                vec![
                    s.name.clone(),
                    s.items.to_string(),
                    state(s.state).to_owned(),
                    when(s.last_sync),
                    s.remote.clone(),
                ]
            })
            .collect();
        print!(
            "{}",
            output::table(
                &["SHARED BY", "ITEMS", "STATE", "LAST SYNC", "REMOTE"],
                &rows
            )
        );
    }
}

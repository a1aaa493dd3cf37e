//! `vault proxy ls` and `vault proxy end`: the running `vault run --proxy` sessions, where
//! their values went and what was refused, and a way to cut one off.

use anyhow::Result;
use jiff::Timestamp;
use vault_agent::protocol::{Op, ProxySessionInfo, Response};

use crate::exit::unexpected;
use crate::output;
use crate::session::Session;

pub fn ls(session: &mut Session, json: bool) -> Result<()> {
    let sessions = match session.op(Op::ProxySessions)? {
        Response::ProxySessions { sessions } => sessions,
        other => return Err(unexpected(other)),
    };
    if json {
        return output::json(&sessions);
    }
    if sessions.is_empty() {
        eprintln!("No `vault run --proxy` is running with this vault.");
        return Ok(());
    }
    let now = Timestamp::now();
    let rows: Vec<Vec<String>> = sessions.iter().map(|s| row(s, now)).collect();
    print!(
        "{}",
        output::table(
            &[
                "ID", "PROGRAM", "PID", "STARTED", "ITEMS", "SENT TO", "REFUSED"
            ],
            &rows
        )
    );
    for s in &sessions {
        if let Some(last) = s.recent_refusals.last() {
            eprintln!("{} last refused: {last}", s.id);
        }
    }
    Ok(())
}

fn row(s: &ProxySessionInfo, now: Timestamp) -> Vec<String> {
    let sent = if s.sent.is_empty() {
        "-".to_owned()
    } else {
        s.sent
            .iter()
            .map(|d| format!("{} ({})", short(&d.destination), d.requests))
            .collect::<Vec<_>>()
            .join(", ")
    };
    vec![
        s.id.clone(),
        s.program.clone(),
        s.pid.to_string(),
        output::relative(s.started, now),
        s.items.join(", "),
        sent,
        s.refusals.to_string(),
    ]
}

/// `api.openai.com` for `https://api.openai.com:443`: the scheme and port only when unusual.
fn short(destination: &str) -> &str {
    destination
        .strip_prefix("https://")
        .and_then(|d| d.strip_suffix(":443"))
        .unwrap_or(destination)
}

pub fn end(session: &mut Session, id: &str) -> Result<()> {
    match session.op(Op::ProxyEnd { id: id.to_owned() })? {
        Response::Ok => {
            eprintln!(
                "Ended proxy session {id}: its program's requests through the proxy are refused \
                 from now on (the program itself keeps running)."
            );
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_destination_is_shown_short_when_it_is_plain_https() {
        assert_eq!(short("https://api.openai.com:443"), "api.openai.com");
        assert_eq!(short("https://localhost:8443"), "https://localhost:8443");
        assert_eq!(short("http://intranet:80"), "http://intranet:80");
    }
}

//! `vault git-credential get|store|erase`: the helper git runs (`vault setup git` configures
//! it). `get` answers from the unlocked agent: a fresh access token of an OAuth grant whose
//! provider serves that host, else an API key allowed to go there, with its `username` field.
//! Nothing matching, a locked vault, or input it cannot read: no answer (git asks its next
//! helper, then the user), one line on stderr at most, never a prompt, never a hang.
//!
//! `store` keeps what git prompted for (and the server accepted) as an item tagged `git`;
//! `erase` removes such an item when the server refuses it, never an item the user added.

mod hook;
pub mod protocol;
mod setup;
mod store;

pub use hook::{hook_status, pre_commit};
pub(crate) use setup::program;
pub use setup::setup;
pub(crate) use store::{free_name, unchanged};

use std::io::{Read, Write};

use anyhow::Result;
use vault_agent::protocol::{Op, Request, Response};
use vault_core::hosts::Destination;
use vault_core::model::{GrantMeta, ProviderMeta};
use vault_core::{Item, ItemMeta};

use crate::session::Session;
use protocol::Answer;

/// What `credential.helper` names: `git credential-... get|store|erase`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Action {
    Get,
    Store,
    Erase,
}

/// Who the audit log says a value went to.
const PROGRAM: &str = "git (credential helper)";

pub fn credential(session: &mut Session, action: Action) -> Result<()> {
    let mut input = Vec::new();
    // git writes the request and closes the pipe; a bounded read, never a wait for a tty.
    std::io::stdin()
        .take(64 * 1024 + 1)
        .read_to_end(&mut input)?;
    let request = match protocol::parse(&input) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vault: {e}");
            return Ok(());
        }
    };
    let stored = match action {
        Action::Get => None,
        Action::Store => Some(store::store(session, &request)),
        Action::Erase => Some(store::erase(session, &request)),
    };
    if let Some(result) = stored {
        if let Err(e) = result {
            eprintln!("vault: {}", why(&e));
        }
        return Ok(());
    }
    let answer = match get(session, &request) {
        Ok(answer) => answer,
        Err(e) => {
            eprintln!("vault: {}", why(&e));
            return Ok(());
        }
    };
    if let Some(lines) = answer.and_then(|a| a.render()) {
        let mut out = std::io::stdout().lock();
        out.write_all(lines.as_bytes())?;
        out.flush()?;
    }
    Ok(())
}

/// One line for git's stderr: the locked case names the way out.
fn why(e: &anyhow::Error) -> String {
    match e.downcast_ref::<crate::exit::Failure>() {
        Some(f) if f.code == crate::exit::LOCKED => {
            "the vault is locked: run `vault unlock` (git asks its next credential helper)".into()
        }
        Some(f) => format!("git credential: {}", f.message),
        None => format!("git credential: {e:#}"),
    }
}

/// Sends `op` to the running agent only: a helper never starts one, never asks for a
/// password, and says "locked" when no agent holds the vault.
pub(crate) fn ask(session: &mut Session, op: Op) -> Result<Response> {
    let vault = session.vault.clone();
    let Some(agent) = session.running_agent()? else {
        return crate::exit::fail(crate::exit::LOCKED, "locked");
    };
    match agent.call(&Request::Vault { vault, op })? {
        Response::Error(e) => Err(crate::exit::Failure::from(e).into()),
        other => Ok(other),
    }
}

/// Where git is going, as the host rules see it.
struct Target {
    tls: bool,
    host: String,
    port: u16,
    path: String,
}

impl Target {
    fn as_destination(&self) -> Destination<'_> {
        Destination {
            tls: self.tls,
            host: &self.host,
            port: self.port,
            path: &self.path,
        }
    }

    /// `host`, or `host:port` off the scheme's port: a host rule for it.
    fn host_port(&self) -> String {
        let default = if self.tls { 443 } else { 80 };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// An HTTP(S) request's target; `None` for ssh and the like, which are not ours to answer.
fn destination(r: &protocol::Request) -> Option<Target> {
    let tls = match r.protocol.as_deref()? {
        "https" => true,
        "http" => false,
        _ => return None,
    };
    let (host, port) = split_host(r.host.as_deref()?, tls);
    Some(Target {
        tls,
        host: host.to_owned(),
        port,
        path: format!("/{}", r.path.as_deref().unwrap_or_default()),
    })
}

fn get(session: &mut Session, request: &protocol::Request) -> Result<Option<Answer>> {
    let Some(target) = destination(request) else {
        return Ok(None);
    };
    let to = target.as_destination();
    let (items, providers) = known(session)?;
    let Some(found) = choose(&items, &providers, &to, request.username.as_deref()) else {
        return Ok(None);
    };
    if let Some(r) = refusal(&items, found.name()) {
        // Offering it again would fail again: git asks its next helper, or the user.
        eprintln!(
            "vault: {} was refused by {} on {}; not offered until it has a new value (`vault \
             rotate {0}`, or type the new one at git's prompt and vault keeps it).",
            found.name(),
            r.by,
            crate::output::date(r.at)
        );
        return Ok(None);
    }
    match found {
        Found::Grant { name, username } => {
            let Response::Token { item, value, .. } = ask(
                session,
                Op::Token {
                    name,
                    min_valid_secs: 300,
                },
            )?
            else {
                return Ok(None);
            };
            let expires = match &item.meta {
                ItemMeta::Grant(g) => g.expires.map(|t| t.as_second()),
                ItemMeta::ApiKey(_) => None,
            };
            Ok(Some(Answer {
                username: Some(username),
                password: Some(zeroize::Zeroizing::new(
                    value.into_inner().expose().to_owned(),
                )),
                password_expiry_utc: expires,
            }))
        }
        Found::Key { name, username } => {
            let Response::Secret { value, item, .. } = ask(
                session,
                Op::Get {
                    name,
                    program: Some(PROGRAM.to_owned()),
                },
            )?
            else {
                return Ok(None);
            };
            let expires = item
                .meta
                .as_api_key()
                .and_then(|m| m.expires)
                .map(|t| t.as_second());
            Ok(Some(Answer {
                username,
                password: Some(zeroize::Zeroizing::new(
                    value.into_inner().expose().to_owned(),
                )),
                password_expiry_utc: expires,
            }))
        }
    }
}

/// The refusal marked on the API key `name`, if any (see `store::erase`).
fn refusal<'a>(items: &'a [Item], name: &str) -> Option<&'a vault_core::model::Refused> {
    items
        .iter()
        .filter_map(|i| i.meta.as_api_key())
        .find(|m| m.name == name)?
        .refused
        .as_ref()
}

/// What could answer git: the items' metadata and the OAuth providers (two round trips).
fn known(session: &mut Session) -> Result<(Vec<Item>, Vec<ProviderMeta>)> {
    let items = match ask(
        session,
        Op::List {
            query: None,
            tag: None,
        },
    )? {
        Response::Items { items } => items,
        _ => Vec::new(),
    };
    let providers = match ask(session, Op::OauthProviders)? {
        Response::Providers { providers } => providers,
        _ => Vec::new(),
    };
    Ok((vault_agent::protocol::owned_items(items), providers))
}

/// `host[:port]` and the port, the scheme's when absent.
fn split_host(host: &str, tls: bool) -> (&str, u16) {
    let default = if tls { 443 } else { 80 };
    if let Some(v6) = host.strip_prefix('[')
        && let Some((addr, rest)) = v6.split_once(']')
    {
        let port = rest.strip_prefix(':').and_then(|p| p.parse().ok());
        return (addr, port.unwrap_or(default));
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => match port.parse() {
            Ok(port) => (name, port),
            Err(_) => (host, default),
        },
        _ => (host, default),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Found {
    Grant {
        name: String,
        username: String,
    },
    Key {
        name: String,
        username: Option<String>,
    },
}

impl Found {
    fn name(&self) -> &str {
        match self {
            Found::Grant { name, .. } | Found::Key { name, .. } => name,
        }
    }
}

/// What answers git for `to`: an OAuth grant whose provider serves it (its token is always
/// fresh), else an API key allowed to go there. With a username from git, only a credential of
/// that user (or of none named) answers. Ties go to the first name, so the answer is stable.
fn choose(
    items: &[Item],
    providers: &[ProviderMeta],
    to: &Destination<'_>,
    username: Option<&str>,
) -> Option<Found> {
    let user_fits = |own: Option<&str>| match (username, own) {
        (Some(asked), Some(own)) => asked == own,
        _ => true,
    };
    let mut grants: Vec<&GrantMeta> = items
        .iter()
        .filter_map(|i| match &i.meta {
            ItemMeta::Grant(g) => Some(g),
            ItemMeta::ApiKey(_) => None,
        })
        .collect();
    grants.sort_by(|a, b| a.name.cmp(&b.name));
    for g in grants {
        let Some(p) = providers.iter().find(|p| p.name == g.provider) else {
            continue;
        };
        if let Some(conventional) = git_host_of(p, to) {
            let username = username.map_or_else(|| conventional.to_owned(), str::to_owned);
            return Some(Found::Grant {
                name: g.name.clone(),
                username,
            });
        }
    }
    let mut keys: Vec<_> = items
        .iter()
        .filter_map(|i| i.meta.as_api_key())
        .filter(|m| m.allowed_hosts().iter().any(|h| h.allows(to)))
        .filter(|m| user_fits(m.fields.get("username").map(String::as_str)))
        .collect();
    // A key naming the user git asked about goes before one naming no one.
    keys.sort_by(|a, b| {
        let named = |m: &&vault_core::model::ApiKeyMeta| !m.fields.contains_key("username");
        named(a).cmp(&named(b)).then_with(|| a.name.cmp(&b.name))
    });
    let m = keys.first()?;
    let username = m
        .fields
        .get("username")
        .cloned()
        .or_else(|| username.map(str::to_owned))
        .or_else(|| conventional_username(m.service.as_deref()).map(str::to_owned));
    Some(Found::Key {
        name: m.name.clone(),
        username,
    })
}

/// Whether a grant of provider `p` can answer for `to`, and the username its tokens go with:
/// the preset's git host (github.com, gitlab.com), or one of the provider's own hosts.
fn git_host_of(p: &ProviderMeta, to: &Destination<'_>) -> Option<&'static str> {
    let preset = p.preset.as_deref().and_then(vault_oauth::preset);
    if let Some(preset) = &preset
        && preset
            .git_hosts
            .iter()
            .filter_map(|h| h.parse::<vault_core::hosts::HostRule>().ok())
            .any(|h| h.allows(to))
    {
        return Some(preset.git_username);
    }
    let own = p.hosts.as_deref().unwrap_or_default();
    own.iter()
        .any(|h| h.allows(to))
        .then(|| preset.map_or("oauth2", |p| p.git_username))
}

/// The username a host's tokens go with when the item names none.
fn conventional_username(service: Option<&str>) -> Option<&'static str> {
    match service? {
        "github" => Some("x-access-token"),
        "gitlab" => Some("oauth2"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_split_from_its_port_or_given_the_schemes() {
        assert_eq!(split_host("github.com", true), ("github.com", 443));
        assert_eq!(split_host("localhost:8443", true), ("localhost", 8443));
        assert_eq!(split_host("intranet", false), ("intranet", 80));
        assert_eq!(split_host("[::1]:9000", true), ("::1", 9000));
        assert_eq!(split_host("[::1]", true), ("::1", 443));
    }
}

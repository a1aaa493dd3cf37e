//! Docker's credential helper: `docker-credential-vault get|store|erase|list` (the vault
//! program under that name, which `vault setup docker` links on PATH; also `vault
//! docker-credential ACTION`). The protocol is docker-credential-helpers': the request on
//! stdin (a server URL, or for `store` a JSON object), the answer on stdout, and on failure a
//! message on stdout with exit status 1, which the Docker CLI shows; "not found" is the exact
//! message it recognises. Answers come from the unlocked agent only: never a prompt, never a
//! wait. A registry's credential is an item tagged `docker`, its username and server in fields.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use anyhow::Result;
use serde::{Deserialize, Serialize};
use vault_agent::protocol::{NewKey, Op, Response, WireSecret};
use vault_core::{Item, SecretValue};
use zeroize::Zeroizing;

use crate::exit;
use crate::git::ask;
use crate::session::Session;

/// What Docker calls the helper with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Action {
    Get,
    Store,
    Erase,
    List,
}

/// The message docker-credential-helpers defines for "no credential": Docker treats it as
/// "not logged in", not as an error.
pub const NOT_FOUND: &str = "credentials not found in native keychain";
/// The tag and fields that mark an item as Docker's.
pub const TAG: &str = "docker";
pub const SERVER_FIELD: &str = "docker-server";
pub const USER_FIELD: &str = "username";
/// Who the audit log says a value went to.
const PROGRAM: &str = "docker (credential helper)";
/// A request is a URL or a small JSON object; anything longer is not Docker's.
const MAX_INPUT: u64 = 64 * 1024;

/// What `store` reads and `get` writes. No `Debug`: it holds the secret.
#[derive(Serialize, Deserialize)]
struct Credentials {
    #[serde(rename = "ServerURL")]
    server_url: String,
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

impl Drop for Credentials {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

/// Runs one action; the exit status Docker reads (0, or 1 with the message on stdout).
pub fn credential(session: &mut Session, action: Action) -> Result<u8> {
    let mut input = Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut input)?;
    let answer = if input.len() as u64 > MAX_INPUT {
        Err(Refusal::Message("the request is too long".into()))
    } else {
        match action {
            Action::Get => get(session, &input),
            Action::Store => store(session, &input).map(|()| None),
            Action::Erase => erase(session, &input).map(|()| None),
            Action::List => list(session),
        }
    };
    let mut out = std::io::stdout().lock();
    match answer {
        Ok(Some(text)) => {
            out.write_all(text.as_bytes())?;
            out.write_all(b"\n")?;
            out.flush()?;
            Ok(0)
        }
        Ok(None) => Ok(0),
        Err(refusal) => {
            let message = match refusal {
                Refusal::NotFound => NOT_FOUND.to_owned(),
                Refusal::Locked(for_docker) => {
                    eprintln!("vault: the vault is locked: run `vault unlock`");
                    for_docker
                }
                Refusal::Message(m) => m,
            };
            writeln!(out, "{message}")?;
            out.flush()?;
            Ok(1)
        }
    }
}

enum Refusal {
    NotFound,
    /// The vault is locked: what Docker is told (a line on stderr names the way out).
    Locked(String),
    Message(String),
}

fn refusal(e: anyhow::Error, locked: &str) -> Refusal {
    match e.downcast_ref::<exit::Failure>() {
        Some(f) if f.code == exit::LOCKED => Refusal::Locked(locked.to_owned()),
        Some(f) if f.code == exit::NOT_FOUND => Refusal::NotFound,
        Some(f) => Refusal::Message(f.message.clone()),
        None => Refusal::Message(format!("{e:#}")),
    }
}

/// The server a request names: Docker sends it as it was configured (`https://index.docker.io/v1/`
/// for Docker Hub, `registry.example.com:5000` for others), so scheme and trailing slashes are
/// compared apart.
fn server_key(url: &str) -> String {
    let rest = url
        .trim()
        .strip_prefix("https://")
        .or_else(|| url.trim().strip_prefix("http://"))
        .unwrap_or(url.trim());
    rest.trim_end_matches('/').to_ascii_lowercase()
}

fn server_of(input: &[u8]) -> Result<String, Refusal> {
    let url = std::str::from_utf8(input)
        .map_err(|_| Refusal::Message("the server URL is not text".into()))?
        .trim();
    if url.is_empty() || url.contains(char::is_whitespace) {
        return Err(Refusal::Message("no server URL on stdin".into()));
    }
    Ok(url.to_owned())
}

/// The vault's items (those tagged `tag`, when given), read through the agent.
fn listed(session: &mut Session, tag: Option<&str>, locked: &str) -> Result<Vec<Item>, Refusal> {
    match ask(
        session,
        Op::List {
            query: None,
            tag: tag.map(str::to_owned),
        },
    )
    .map_err(|e| refusal(e, locked))?
    {
        Response::Items { items } => Ok(vault_agent::protocol::owned_items(items)),
        _ => Ok(Vec::new()),
    }
}

/// Docker's items, read through the agent.
fn docker_items(session: &mut Session, locked: &str) -> Result<Vec<Item>, Refusal> {
    Ok(docker_only(listed(session, Some(TAG), locked)?))
}

/// The items `store` made: tagged `docker`, with the server they are for.
fn docker_only(items: Vec<Item>) -> Vec<Item> {
    items
        .into_iter()
        .filter(|i| {
            i.meta.as_api_key().is_some_and(|m| {
                m.tags.iter().any(|t| t == TAG) && m.fields.contains_key(SERVER_FIELD)
            })
        })
        .collect()
}

fn for_server<'a>(items: &'a [Item], url: &str) -> Option<&'a Item> {
    let key = server_key(url);
    items.iter().find(|i| {
        i.meta
            .as_api_key()
            .and_then(|m| m.fields.get(SERVER_FIELD))
            .is_some_and(|s| server_key(s) == key)
    })
}

fn get(session: &mut Session, input: &[u8]) -> Result<Option<Zeroizing<String>>, Refusal> {
    let url = server_of(input)?;
    // Locked: Docker goes on as if not logged in (a pull of a public image still works).
    let items = docker_items(session, NOT_FOUND)?;
    let Some(item) = for_server(&items, &url) else {
        return Err(Refusal::NotFound);
    };
    let response = ask(
        session,
        Op::Get {
            name: item.meta.name().to_owned(),
            program: Some(PROGRAM.to_owned()),
        },
    )
    .map_err(|e| refusal(e, NOT_FOUND))?;
    let Response::Secret { item, value, .. } = response else {
        return Err(Refusal::NotFound);
    };
    let meta = item.meta.as_api_key();
    let field = |f: &str| meta.and_then(|m| m.fields.get(f)).cloned();
    let answer = Credentials {
        server_url: field(SERVER_FIELD).unwrap_or(url),
        username: field(USER_FIELD).unwrap_or_default(),
        secret: value.into_inner().expose().to_owned(),
    };
    serde_json::to_string(&answer)
        .map(|s| Some(Zeroizing::new(s)))
        .map_err(|e| Refusal::Message(e.to_string()))
}

fn store(session: &mut Session, input: &[u8]) -> Result<(), Refusal> {
    let creds: Credentials = serde_json::from_slice(input).map_err(|_| {
        Refusal::Message(
            "the credentials on stdin are not JSON with ServerURL, Username and Secret".into(),
        )
    })?;
    if creds.server_url.trim().is_empty() || creds.secret.is_empty() {
        return Err(Refusal::Message(
            "no server URL or no secret to store".into(),
        ));
    }
    let locked = "the vault is locked: run `vault unlock`, then `docker login` again";
    // Every item, once: Docker's among them, and the names a new one must not take.
    let all = listed(session, None, locked)?;
    let items = docker_only(all.clone());
    let value = || WireSecret::new(SecretValue::new(creds.secret.as_str()));
    if let Some(item) = for_server(&items, &creds.server_url) {
        let name = item.meta.name().to_owned();
        // A new login: the new secret and user (the old secret stays in the item's history).
        match ask(
            session,
            Op::Rotate {
                name: name.clone(),
                value: value(),
                expires: None,
            },
        ) {
            Ok(_) => {}
            Err(e) if crate::git::unchanged(&e) => {}
            Err(e) => return Err(refusal(e, locked)),
        }
        let same_user = item
            .meta
            .as_api_key()
            .and_then(|m| m.fields.get(USER_FIELD))
            .is_some_and(|u| *u == creds.username);
        if !same_user {
            let edit = vault_core::model::ApiKeyEdit {
                fields: Some(
                    [(USER_FIELD.to_owned(), Some(creds.username.clone()))]
                        .into_iter()
                        .collect(),
                ),
                ..Default::default()
            };
            ask(
                session,
                Op::Edit {
                    name,
                    edit,
                    secret_fields: Default::default(),
                },
            )
            .map_err(|e| refusal(e, locked))?;
        }
        return Ok(());
    }
    let host = server_key(&creds.server_url);
    let host = host.split('/').next().unwrap_or_default().to_owned();
    let name = crate::git::free_name(&all, &format!("docker-{host}"));
    let mut fields = BTreeMap::new();
    fields.insert(USER_FIELD.to_owned(), creds.username.clone());
    fields.insert(SERVER_FIELD.to_owned(), creds.server_url.clone());
    let hosts = host
        .parse()
        .ok()
        .map(|rule: vault_core::hosts::HostRule| vec![rule]);
    let key = NewKey {
        tags: vec![TAG.to_owned()],
        notes: format!(
            "Stored by `docker login` for {} (docker-credential-vault).",
            creds.server_url
        ),
        hosts,
        fields,
        ..NewKey::new(name, value())
    };
    ask(session, Op::Add { key }).map_err(|e| refusal(e, locked))?;
    Ok(())
}

fn erase(session: &mut Session, input: &[u8]) -> Result<(), Refusal> {
    let url = server_of(input)?;
    let locked = "the vault is locked: run `vault unlock`, then `docker logout` again";
    let items = docker_items(session, locked)?;
    let Some(item) = for_server(&items, &url) else {
        return Err(Refusal::NotFound);
    };
    ask(
        session,
        Op::Remove {
            name: item.meta.name().to_owned(),
        },
    )
    .map_err(|e| refusal(e, locked))?;
    Ok(())
}

fn list(session: &mut Session) -> Result<Option<Zeroizing<String>>, Refusal> {
    let items = docker_items(session, "the vault is locked: run `vault unlock`")?;
    let map: BTreeMap<&str, &str> = items
        .iter()
        .filter_map(|i| {
            let m = i.meta.as_api_key()?;
            Some((
                m.fields.get(SERVER_FIELD)?.as_str(),
                m.fields.get(USER_FIELD).map_or("", String::as_str),
            ))
        })
        .collect();
    serde_json::to_string(&map)
        .map(|s| Some(Zeroizing::new(s)))
        .map_err(|e| Refusal::Message(e.to_string()))
}

/// `vault setup docker [--registry HOST] [--undo]`.
pub fn setup(registry: Option<&str>, undo: bool) -> Result<()> {
    use vault_agent::docker_config;
    let path = docker_config::config_path()?;
    let setting = match registry {
        None => "\"credsStore\": \"vault\"".to_owned(),
        Some(r) => format!("\"credHelpers\": {{\"{r}\": \"vault\"}}"),
    };
    if undo {
        if docker_config::uninstall(&path, registry)? {
            eprintln!("Removed from {}: {setting}", path.display());
        } else {
            eprintln!("Docker does not ask vault there: nothing to undo.");
        }
        return Ok(());
    }
    let done = docker_config::install(&path, registry)?;
    if done.already {
        eprintln!("Already set up in {}: {setting}", path.display());
    } else {
        if let Some(old) = &done.replaced {
            eprintln!("Replaced the helper {old:?}.");
        }
        eprintln!("Set in {}: {setting}", path.display());
    }
    link_helper()?;
    let status = docker_config::status(&path)?;
    if !status.plaintext.is_empty() {
        eprintln!(
            "note: {} still holds credentials for {} (base64, not encrypted): `docker logout \
             REGISTRY` then `docker login REGISTRY` moves each into vault.",
            path.display(),
            status.plaintext.join(", ")
        );
    }
    eprintln!(
        "`docker login` now stores into vault, and pulls and pushes ask it (undo: vault setup docker --undo)."
    );
    Ok(())
}

/// Makes `docker-credential-vault` runnable from PATH: nothing when it already is vault, else
/// a link to this program in ~/.local/bin (never over another program of that name).
fn link_helper() -> Result<()> {
    use vault_agent::docker_config::PROGRAM;
    let me = crate::git::program()?;
    let me_real = std::fs::canonicalize(&me).unwrap_or_else(|_| me.clone());
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    if let Some(found) = on_path
        .iter()
        .map(|d| d.join(PROGRAM))
        .find(|p| p.is_file())
    {
        if std::fs::canonicalize(&found).ok().as_ref() == Some(&me_real) {
            return Ok(());
        }
        eprintln!(
            "note: {} is another program; Docker runs it, not vault. Remove it, or put ~/.local/bin first on PATH.",
            found.display()
        );
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| anyhow::anyhow!("cannot find a home directory for ~/.local/bin"))?;
    let bin = std::path::PathBuf::from(home).join(".local/bin");
    let link = bin.join(PROGRAM);
    if std::fs::symlink_metadata(&link).is_ok() {
        if std::fs::canonicalize(&link).ok().as_ref() == Some(&me_real) {
            return Ok(());
        }
        return Err(anyhow::anyhow!(
            "{} exists and is not vault: remove it, then run this again",
            link.display()
        ));
    }
    std::fs::create_dir_all(&bin)?;
    #[cfg(unix)]
    std::os::unix::fs::symlink(&me, &link)?;
    eprintln!("Linked {} -> {}", link.display(), me.display());
    if !on_path.iter().any(|d| d == &bin) {
        eprintln!(
            "note: {} is not on your PATH: add it (export PATH=\"$HOME/.local/bin:$PATH\") so Docker finds the helper.",
            bin.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_is_the_same_with_or_without_scheme_and_slash() {
        assert_eq!(
            server_key("https://index.docker.io/v1/"),
            "index.docker.io/v1"
        );
        assert_eq!(server_key("index.docker.io/v1"), "index.docker.io/v1");
        assert_eq!(
            server_key("Registry.Example.com:5000"),
            "registry.example.com:5000"
        );
        assert_ne!(server_key("ghcr.io"), server_key("ghcr.io.evil.example"));
    }
}

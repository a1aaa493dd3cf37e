//! What the shell completes after `vault get `, `--item `, `vault config set `, ...: item and
//! grant names, tags, providers, setting keys and OAuth presets.
//!
//! Names are encrypted in the vault, so they come from an agent that already holds it unlocked:
//! completing never asks for a password, never starts an agent and never opens the file, and
//! while the vault is locked there is simply nothing to offer. Only names are asked for (the
//! agent's list of metadata), never a value.

use std::ffi::OsStr;

use clap_complete::engine::CompletionCandidate;
use vault_agent::protocol::{Op, Request, Response};
use vault_agent::{AgentDir, Client};
use vault_core::{Item, ItemMeta};

/// Answers a completion request: `_VAULT_COMPLETE=bash vault -- vault get op` (the shell's
/// script, from `vault completions SHELL`, makes these calls). Exits when it was one.
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(|| {
        <crate::cli::Cli as clap::CommandFactory>::command()
    })
    .var(VAR)
    .complete();
}

/// The variable the completion scripts set (namespaced: a stray `COMPLETE` in someone's
/// environment must not turn vault into a completion engine).
pub const VAR: &str = "_VAULT_COMPLETE";

/// The registration script for `shell`, which calls `vault` back for every completion.
pub fn registration(shell: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let shells = clap_complete::env::Shells::builtins();
    let Some(completer) = shells.completer(shell) else {
        return Err(std::io::Error::other(format!("no completion for {shell}")));
    };
    completer.write_registration(VAR, "vault", "vault", "vault", out)
}

/// The unlocked agent's answer to `op` on the vault of `VAULT_PATH` (or the default one);
/// `None` when no agent runs or the vault is locked.
fn ask_agent(op: Op) -> Option<Response> {
    let mut agent = Client::connect(&AgentDir::for_current_user()).ok()??;
    let vault = crate::vault_path(std::env::var_os("VAULT_PATH").map(Into::into)).ok()?;
    agent.call(&Request::Vault { vault, op }).ok()
}

fn items() -> Vec<Item> {
    match ask_agent(Op::List {
        query: None,
        tag: None,
    }) {
        Some(Response::Items { items }) => vault_agent::protocol::owned_items(items),
        _ => Vec::new(),
    }
}

fn matching(current: &OsStr, names: impl IntoIterator<Item = String>) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let mut names: Vec<String> = names
        .into_iter()
        .filter(|n| n.starts_with(current.as_ref()))
        .collect();
    names.sort();
    names.dedup();
    names.into_iter().map(CompletionCandidate::new).collect()
}

/// Every item: API keys and grants.
pub fn item_names(current: &OsStr) -> Vec<CompletionCandidate> {
    matching(current, items().iter().map(|i| i.meta.name().to_owned()))
}

/// API keys only (`rotate`, `edit`, `history`, ...).
pub fn api_key_names(current: &OsStr) -> Vec<CompletionCandidate> {
    names_where(current, |m| matches!(m, ItemMeta::ApiKey(_)))
}

/// OAuth grants only (`token`, `refresh`, `logout`).
pub fn grant_names(current: &OsStr) -> Vec<CompletionCandidate> {
    names_where(current, |m| matches!(m, ItemMeta::Grant(_)))
}

fn names_where(current: &OsStr, keep: impl Fn(&ItemMeta) -> bool) -> Vec<CompletionCandidate> {
    let names = items()
        .into_iter()
        .filter(|i| keep(&i.meta))
        .map(|i| i.meta.name().to_owned());
    matching(current, names)
}

/// Tags in use (`--profile`, `--tag`).
pub fn tags(current: &OsStr) -> Vec<CompletionCandidate> {
    matching(
        current,
        items()
            .iter()
            .flat_map(|i| i.meta.tags().to_vec())
            .collect::<Vec<_>>(),
    )
}

/// Setting keys (`vault config get|set|unset`).
pub fn config_keys(current: &OsStr) -> Vec<CompletionCandidate> {
    matching(
        current,
        vault_agent::config::KEYS.iter().map(|k| k.name.to_owned()),
    )
}

/// Configured providers (`vault login`), from the unlocked agent.
pub fn providers(current: &OsStr) -> Vec<CompletionCandidate> {
    match ask_agent(Op::OauthProviders) {
        Some(Response::Providers { providers }) => {
            matching(current, providers.into_iter().map(|p| p.name))
        }
        _ => Vec::new(),
    }
}

/// Built-in presets (`vault oauth add NAME`, `--preset`).
pub fn presets(current: &OsStr) -> Vec<CompletionCandidate> {
    matching(
        current,
        vault_oauth::provider::presets()
            .iter()
            .map(|p| p.id.to_owned()),
    )
}

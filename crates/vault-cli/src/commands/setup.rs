//! `vault config` and `vault agent`: settings and the agent process, before any session.

use anyhow::{Context, Result};
use vault_agent::protocol::Request;

use crate::cli::ConfigAction;
use crate::output;

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
        ConfigAction::Get { key, json } => {
            let value = config.get(&key)?;
            if json {
                return output::json(&serde_json::json!({
                    "key": key,
                    "value": value,
                    "default": !config.is_set(&key),
                }));
            }
            println!("{value}");
        }
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
            config.sync_every()?,
            std::sync::Arc::new(vault_core::Timestamp::now),
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

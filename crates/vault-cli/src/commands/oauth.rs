//! The OAuth commands: `vault oauth`, `login`, `token`, `grants`, `refresh`, `logout`.
//!
//! Every step runs as a protocol operation (through the agent when there is one); this module
//! only opens the browser, shows progress and prints. A token is printed only by `vault token`,
//! to stdout; messages go to stderr and never hold a token.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use vault_agent::protocol::{NewProvider, Op, Response, WireSecret};
use vault_core::model::GrantMeta;
use vault_core::{GrantStatus, ItemMeta};

use crate::cli::{LoginArgs, OauthCommand, TokenArgs};
use crate::exit::unexpected;
use crate::exit::{self, fail};
use crate::output;
use crate::session::{Session, prompt_hidden};

/// Where a provider's tokens may go, for people: its hosts, "(preset)" when they are its
/// preset's, "(none)" when there are none.
fn hosts_text(p: &vault_core::model::ProviderMeta) -> String {
    let hosts = vault_agent::grants::Grants::provider_hosts(p);
    let list = hosts
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    match (hosts.is_empty(), p.hosts.is_some()) {
        (true, _) => "(none)".to_owned(),
        (false, true) => list,
        (false, false) => format!("{list} (preset)"),
    }
}

/// A duration as the user writes it: `90s`, `5m`, `1h`, `1h30m`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let trimmed = text.trim();
    let parsed = trimmed
        .parse::<u64>()
        .map(Duration::from_secs)
        .ok()
        .or_else(|| {
            trimmed
                .parse::<SignedDuration>()
                .ok()
                .and_then(|d| Duration::try_from(d).ok())
        });
    match parsed {
        Some(d) if d > vault_agent::config::MAX_DURATION => {
            fail(exit::OTHER, vault_agent::config::too_long(trimmed))
        }
        Some(d) => Ok(d),
        None => fail(
            exit::OTHER,
            format!("{text:?} is not a duration (examples: 90s, 5m, 1h)"),
        ),
    }
}

pub fn oauth(session: &mut Session, command: OauthCommand) -> Result<()> {
    match command {
        OauthCommand::Add {
            name,
            preset,
            issuer,
            client_id,
            client_secret_stdin,
            scope,
            host,
            replace,
        } => {
            // `vault oauth add github ...` means the GitHub preset.
            let preset = match (&preset, &issuer) {
                (None, None) if vault_oauth::preset(&name).is_some() => Some(name.clone()),
                _ => preset,
            };
            session.ensure_unlocked()?;
            let client_secret = if client_secret_stdin {
                Some(read_client_secret(session)?)
            } else {
                None
            };
            let provider = NewProvider {
                name,
                preset,
                issuer,
                client_id,
                client_secret: client_secret.map(WireSecret::new),
                scopes: scope,
                hosts: host,
                replace,
            };
            match session.op(Op::OauthAdd { provider })? {
                Response::Provider { provider } => {
                    eprintln!(
                        "Configured provider {} ({}; scopes: {}). Log in with `vault login {}`.",
                        provider.name,
                        provider
                            .issuer
                            .as_deref()
                            .or(provider.preset.as_deref())
                            .unwrap_or(&provider.token_endpoint),
                        provider.scopes.join(" "),
                        provider.name
                    );
                    Ok(())
                }
                other => Err(unexpected(other)),
            }
        }
        OauthCommand::Ls { json } => {
            let providers = match session.op(Op::OauthProviders)? {
                Response::Providers { providers } => providers,
                other => return Err(unexpected(other)),
            };
            if json {
                return output::json(&providers);
            }
            if providers.is_empty() {
                eprintln!(
                    "No providers configured. Presets: {}. Add one with `vault oauth add NAME --client-id ID`.",
                    vault_oauth::presets()
                        .iter()
                        .map(|p| p.id)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                return Ok(());
            }
            let rows: Vec<Vec<String>> = providers
                .iter()
                .map(|p| {
                    vec![
                        p.name.clone(),
                        p.preset
                            .clone()
                            .or_else(|| p.issuer.clone())
                            .unwrap_or_default(),
                        p.client_id.clone(),
                        p.scopes.join(" "),
                        hosts_text(p),
                    ]
                })
                .collect();
            print!(
                "{}",
                output::table(
                    &["NAME", "PRESET/ISSUER", "CLIENT ID", "SCOPES", "HOSTS"],
                    &rows
                )
            );
            Ok(())
        }
        OauthCommand::Edit {
            name,
            host,
            add_host,
            remove_host,
            no_host,
            default_hosts,
        } => {
            let hosts = if default_hosts {
                None
            } else if no_host {
                Some(Vec::new())
            } else if !host.is_empty() {
                Some(host)
            } else if !add_host.is_empty() || !remove_host.is_empty() {
                let providers = match session.op(Op::OauthProviders)? {
                    Response::Providers { providers } => providers,
                    other => return Err(unexpected(other)),
                };
                let Some(p) = providers
                    .iter()
                    .find(|p| vault_core::names::fold(&p.name) == vault_core::names::fold(&name))
                else {
                    return fail(
                        exit::NOT_FOUND,
                        format!("no provider named {name:?} (`vault oauth ls`)"),
                    );
                };
                let mut current: Vec<String> = vault_agent::grants::Grants::provider_hosts(p)
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                current.retain(|h| !remove_host.contains(h));
                current.extend(add_host);
                Some(current)
            } else {
                // clap requires one of the options (the `change` group).
                return fail(exit::OTHER, "nothing to change");
            };
            match session.op(Op::OauthHosts { name, hosts })? {
                Response::Provider { provider } => {
                    eprintln!(
                        "{}'s tokens may go to: {}",
                        provider.name,
                        hosts_text(&provider)
                    );
                    Ok(())
                }
                other => Err(unexpected(other)),
            }
        }
        OauthCommand::Rm { name } => {
            session.op(Op::OauthRemove { name: name.clone() })?;
            eprintln!("Removed provider {name}.");
            Ok(())
        }
    }
}

/// The client secret: a hidden prompt on a terminal, else the first line of stdin.
fn read_client_secret(session: &Session) -> Result<vault_core::SecretValue> {
    if std::io::stdin().is_terminal() {
        return prompt_hidden("Client secret: ");
    }
    if session.passwords.uses_stdin() {
        return fail(
            exit::OTHER,
            "the client secret cannot come from stdin when --password-stdin is used; use --password-file",
        );
    }
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin().read_line(&mut line)?;
    let secret = line.trim_end_matches(['\n', '\r']);
    if secret.is_empty() {
        return fail(exit::OTHER, "the client secret on stdin is empty");
    }
    Ok(vault_core::SecretValue::new(secret))
}

pub fn login(session: &mut Session, args: LoginArgs) -> Result<()> {
    let timeout = parse_duration(&args.timeout)?;
    let started = std::sync::Arc::new(std::sync::Mutex::new(None));
    let interrupted = Interrupt::watch(session, std::sync::Arc::clone(&started))?;
    let prompt = match session.op(Op::LoginStart {
        provider: args.provider.clone(),
        name: args.name,
        scopes: args.scope,
        device: args.device,
    })? {
        Response::LoginStarted { prompt } => prompt,
        other => return Err(unexpected(other)),
    };
    // From here on an interrupt abandons this login in the agent.
    if let Ok(mut l) = started.lock() {
        *l = Some(prompt.login);
    }
    if let Some(code) = &prompt.user_code {
        eprintln!(
            "To log in to {}, open {} on any device and enter the code {code}",
            args.provider, prompt.url
        );
        if let Some(complete) = &prompt.url_complete {
            eprintln!("(or open {complete})");
        }
    } else if args.no_browser {
        eprintln!(
            "To log in to {}, open this URL in a browser on this machine (the login comes back \
             to 127.0.0.1 here):\n\n  {}\n",
            args.provider, prompt.url
        );
    } else {
        eprintln!(
            "Log in to {} in your browser. If it does not open, open this URL in a browser on \
             this machine:\n\n  {}\n",
            args.provider, prompt.url
        );
        if !args.no_browser
            && let Err(e) = opener::open_browser(&prompt.url)
        {
            eprintln!("(could not open a browser: {e})");
        }
    }
    let spinner = Spinner::start("Waiting for the login to complete");
    let result = session.op(Op::LoginWait {
        login: prompt.login,
        timeout_secs: timeout.as_secs().max(1),
    });
    interrupted.close();
    drop(spinner);
    let item = match result {
        Ok(Response::Item { item }) => item,
        Ok(other) => return Err(unexpected(other)),
        Err(e) => {
            let _ = session.op(Op::LoginCancel {
                login: prompt.login,
            });
            return Err(e);
        }
    };
    if let ItemMeta::Grant(g) = &item.meta {
        let who = g
            .email
            .as_deref()
            .or(g.subject.as_deref())
            .map(|w| format!(" as {w}"))
            .unwrap_or_default();
        eprintln!(
            "Logged in to {}{who}; stored as grant {} ({}). `vault token {}` prints its access token.",
            g.provider,
            g.name,
            if g.refreshable {
                "refreshes automatically"
            } else {
                "no refresh token: log in again when it expires"
            },
            g.name
        );
    }
    Ok(())
}

/// `vault token`: one of the `vault` front's fast paths.
pub fn token(session: &mut Session, args: &TokenArgs) -> Result<()> {
    let min_valid = parse_duration(&args.min_valid)?;
    let (item, value, warning) = match session.op(Op::Token {
        name: args.name.clone(),
        min_valid_secs: min_valid.as_secs(),
    })? {
        Response::Token {
            item,
            value,
            warning,
        } => (item, value.into_inner(), warning),
        other => return Err(unexpected(other)),
    };
    if let Some(w) = &warning {
        eprintln!("vault: warning: {w}");
    }
    if args.json {
        let ItemMeta::Grant(g) = &item.meta else {
            return Err(anyhow::anyhow!("{} is not an OAuth grant", args.name));
        };
        return output::json(&serde_json::json!({
            "name": g.name,
            "access_token": value.expose(),
            "token_type": g.token_type,
            "expires": g.expires,
            "scopes": g.scopes,
            "warning": warning,
        }));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(value.expose().as_bytes())?;
    if !args.no_newline {
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

pub fn refresh(session: &mut Session, name: &str) -> Result<()> {
    match session.op(Op::Refresh {
        name: name.to_owned(),
    })? {
        Response::Refreshed { item, warning } => {
            if let Some(w) = warning {
                return fail(exit::PROVIDER_UNAVAILABLE, w);
            }
            if let ItemMeta::Grant(g) = &item.meta {
                eprintln!(
                    "Refreshed {}; the access token {}.",
                    g.name,
                    g.expires.map_or_else(
                        || "has no stated expiry".to_owned(),
                        |x| format!("expires {}", output::date_time(x))
                    )
                );
            }
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

pub fn logout(session: &mut Session, name: &str) -> Result<()> {
    match session.op(Op::Logout {
        name: name.to_owned(),
    })? {
        Response::LoggedOut { revoked, problem } => {
            if revoked {
                eprintln!("Revoked {name} at its provider and deleted it.");
            } else {
                eprintln!(
                    "Deleted {name} from the vault; it was not revoked at the provider: {}",
                    problem.as_deref().unwrap_or("unknown reason")
                );
            }
            Ok(())
        }
        other => Err(unexpected(other)),
    }
}

/// How a grant stands on `now`, in a few words.
pub fn status_text(g: &GrantMeta, now: Timestamp) -> String {
    match &g.status {
        GrantStatus::NeedsRelogin { .. } => "needs login".into(),
        GrantStatus::Ok => match g.expires {
            Some(x) if x <= now && g.refreshable => "ok, refreshes on use".into(),
            Some(x) if x <= now => "expired".into(),
            Some(x) => format!("ok, token expires {}", output::relative(x, now)),
            None => "ok".into(),
        },
    }
}

#[derive(Serialize)]
struct ListedGrant<'a> {
    #[serde(flatten)]
    grant: &'a GrantMeta,
    /// `ok` or `needs_login`.
    state: &'static str,
}

pub fn grants(session: &mut Session, json: bool) -> Result<()> {
    let items = match session.op(Op::List {
        query: None,
        tag: None,
    })? {
        Response::Items { items } => items,
        other => return Err(unexpected(other)),
    };
    let grants: Vec<GrantMeta> = items
        .into_iter()
        .filter_map(|i| match Arc::unwrap_or_clone(i).meta {
            ItemMeta::Grant(g) => Some(g),
            ItemMeta::ApiKey(_) => None,
        })
        .collect();
    if json {
        let listed: Vec<ListedGrant<'_>> = grants
            .iter()
            .map(|g| ListedGrant {
                grant: g,
                state: match g.status {
                    GrantStatus::Ok => "ok",
                    GrantStatus::NeedsRelogin { .. } => "needs_login",
                },
            })
            .collect();
        return output::json(&listed);
    }
    if grants.is_empty() {
        eprintln!("No grants. Log in with `vault login PROVIDER` (see `vault oauth ls`).");
        return Ok(());
    }
    let now = Timestamp::now();
    let rows: Vec<Vec<String>> = grants
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                g.provider.clone(),
                g.email
                    .clone()
                    .or_else(|| g.subject.clone())
                    .unwrap_or_default(),
                g.expires.map(output::date_time).unwrap_or_default(),
                status_text(g, now),
            ]
        })
        .collect();
    print!(
        "{}",
        output::table(&["NAME", "PROVIDER", "ACCOUNT", "EXPIRES", "STATUS"], &rows)
    );
    for g in &grants {
        if let GrantStatus::NeedsRelogin { reason } = &g.status {
            eprintln!(
                "{}: {reason}; run `vault login {} --as {}`",
                g.name, g.provider, g.name
            );
        }
    }
    Ok(())
}

/// Ctrl-C (or SIGTERM, SIGHUP) while waiting for the browser: tell the agent to abandon the
/// login, which closes its callback port at once rather than at the timeout, then leave as a
/// shell expects (128+N).
struct Interrupt {
    handle: signal_hook::iterator::Handle,
    /// Set before the login is abandoned, so the wait that this ends knows why it ended.
    caught: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Interrupt {
    fn watch(
        session: &Session,
        login: std::sync::Arc<std::sync::Mutex<Option<u64>>>,
    ) -> Result<Interrupt> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        use std::sync::atomic::{AtomicBool, Ordering};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
        let handle = signals.handle();
        let caught = std::sync::Arc::new(AtomicBool::new(false));
        let vault = session.vault.clone();
        let uses_agent = session.uses_agent();
        let flag = std::sync::Arc::clone(&caught);
        let thread = std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                flag.store(true, Ordering::SeqCst);
                let login = login.lock().ok().and_then(|l| *l);
                if uses_agent
                    && let Some(login) = login
                    && let Ok(Some(mut agent)) =
                        vault_agent::Client::connect(&vault_agent::AgentDir::for_current_user())
                {
                    let _ = agent.call(&vault_agent::Request::Vault {
                        vault,
                        op: Op::LoginCancel { login },
                    });
                }
                eprintln!("\nvault: login cancelled");
                std::process::exit(128 + sig);
            }
        });
        Ok(Interrupt {
            handle,
            caught,
            thread,
        })
    }

    /// Stops watching once the wait is over. A wait ended by an interrupt leaves with the
    /// interrupt's status (128+N), not with the error the abandoned login gave.
    fn close(self) {
        if self.caught.load(std::sync::atomic::Ordering::SeqCst) {
            // The watcher exits the process.
            let _ = self.thread.join();
        }
        self.handle.close();
    }
}

/// A spinner on stderr while waiting, only when stderr is a terminal.
struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    fn start(message: &str) -> Spinner {
        if !std::io::stderr().is_terminal() {
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(format!("{message} (Ctrl-C to cancel)"));
        bar.enable_steady_tick(Duration::from_millis(100));
        Spinner(Some(bar))
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_people_write_them() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-5s").is_err());
        // Absurd durations are refused before anything adds them to a clock.
        assert!(parse_duration("18446744073709551615").is_err());
        assert!(parse_duration("367d").is_err());
    }
}

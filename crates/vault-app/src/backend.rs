//! Where the app's requests go. This is the one place that knows: every other part speaks
//! protocol [`Request`]s and reads [`Response`]s, exactly as the CLI does.
//!
//! Normally that is the user's agent (started on demand with the `vault` binary), so the app
//! and the CLI share one unlocked vault and one lock. Without a `vault` binary to start it, the
//! app serves itself in-process, unlocked for the window alone.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use vault_agent::protocol::{EVENT_HEARTBEAT_SECS, Event, Request, Response};
use vault_agent::service::{Clock, Service};
use vault_agent::{AgentDir, AgentError, Client};

use crate::error::{AppError, AppErrorCode, AppResult};

/// How to reach the agent.
#[derive(Clone, Debug)]
pub struct AgentConfig {
    pub dir: AgentDir,
    /// The `vault` binary the agent is started with (`vault agent --daemon`).
    pub vault_exe: PathBuf,
}

pub(crate) enum Backend {
    /// The service in this process: the vault is unlocked for the app alone.
    InProcess(Box<Service>),
    Agent {
        config: AgentConfig,
        client: Mutex<Option<Client>>,
    },
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::InProcess(_) => f.write_str("Backend::InProcess"),
            Backend::Agent { config, .. } => write!(f, "Backend::Agent({:?})", config.dir.dir),
        }
    }
}

fn unavailable(e: &AgentError) -> AppError {
    AppError::app(AppErrorCode::AgentUnavailable, e.to_string())
}

impl Backend {
    pub(crate) fn in_process(clock: Clock) -> Self {
        let service = Service::new(clock);
        // The app runs its own idle timer in-process (see `App::tick`).
        service.set_lock_after(None);
        Backend::InProcess(Box::new(service))
    }

    pub(crate) fn agent(config: AgentConfig) -> Self {
        Backend::Agent {
            config,
            client: Mutex::new(None),
        }
    }

    /// Whether the vault is shared with the CLI (served by the agent).
    pub(crate) fn shared(&self) -> bool {
        matches!(self, Backend::Agent { .. })
    }

    /// Sends a request; an error response becomes an [`AppError`] with its code.
    pub(crate) fn call(&self, request: Request) -> AppResult<Response> {
        let response = match self {
            Backend::InProcess(service) => service.handle(request),
            Backend::Agent { config, client } => {
                let mut client = client.lock().unwrap_or_else(|e| e.into_inner());
                match call_agent(config, &mut client, &request) {
                    Ok(r) => r,
                    // The agent went away (killed, replaced, quit): a fresh connection starts
                    // or finds the new one. Only what is safe to repeat is repeated.
                    Err(AgentError::Disconnected(_)) if request.repeatable() => {
                        *client = None;
                        call_agent(config, &mut client, &request).map_err(|e| unavailable(&e))?
                    }
                    Err(e) => {
                        *client = None;
                        return Err(unavailable(&e));
                    }
                }
            }
        };
        answer(response)
    }

    /// Sends a request that blocks for minutes (a login waiting for the browser) on a
    /// connection of its own, so every other request carries on meanwhile. Never repeated.
    pub(crate) fn call_alone(&self, request: Request) -> AppResult<Response> {
        let response = match self {
            Backend::InProcess(service) => service.handle(request),
            Backend::Agent { config, .. } => {
                Client::connect_or_start(&config.dir, &config.vault_exe)
                    .and_then(|mut client| client.call(&request))
                    .map_err(|e| unavailable(&e))?
            }
        };
        answer(response)
    }

    /// Follows the agent's events (the unlocked vaults on every change, the items that
    /// change), calling `on_event`, until `keep_going` says stop. Reconnects (and restarts the
    /// agent) when it goes. In-process there is nothing to follow: the app reports its own
    /// changes.
    pub(crate) fn follow_events(&self, keep_going: &dyn Fn() -> bool, on_event: &dyn Fn(Event)) {
        let Backend::Agent { config, .. } = self else {
            return;
        };
        while keep_going() {
            let events = Client::connect_or_start(&config.dir, &config.vault_exe)
                .and_then(Client::subscribe);
            match events {
                Ok(events) => {
                    // The agent repeats the state as a heartbeat: silence means it is gone.
                    let _ =
                        events.set_timeout(Some(Duration::from_secs(2 * EVENT_HEARTBEAT_SECS + 5)));
                    for event in events {
                        match event {
                            Ok(event) => on_event(event),
                            Err(_) => break,
                        }
                        if !keep_going() {
                            return;
                        }
                    }
                    // The agent is gone, so nothing is unlocked any more.
                    on_event(Event::LockState(Vec::new()));
                }
                Err(_) => std::thread::sleep(Duration::from_secs(1)),
            }
        }
    }
}

/// An error response becomes an [`AppError`] with its code.
fn answer(response: Response) -> AppResult<Response> {
    match response {
        Response::Error(e) => Err(e.into()),
        other => Ok(other),
    }
}

fn call_agent(
    config: &AgentConfig,
    client: &mut MutexGuard<'_, Option<Client>>,
    request: &Request,
) -> Result<Response, AgentError> {
    if client.is_none() {
        **client = Some(Client::connect_or_start(&config.dir, &config.vault_exe)?);
    }
    match client.as_mut() {
        Some(c) => c.call(request),
        None => Err(AgentError::Disconnected("no connection".into())),
    }
}

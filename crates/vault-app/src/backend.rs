//! Where the app's requests go. This is the one place that knows: every other part speaks
//! protocol [`Request`]s and reads [`Response`]s, exactly as the CLI does.

use std::fmt;
use std::sync::Mutex;

use vault_agent::protocol::{Request, Response};
use vault_agent::service::{Clock, Service};

use crate::error::{AppError, AppErrorCode, AppResult};

pub(crate) enum Backend {
    /// The service in this process: the vault is unlocked for the app alone.
    InProcess(Mutex<Service>),
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Backend::InProcess(_) => f.write_str("Backend::InProcess"),
        }
    }
}

impl Backend {
    pub(crate) fn in_process(clock: Clock, build: &str) -> Self {
        Backend::InProcess(Mutex::new(Service::new(clock, build)))
    }

    /// Whether the vault is shared with the CLI (served by the agent).
    pub(crate) fn shared(&self) -> bool {
        match self {
            Backend::InProcess(_) => false,
        }
    }

    /// Sends a request; an error response becomes an [`AppError`] with its code.
    pub(crate) fn call(&self, request: Request) -> AppResult<Response> {
        let response = match self {
            Backend::InProcess(service) => service
                .lock()
                .map_err(|_| AppError::app(AppErrorCode::Unexpected, "the vault service failed"))?
                .handle(request),
        };
        match response {
            Response::Error { code, message } => Err(AppError::vault(code, message)),
            other => Ok(other),
        }
    }
}

//! `vault run --proxy`: the child holds placeholders; this proxy, run by the agent, puts the
//! real value into a request only when it goes to one of the item's allowed hosts.
//!
//! One listener on 127.0.0.1 serves every session (one per `vault run --proxy`), each with its
//! own proxy credential and placeholders. A CONNECT to a host some placeholder may go to is
//! opened with a leaf from the vault's CA ([`ca`]) and each request inside is judged
//! ([`table`]): placeholders toward their own hosts are swapped for the values the agent holds
//! at that moment ([`Secrets`]), a placeholder anywhere else refuses the request, and a value
//! echoed in the response goes back to its placeholder ([`echo`]). Every other CONNECT is
//! tunnelled untouched (the other end only ever sees placeholders) or, under `--strict`,
//! refused.

pub mod activity;
pub mod ca;
pub mod chain;
pub mod echo;
pub mod placeholder;
mod server;
pub mod table;

use std::sync::Arc;

pub use server::{Proxy, SessionKeys, SessionSpec};
use vault_core::SecretValue;

/// Where the proxy gets a value, at each request (so a rotation takes effect on the next one,
/// and a lock stops every substitution at once).
pub trait Secrets: Send + Sync + 'static {
    /// The current value of `item`. May wait (a grant's token refresh goes to the network):
    /// called on a blocking thread.
    fn value(&self, item: &str) -> Result<SecretValue, Unavailable>;

    /// The current value of `item` when it can be had without waiting (an API key's, read
    /// from the unlocked vault); `None`: ask [`Secrets::value`]. Saves a hand-over to another
    /// thread per request, which on a small virtual machine costs more than the rest.
    fn value_now(&self, _item: &str) -> Option<Result<SecretValue, Unavailable>> {
        None
    }

    /// A request was refused because `item`'s placeholder would have gone to `destination`
    /// (for the audit log).
    fn refused(&self, item: &str, destination: &str);
}

/// Why a value cannot be had right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unavailable {
    Locked,
    /// Removed, or no longer usable (a grant that needs a new login): the reason, for the child.
    Gone(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("the proxy could not make a certificate: {0}")]
    Certificate(String),
    #[error("the proxy's TLS set-up failed: {0}")]
    Tls(String),
    #[error("the clock is outside what certificates can say")]
    Clock,
    #[error("the proxy could not start: {0}")]
    Io(#[from] std::io::Error),
    #[error("the system's random number generator failed")]
    Random,
    #[error("a proxy thread failed while holding its state")]
    Poisoned,
}

impl ProxyError {
    fn cert(e: rcgen::Error) -> Self {
        ProxyError::Certificate(e.to_string())
    }

    fn tls(e: rustls::Error) -> Self {
        ProxyError::Tls(e.to_string())
    }
}

/// The one TLS implementation everything here uses (ring, as the rest of the workspace).
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

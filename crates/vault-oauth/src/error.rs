//! What can go wrong talking to a provider, by what the caller should do about it.
//!
//! Messages name the provider's error code and description, the endpoint and the HTTP status;
//! never a token, a code, a verifier or a response body.

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The refresh token (or device/authorization code) is no longer valid: the user has to
    /// log in again. Retrying cannot help.
    #[error("the provider refused the grant (invalid_grant{}); log in again", describe(.description))]
    InvalidGrant { description: Option<String> },

    /// Any other OAuth error response (`invalid_client`, `invalid_scope`, ...).
    #[error("the provider answered {error}{}", describe(.description))]
    Provider {
        error: String,
        description: Option<String>,
    },

    /// The user (or the provider) declined at the authorization step (`error=` on the callback).
    #[error("the login was refused: {error}{}", describe(.description))]
    Denied {
        error: String,
        description: Option<String>,
    },

    /// The provider could not be reached, or did not answer in time. Worth retrying.
    #[error("cannot reach {url}: {reason}")]
    Network { url: String, reason: String },

    /// The provider answered with a server error (5xx). Worth retrying.
    #[error("{url} answered HTTP {status}; try again later")]
    Server { url: String, status: u16 },

    /// The provider's answer is not what the protocol says it must be.
    #[error("the provider's answer from {url} is malformed: {reason}")]
    Malformed { url: String, reason: String },

    /// The callback's `state` differs from the one this login sent: a forged or stale callback.
    #[error(
        "the login callback carried the wrong `state` (a forged or stale request); the login was aborted"
    )]
    StateMismatch,

    /// The callback's `iss` (RFC 9207) names another issuer: a mix-up attack or a misconfiguration.
    #[error("the login callback came from issuer {got:?}, not {expected:?}; the login was aborted")]
    IssuerMismatch { expected: String, got: String },

    /// Discovery returned metadata whose `issuer` is not exactly the issuer asked for.
    #[error("{url} describes issuer {got:?}, not {expected:?}; refusing it")]
    DiscoveryIssuer {
        url: String,
        expected: String,
        got: String,
    },

    #[error("no login completed within {secs} s; run the command again")]
    Timeout { secs: u64 },

    /// The user gave up (Ctrl-C) while the login waited for the browser.
    #[error("the login was cancelled")]
    Cancelled,

    /// The provider does not offer something this client requires (PKCE S256, a device
    /// endpoint, ...).
    #[error("{0}")]
    Unsupported(String),

    /// Invalid configuration (a bad URL, a missing client secret, ...).
    #[error("{0}")]
    Config(String),

    /// The loopback callback server could not be started or failed.
    #[error("the loopback callback server failed: {0}")]
    Callback(String),
}

impl Error {
    /// Whether trying again later may succeed (network trouble, a server error).
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Network { .. } | Error::Server { .. })
    }

    /// Whether the grant is dead and only a new login helps.
    pub fn needs_relogin(&self) -> bool {
        matches!(self, Error::InvalidGrant { .. })
    }
}

fn describe(description: &Option<String>) -> String {
    match description {
        Some(d) if !d.is_empty() => format!(": {}", clip(d)),
        _ => String::new(),
    }
}

/// Provider-supplied text is shown, but kept to one short line.
pub(crate) fn clip(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    one_line.trim().to_owned()
}

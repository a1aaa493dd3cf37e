//! OAuth 2.0 for the vault, as a native app (RFC 8252): providers, login through the system
//! browser with PKCE and a loopback redirect, the device flow, refresh and revocation.
//!
//! This crate talks to authorization servers and to the user's browser (through a loopback
//! HTTP server); it knows nothing of vaults, terminals or windows. Callers store the
//! [`TokenSet`]s it returns and decide when to refresh. Tokens live in [`Token`], whose `Debug`
//! is redacted and which has no `Serialize`: they are never logged and never appear in an
//! [`Error`] message. Time that matters to a decision (expiry) is computed by callers from the
//! `expires_in` this crate returns, so their clocks stay under test control.

mod error;
mod http;
pub mod login;
pub mod provider;
mod token;

pub use error::{Error, Result};
pub use http::Http;
pub use login::{Canceller, DeviceLogin, Login, LoginOptions};
pub use provider::{Discovered, Endpoints, Preset, Provider, Quirks, discover, preset, presets};
pub use token::{IdClaims, Token, TokenKind, TokenSet, refresh, revoke};

#[cfg(test)]
mod quirk_tests;

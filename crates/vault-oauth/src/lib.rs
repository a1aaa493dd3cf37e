//! OAuth 2.0 for the vault, as a native app (RFC 8252): providers, login through the system
//! browser with PKCE and a loopback redirect, the device flow, refresh and revocation.
//!
//! This crate talks to authorization servers and to the user's browser (through a loopback
//! HTTP server); it knows nothing of vaults, terminals or windows. Callers store the
//! [`TokenSet`]s it returns and decide when to refresh. Tokens live in [`Token`], whose `Debug`
//! is redacted and which has no `Serialize`: they are never logged and never appear in an
//! [`Error`] message. Time that matters to a decision (expiry) is computed by callers from the
//! `expires_in` this crate returns, so their clocks stay under test control.

pub mod discovery;
mod error;
mod http;
pub mod login;
pub mod provider;
mod quirks;
mod secret;
mod token;

pub use discovery::{Discovered, discover};
pub use error::{Error, Result};
pub use http::Http;
pub use login::{Canceller, DeviceLogin, Login, LoginOptions};
pub use provider::{Endpoints, Preset, Provider, preset, presets};
pub use quirks::Quirks;
pub use secret::Token;
pub use token::{IdClaims, TokenKind, TokenSet, refresh, revoke};

#[cfg(test)]
mod quirk_tests;

/// Entry points for the fuzz targets (`fuzz/`), compiled only for them and
/// their replay in `make test` (`--cfg fuzzing`, or the `fuzzing` feature; never in a shipped
/// build): the exact
/// code that reads what a browser sends to the loopback callback and what a token endpoint
/// answers, with the network replaced by the fuzzer's bytes.
#[cfg(any(fuzzing, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing {
    use oauth2::{HttpRequest, HttpResponse, RefreshToken};

    use crate::error::{Error, Result};
    use crate::provider::Provider;
    use crate::token::{TokenSet, classify_basic, client, token_error, token_set};

    /// A request to the callback server: `None` when it is not the callback (answered 404),
    /// else the checks' verdict (the authorization code, or why the login ends).
    pub fn callback(
        request_url: &str,
        state: &str,
        issuer: Option<&str>,
        iss_parameter_supported: bool,
    ) -> Option<Result<String>> {
        let params = crate::login::callback_params(request_url)?;
        Some(
            crate::login::check_callback(
                &params,
                &crate::Token::new(state),
                issuer,
                iss_parameter_supported,
                "http://127.0.0.1:1/callback",
            )
            .map(|code| code.secret().clone()),
        )
    }

    /// The page shown in the browser for a message.
    pub fn page(title: &str, message: &str) -> String {
        crate::login::page(title, message)
    }

    /// A refresh against `provider` whose token endpoint answers `status`, `content_type` and
    /// `body`, through `oauth2` and the provider's quirks as in real use.
    pub fn refresh_answer(
        provider: &Provider,
        status: u16,
        content_type: Option<Vec<u8>>,
        body: Vec<u8>,
    ) -> Result<TokenSet> {
        /// Status, content type and body.
        type Answer = (u16, Option<Vec<u8>>, Vec<u8>);
        struct Canned {
            quirks: crate::Quirks,
            answer: std::cell::RefCell<Option<Answer>>,
        }
        impl oauth2::SyncHttpClient for Canned {
            type Error = Error;
            fn call(&self, request: HttpRequest) -> Result<HttpResponse> {
                let url = request.uri().to_string();
                let (status, content_type, body) =
                    self.answer.borrow_mut().take().unwrap_or_default();
                if (500..600).contains(&status) {
                    return Err(Error::Server { url, status });
                }
                crate::http::answer(url, &self.quirks, status, content_type, body)
            }
        }
        let http = Canned {
            quirks: provider.quirks.clone(),
            answer: std::cell::RefCell::new(Some((status, content_type, body))),
        };
        let resp = client(provider)?
            .exchange_refresh_token(&RefreshToken::new("fuzz-refresh-token".into()))
            .request(&http)
            .map_err(|e| token_error(&provider.endpoints.token, e, classify_basic))?;
        Ok(token_set(resp))
    }
}

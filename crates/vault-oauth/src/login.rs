//! Logging in: the authorization-code flow with PKCE through the system browser and a loopback
//! redirect (RFC 8252 §7.3, RFC 7636, RFC 9207, RFC 9700), and the device flow (RFC 8628).
//!
//! A [`Login`] binds its callback server on `127.0.0.1` (never a wildcard address) on an
//! ephemeral port before the URL is shown, answers exactly one valid callback with a small
//! page, and closes. Opening the browser is the caller's job: this crate only hands out the URL.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use oauth2::{
    AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardDeviceAuthorizationResponse,
};

use crate::error::{Error, Result, clip};
use crate::http::Http;
use crate::provider::Provider;
use crate::secret::Token;
use crate::token::{OAuthClient, TokenSet, classify_basic, client, token_error, token_set};

/// The longest a login waits, whatever it is asked for: authorization and device codes live
/// minutes, not days.
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// How a login is asked for.
#[derive(Clone, Debug, Default)]
pub struct LoginOptions {
    /// Scopes to request; empty means the provider's defaults (decided by the caller).
    pub scopes: Vec<String>,
    /// Extra authorization parameters (e.g. `login_hint`).
    pub extra_params: Vec<(String, String)>,
}

/// An authorization-code login waiting for the browser to come back.
pub struct Login {
    provider: Provider,
    http: Http,
    client: OAuthClient,
    server: Arc<tiny_http::Server>,
    cancelled: Arc<AtomicBool>,
    url: String,
    redirect: String,
    state: Token,
    verifier: PkceCodeVerifier,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("provider", &self.provider.name)
            .field("redirect", &self.redirect)
            .finish_non_exhaustive()
    }
}

/// Ends a browser login's wait from another thread (see [`Login::canceller`]).
#[derive(Clone)]
pub struct Canceller {
    server: Arc<tiny_http::Server>,
    cancelled: Arc<AtomicBool>,
}

impl Canceller {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.server.unblock();
    }
}

impl std::fmt::Debug for Canceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canceller").finish_non_exhaustive()
    }
}

impl Login {
    /// Starts the callback server and builds the authorization URL.
    pub fn start(http: &Http, provider: &Provider, options: &LoginOptions) -> Result<Login> {
        let client = client(provider)?;
        let port = provider.quirks.fixed_redirect_port.unwrap_or(0);
        let server = tiny_http::Server::http(("127.0.0.1", port))
            .map_err(|e| Error::Callback(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .ok_or_else(|| Error::Callback("the server has no IP address".into()))?;
        let redirect = format!("http://127.0.0.1:{port}/callback");
        let client = client.set_redirect_uri(
            RedirectUrl::new(redirect.clone()).map_err(|e| Error::Callback(e.to_string()))?,
        );
        // 32 random bytes, base64url: a 43-character verifier (RFC 7636 §4.1).
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let quirks = &provider.quirks;
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge);
        if !options.scopes.is_empty() {
            if quirks.scope_param == "scope" && quirks.scope_separator == ' ' {
                request = request.add_scopes(options.scopes.iter().cloned().map(Scope::new));
            } else {
                let joined = options.scopes.join(&quirks.scope_separator.to_string());
                request = request.add_extra_param(quirks.scope_param.clone(), joined);
            }
        }
        for (k, v) in quirks
            .extra_authorize_params
            .iter()
            .chain(&options.extra_params)
        {
            request = request.add_extra_param(k.clone(), v.clone());
        }
        let (url, state) = request.url();
        Ok(Login {
            provider: provider.clone(),
            http: http.clone(),
            client,
            server: Arc::new(server),
            cancelled: Arc::new(AtomicBool::new(false)),
            url: url.to_string(),
            redirect,
            state: Token::new(state.secret().clone()),
            verifier,
        })
    }

    /// The URL to open in the browser (always show it too: the user may be on SSH).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The redirect URI this login listens on.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect
    }

    /// A handle that ends [`Self::wait`] from another thread (the user pressed Ctrl-C): the
    /// wait returns [`Error::Cancelled`] and the callback port is closed at once, instead of
    /// staying open until the timeout.
    pub fn canceller(&self) -> Canceller {
        Canceller {
            server: Arc::clone(&self.server),
            cancelled: Arc::clone(&self.cancelled),
        }
    }

    /// Waits for the browser to come back (at most `timeout`), checks the callback, exchanges
    /// the code and answers the browser with the outcome. Requests that are not the callback
    /// (a favicon) get a 404 and waiting goes on; a callback that fails a check ends the login.
    pub fn wait(self, timeout: Duration) -> Result<TokenSet> {
        // Whatever a caller asks for (the timeout arrives over the agent socket): an absurd
        // one must not overflow the clock and kill the thread holding the callback port.
        let timeout = timeout.min(MAX_WAIT);
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout {
                    secs: timeout.as_secs(),
                });
            }
            if self.cancelled.load(Ordering::SeqCst) {
                return Err(Error::Cancelled);
            }
            let request = match self.server.recv_timeout(left) {
                Ok(Some(r)) => r,
                Ok(None) => continue,
                Err(_) if self.cancelled.load(Ordering::SeqCst) => return Err(Error::Cancelled),
                Err(e) => return Err(Error::Callback(e.to_string())),
            };
            let params = callback_params(request.url())
                .filter(|_| *request.method() == tiny_http::Method::Get);
            let Some(params) = params else {
                respond(request, 404, "Not found", "This is vault's login callback.");
                continue;
            };
            let outcome = check_callback(
                &params,
                &self.state,
                self.provider.endpoints.issuer.as_deref(),
                self.provider.endpoints.iss_parameter_supported,
                &self.redirect,
            )
            .and_then(|code| self.exchange(code));
            match &outcome {
                Ok(_) => respond(
                    request,
                    200,
                    "Logged in",
                    &format!(
                        "vault is now logged in to {}. You can close this tab.",
                        self.provider.name
                    ),
                ),
                Err(e) => respond(request, 400, "Login failed", &e.to_string()),
            }
            return outcome;
        }
    }

    fn exchange(&self, code: AuthorizationCode) -> Result<TokenSet> {
        let verifier = PkceCodeVerifier::new(self.verifier.secret().clone());
        let resp = self
            .client
            .exchange_code(code)
            .set_pkce_verifier(verifier)
            .request(&self.http.oauth(&self.provider.quirks))
            .map_err(|e| token_error(&self.provider.endpoints.token, e, classify_basic))?;
        Ok(token_set(resp))
    }
}

fn respond(request: tiny_http::Request, status: u16, title: &str, message: &str) {
    let html = page(title, message);
    let mut response = tiny_http::Response::from_string(html).with_status_code(status);
    for (k, v) in [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
        ("Connection", "close"),
    ] {
        if let Ok(h) = tiny_http::Header::from_bytes(k, v) {
            response.add_header(h);
        }
    }
    // The browser may have gone; the login's outcome does not depend on it reading the page.
    let _ = request.respond(response);
}

/// The query of a request to the callback server, or `None` when it is not the callback (a
/// favicon, a probe). Whatever a web page sends to the loopback port arrives here.
pub(crate) fn callback_params(request_url: &str) -> Option<Vec<(String, String)>> {
    let parsed = url::Url::parse(&format!("http://127.0.0.1{request_url}")).ok()?;
    (parsed.path() == "/callback").then(|| parsed.query_pairs().into_owned().collect())
}

/// The callback's checks, in the order RFC 9700 §4.7 / RFC 9207 §2.4 ask for.
pub(crate) fn check_callback(
    params: &[(String, String)],
    expected_state: &Token,
    expected_issuer: Option<&str>,
    iss_parameter_supported: bool,
    redirect: &str,
) -> Result<AuthorizationCode> {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let state = get("state").map(Token::new);
    if !state.is_some_and(|s| s.ct_eq(expected_state)) {
        return Err(Error::StateMismatch);
    }
    match (get("iss"), expected_issuer) {
        (Some(got), Some(expected)) if got != expected => {
            return Err(Error::IssuerMismatch {
                expected: expected.to_owned(),
                got: clip(got),
            });
        }
        (None, Some(expected)) if iss_parameter_supported => {
            return Err(Error::IssuerMismatch {
                expected: expected.to_owned(),
                got: "(none)".into(),
            });
        }
        _ => {}
    }
    if let Some(error) = get("error") {
        return Err(Error::Denied {
            error: clip(error),
            description: get("error_description").map(clip),
        });
    }
    match get("code") {
        Some(code) if !code.is_empty() => Ok(AuthorizationCode::new(code.to_owned())),
        _ => Err(Error::Malformed {
            url: redirect.to_owned(),
            reason: "the callback has neither `code` nor `error`".into(),
        }),
    }
}

/// The page the browser is shown. `message` may quote what the provider (or a web page
/// posing as it) sent, so it is escaped.
pub(crate) fn page(title: &str, message: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>vault: {title}</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:4em auto;max-width:36em}}</style>\
         </head><body><h1>{title}</h1><p>{}</p></body></html>",
        escape(message)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A device-flow login (RFC 8628) waiting for the user to approve on another device.
pub struct DeviceLogin {
    provider: Provider,
    http: Http,
    client: OAuthClient,
    details: StandardDeviceAuthorizationResponse,
}

impl std::fmt::Debug for DeviceLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceLogin")
            .field("provider", &self.provider.name)
            .field("verification_uri", &self.verification_uri())
            .finish_non_exhaustive()
    }
}

impl DeviceLogin {
    /// Asks the provider for a device code and a user code.
    pub fn start(http: &Http, provider: &Provider, options: &LoginOptions) -> Result<DeviceLogin> {
        let client = client(provider)?;
        let url = provider
            .endpoints
            .device_authorization
            .clone()
            .ok_or_else(|| {
                Error::Unsupported(format!(
                    "{} offers no device flow; log in through the browser instead",
                    provider.name
                ))
            })?;
        let mut request = client
            .exchange_device_code()
            .map_err(|e| Error::Config(e.to_string()))?;
        if !options.scopes.is_empty() {
            request = request.add_scopes(options.scopes.iter().cloned().map(Scope::new));
        }
        let details: StandardDeviceAuthorizationResponse = request
            .request(&http.oauth(&provider.quirks))
            .map_err(|e| token_error(&url, e, classify_basic))?;
        check_verification_pages(&details, &provider.name)?;
        Ok(DeviceLogin {
            provider: provider.clone(),
            http: http.clone(),
            client,
            details,
        })
    }

    /// The code the user types at [`Self::verification_uri`]. Not a secret worth hiding: it is
    /// shown to be typed, and is useless without the device code.
    pub fn user_code(&self) -> &str {
        self.details.user_code().secret()
    }

    pub fn verification_uri(&self) -> &str {
        self.details.verification_uri().as_str()
    }

    /// The URI with the user code filled in, when the provider offers one.
    pub fn verification_uri_complete(&self) -> Option<&str> {
        self.details
            .verification_uri_complete()
            .map(|u| u.secret().as_str())
    }

    pub fn expires_in(&self) -> Duration {
        self.details.expires_in()
    }

    /// Polls the token endpoint at the provider's interval, slowing down by 5 s on each
    /// `slow_down` (RFC 8628 §3.5), until approval, denial, expiry or `timeout`.
    pub fn wait(self, timeout: Duration) -> Result<TokenSet> {
        let url = self.provider.endpoints.token.clone();
        let resp = self
            .client
            .exchange_device_access_token(&self.details)
            .request(
                &self.http.oauth(&self.provider.quirks),
                std::thread::sleep,
                Some(timeout.min(self.details.expires_in()).min(MAX_WAIT)),
            )
            .map_err(|e| match e {
                oauth2::RequestTokenError::ServerResponse(r) => {
                    use oauth2::DeviceCodeErrorResponseType as D;
                    let description = r.error_description().map(|d| clip(d));
                    match r.error() {
                        D::AccessDenied => Error::Denied {
                            error: "access_denied".into(),
                            description,
                        },
                        D::ExpiredToken => Error::Timeout {
                            secs: self.details.expires_in().as_secs(),
                        },
                        D::Basic(b) if b.as_ref() == "invalid_grant" => {
                            Error::InvalidGrant { description }
                        }
                        other => Error::Provider {
                            error: other.as_ref().to_owned(),
                            description,
                        },
                    }
                }
                // oauth2 reports its own deadline as `Other("Device code expired")`.
                oauth2::RequestTokenError::Other(text) if text.contains("expired") => {
                    Error::Timeout {
                        secs: timeout.as_secs(),
                    }
                }
                other => token_error(&url, other, |_: &oauth2::DeviceCodeErrorResponse| {
                    (String::new(), None)
                }),
            })?;
        Ok(token_set(resp))
    }
}

/// The pages a device-flow answer sends the user to are opened in their browser: only https
/// (http on loopback), so a provider, or whoever answers for it, cannot have vault open a
/// `file:`, `javascript:` or plain-http page.
fn check_verification_pages(
    details: &StandardDeviceAuthorizationResponse,
    provider: &str,
) -> Result<()> {
    let complete = details
        .verification_uri_complete()
        .map(|u| url::Url::parse(u.secret()));
    for page in [Ok(details.verification_uri().url().clone())]
        .into_iter()
        .chain(complete)
    {
        let safe = page
            .as_ref()
            .is_ok_and(|u| crate::provider::check_transport(u).is_ok());
        if !safe {
            return Err(Error::Config(format!(
                "{provider} answered the device-flow request with a page that is not an https \
                 URL ({}); it was not opened",
                page.map_or_else(|_| "unparsable".to_owned(), |u| u.scheme().to_owned())
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_flow_pages_must_be_https() {
        let answer = |uri: &str, complete: &str| -> StandardDeviceAuthorizationResponse {
            serde_json::from_value(serde_json::json!({
                "device_code": "d", "user_code": "ABCD-EFGH", "expires_in": 600,
                "verification_uri": uri, "verification_uri_complete": complete,
            }))
            .unwrap()
        };
        let ok = answer(
            "https://example.com/device",
            "https://example.com/device?c=1",
        );
        assert!(check_verification_pages(&ok, "p").is_ok());
        let local = answer(
            "http://127.0.0.1:3000/device",
            "http://localhost:3000/d?c=1",
        );
        assert!(check_verification_pages(&local, "p").is_ok());
        for (uri, complete) in [
            ("http://example.com/device", "https://example.com/d"),
            ("https://example.com/device", "javascript:alert(1)"),
            ("file:///etc/passwd", "https://example.com/d"),
        ] {
            let e = check_verification_pages(&answer(uri, complete), "p").unwrap_err();
            assert!(
                e.to_string().contains("was not opened"),
                "{uri} {complete}: {e}"
            );
        }
    }

    /// `vault login --timeout 18446744073709551615` reached the agent as `u64::MAX` seconds
    /// and overflowed the deadline, killing the thread with the callback port still bound.
    #[test]
    fn an_absurd_timeout_neither_panics_nor_keeps_the_port() {
        let preset = crate::provider::preset("github").unwrap();
        let provider = Provider {
            name: "github".into(),
            endpoints: preset.endpoints,
            quirks: preset.quirks,
            client_id: "client-1".into(),
            client_secret: Some(crate::Token::new("secret-1")),
        };
        let http = Http::new().unwrap();
        let login = Login::start(&http, &provider, &LoginOptions::default()).unwrap();
        let port = login.redirect_uri().to_owned();
        let canceller = login.canceller();
        let waiter = std::thread::spawn(move || login.wait(Duration::MAX));
        std::thread::sleep(Duration::from_millis(100));
        canceller.cancel();
        let result = waiter.join().expect("the wait must not panic");
        assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
        drop(canceller);
        let addr = port
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        // tiny_http's accept thread lets go of the port a moment after the server is dropped.
        let closed = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            std::net::TcpStream::connect(&addr).is_err()
        });
        assert!(closed, "the callback port is closed");
    }

    /// RFC 7636 Appendix B: the verifier and challenge of the specification's example.
    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        let verifier = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        assert_eq!(
            challenge.as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(challenge.method().as_str(), "S256");
    }

    #[test]
    fn fresh_verifiers_are_43_chars_and_differ() {
        let (_, a) = PkceCodeChallenge::new_random_sha256();
        let (_, b) = PkceCodeChallenge::new_random_sha256();
        assert_eq!(a.secret().len(), 43);
        assert_ne!(a.secret(), b.secret());
    }
}

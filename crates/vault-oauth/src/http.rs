//! The HTTP client: reqwest (rustls) with timeouts and no redirects, and the adapter through
//! which the `oauth2` crate sends its requests, where provider quirks in responses are
//! normalised into standard OAuth before `oauth2` parses them.
//!
//! No request or response body is ever logged or put in an error: they carry codes and tokens.

use std::time::Duration;

use oauth2::{HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::Error;
use crate::quirks::Quirks;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Token responses are small; a huge body is refused instead of buffered.
const MAX_BODY: usize = 1024 * 1024;

/// A blocking HTTP client for OAuth endpoints: timeouts, no redirects (a token endpoint that
/// redirects is misconfigured or hostile, and following it could leak a code or a secret).
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::blocking::Client,
}

impl Http {
    pub fn new() -> Result<Self, Error> {
        Self::with_timeout(REQUEST_TIMEOUT)
    }

    pub fn with_timeout(timeout: Duration) -> Result<Self, Error> {
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .user_agent(concat!("vault/", env!("CARGO_PKG_VERSION")))
            // No kept-alive connections: requests are minutes apart (discovery, then the token
            // exchange after the user's browser leg), and a server closing an idle connection
            // (Node's default: after 5 s) just as a request goes out on it resets that request,
            // which for a single-use authorization code cannot be retried.
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| Error::Config(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Http { client })
    }

    /// GET a JSON document (discovery metadata). `Ok(None)` on 404.
    pub(crate) fn get_json(&self, url: &str) -> Result<Option<Value>, Error> {
        let response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .map_err(|e| network(url, &e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if status.is_server_error() {
            return Err(Error::Server {
                url: url.to_owned(),
                status: status.as_u16(),
            });
        }
        if !status.is_success() {
            return Err(Error::Malformed {
                url: url.to_owned(),
                reason: format!("HTTP {status}"),
            });
        }
        let body = read_body(url, response)?;
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|e| Error::Malformed {
                url: url.to_owned(),
                reason: format!("not JSON ({:?} at line {})", e.classify(), e.line()),
            })
    }

    /// POST a form; the status and body (at most 1 MiB). 5xx and transport failures are errors.
    pub(crate) fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<(u16, Vec<u8>), Error> {
        let response = self
            .client
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(form)
            .send()
            .map_err(|e| network(url, &e))?;
        let status = response.status().as_u16();
        if (500..600).contains(&status) {
            return Err(Error::Server {
                url: url.to_owned(),
                status,
            });
        }
        Ok((status, read_body(url, response)?))
    }

    /// The adapter `oauth2` sends its requests through, with `quirks` applied to responses.
    pub(crate) fn oauth<'a>(&'a self, quirks: &'a Quirks) -> OAuthHttp<'a> {
        OAuthHttp { http: self, quirks }
    }
}

fn network(url: &str, e: &reqwest::Error) -> Error {
    let reason = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else if e.is_redirect() {
        "it redirected".to_owned()
    } else {
        // reqwest's messages name the URL and the cause, never a body.
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text = format!("{text}: {s}");
            source = s.source();
        }
        text
    };
    Error::Network {
        url: url.to_owned(),
        reason,
    }
}

fn read_body(url: &str, response: reqwest::blocking::Response) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let mut body = Vec::new();
    response
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| Error::Network {
            url: url.to_owned(),
            reason: format!("reading the answer failed: {e}"),
        })?;
    if body.len() > MAX_BODY {
        return Err(Error::Malformed {
            url: url.to_owned(),
            reason: "the answer is larger than 1 MiB".into(),
        });
    }
    Ok(body)
}

/// `oauth2`'s view of [`Http`]. Errors it returns are already [`Error`]s with clear messages.
pub(crate) struct OAuthHttp<'a> {
    http: &'a Http,
    quirks: &'a Quirks,
}

impl oauth2::SyncHttpClient for OAuthHttp<'_> {
    type Error = Error;

    fn call(&self, request: HttpRequest) -> Result<HttpResponse, Error> {
        let url = request.uri().to_string();
        let (parts, body) = request.into_parts();
        let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
            .map_err(|_| Error::Config("unsupported HTTP method".into()))?;
        let mut builder = self.http.client.request(method, &url).body(body);
        for (name, value) in &parts.headers {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
        let response = builder.send().map_err(|e| network(&url, &e))?;
        let status = response.status().as_u16();
        if (500..600).contains(&status) {
            return Err(Error::Server { url, status });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .map(|v| v.as_bytes().to_vec());
        let body = read_body(&url, response)?;
        answer(url, self.quirks, status, content_type, body)
    }
}

/// What `oauth2` gets to parse from a provider's answer (the fuzz target `token_response`
/// feeds this arbitrary answers).
pub(crate) fn answer(
    url: String,
    quirks: &Quirks,
    status: u16,
    content_type: Option<Vec<u8>>,
    body: Vec<u8>,
) -> Result<HttpResponse, Error> {
    // `oauth2` reads the first JSON value of a body and ignores whatever follows it, while the
    // quirks below read strictly: a body with trailing data would skip the quirks (a Slack bot
    // token taken for the user's). Both must see the same answer, so such a body is refused.
    let mut first = serde_json::Deserializer::from_slice(&body);
    if serde::de::IgnoredAny::deserialize(&mut first).is_ok() && first.end().is_err() {
        return Err(Error::Malformed {
            url,
            reason: "unexpected data after the JSON answer".into(),
        });
    }
    let (status, body) = normalise(quirks, status, body);
    let mut out = oauth2::http::Response::builder().status(status);
    if let Some(ct) = content_type {
        out = out.header(oauth2::http::header::CONTENT_TYPE, ct);
    }
    out.body(body).map_err(|_| Error::Malformed {
        url,
        reason: "invalid HTTP response".into(),
    })
}

/// Turns a provider's dialect into standard OAuth JSON (RFC 6749 §5.1/§5.2):
/// errors sent with 200 become 400; a user token nested under a key is lifted to the top level;
/// a missing `token_type` is `bearer`; a numeric string `expires_in` becomes a number.
/// Bodies that are not JSON objects pass unchanged (the parser then reports them).
pub(crate) fn normalise(quirks: &Quirks, status: u16, body: Vec<u8>) -> (u16, Vec<u8>) {
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(&body) else {
        return (status, body);
    };
    let mut status = status;
    if status == 200 && object.get("error").is_some_and(|e| !e.is_null()) {
        // GitHub and Slack report failures with HTTP 200 and an `error` field.
        status = 400;
    }
    if status == 200 {
        if let Some(key) = &quirks.token_nested_under {
            match object.remove(key.as_str()) {
                Some(Value::Object(inner)) if inner.contains_key("access_token") => {
                    object = lift(object, inner);
                }
                // No user token nested: the top-level one is the app's own (Slack's bot token,
                // with its workspace-wide scopes), never to be stored as the user's.
                _ if object
                    .get("token_type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("bot")) =>
                {
                    status = 400;
                    object = Map::new();
                    object.insert("error".into(), Value::String("no_user_token".into()));
                    object.insert(
                        "error_description".into(),
                        Value::String(
                            "the answer holds only a bot token, not the user token asked for"
                                .into(),
                        ),
                    );
                }
                _ => {}
            }
        }
        if !object.contains_key("token_type") && object.contains_key("access_token") {
            object.insert("token_type".into(), Value::String("bearer".into()));
        }
        if let Some(Value::String(s)) = object.get("expires_in")
            && let Ok(n) = s.trim().parse::<u64>()
        {
            object.insert("expires_in".into(), Value::from(n));
        }
        if let Some(Value::String(scope)) = object.get("scope")
            && quirks.scope_separator != ' '
        {
            let spaced = scope.replace(quirks.scope_separator, " ");
            object.insert("scope".into(), Value::String(spaced));
        }
    }
    if status != 200 && !object.contains_key("error") {
        return (status, body);
    }
    match serde_json::to_vec(&Value::Object(object)) {
        Ok(rewritten) => (status, rewritten),
        Err(_) => (status, body),
    }
}

/// The nested object's fields win; the outer ones (`ok`, `team`, a bot token) are dropped so a
/// bot token is never mistaken for the user's.
fn lift(outer: Map<String, Value>, inner: Map<String, Value>) -> Map<String, Value> {
    let mut out = inner;
    for key in ["id_token"] {
        if let Some(v) = outer.get(key) {
            out.entry(key).or_insert_with(|| v.clone());
        }
    }
    out
}

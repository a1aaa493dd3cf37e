//! Finding an issuer's endpoints from its published metadata (OIDC Discovery, RFC 8414).

use serde_json::Value;

use crate::error::{Error, Result};
use crate::http::Http;
use crate::provider::{Endpoints, check_transport};

/// What discovery found for an issuer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Discovered {
    pub endpoints: Endpoints,
    /// `scopes_supported`, when published.
    pub scopes_supported: Option<Vec<String>>,
}

/// Finds an issuer's endpoints: `/.well-known/openid-configuration` (OIDC Discovery §4), then
/// `/.well-known/oauth-authorization-server` (RFC 8414 §3, inserted before the issuer's path).
/// The metadata's `issuer` must equal `issuer` exactly, and a provider that lists its PKCE
/// methods must list `S256`.
pub fn discover(http: &Http, issuer: &str) -> Result<Discovered> {
    let parsed = url::Url::parse(issuer)
        .map_err(|e| Error::Config(format!("{issuer:?} is not a URL: {e}")))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "an issuer URL has no query or fragment: {issuer:?}"
        )));
    }
    check_transport(&parsed)?;
    let trimmed = issuer.trim_end_matches('/');
    let oidc = format!("{trimmed}/.well-known/openid-configuration");
    let (url, meta) = match http.get_json(&oidc)? {
        Some(meta) => (oidc, meta),
        None => {
            let path = parsed.path().trim_end_matches('/');
            let origin = parsed.origin().ascii_serialization();
            let rfc8414 = format!("{origin}/.well-known/oauth-authorization-server{path}");
            match http.get_json(&rfc8414)? {
                Some(meta) => (rfc8414, meta),
                None => {
                    return Err(Error::Unsupported(format!(
                        "{issuer} publishes no OpenID Connect or OAuth metadata ({oidc} and {rfc8414} are not found)"
                    )));
                }
            }
        }
    };
    parse_metadata(&url, issuer, &meta)
}

/// Checks discovered metadata; separate from the fetching so it is tested on recorded bodies.
pub fn parse_metadata(url: &str, issuer: &str, meta: &Value) -> Result<Discovered> {
    let text = |key: &str| meta.get(key).and_then(Value::as_str).map(str::to_owned);
    let malformed = |reason: String| Error::Malformed {
        url: url.to_owned(),
        reason,
    };
    let got = text("issuer").ok_or_else(|| malformed("no `issuer`".into()))?;
    if got != issuer {
        return Err(Error::DiscoveryIssuer {
            url: url.to_owned(),
            expected: issuer.to_owned(),
            got,
        });
    }
    let authorization = text("authorization_endpoint")
        .ok_or_else(|| malformed("no `authorization_endpoint`".into()))?;
    let token = text("token_endpoint").ok_or_else(|| malformed("no `token_endpoint`".into()))?;
    if let Some(methods) = meta
        .get("code_challenge_methods_supported")
        .and_then(Value::as_array)
        && !methods.iter().any(|m| m.as_str() == Some("S256"))
    {
        return Err(Error::Unsupported(format!(
            "{issuer} does not support PKCE with S256 (RFC 7636); refusing it"
        )));
    }
    let endpoints = Endpoints {
        issuer: Some(got),
        authorization,
        token,
        revocation: text("revocation_endpoint"),
        device_authorization: text("device_authorization_endpoint"),
        iss_parameter_supported: meta
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    };
    for u in [&endpoints.authorization, &endpoints.token]
        .into_iter()
        .chain(endpoints.revocation.as_ref())
        .chain(endpoints.device_authorization.as_ref())
    {
        let parsed = url::Url::parse(u).map_err(|_| malformed(format!("{u:?} is not a URL")))?;
        check_transport(&parsed)?;
    }
    let scopes_supported = meta
        .get("scopes_supported")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        });
    Ok(Discovered {
        endpoints,
        scopes_supported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(issuer: &str) -> Value {
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/auth"),
            "token_endpoint": format!("{issuer}/token"),
            "revocation_endpoint": format!("{issuer}/token/revocation"),
            "device_authorization_endpoint": format!("{issuer}/device/auth"),
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
            "scopes_supported": ["openid", "email", "offline_access"]
        })
    }

    #[test]
    fn metadata_is_taken_when_the_issuer_matches_exactly() {
        let d = parse_metadata("u", "https://id.example", &meta("https://id.example")).unwrap();
        assert_eq!(d.endpoints.token, "https://id.example/token");
        assert!(d.endpoints.iss_parameter_supported);
        assert_eq!(d.scopes_supported.unwrap().len(), 3);
        // A trailing slash is a different issuer (RFC 8414 §3.3: identical).
        let e = parse_metadata("u", "https://id.example/", &meta("https://id.example"));
        assert!(matches!(e, Err(Error::DiscoveryIssuer { .. })), "{e:?}");
        let e = parse_metadata("u", "https://id.example", &meta("https://evil.example"));
        assert!(matches!(e, Err(Error::DiscoveryIssuer { .. })), "{e:?}");
    }

    #[test]
    fn metadata_without_s256_or_with_http_endpoints_is_refused() {
        let mut m = meta("https://id.example");
        m["code_challenge_methods_supported"] = json!(["plain"]);
        let e = parse_metadata("u", "https://id.example", &m).unwrap_err();
        assert!(e.to_string().contains("S256"), "{e}");
        let mut m = meta("https://id.example");
        m["token_endpoint"] = json!("http://id.example/token");
        let e = parse_metadata("u", "https://id.example", &m).unwrap_err();
        assert!(e.to_string().contains("TLS"), "{e}");
        // Loopback http is fine (a local provider).
        parse_metadata("u", "http://127.0.0.1:9", &meta("http://127.0.0.1:9")).unwrap();
    }
}

//! Tokens, and the two things done with them after login: refresh and revocation (RFC 7009).

use std::time::Duration;

use base64::Engine;
use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    ExtraTokenFields, RefreshToken, RequestTokenError, StandardErrorResponse,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, clip};
use crate::http::Http;
use crate::provider::Provider;
use crate::secret::Token;

/// What the token endpoint handed out.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: Token,
    /// `None` when the provider issued none, or (on refresh) kept the old one.
    pub refresh_token: Option<Token>,
    pub id_token: Option<Token>,
    pub token_type: String,
    /// Lifetime of the access token from the moment of the answer; `None` when not said.
    pub expires_in: Option<Duration>,
    /// Lifetime of the refresh token, where the provider says (GitHub's
    /// `refresh_token_expires_in`, Keycloak's `refresh_expires_in`): after it, only a new login
    /// helps.
    pub refresh_expires_in: Option<Duration>,
    /// The scopes granted, when the provider says (RFC 6749 §5.1: omitted = as requested).
    pub scopes: Option<Vec<String>>,
}

impl TokenSet {
    /// Who logged in, from the ID token, for display. The ID token is not verified: it came
    /// straight from the token endpoint over TLS (OIDC Core §3.1.3.7), and nothing is decided
    /// on it.
    pub fn id_claims(&self) -> IdClaims {
        self.id_token
            .as_ref()
            .and_then(|t| IdClaims::from_jwt(t.expose()))
            .unwrap_or_default()
    }
}

/// Display claims of an ID token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdClaims {
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl IdClaims {
    fn from_jwt(jwt: &str) -> Option<IdClaims> {
        let payload = jwt.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// The fields beyond RFC 6749 that vault reads: OIDC's `id_token`, and the refresh token's
/// lifetime under the names providers use for it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token_expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_expires_in: Option<u64>,
}

impl ExtraTokenFields for IdTokenField {}

pub(crate) type TokenResp = StandardTokenResponse<IdTokenField, BasicTokenType>;

pub(crate) type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    TokenResp,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointMaybeSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointSet,
>;

fn bad_url(u: &str) -> Error {
    Error::Config(format!("{u:?} is not a valid URL"))
}

/// An `oauth2` client for `provider` (no redirect URL: the login sets its own).
pub(crate) fn client(provider: &Provider) -> Result<OAuthClient> {
    provider.check()?;
    let e = &provider.endpoints;
    let mut client = oauth2::Client::new(ClientId::new(provider.client_id.clone()))
        .set_auth_uri(AuthUrl::new(e.authorization.clone()).map_err(|_| bad_url(&e.authorization))?)
        .set_token_uri(TokenUrl::new(e.token.clone()).map_err(|_| bad_url(&e.token))?)
        // Revocation is sent by `revoke` itself (see there).
        .set_revocation_url_option(None)
        .set_device_authorization_url_option(
            e.device_authorization
                .as_ref()
                .map(|u| oauth2::DeviceAuthorizationUrl::new(u.clone()).map_err(|_| bad_url(u)))
                .transpose()?,
        );
    if let Some(secret) = &provider.client_secret {
        client = client
            .set_client_secret(ClientSecret::new(secret.expose().to_owned()))
            // client_secret_post is what every preset accepts; basic auth has encoding traps.
            .set_auth_type(AuthType::RequestBody);
    }
    Ok(client)
}

pub(crate) fn token_set(resp: TokenResp) -> TokenSet {
    TokenSet {
        access_token: Token::new(resp.access_token().secret().clone()),
        refresh_token: resp.refresh_token().map(|t| Token::new(t.secret().clone())),
        id_token: resp.extra_fields().id_token.clone().map(Token::new),
        token_type: resp.token_type().as_ref().to_ascii_lowercase(),
        expires_in: resp.expires_in(),
        refresh_expires_in: {
            let extra = resp.extra_fields();
            extra
                .refresh_token_expires_in
                .or(extra.refresh_expires_in)
                // Keycloak says 0 for refresh tokens that do not expire.
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
        },
        scopes: resp
            .scopes()
            .map(|s| s.iter().map(|x| x.to_string()).collect()),
    }
}

/// Maps `oauth2`'s errors to ours without ever formatting a response body (it may hold tokens).
pub(crate) fn token_error<T: oauth2::ErrorResponse + 'static>(
    url: &str,
    e: RequestTokenError<Error, T>,
    classify: impl FnOnce(&T) -> (String, Option<String>),
) -> Error {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let (error, description) = classify(&r);
            let description = description.map(|d| clip(&d));
            if error == "invalid_grant" {
                Error::InvalidGrant { description }
            } else {
                Error::Provider { error, description }
            }
        }
        RequestTokenError::Request(e) => e,
        RequestTokenError::Parse(e, _body) => Error::Malformed {
            url: url.to_owned(),
            // The path and the kind of problem only: serde's message may quote a value.
            reason: format!(
                "not a valid token response ({:?} error at `{}`)",
                e.inner().classify(),
                e.path()
            ),
        },
        RequestTokenError::Other(text) => Error::Malformed {
            url: url.to_owned(),
            reason: clip(&text),
        },
    }
}

pub(crate) fn classify_basic(
    r: &StandardErrorResponse<BasicErrorResponseType>,
) -> (String, Option<String>) {
    (
        r.error().as_ref().to_owned(),
        r.error_description().cloned(),
    )
}

/// Exchanges a refresh token for new tokens. When the answer has no refresh token the old one
/// stays valid (RFC 6749 §6); the caller keeps it.
pub fn refresh(http: &Http, provider: &Provider, refresh_token: &Token) -> Result<TokenSet> {
    let client = client(provider)?;
    let token = RefreshToken::new(refresh_token.expose().to_owned());
    let resp = client
        .exchange_refresh_token(&token)
        .request(&http.oauth(&provider.quirks))
        .map_err(|e| token_error(&provider.endpoints.token, e, classify_basic))?;
    Ok(token_set(resp))
}

/// Which token a revocation names (RFC 7009 §2.1 `token_type_hint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

/// Revokes a token at the provider (RFC 7009). `Ok(false)` when the provider has no
/// revocation endpoint. Revoking a token the provider no longer knows succeeds (§2.2).
///
/// Sent directly rather than through `oauth2`, which refuses any non-HTTPS revocation URL,
/// including a provider on the loopback interface that the rest of this crate accepts.
pub fn revoke(http: &Http, provider: &Provider, token: &Token, kind: TokenKind) -> Result<bool> {
    provider.check()?;
    let Some(url) = provider.endpoints.revocation.clone() else {
        return Ok(false);
    };
    let hint = match kind {
        TokenKind::Access => "access_token",
        TokenKind::Refresh => "refresh_token",
    };
    let mut form: Vec<(&str, &str)> = vec![
        ("token", token.expose()),
        ("token_type_hint", hint),
        ("client_id", &provider.client_id),
    ];
    if let Some(secret) = &provider.client_secret {
        form.push(("client_secret", secret.expose()));
    }
    let (status, body) = http.post_form(&url, &form)?;
    if status == 200 {
        return Ok(true);
    }
    // §2.2.1: an error response is JSON with `error` (e.g. unsupported_token_type).
    #[derive(Deserialize)]
    struct ErrorBody {
        error: String,
        #[serde(default)]
        error_description: Option<String>,
    }
    match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(e) => Err(Error::Provider {
            error: clip(&e.error),
            description: e.error_description.map(|d| clip(&d)),
        }),
        Err(_) => Err(Error::Malformed {
            url,
            reason: format!("HTTP {status} without an OAuth error"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_show_in_debug() {
        let t = TokenSet {
            access_token: Token::new("gho_canary"),
            refresh_token: Some(Token::new("ghr_canary")),
            id_token: None,
            token_type: "bearer".into(),
            expires_in: None,
            refresh_expires_in: None,
            scopes: None,
        };
        assert!(!format!("{t:?}").contains("canary"));
    }

    #[test]
    fn id_claims_for_display() {
        // header.payload.signature with payload {"sub":"alice","email":"alice@example.test"}
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"alice","email":"alice@example.test","aud":"x"}"#);
        let t = TokenSet {
            access_token: Token::new("a"),
            refresh_token: None,
            id_token: Some(Token::new(format!("e30.{payload}.sig"))),
            token_type: "bearer".into(),
            expires_in: None,
            refresh_expires_in: None,
            scopes: None,
        };
        let c = t.id_claims();
        assert_eq!(c.sub.as_deref(), Some("alice"));
        assert_eq!(c.email.as_deref(), Some("alice@example.test"));
        let garbage = TokenSet {
            id_token: Some(Token::new("not a jwt")),
            ..t
        };
        assert_eq!(garbage.id_claims(), IdClaims::default());
    }
}

//! Providers: where their endpoints are and how they deviate from the standard.
//!
//! Built-in [`Preset`]s keep each provider's endpoints and quirks as data; any other issuer is
//! found through discovery (OpenID Connect, then RFC 8414), with the metadata's `issuer`
//! compared exactly with the one asked for. A [`Provider`] is a configured client: endpoints,
//! quirks, client id and, when the provider requires one, a client secret.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::quirks::Quirks;
use crate::secret::Token;

/// Where a provider's endpoints are. Plain data: stored (sealed) with a provider configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// The issuer identifier, when the provider has one (OIDC / RFC 8414); checked against the
    /// `iss` of callbacks (RFC 9207).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    pub authorization: String,
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization: Option<String>,
    /// The provider promises `iss` on every authorization response (RFC 9207), so a callback
    /// without one is refused.
    #[serde(default)]
    pub iss_parameter_supported: bool,
}

/// A built-in provider.
#[derive(Clone, Debug)]
pub struct Preset {
    pub id: &'static str,
    pub title: &'static str,
    pub endpoints: Endpoints,
    pub quirks: Quirks,
    /// Scopes asked for when the user names none.
    pub default_scopes: &'static [&'static str],
    /// Where to register an app and get a client id.
    pub console: &'static str,
    /// The API hosts its access tokens are sent to (`vault run --proxy` adds a grant's token to
    /// requests for these only, unless the provider configuration names its own).
    pub api_hosts: &'static [&'static str],
    /// Where git is served with its access tokens over HTTPS (`vault git-credential` answers
    /// for these), and the username they go with.
    pub git_hosts: &'static [&'static str],
    pub git_username: &'static str,
}

fn ep(
    issuer: Option<&str>,
    authorization: &str,
    token: &str,
    revocation: Option<&str>,
    device: Option<&str>,
) -> Endpoints {
    Endpoints {
        issuer: issuer.map(str::to_owned),
        authorization: authorization.into(),
        token: token.into(),
        revocation: revocation.map(str::to_owned),
        device_authorization: device.map(str::to_owned),
        iss_parameter_supported: false,
    }
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Every built-in provider. Revocation endpoints are listed only where they follow RFC 7009.
pub fn presets() -> Vec<Preset> {
    vec![
        Preset {
            id: "github",
            title: "GitHub",
            endpoints: ep(
                None,
                "https://github.com/login/oauth/authorize",
                "https://github.com/login/oauth/access_token",
                None,
                Some("https://github.com/login/device/code"),
            ),
            quirks: Quirks {
                client_secret_required: true,
                rotating_refresh_tokens: true,
                ..Quirks::default()
            },
            default_scopes: &["read:user"],
            console: "https://github.com/settings/developers",
            api_hosts: &["api.github.com", "uploads.github.com"],
            git_hosts: &["github.com"],
            git_username: "x-access-token",
        },
        Preset {
            id: "google",
            title: "Google",
            endpoints: ep(
                Some("https://accounts.google.com"),
                "https://accounts.google.com/o/oauth2/v2/auth",
                "https://oauth2.googleapis.com/token",
                Some("https://oauth2.googleapis.com/revoke"),
                Some("https://oauth2.googleapis.com/device/code"),
            ),
            quirks: Quirks {
                extra_authorize_params: params(&[
                    ("access_type", "offline"),
                    ("prompt", "consent"),
                ]),
                ..Quirks::default()
            },
            default_scopes: &["openid", "email"],
            console: "https://console.cloud.google.com/apis/credentials",
            api_hosts: &["*.googleapis.com"],
            git_hosts: &[],
            git_username: "oauth2",
        },
        Preset {
            id: "microsoft",
            title: "Microsoft Entra ID",
            endpoints: ep(
                None,
                "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                None,
                Some("https://login.microsoftonline.com/common/oauth2/v2.0/devicecode"),
            ),
            quirks: Quirks {
                rotating_refresh_tokens: true,
                ..Quirks::default()
            },
            // Without offline_access Entra issues no refresh token.
            default_scopes: &["openid", "email", "offline_access", "User.Read"],
            console: "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps",
            api_hosts: &["graph.microsoft.com"],
            git_hosts: &[],
            git_username: "oauth2",
        },
        Preset {
            id: "gitlab",
            title: "GitLab",
            endpoints: Endpoints {
                iss_parameter_supported: false,
                ..ep(
                    Some("https://gitlab.com"),
                    "https://gitlab.com/oauth/authorize",
                    "https://gitlab.com/oauth/token",
                    Some("https://gitlab.com/oauth/revoke"),
                    Some("https://gitlab.com/oauth/authorize_device"),
                )
            },
            quirks: Quirks {
                rotating_refresh_tokens: true,
                ..Quirks::default()
            },
            default_scopes: &["read_user", "openid", "email"],
            console: "https://gitlab.com/-/user_settings/applications",
            api_hosts: &["gitlab.com/api/"],
            git_hosts: &["gitlab.com"],
            git_username: "oauth2",
        },
        Preset {
            id: "slack",
            title: "Slack",
            endpoints: ep(
                None,
                "https://slack.com/oauth/v2/authorize",
                "https://slack.com/api/oauth.v2.access",
                None,
                None,
            ),
            quirks: Quirks {
                scope_param: "user_scope".into(),
                scope_separator: ',',
                token_nested_under: Some("authed_user".into()),
                rotating_refresh_tokens: true,
                ..Quirks::default()
            },
            default_scopes: &["users:read"],
            console: "https://api.slack.com/apps",
            api_hosts: &["slack.com/api/"],
            git_hosts: &[],
            git_username: "oauth2",
        },
        Preset {
            id: "dropbox",
            title: "Dropbox",
            endpoints: ep(
                None,
                "https://www.dropbox.com/oauth2/authorize",
                "https://api.dropboxapi.com/oauth2/token",
                None,
                None,
            ),
            quirks: Quirks {
                extra_authorize_params: params(&[("token_access_type", "offline")]),
                ..Quirks::default()
            },
            default_scopes: &["account_info.read"],
            console: "https://www.dropbox.com/developers/apps",
            api_hosts: &["api.dropboxapi.com", "content.dropboxapi.com"],
            git_hosts: &[],
            git_username: "oauth2",
        },
        Preset {
            id: "spotify",
            title: "Spotify",
            endpoints: ep(
                None,
                "https://accounts.spotify.com/authorize",
                "https://accounts.spotify.com/api/token",
                None,
                None,
            ),
            quirks: Quirks::default(),
            default_scopes: &["user-read-email"],
            console: "https://developer.spotify.com/dashboard",
            api_hosts: &["api.spotify.com"],
            git_hosts: &[],
            git_username: "oauth2",
        },
    ]
}

/// A built-in provider by id (case-insensitive).
pub fn preset(id: &str) -> Option<Preset> {
    presets()
        .into_iter()
        .find(|p| p.id.eq_ignore_ascii_case(id))
}

/// Endpoints must be HTTPS, except on the loopback interface (a local provider, or tests).
pub(crate) fn check_transport(url: &url::Url) -> Result<()> {
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(Error::Config(format!(
            "{url} is not an https URL; OAuth endpoints must use TLS"
        ))),
    }
}

/// A configured client of one provider.
#[derive(Clone, Debug)]
pub struct Provider {
    /// The user's name for it (`github`, `work-sso`).
    pub name: String,
    pub endpoints: Endpoints,
    pub quirks: Quirks,
    pub client_id: String,
    pub client_secret: Option<Token>,
}

impl Provider {
    /// Checks the configuration before any request is made.
    pub fn check(&self) -> Result<()> {
        if self.client_id.trim().is_empty() {
            return Err(Error::Config(format!(
                "provider {:?} has no client id",
                self.name
            )));
        }
        if self.quirks.client_secret_required && self.client_secret.is_none() {
            return Err(Error::Config(format!(
                "provider {:?} requires a client secret; add it with `vault oauth add {} ... --client-secret-stdin`",
                self.name, self.name
            )));
        }
        for u in [&self.endpoints.authorization, &self.endpoints.token]
            .into_iter()
            .chain(self.endpoints.revocation.as_ref())
            .chain(self.endpoints.device_authorization.as_ref())
        {
            let parsed =
                url::Url::parse(u).map_err(|_| Error::Config(format!("{u:?} is not a URL")))?;
            check_transport(&parsed)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid_https() {
        for p in presets() {
            let provider = Provider {
                name: p.id.into(),
                endpoints: p.endpoints.clone(),
                quirks: p.quirks.clone(),
                client_id: "id".into(),
                client_secret: Some(Token::new("s")),
            };
            provider.check().unwrap();
            assert!(p.endpoints.token.starts_with("https://"), "{}", p.id);
        }
        assert_eq!(preset("GitHub").unwrap().id, "github");
        assert!(preset("myspace").is_none());
    }

    #[test]
    fn preset_quirks_are_data() {
        let google = preset("google").unwrap();
        assert!(
            google
                .quirks
                .extra_authorize_params
                .contains(&("access_type".into(), "offline".into()))
        );
        assert!(
            google
                .quirks
                .extra_authorize_params
                .contains(&("prompt".into(), "consent".into()))
        );
        assert!(
            preset("microsoft")
                .unwrap()
                .default_scopes
                .contains(&"offline_access")
        );
        assert!(preset("github").unwrap().quirks.client_secret_required);
        assert_eq!(
            preset("slack")
                .unwrap()
                .quirks
                .token_nested_under
                .as_deref(),
            Some("authed_user")
        );
        assert!(
            preset("dropbox")
                .unwrap()
                .quirks
                .extra_authorize_params
                .contains(&("token_access_type".into(), "offline".into()))
        );
    }

    #[test]
    fn github_without_a_secret_is_refused_before_any_request() {
        let p = preset("github").unwrap();
        let provider = Provider {
            name: "github".into(),
            endpoints: p.endpoints,
            quirks: p.quirks,
            client_id: "Iv1.abc".into(),
            client_secret: None,
        };
        let e = provider.check().unwrap_err().to_string();
        assert!(e.contains("requires a client secret"), "{e}");
    }
}

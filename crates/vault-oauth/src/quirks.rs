//! How a provider deviates from RFC 6749, as data: the one place the token endpoint, the
//! authorization request and the HTTP layer look up provider-specific behaviour.

use serde::{Deserialize, Serialize};

/// How a provider deviates from RFC 6749, as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quirks {
    /// Extra parameters of the authorization request (Google: `access_type=offline`,
    /// `prompt=consent`; Dropbox: `token_access_type=offline`).
    #[serde(default)]
    pub extra_authorize_params: Vec<(String, String)>,
    /// The authorization parameter that carries scopes (Slack user tokens: `user_scope`).
    #[serde(default = "default_scope_param")]
    pub scope_param: String,
    /// How scopes are joined in requests and responses (Slack: `,`).
    #[serde(default = "default_scope_separator")]
    pub scope_separator: char,
    /// The token response nests the user's token under this key (Slack: `authed_user`).
    #[serde(default)]
    pub token_nested_under: Option<String>,
    /// The provider refuses public clients: a client secret must be configured (GitHub).
    #[serde(default)]
    pub client_secret_required: bool,
    /// Refresh tokens are single-use and rotate on every refresh (GitHub, GitLab). The agent
    /// already treats every provider this way; recorded for display.
    #[serde(default)]
    pub rotating_refresh_tokens: bool,
    /// The redirect must use this port (a provider that does not follow RFC 8252 §7.3).
    #[serde(default)]
    pub fixed_redirect_port: Option<u16>,
}

fn default_scope_param() -> String {
    "scope".into()
}

fn default_scope_separator() -> char {
    ' '
}

impl Default for Quirks {
    fn default() -> Self {
        Quirks {
            extra_authorize_params: Vec::new(),
            scope_param: default_scope_param(),
            scope_separator: ' ',
            token_nested_under: None,
            client_secret_required: false,
            rotating_refresh_tokens: false,
            fixed_redirect_port: None,
        }
    }
}

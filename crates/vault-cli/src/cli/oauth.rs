//! The OAuth commands' arguments: `vault oauth`, `vault login` and `vault token`.

use clap::{Args, Subcommand};
use clap_complete::engine::ArgValueCompleter;

/// `vault token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The grant (`vault grants`)
    #[arg(add = ArgValueCompleter::new(crate::complete::grant_names))]
    pub name: String,
    /// Refresh first unless the token stays valid this long (capped at half its lifetime)
    #[arg(long, value_name = "DURATION", default_value = "60s")]
    pub min_valid: String,
    /// Do not print a newline after the token
    #[arg(long, short = 'n')]
    pub no_newline: bool,
    /// Print the token with its type, expiry and scopes as JSON
    #[arg(long, conflicts_with = "no_newline")]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum OauthCommand {
    /// Configure a provider: a preset (github, google, microsoft, gitlab, slack, dropbox,
    /// spotify) or any OpenID Connect / RFC 8414 issuer
    #[command(after_help = "Examples:\n  \
        vault oauth add github --client-id Iv1.0123 --client-secret-stdin < secret.txt\n  \
        vault oauth add google --client-id 123.apps.googleusercontent.com --client-secret-stdin\n  \
        vault oauth add work-sso --issuer https://sso.example.com/realms/dev --client-id vault-cli")]
    Add {
        /// Your name for it (a preset id selects that preset)
        #[arg(add = ArgValueCompleter::new(crate::complete::presets))]
        name: String,
        /// A built-in preset [default: NAME, when it is one]
        #[arg(long, value_name = "PRESET", conflicts_with = "issuer", add = ArgValueCompleter::new(crate::complete::presets))]
        preset: Option<String>,
        /// An issuer URL; its endpoints are discovered (the metadata's issuer must match exactly)
        #[arg(long, value_name = "URL")]
        issuer: Option<String>,
        /// The OAuth client id of your app registration
        #[arg(long, value_name = "ID")]
        client_id: String,
        /// Read the client secret from stdin (or a hidden prompt); never from arguments
        #[arg(long)]
        client_secret_stdin: bool,
        /// Default scopes for `vault login` (repeat for several)
        #[arg(long, value_name = "SCOPE")]
        scope: Vec<String>,
        /// Where `vault run --proxy` may send its grants' access tokens (repeat for several)
        /// [default: the preset's API hosts; none for an issuer]
        #[arg(long, value_name = "HOST")]
        host: Vec<String>,
        /// Replace an existing provider of that name
        #[arg(long)]
        replace: bool,
    },
    /// List configured providers (and the presets)
    #[command(
        visible_alias = "list",
        after_help = "Examples:\n  vault oauth ls\n  vault oauth ls --json"
    )]
    Ls {
        /// Print JSON (for scripts)
        #[arg(long)]
        json: bool,
    },
    /// Change where `vault run --proxy` may send a provider's grants' access tokens
    #[command(after_help = "Examples:\n  \
        vault oauth edit work-sso --host api.example.com --host '*.corp.example'\n  \
        vault oauth edit github --add-host github.example.com/api/\n  \
        vault oauth edit github --default-hosts     # back to the preset's\n\n\
A host is [http://|https://][*.]name[:port][/path], as for `vault edit --host`.",
        group(clap::ArgGroup::new("change").required(true).multiple(true)
            .args(["host", "add_host", "remove_host", "no_host", "default_hosts"])))]
    Edit {
        /// The provider (`vault oauth ls`)
        #[arg(add = ArgValueCompleter::new(crate::complete::providers))]
        name: String,
        /// Replace its hosts with these (repeat for several)
        #[arg(long, value_name = "HOST")]
        host: Vec<String>,
        /// Add to the hosts it has now (repeatable)
        #[arg(long, value_name = "HOST", conflicts_with = "host")]
        add_host: Vec<String>,
        /// Remove from the hosts it has now (repeatable)
        #[arg(long, value_name = "HOST", conflicts_with = "host")]
        remove_host: Vec<String>,
        /// No hosts at all: its tokens cannot go through `vault run --proxy`
        #[arg(long, conflicts_with_all = ["host", "add_host", "remove_host"])]
        no_host: bool,
        /// Back to its preset's API hosts
        #[arg(long, conflicts_with_all = ["host", "add_host", "remove_host", "no_host"])]
        default_hosts: bool,
    },
    /// Remove a provider configuration (refused while grants use it)
    #[command(
        visible_alias = "remove",
        after_help = "Example:\n  vault logout work-sso && vault oauth rm work-sso"
    )]
    Rm {
        /// The provider (`vault oauth ls`)
        #[arg(add = ArgValueCompleter::new(crate::complete::providers))]
        name: String,
    },
}

// `vault login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// A provider from `vault oauth ls`
    #[arg(add = ArgValueCompleter::new(crate::complete::providers))]
    pub provider: String,
    /// Store the grant under this name [default: the provider's name]
    #[arg(long = "as", value_name = "NAME")]
    pub name: Option<String>,
    /// A scope to ask for (repeat for several) [default: the provider's]
    #[arg(long, value_name = "SCOPE")]
    pub scope: Vec<String>,
    /// Use the device flow: enter a code on any device instead of a redirect to this one
    #[arg(long)]
    pub device: bool,
    /// Give up after this long (e.g. 90s, 5m)
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub timeout: String,
    /// Do not open a browser; only print the URL (to open in a browser on this machine)
    #[arg(long)]
    pub no_browser: bool,
}

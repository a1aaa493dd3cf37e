//! The arguments that describe one API key: `vault add`'s metadata and `vault edit`'s changes.

use clap::Args;
use clap_complete::engine::ArgValueCompleter;

/// `NAME=VALUE`, as `--field` takes it: split at the first `=` (a value may hold more).
pub fn field_arg(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("{text:?} is not NAME=VALUE (e.g. username=alice)")),
    }
}

/// Checks `--secret-field` names: never with a value, which would be in the shell's history
/// and in `ps`. Not a clap value parser, whose message would quote the value.
pub fn check_secret_field_args(names: &[String]) -> Result<(), String> {
    match names.iter().find_map(|n| n.split_once('=')) {
        Some((name, _)) => Err(format!(
            "refusing to take a secret field's value from the command line (it would be in \
             your shell history and visible to other processes): give --secret-field {name} \
             and type the value at the prompt, or pipe it. Nothing was stored."
        )),
        None => Ok(()),
    }
}

#[derive(Debug, Args)]
pub struct MetaArgs {
    /// Environment variable name(s) to inject the value as [default: from the name]
    #[arg(long, short, value_name = "VAR")]
    pub env: Vec<String>,
    /// A tag, for `vault ls --tag` and `vault run --profile` (repeatable)
    #[arg(long, short, value_name = "TAG", add = ArgValueCompleter::new(crate::complete::tags))]
    pub tag: Vec<String>,
    /// The provider, e.g. openai [default: from the value's format, when known]
    #[arg(long)]
    pub service: Option<String>,
    /// Free text kept with the item (encrypted like its value)
    #[arg(long, default_value = "")]
    pub notes: String,
    /// Rotation interval: 90d, 12w, default or never
    #[arg(long, value_name = "INTERVAL")]
    pub rotate_every: Option<String>,
    /// Hard expiry: a date (2027-01-31, local midnight) or an RFC 3339 time
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
    /// When the key was issued or last rotated, if before now (a date or an RFC 3339 time):
    /// the first due date counts from it [default: now]
    #[arg(long, value_name = "DATE")]
    pub last_rotated: Option<String>,
    /// A host the value may be sent to: api.example.com, *.example.com, localhost:8443,
    /// api.example.com/v1 (repeatable) [default: its service's hosts]
    #[arg(long, value_name = "HOST", conflicts_with = "no_host")]
    pub host: Vec<String>,
    /// The value may be sent to no host
    #[arg(long)]
    pub no_host: bool,
    /// A named field kept with the value, e.g. username=alice (repeatable); read with
    /// `vault get NAME --field username` or vault://NAME/username
    #[arg(long, value_name = "NAME=VALUE", value_parser = field_arg)]
    pub field: Vec<(String, String)>,
    /// A secret field, e.g. password (repeatable): its value is asked for (after the item's),
    /// or read from stdin, a line each in the order given; kept sealed with the value, listed
    /// by name only
    #[arg(long, value_name = "NAME")]
    pub secret_field: Vec<String>,
}

// `vault edit`: the item, then the changes (each absent flag leaves its field alone).
#[derive(Debug, Args)]
pub struct EditArgs {
    /// The item to change
    #[arg(add = ArgValueCompleter::new(crate::complete::api_key_names))]
    pub name: String,
    /// Give the item a new name (references to the old name stop resolving)
    #[arg(long, value_name = "NEW_NAME")]
    pub rename: Option<String>,
    /// Replace the environment variable names (repeatable)
    #[arg(long, value_name = "VAR")]
    pub env: Vec<String>,
    /// Add an environment variable name (repeatable)
    #[arg(long, value_name = "VAR")]
    pub add_env: Vec<String>,
    /// Remove an environment variable name (repeatable)
    #[arg(long, value_name = "VAR")]
    pub remove_env: Vec<String>,
    /// Add a tag
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Remove a tag
    #[arg(long, value_name = "TAG")]
    pub untag: Vec<String>,
    /// The provider, e.g. openai (an empty value clears it)
    #[arg(long)]
    pub service: Option<String>,
    /// Replace the notes (an empty value clears them)
    #[arg(long)]
    pub notes: Option<String>,
    /// Rotation interval: 90d, 12w, default or never
    #[arg(long, value_name = "INTERVAL")]
    pub rotate_every: Option<String>,
    /// Hard expiry: a date (2027-01-31, local midnight) or an RFC 3339 time
    #[arg(long, value_name = "DATE", conflicts_with = "no_expiry")]
    pub expires: Option<String>,
    /// Remove the expiry
    #[arg(long)]
    pub no_expiry: bool,
    /// Replace the hosts the value may be sent to (repeatable)
    #[arg(long, value_name = "HOST")]
    pub host: Vec<String>,
    /// Add a host the value may be sent to (repeatable)
    #[arg(long, value_name = "HOST")]
    pub add_host: Vec<String>,
    /// Remove a host (repeatable)
    #[arg(long, value_name = "HOST")]
    pub remove_host: Vec<String>,
    /// The value may be sent to no host
    #[arg(long, conflicts_with_all = ["host", "add_host", "remove_host", "default_hosts"])]
    pub no_host: bool,
    /// Send the value to its service's hosts again, dropping the item's own
    #[arg(long, conflicts_with_all = ["host", "add_host", "remove_host"])]
    pub default_hosts: bool,
    /// Set a named field, e.g. username=alice (repeatable)
    #[arg(long, value_name = "NAME=VALUE", value_parser = field_arg)]
    pub field: Vec<(String, String)>,
    /// Set a secret field, e.g. password (repeatable): asked for, or read from stdin, one
    /// line per field; the item's previous secret fields stay in its history
    #[arg(long, value_name = "NAME")]
    pub secret_field: Vec<String>,
    /// Remove a named field, plain or secret (repeatable)
    #[arg(long, value_name = "NAME")]
    pub remove_field: Vec<String>,
}

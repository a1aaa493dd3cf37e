//! `vault setup` and the helpers other tools run (`vault kube`): their arguments.

use clap::Subcommand;
use clap_complete::engine::ArgValueCompleter;

#[derive(Debug, Subcommand)]
pub enum SetupCommand {
    /// Show which tools ask vault for their credentials, and what is still left in their files
    #[command(after_help = "Example:\n  vault setup status\n\n\
Reads git's global config, this repository's pre-commit hook, Docker's config.json, \
~/.aws/config and ~/.aws/credentials, and the kubeconfig files (their environment variables \
honoured), and changes nothing. Each tool not set up is named with the command that sets it up; \
keys still in a tool's own file (AWS keys that win over vault, Docker logins in base64) are \
named with the command that moves them. The desktop app shows the same under Settings.")]
    Status {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Make a kubectl context get its token from an OAuth grant (an exec plugin user in
    /// ~/.kube/config), or give it back its user with --undo
    #[command(after_help = "Examples:\n  \
        vault login corp-sso                                   # once, in the browser\n  \
        vault setup kube --context prod --grant corp-sso\n  \
        vault setup kube --context prod --undo\n\n\
The context's user becomes `vault-GRANT`, whose exec plugin is `vault kube token GRANT`: kubectl \
then asks vault for the grant's access token, refreshed when it runs out, for a cluster that \
signs in with OIDC. The user the context had stays in the file and comes back with --undo. \
KUBECONFIG is honoured; the file holding the context is the one changed.")]
    Kube {
        /// The context (default: the current one)
        #[arg(long)]
        context: Option<String>,
        /// The OAuth grant whose access token kubectl is given
        #[arg(
            long,
            required_unless_present = "undo",
            add = ArgValueCompleter::new(crate::complete::grant_names)
        )]
        grant: Option<String>,
        /// Give the context back the user it had
        #[arg(long, conflicts_with = "grant")]
        undo: bool,
    },
    /// Add vault to git's credential helpers (global config), or remove it with --undo
    #[command(
        after_help = "Examples:\n  vault setup git\n  vault setup git --undo\n\n\
git then asks vault for HTTPS credentials: an OAuth grant's fresh access token (github.com, \
gitlab.com, or its provider's hosts) or an API key allowed to go to that host (`vault edit NAME \
--add-host git.example.com`), with its `username` field (`vault edit NAME --field username=me`)."
    )]
    Git {
        /// Remove vault from git's credential helpers
        #[arg(long)]
        undo: bool,
    },
    /// Add `vault scan --staged` as this repository's pre-commit hook, or remove it with --undo
    #[command(
        name = "pre-commit",
        after_help = "Examples:\n  vault setup pre-commit\n  vault setup pre-commit --undo\n\n\
git then refuses a commit that adds a value stored in the vault or a key in a known format, \
naming the file and line. `git commit --no-verify` skips the check once. A hook that is not \
vault's is left alone: add `vault scan --staged` to it yourself."
    )]
    PreCommit {
        /// Remove vault's hook
        #[arg(long)]
        undo: bool,
    },
    /// Make Docker keep registry credentials in vault (`credsStore` in ~/.docker/config.json),
    /// or remove it with --undo
    #[command(after_help = "Examples:\n  \
        vault setup docker                                  # every registry\n  \
        vault setup docker --registry registry.example.com  # this one only (credHelpers)\n  \
        vault setup docker --undo\n\n\
`docker login` then stores into vault instead of base64 in config.json, and pulls and pushes \
ask vault. Docker runs `docker-credential-vault`, found on PATH: a link to vault is made in \
~/.local/bin when none is there. DOCKER_CONFIG is honoured.")]
    Docker {
        /// One registry only (`credHelpers`), not every one (`credsStore`)
        #[arg(long, value_name = "HOST")]
        registry: Option<String>,
        /// Take vault out of Docker's configuration
        #[arg(long)]
        undo: bool,
    },
    /// Make an AWS profile get its access key from vault (`credential_process` in
    /// ~/.aws/config), or move the keys of ~/.aws/credentials into vault with --migrate
    #[command(after_help = "Examples:\n  \
        vault setup aws aws-prod                  # the default profile uses the item aws-prod\n  \
        vault setup aws aws-staging --profile staging\n  \
        vault setup aws --migrate                 # every key of ~/.aws/credentials into vault\n  \
        vault setup aws --undo --profile staging\n\n\
The item's value is the secret access key and its field `access_key_id` the key id (`vault add \
NAME` takes both pasted together, `AKIA... SECRET`); a `session_token` secret field and an expiry \
are passed on. The AWS CLI and every SDK then run `vault aws NAME` for the profile's keys. \
AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE are honoured.")]
    Aws {
        /// The item holding the access key
        #[arg(
            required_unless_present_any = ["undo", "migrate"],
            add = ArgValueCompleter::new(crate::complete::api_key_names)
        )]
        name: Option<String>,
        /// The AWS profile
        #[arg(long, default_value = "default", conflicts_with = "migrate")]
        profile: String,
        /// Take vault out of the profile's `credential_process`
        #[arg(long, conflicts_with_all = ["name", "migrate"])]
        undo: bool,
        /// Move every access key of ~/.aws/credentials into vault (an item per profile, `aws`
        /// or `aws-PROFILE`), set each profile up, and leave the file without them (a copy of it
        /// is kept beside it)
        #[arg(long, conflicts_with = "name")]
        migrate: bool,
        /// Do not ask for confirmation (--migrate)
        #[arg(long, requires = "migrate")]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KubeCommand {
    /// Print an `ExecCredential` with the grant's access token, as kubectl asks for it
    #[command(
        after_help = "Example:\n  vault kube token corp-sso   # {\"kind\": \"ExecCredential\", \"status\": {\"token\": ...}}\n\n\
kubectl runs it (the user entry `vault setup kube` writes) and reads the JSON on stdout: the \
grant's access token, refreshed first when it runs out within a minute, and its expiry, so \
kubectl asks again only then. Answers come from the unlocked agent only: a locked vault gives no \
token and one line on stderr, which kubectl shows."
    )]
    Token {
        /// The OAuth grant (`vault grants` lists them)
        #[arg(add = ArgValueCompleter::new(crate::complete::grant_names))]
        grant: String,
    },
}

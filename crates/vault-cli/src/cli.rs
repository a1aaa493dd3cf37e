//! Command-line definitions: every command, flag and help text, with examples.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;

mod items;

pub use items::{EditArgs, MetaArgs, check_secret_field_args};
mod oauth;
mod scan;
mod setup;
mod share;
mod sync;
mod transfer;
pub use oauth::{LoginArgs, OauthCommand, TokenArgs};
pub use scan::{ScanArgs, ScanFormat};
pub use setup::{KubeCommand, SetupCommand};
pub use share::ShareCommand;
pub use sync::{StorageArgs, SyncArgs, SyncCommand, SyncEngine};
pub use transfer::ImportArgs;

const EXAMPLES: &str = "\
Examples:
  vault init                                  # create the vault (asks for a master password)
  vault add openai --env OPENAI_API_KEY       # store a key (value typed at a hidden prompt)
  pbpaste | vault add stripe --tag billing    # store a key read from stdin
  vault ls                                    # list items and their rotation state
  vault due --check                           # fail (exit 9) when a key is overdue or expired
  vault get openai                            # print a value
  vault import .env --tag myapp               # move a .env file into the vault
  vault export --format env --yes -o backup.env
  vault oauth add github --client-id ID --client-secret-stdin
  vault login github                          # log in through the browser; stores a grant
  vault token github                          # print a valid access token (refreshed when needed)";

#[derive(Debug, Parser)]
#[command(
    name = "vault",
    version,
    about = "An encrypted vault for API keys and OAuth tokens.",
    long_about = "An encrypted vault for API keys and OAuth tokens.\n\nSecrets are encrypted \
                  with AES-256-GCM under a key derived from your master password (Argon2id). \
                  The vault is one file: by default $XDG_DATA_HOME/vault/vault.db.",
    after_help = EXAMPLES,
    after_long_help = concat!(
        "Examples:\n",
        "  vault init\n  vault add openai --env OPENAI_API_KEY\n  vault get openai\n\n",
        "Exit codes:\n",
        "  0  success\n",
        "  1  other error\n",
        "  2  invalid command line\n",
        "  3  wrong master password\n",
        "  4  no such item\n",
        "  5  no vault, or the vault file is damaged, tampered with or too new\n",
        "  6  already exists (an item name, or a vault at that path)\n",
        "  7  the vault is busy (another process holds its write lock)\n",
        "  8  the vault is locked and no password could be asked for\n",
        "  9  `vault due --check`: an item is overdue for rotation or expired\n",
        "  10 cancelled at a confirmation prompt\n",
        "  11 an OAuth grant needs a new login (`vault login`)\n",
        "  12 the OAuth provider is unreachable or failing; try again later\n",
        "  13 an OAuth login was refused, forged or not completed in time\n",
        "  vault run: the command's status; 125 if it could not be started (126: not \
         executable, 127: not found)",
    )
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The vault file [default: $XDG_DATA_HOME/vault/vault.db]
    #[arg(long, global = true, env = "VAULT_PATH", value_name = "PATH")]
    pub vault: Option<PathBuf>,

    /// Read the master password from the first line of FILE (e.g. /dev/fd/3). A second line
    /// is the new password for `vault passwd`.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        conflicts_with = "password_stdin"
    )]
    pub password_file: Option<PathBuf>,

    /// Read the master password from the first line of stdin (a value then cannot come from
    /// stdin too).
    #[arg(long, global = true)]
    pub password_stdin: bool,

    /// Open the vault in this process instead of through the agent (asks for the password
    /// every time; nothing stays unlocked)
    #[arg(long, global = true)]
    pub no_agent: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new vault
    #[command(after_help = "Examples:\n  \
        vault init                              # asks for a master password twice\n  \
        vault --vault ~/work.db init --kdf high # a second vault, slower to unlock")]
    Init {
        /// Key-derivation strength: standard (64 MiB), high (256 MiB) or minimum (19 MiB, for
        /// small machines and tests)
        #[arg(long, default_value = "standard", value_parser = ["standard", "high", "minimum"])]
        kdf: String,
    },

    /// Store an API key (the value is read from a hidden prompt or stdin, never from arguments)
    #[command(
        long_about = "Store an API key. The value is read from a hidden prompt or stdin, never \
                      from arguments.\n\nA value in a known format (OpenAI, Anthropic, GitHub, \
                      Stripe, AWS, Slack, Google, ...) is recognised locally, never sent anywhere: \
                      unless given, the environment variable name, the service and the rotation \
                      interval come from it, and vault says so on stderr.",
        after_help = "Examples:\n  vault add openai --env OPENAI_API_KEY --rotate-every 90d\n  \
                            printf %s \"$KEY\" | vault add stripe --tag billing --expires 2027-01-31\n  \
                            vault add old-aws --last-rotated 2026-01-15   # a key issued before today\n  \
                            vault add github-ci --field username=ci-bot   # vault get github-ci --field username\n  \
                            vault add aws-dev --secret-field secret       # asks for the value, then the secret\n  \
                            vault add aws-dev --secret-field secret < pair.txt   # the value, then the secret: a line each"
    )]
    Add {
        /// The item's name (letters, digits, `-`, `_`, `.`); its env name by default
        name: String,
        /// Refused: a value on the command line leaks into shell history and `ps`.
        #[arg(hide = true)]
        value: Option<String>,
        #[command(flatten)]
        meta: MetaArgs,
    },

    /// Store a random value as an item (a webhook secret, a database password): never shown
    #[command(after_help = "Examples:\n  \
        vault generate webhook-secret --env WEBHOOK_SECRET\n  \
        vault generate db-password --length 40 --charset symbols --tag staging\n  \
        vault generate webhook-secret --rotate          # a new random value, the old one kept in history")]
    Generate {
        /// The item's name
        name: String,
        /// How many characters (1 to 4096)
        #[arg(long, short, default_value_t = 32)]
        length: usize,
        /// alnum (A-Z a-z 0-9), alpha, digits, hex, or symbols (alnum and !#%+-.:=@^_~)
        #[arg(long, short, default_value = "alnum", value_parser = ["alnum", "alpha", "digits", "hex", "symbols"])]
        charset: String,
        /// Give an existing item a new random value (`vault rotate`), instead of adding one
        #[arg(long)]
        rotate: bool,
        #[command(flatten)]
        meta: MetaArgs,
    },

    /// Print an item's value (or another field)
    #[command(after_help = "Examples:\n  \
        vault get openai                          # the value, then a newline\n  \
        vault get vault://openai/env              # a reference, as in a .vault.env\n  \
        vault get openai --field expires          # any other field\n  \
        vault get openai --json                   # the item and its value as JSON\n  \
        vault get openai --copy                   # to the clipboard, cleared after 30 s")]
    Get(GetArgs),

    /// List items (never values)
    #[command(
        visible_alias = "list",
        after_help = "Examples:\n  \
            vault ls                   # every item, with its rotation state\n  \
            vault ls stripe            # names, env names, tags or services containing stripe\n  \
            vault ls --tag billing --json"
    )]
    Ls {
        /// Only items whose name, env name, tag or service contains this (case-insensitive)
        query: Option<String>,
        /// Only items with this tag
        #[arg(long, short, add = ArgValueCompleter::new(crate::complete::tags))]
        tag: Option<String>,
        /// Print JSON (for scripts) instead of a table
        #[arg(long, conflicts_with = "long")]
        json: bool,
        /// Also show the hosts each key may be sent to
        #[arg(long, short)]
        long: bool,
    },

    /// Change an item's metadata (use `vault rotate` for its value)
    #[command(after_help = "Examples:\n  \
        vault edit openai --add-env OPENAI_KEY --tag ai\n  \
        vault edit stripe --rename stripe-live --rotate-every 30d\n  \
        vault edit github --no-expiry\n  \
        vault edit internal --host api.internal.example --host '*.corp.example'\n  \
        vault edit registry --secret-field password   # asks for it; the old one stays in history")]
    Edit(EditArgs),

    /// Delete an item and its previous values
    #[command(
        visible_alias = "remove",
        after_help = "Example:\n  vault rm old-aws --yes     # no question asked\n\n\
            The values are overwritten on disk (secure delete), and the audit log keeps the name."
    )]
    Rm {
        /// The item to delete
        #[arg(add = ArgValueCompleter::new(crate::complete::item_names))]
        name: String,
        /// Do not ask for confirmation
        #[arg(long, short)]
        yes: bool,
    },

    /// Record a new value for an item; the old one is kept in its history
    #[command(
        after_help = "Examples:\n  vault rotate openai                        # the new value at a hidden prompt\n  \
                            vault rotate github --expires 2027-03-01   # a token that expires\n\n\
                            An expiry belonged to the replaced value and is cleared; give the new \
                            value's with --expires."
    )]
    Rotate {
        /// The item to rotate
        #[arg(add = ArgValueCompleter::new(crate::complete::api_key_names))]
        name: String,
        #[arg(hide = true)]
        value: Option<String>,
        /// When the new value expires (YYYY-MM-DD or an RFC 3339 time)
        #[arg(long, value_name = "DATE")]
        expires: Option<String>,
    },

    /// List an item's values over time, newest first (never the values themselves)
    #[command(after_help = "Examples:\n  vault history openai\n  vault history openai --json")]
    History {
        /// The item
        #[arg(add = ArgValueCompleter::new(crate::complete::api_key_names))]
        name: String,
        /// Print JSON (for scripts), newest first as in the table
        #[arg(long)]
        json: bool,
    },

    /// Make a previous value current again (as a new version)
    #[command(after_help = "Examples:\n  \
        vault rollback openai            # the value before the current one\n  \
        vault rollback openai --to 2     # version 2 (see `vault history openai`)")]
    Rollback {
        /// The item
        #[arg(add = ArgValueCompleter::new(crate::complete::api_key_names))]
        name: String,
        /// The version to restore [default: the one before the current]
        #[arg(long, value_name = "VERSION")]
        to: Option<u32>,
    },

    /// Show what needs attention: keys expired, overdue for rotation, or due soon
    #[command(
        long_about = "Show what needs attention, most urgent first: keys whose hard expiry has \
                      passed, keys overdue for rotation (last rotated + interval), and keys due \
                      or expiring within the lead time.\n\nThe interval of a key is set with \
                      --rotate-every on `vault add` / `vault edit` (default 90 days, or the \
                      provider's when its format is known). Record a new value with `vault \
                      rotate NAME`.",
        after_help = "Examples:\n  vault due                      # overdue, expired and due within 14 days\n  \
                      vault due --lead 30d --json    # a month ahead, as JSON for scripts\n  \
                      vault due --check || notify-send 'vault: rotate your keys'\n\n\
                      Exit codes: with --check, 9 when anything is overdue or expired (items \
                      only due soon do not fail); otherwise as for every command."
    )]
    Due {
        /// Warn this long before a due date or expiry: 14d, 2w, 0 [default: the due-lead
        /// setting, 14d]
        #[arg(long, value_name = "DAYS")]
        lead: Option<String>,
        /// Exit with code 9 when anything is overdue or expired (for cron and CI); print
        /// nothing when nothing needs attention
        #[arg(long)]
        check: bool,
        /// Only items with this tag
        #[arg(long, short, add = ArgValueCompleter::new(crate::complete::tags))]
        tag: Option<String>,
        /// Print JSON (for scripts)
        #[arg(long)]
        json: bool,
    },

    /// Change the master password: every item is re-encrypted under a new data key, so the old
    /// password opens no copy of the vault made afterwards
    #[command(after_help = "Examples:\n  \
        vault passwd                           # current password, then the new one twice\n  \
        vault passwd --kdf high                # and a slower key derivation\n  \
        vault --password-file /dev/fd/3 passwd 3< two-lines.txt   # current, then new")]
    Passwd {
        /// Also change the key-derivation strength
        #[arg(long, value_parser = ["standard", "high", "minimum"])]
        kdf: Option<String>,
    },

    /// Import a .env file, another password manager's export or a shell profile (`-` for
    /// stdin): KeePass, 1Password, Bitwarden, dotenvx, Doppler, Infisical
    #[command(after_help = "Examples:\n  \
        vault import .env --dry-run                 # what would be created, changing nothing\n  \
        vault import .env --tag myapp\n  \
        vault import .env.prod --rotate-existing\n  \
        vault import keys.json                      # from `vault export --json`, with metadata\n  \
        vault import Passwords.kdbx                 # asks for the KeePass password\n  \
        vault import work.1pux --tag work           # 1Password (.1pux or its CSV)\n  \
        vault import bitwarden_export.json          # Bitwarden's unencrypted JSON export\n  \
        vault import .env.production                # dotenvx: the key from .env.keys beside it\n  \
        vault import ~/.bashrc                      # its `export NAME=value` lines\n\n\
        The format is told from the content (--from names it). Each entry becomes an item: \
        a password manager's entry by its title, with its user name, URL and custom fields \
        as fields (protected ones secret), its folders or groups as tags; a variable by its \
        name. What is not imported is listed with the reason. All of it lands, or none.")]
    Import(ImportArgs),

    /// Find secrets lying in files and git history: every value the vault holds, and keys in
    /// known formats
    #[command(
        long_about = "Find secrets lying in files and git history: every value the vault holds \
                      (current and previous values, secret fields, OAuth tokens), matched \
                      exactly, so no stored key is missed whatever its shape; and keys in the \
                      formats vault knows (GitHub, OpenAI, Stripe, AWS, Slack, ...), stored or \
                      not.\n\nThe stored values are looked for by the agent, in its own \
                      process: they never leave it, and the answer names items, never values. \
                      While the vault is locked, --staged looks for known formats only (and \
                      says so).",
        after_help = "Examples:\n  \
        vault scan                          # this folder, as git sees it (.gitignore respected)\n  \
        vault scan --all ~/src              # every file, ignored ones (.env) too\n  \
        vault scan --home                   # shell histories, ~/.npmrc, ~/.aws/credentials, ...\n  \
        vault scan --git                    # every commit of this repository\n  \
        vault scan --format sarif > vault.sarif   # for code scanning\n  \
        vault setup pre-commit              # refuse commits that add a stored value or a key\n\n\
        A line with `vault-scan:allow` in it is not reported for a known format (an example key \
        in documentation); a stored value is reported wherever it is.\n\n\
        Exit codes: 1 when something is found; 0 when nothing is; otherwise as for every command."
    )]
    Scan(ScanArgs),

    /// Print every API key with its value, as a .env file or JSON
    #[command(after_help = "Examples:\n  \
        vault export --yes -o backup.env           # a .env file, mode 0600\n  \
        vault export --json --tag billing --yes    # JSON on stdout\n\n\
        For a copy of everything (history, grants, providers, the audit log), still \
        encrypted, use `vault backup FILE`.")]
    Export {
        /// env: NAME=value lines; json: each item with its metadata and value
        #[arg(long, value_enum, default_value = "env", conflicts_with = "json")]
        format: ExportFormat,
        /// The same as --format json
        #[arg(long)]
        json: bool,
        /// Only items with this tag
        #[arg(long, short, add = ArgValueCompleter::new(crate::complete::tags))]
        tag: Option<String>,
        /// Write to FILE (created with mode 0600) instead of stdout
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Overwrite FILE if it exists
        #[arg(long, requires = "output")]
        force: bool,
        /// Do not ask for confirmation (required when stdin is not a terminal)
        #[arg(long, short)]
        yes: bool,
    },

    /// Write an encrypted copy of the whole vault to FILE (history, grants, audit log: all)
    #[command(after_help = "Examples:\n  \
        vault backup ~/backups/vault-2026-12-05.db\n  \
        vault backup /media/usb/vault.db --force      # replace an older backup\n\n\
        The copy is made from one consistent snapshot, even while other commands write, and \
        checked before the command succeeds. It opens with the master password the vault has \
        now.")]
    Backup {
        /// Where to write it (created with mode 0600)
        file: PathBuf,
        /// Replace FILE if it exists
        #[arg(long)]
        force: bool,
    },

    /// Put a backup in place of the vault (the current one is kept beside it)
    #[command(after_help = "Examples:\n  \
        vault restore ~/backups/vault-2026-12-05.db\n  \
        vault --vault ~/.local/share/vault/vault.db restore vault.db --yes   # a new machine\n\n\
        The backup is checked with its master password before anything is replaced; the \
        restored vault opens with that password. The vault it replaces is renamed to \
        vault.db.replaced-DATE, not deleted.")]
    Restore {
        /// The backup (from `vault backup`)
        file: PathBuf,
        /// Do not ask for confirmation (required when stdin is not a terminal)
        #[arg(long, short)]
        yes: bool,
    },

    /// Show the audit log: what changed, and when (never values)
    #[command(
        after_help = "Examples:\n  vault log              # the last 50 entries\n  \
        vault log -n 500 --json"
    )]
    Log {
        /// How many entries, newest first
        #[arg(long, short = 'n', default_value_t = 50)]
        limit: usize,
        /// Print JSON (for scripts)
        #[arg(long)]
        json: bool,
    },

    /// Run a command with secrets in its environment
    #[command(
        after_help = "What is injected: the nearest .vault.env (dotenv lines whose values may be \
vault://ITEM or vault://ITEM/FIELD references; safe to commit), or --env-file FILEs; --item and \
--profile; and vault:// references already in the environment. If anything does not resolve, \
the command is not started.

Masking: when stdout or stderr is not a terminal (CI logs, pipes, files), injected secrets in \
the command's output are replaced with <redacted:NAME>, and vault stays the command's parent to \
do so (signals are passed on, its exit status returned). At a terminal vault becomes the \
command itself, exactly as if run directly. --mask and --no-mask choose either way.

Keys that never enter the command (--proxy): the command gets a placeholder for each key (same \
prefix and length, useless anywhere else), and HTTPS_PROXY and a CA bundle that point it at a \
proxy the agent runs. The proxy adds the real key to requests for that key's hosts only (`vault \
edit NAME --host HOST`; recognised key formats have their service's) and refuses, with a 403 and \
an audit entry, a request that would carry a placeholder anywhere else; other hosts are tunnelled \
untouched, or refused with --strict. A rotated key is used from the next request on, without a \
restart; a locked vault adds none. A program that ignores HTTPS_PROXY sends the placeholder and \
fails closed. Not for AWS access keys: SigV4 signs with the secret itself.

Examples:
  vault run -- npm start
  vault run --proxy -- npm start                    # OPENAI_API_KEY holds a placeholder
  vault run --proxy --strict -v -- ./agent.sh       # nothing else leaves; each use said
  vault run --watch -- npm run dev                  # started again when a key it uses changes
  vault run --item openai -- python3 app.py
  vault run --env-file .env.staging -- terraform apply
  vault run --no-mask -- pg_dump mydb > dump.sql     # output kept byte for byte

Exit status: the command's own, or 128+N if it died of signal N; 125 if vault failed before \
starting it, 126 if it is not executable, 127 if it was not found."
    )]
    Run(RunArgs),

    /// Print the variables `vault run` would set, as `export` lines for `eval "$(vault env)"`
    #[command(after_help = "Examples:\n  \
        eval \"$(vault env)\"                        # into the current shell\n  \
        vault env --item openai --format dotenv > .env.local\n  \
        vault env --json")]
    Env {
        #[command(flatten)]
        selection: Selection,
        /// shell: export lines; dotenv: NAME=value lines; json: an object
        #[arg(long, value_enum, default_value = "shell", conflicts_with = "json")]
        format: EnvFormat,
        /// The same as --format json
        #[arg(long)]
        json: bool,
    },

    /// Render {{ vault://ITEM[/FIELD] }} references in a template into a private (0600) file
    #[command(after_help = "Examples:\n  \
        vault inject -i config.yml.tpl -o config.yml\n  \
        echo 'key: {{ vault://openai }}' | vault inject")]
    Inject {
        /// The template (`-` or absent: stdin)
        #[arg(long, short, value_name = "TEMPLATE")]
        input: Option<PathBuf>,
        /// Where to write (absent: stdout)
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Overwrite FILE if it exists
        #[arg(long)]
        force: bool,
    },

    /// Trust a project file (.vault.env): show what it asks for, then let `vault run` use it
    #[command(
        after_help = "A .vault.env decides which of your secrets a command gets, and a cloned repository's is its author's choice. `vault run` uses one only once you have allowed it as it is now: a new or changed file is refused until you run `vault allow` again. The record (path and content digest) is kept encrypted in the vault. Variables that make programs run other code (LD_PRELOAD, NODE_OPTIONS, PATH, ...) need --allow-var NAME as well.

Examples:
  vault allow                      # the nearest .vault.env
  vault allow ../api/.vault.env --allow-var NODE_OPTIONS

Scripts and CI: `vault run --env-file FILE` is an explicit choice and needs no allow."
    )]
    Allow {
        /// The file (default: the nearest .vault.env from the current directory upward)
        file: Option<PathBuf>,
        /// Also let it set this code-loading variable (repeatable)
        #[arg(long, value_name = "NAME")]
        allow_var: Vec<String>,
        /// Do not ask for confirmation
        #[arg(long, short = 'y')]
        yes: bool,
    },

    /// Stop trusting a project file (the opposite of `vault allow`)
    #[command(
        after_help = "Examples:\n  vault deny                       # the nearest .vault.env\n  \
        vault deny ../api/.vault.env"
    )]
    Deny {
        /// The file (default: the nearest .vault.env from the current directory upward)
        file: Option<PathBuf>,
    },

    /// Unlock the vault in the agent, so later commands (and the desktop app) need no password
    #[command(after_help = "Example:\n  vault unlock && vault status")]
    Unlock,

    /// Lock every vault now: the agent forgets all keys (the desktop app locks too)
    #[command(after_help = "Example:\n  vault lock")]
    Lock,

    /// Show whether the vault is unlocked, when it locks, and the agent
    #[command(after_help = "Examples:\n  vault status\n  vault status --json")]
    Status {
        /// Print JSON (for scripts)
        #[arg(long)]
        json: bool,
    },

    /// OAuth providers: which apps (client ids) `vault login` logs in through
    #[command(subcommand)]
    Oauth(OauthCommand),

    /// The running `vault run --proxy` sessions: where their keys went, what was refused
    #[command(subcommand)]
    Proxy(ProxyCommand),

    /// Keep this vault in step with your other machines, through a git remote
    #[command(
        long_about = "Keep this vault in step with your other machines, through a git remote \
                      you already have (GitHub, GitLab, any bare repository).\n\n\
                      The remote holds only ciphertext and each device's public keys: no item \
                      name, env name, tag or count. Each device writes only its own signed, \
                      hash-chained log, so a push never conflicts; an item changed on two \
                      devices at once keeps both values (the other one in its history) and is \
                      flagged until `vault sync resolve` settles it. A new device pairs with a one-time code, never the master \
                      password. Without a subcommand: sync now (the agent also syncs in the \
                      background).",
        after_help = "Examples:\n  \
        vault sync init git git@github.com:me/vault-sync.git   # this vault is the first device\n  \
        vault sync                                             # push and pull now\n  \
        vault sync invite                                      # a pairing code for a new device\n  \
        vault sync join git@github.com:me/vault-sync.git       # on the new device: asks for it\n  \
        vault sync resolve STRIPE_KEY                          # keep the value a conflict left\n  \
        vault sync remove-device old-laptop                    # a lost laptop gets nothing new"
    )]
    Sync(SyncArgs),

    /// Share items with your team: each member gets what you choose, encrypted to them alone
    #[command(
        subcommand,
        long_about = "Share items with your team, through this vault's sync remote (git or S3).\n\n\
                      A member is known by a public key (`vault share whoami` on their side). \
                      What they get is encrypted to that key alone; their edits come back \
                      through their own signed log. Removing a member stops everything new \
                      and marks what they could read \"rotate now\".",
        after_help = "Examples:\n  \
        vault share whoami                                   # your key, to send to the owner\n  \
        vault share add alice age1... --items tag:staging    # alice gets the staging keys\n  \
        vault share accept URL ID                            # on alice's side\n  \
        vault share ls                                       # members, what each gets\n  \
        vault share rm alice                                 # then rotate what `vault due` lists"
    )]
    Share(ShareCommand),

    /// Make other tools ask vault for their credentials
    #[command(subcommand)]
    Setup(SetupCommand),

    /// Print an AWS access key as the AWS CLI and SDKs ask for it (their `credential_process`:
    /// see `vault setup aws`)
    #[command(
        after_help = "Example:\n  vault aws aws-prod   # {\"Version\": 1, \"AccessKeyId\": ..., \"SecretAccessKey\": ...}\n\n\
                      The AWS CLI and SDKs run it and read the JSON on stdout. Answers come from \
                      the unlocked agent only: a locked vault gives no key and one line on stderr, \
                      which the AWS CLI shows."
    )]
    Aws {
        /// The item holding the access key
        #[arg(add = ArgValueCompleter::new(crate::complete::api_key_names))]
        name: String,
    },

    /// kubectl's exec credential plugin: an OAuth grant's access token for a cluster (see
    /// `vault setup kube`)
    #[command(subcommand)]
    Kube(KubeCommand),

    /// Docker's credential helper (Docker runs it as `docker-credential-vault`: see `vault
    /// setup docker`)
    #[command(
        name = "docker-credential",
        after_help = "Example:\n  vault docker-credential get < request   # the registry: https://index.docker.io/v1/\n\n\
                      Docker runs it with the request on stdin (a registry, or for `store` the \
                      JSON `docker login` made) and reads the answer on stdout. Answers come from \
                      the unlocked agent only: a locked vault is \"not logged in\" to Docker, \
                      and one line on stderr says `vault unlock`."
    )]
    DockerCredential {
        /// What Docker asks for
        #[arg(value_enum)]
        action: crate::docker::Action,
    },

    /// git's credential helper (git runs it: see `vault setup git`)
    #[command(
        name = "git-credential",
        after_help = "Example:\n  vault git-credential get < request   # lines protocol=https, host=github.com, then a blank one\n\n\
                      git runs it with the request on stdin and reads the answer on stdout \
                      (gitcredentials(7)). Answers come from the unlocked agent only: a locked \
                      vault gives no answer, and git asks its next helper."
    )]
    GitCredential {
        /// What git asks for
        #[arg(value_enum)]
        action: crate::git::Action,
    },

    /// Log in to an OAuth provider in your browser and store the grant
    #[command(after_help = "Examples:\n  vault login github\n  \
                            vault login work-sso --as sso-prod --scope openid --scope offline_access\n  \
                            vault login google --device          # no browser on this machine\n\n\
                            The URL is always printed; open it in a browser on this machine (the \
                            login comes back to 127.0.0.1 here). With no browser on this machine, \
                            use --device. $BROWSER is honoured.")]
    Login(LoginArgs),

    /// Print a valid access token of a grant, refreshing it first when needed
    #[command(after_help = "Examples:\n  vault token github\n  \
                            curl -H \"Authorization: Bearer $(vault token github)\" https://api.github.com/user")]
    Token(TokenArgs),

    /// List OAuth grants with their account, expiry and status (never tokens)
    #[command(after_help = "Examples:\n  vault grants\n  vault grants --json")]
    Grants {
        /// Print JSON (for scripts)
        #[arg(long)]
        json: bool,
    },

    /// Refresh a grant's tokens now
    #[command(after_help = "Example:\n  vault refresh github")]
    Refresh {
        /// The grant (`vault grants`)
        #[arg(add = ArgValueCompleter::new(crate::complete::grant_names))]
        name: String,
    },

    /// Revoke a grant at its provider and delete it
    #[command(after_help = "Example:\n  vault logout github")]
    Logout {
        /// The grant (`vault grants`)
        #[arg(add = ArgValueCompleter::new(crate::complete::grant_names))]
        name: String,
    },

    /// Show or change settings (stored in $XDG_CONFIG_HOME/vault/config.toml)
    #[command(
        after_help = "Examples:\n  vault config set lock-after 5m\n  vault config get lock-after\n  \
                            vault config list"
    )]
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },

    /// Run the agent that keeps the vault unlocked between commands (started on demand; use
    /// --foreground under a service manager)
    #[command(after_help = "Examples:\n  \
        vault agent --foreground      # e.g. ExecStart= of a systemd user service\n  \
        vault agent --stop")]
    Agent {
        /// Stay in the foreground and log to stderr
        #[arg(long, conflicts_with_all = ["stop", "daemon"])]
        foreground: bool,
        /// Stop the running agent (locking everything)
        #[arg(long, conflicts_with = "daemon")]
        stop: bool,
        /// How clients start the agent: detach, then report readiness on stdout
        #[arg(long, hide = true)]
        daemon: bool,
    },

    /// Holds a value on the clipboard for `vault get --copy` (a helper; see `clipboard`)
    #[command(name = "clipboard-hold", hide = true)]
    ClipboardHold {
        #[arg(long, default_value_t = 30)]
        clear_after: u64,
    },

    /// Print a shell completion script (item names and tags come from an unlocked agent)
    #[command(after_help = "Examples:\n  \
        vault completions bash > ~/.local/share/bash-completion/completions/vault\n  \
        vault completions zsh > ~/.zfunc/_vault\n  \
        vault completions fish > ~/.config/fish/completions/vault.fish")]
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
}

/// `vault run` (shared by the `vault` front and `vault-full`, so both parse it alike).
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// Start from an empty environment (plus PATH, HOME, USER and TERM)
    #[arg(long)]
    pub no_inherit_env: bool,
    /// Let the vault's values replace variables already set (default: keep yours, and warn)
    #[arg(long = "override")]
    pub override_env: bool,
    /// Replace injected secrets in the command's output with <redacted:NAME> [default: when
    /// stdout or stderr is not a terminal: a CI log, a pipe, a file]
    #[arg(long, conflicts_with = "no_mask")]
    pub mask: bool,
    /// Never mask: the command gets vault's stdout and stderr as they are (for data a pipe
    /// or file must receive exactly)
    #[arg(long)]
    pub no_mask: bool,
    /// Keep the keys out of the command: it gets a placeholder for each, and a proxy run by the
    /// agent adds the real key to the command's HTTPS requests to that key's hosts only (`vault
    /// edit NAME --host`). For programs that honour HTTPS_PROXY; a rotated key is used from the
    /// next request on, and a locked vault sends none
    #[arg(long)]
    pub proxy: bool,
    /// With --proxy: refuse every connection to a host no key of this run goes to
    #[arg(long, requires = "proxy")]
    pub strict: bool,
    /// With --proxy: give the command this item's real value, as without --proxy (repeatable)
    #[arg(long, value_name = "ITEM", requires = "proxy", add = ArgValueCompleter::new(crate::complete::item_names))]
    pub plain: Vec<String>,
    /// With --proxy: also trust the certificates in this PEM file for the servers the proxy
    /// connects to (a corporate root)
    #[arg(long, value_name = "FILE", requires = "proxy")]
    pub proxy_ca_file: Vec<PathBuf>,
    /// Start the command again when a secret it was given changes (a rotation, a rollback, a
    /// refreshed token, an edit), or the project file it read: the agent says what changed,
    /// several changes within --debounce make one restart, and a locked vault restarts
    /// nothing. Output is not masked. With --proxy a rotation needs no restart at all
    #[arg(long, conflicts_with_all = ["proxy", "mask"])]
    pub watch: bool,
    /// With --watch: how long the command has to end after SIGTERM before SIGKILL
    #[arg(long, value_name = "DURATION", default_value = "10s", requires = "watch", value_parser = duration)]
    pub grace: std::time::Duration,
    /// With --watch: changes closer together than this make one restart
    #[arg(long, value_name = "DURATION", default_value = "500ms", requires = "watch", value_parser = duration)]
    pub debounce: std::time::Duration,
    /// Do not warn about injected keys that are overdue for rotation or expired
    #[arg(long)]
    pub no_rotation_warning: bool,
    /// Say on stderr which file was read and which variables were set from where; with
    /// --proxy, also each key the proxy adds
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// The command and its arguments (after `--`)
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<std::ffi::OsString>,
}

/// `--grace`, `--debounce`: `10s`, `1m`, `500ms`, or `0`.
fn duration(text: &str) -> Result<std::time::Duration, String> {
    if text.trim() == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    let d: jiff::SignedDuration = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (examples: 10s, 1m, 500ms)"))?;
    std::time::Duration::try_from(d).map_err(|_| format!("{text:?} is negative"))
}

impl RunArgs {
    /// Whether the command's output is masked: asked for, or by default where output is kept
    /// (a CI log, a pipe, a file). At a terminal vault becomes the command, exactly.
    pub fn masks(&self) -> bool {
        use std::io::IsTerminal;
        if self.mask || self.no_mask {
            return self.mask;
        }
        !(std::io::stdout().is_terminal() && std::io::stderr().is_terminal())
    }
}

/// `vault get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The item, or a reference: vault://ITEM or vault://ITEM/FIELD
    #[arg(add = ArgValueCompleter::new(crate::complete::api_key_names))]
    pub name: String,
    /// The field to print: value, name, env, service, tags, notes, created, updated,
    /// last_rotated, rotation, expires, version, hosts, id, or one of the item's own fields
    /// (`vault add --field username=alice`, or `--secret-field password`)
    #[arg(long, short, default_value = "value")]
    pub field: String,
    /// Do not print a newline after the value
    #[arg(long, short = 'n')]
    pub no_newline: bool,
    /// Print the item's metadata, value and secret fields' values as JSON
    #[arg(long, conflicts_with = "field")]
    pub json: bool,
    /// Copy it to the clipboard instead of printing it; cleared after --clear-after if the
    /// clipboard still holds it
    #[arg(long, short, conflicts_with_all = ["json", "no_newline"])]
    pub copy: bool,
    /// With --copy: how long the value stays on the clipboard (e.g. 30s, 2m)
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30s",
        requires = "copy"
    )]
    pub clear_after: String,
}

/// What `vault run`, `vault env` and `vault inject` take their values from.
#[derive(Debug, Args, Clone, Default)]
pub struct Selection {
    /// A dotenv file of values and vault:// references (repeatable; default: the nearest
    /// .vault.env from the current directory upward)
    #[arg(long, short = 'f', value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Every item with this tag, under its env names (repeatable)
    #[arg(long, short = 'p', value_name = "TAG", add = ArgValueCompleter::new(crate::complete::tags))]
    pub profile: Vec<String>,
    /// This item, under its env names (repeatable)
    #[arg(long, short = 'i', value_name = "NAME", add = ArgValueCompleter::new(crate::complete::item_names))]
    pub item: Vec<String>,
    /// Let the project file set this variable that makes programs load or run other code
    /// (LD_PRELOAD, NODE_OPTIONS, PATH, BASH_ENV, GIT_SSH_COMMAND, ...), this time (repeatable)
    #[arg(long, value_name = "NAME")]
    pub allow_var: Vec<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EnvFormat {
    /// export NAME='value'
    Shell,
    /// NAME=value, as a .env file
    Dotenv,
    /// {"NAME": "value", ...}
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Every setting with its value
    #[command(after_help = "Example:\n  vault config list --json")]
    List {
        /// Print JSON (for scripts)
        #[arg(long)]
        json: bool,
    },
    /// One setting's value
    #[command(
        after_help = "Examples:\n  vault config get lock-after\n  vault config get lock-after --json"
    )]
    Get {
        /// The setting (`vault config list`)
        #[arg(add = ArgValueCompleter::new(crate::complete::config_keys))]
        key: String,
        /// Print {"key", "value", "default"} as JSON
        #[arg(long)]
        json: bool,
    },
    /// Change a setting (the running agent applies it at once)
    #[command(
        after_help = "Examples:\n  vault config set lock-after 1h\n  vault config set due-lead 30d"
    )]
    Set {
        /// The setting (`vault config list`)
        #[arg(add = ArgValueCompleter::new(crate::complete::config_keys))]
        key: String,
        /// Its new value
        value: String,
    },
    /// Return a setting to its default
    #[command(after_help = "Example:\n  vault config unset lock-after")]
    Unset {
        /// The setting (`vault config list`)
        #[arg(add = ArgValueCompleter::new(crate::complete::config_keys))]
        key: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProxyCommand {
    /// List the sessions of this vault: program, items, where values went, refusals
    #[command(
        visible_alias = "list",
        after_help = "Examples:\n  vault proxy ls\n  vault proxy ls --json"
    )]
    Ls {
        /// Print JSON (for scripts)
        #[arg(long)]
        json: bool,
    },
    /// End a session: its program's requests through the proxy are refused from then on
    #[command(after_help = "Example:\n  vault proxy end 3f9c2a7d1b0e4c55\n\n\
The program keeps running; it just gets no more values. Find the id with `vault proxy ls`.")]
    End {
        /// The session's id (`vault proxy ls`)
        id: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// NAME=value lines, as a .env file
    Env,
    /// Each item with its metadata and value
    Json,
}

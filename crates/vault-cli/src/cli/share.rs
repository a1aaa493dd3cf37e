//! `vault share`'s arguments.

use clap::Subcommand;

use super::StorageArgs;

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Print your public key for sharing (age X25519): send it to whoever shares with you
    #[command(
        after_help = "Example:\n  vault share whoami      # age1... : safe to send by chat or email"
    )]
    Whoami,
    /// Share items with a member: they get what the selector names, no more
    #[command(after_help = "Examples:\n  \
        vault share add alice age1qyq... --items tag:staging\n  \
        vault share add ci age1xyz... --items name:DEPLOY_* --items service:sentry\n\n\
        Selectors: tag:T, service:S, name:GLOB (* and ?), or an item's name; several are \
        joined by `or`. What the selector names is encrypted to the member's key alone and sent \
        through this vault's sync remote; items that match later follow, and one that stops \
        matching is taken back at the member's next sync. The member's edits to those items \
        come back here; their deletions stay on their side. Prints the line the member runs.")]
    Add {
        /// The member's name, as `vault share ls` shows it
        member: String,
        /// The member's public key: the age1... line `vault share whoami` printed for them
        recipient: String,
        /// What they get (tag:T, service:S, name:GLOB or an item's name; repeatable)
        #[arg(long = "items", value_name = "SELECTOR", required = true)]
        items: Vec<String>,
    },
    /// Receive a share: the line `vault share add` printed on the owner's side
    #[command(after_help = "Examples:\n  \
        vault share accept git@github.com:team/vault-share.git 5f0c...e1\n  \
        vault share accept s3://team-vault/sync 5f0c...e1 --endpoint http://nas.local:9000 --key S3_KEY\n\n\
        The share opens only with your key (`vault share whoami`); its items join this vault \
        (and your other devices, if it syncs), and `vault sync` keeps them current.")]
    Accept {
        /// The owner's remote (a git remote, or s3://bucket/prefix)
        url: String,
        /// The share's id (32 hex digits)
        id: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Members and what each gets, and the shares this vault receives
    #[command(visible_alias = "list", after_help = "Example:\n  vault share ls")]
    Ls {
        /// Print JSON (for scripts)
        #[arg(long)]
        json: bool,
    },
    /// Remove a member: they get nothing new, and what they could read comes due for rotation
    #[command(
        visible_alias = "remove",
        after_help = "Example:\n  vault share rm alice     # then `vault due` lists what to rotate\n\n\
        What the member already read cannot be taken back: every item they could read is \
        marked \"rotate now\" in `vault due` and the app until it gets a new value."
    )]
    Rm {
        /// The member's name (`vault share ls`)
        member: String,
    },
}

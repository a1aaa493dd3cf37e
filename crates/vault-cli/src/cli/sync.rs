//! `vault sync`'s arguments.

use clap::{Args, Subcommand};
use clap_complete::engine::ArgValueCompleter;

#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub command: Option<SyncCommand>,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Start syncing this vault through a remote, as its first device
    #[command(
        subcommand,
        after_help = "Example:\n  vault sync init git git@github.com:me/vault-sync.git"
    )]
    Init(SyncEngine),
    /// Where this vault syncs, when it last did, what is waiting, conflicts
    #[command(after_help = "Example:\n  vault sync status")]
    Status {
        /// Print JSON (for scripts)
        #[arg(long)]
        json: bool,
    },
    /// Write a snapshot of this device's state on the remote, so a new device starts from it
    /// instead of replaying every sync since the first
    #[command(after_help = "Example:\n  vault sync compact\n\n\
                      The agent also writes one by itself every 256 syncs of this device. A \
                      snapshot is sealed and signed like the logs; a new device takes one only \
                      from a device it already trusts, then reads what came after it.")]
    Compact,
    /// The devices this vault syncs with
    #[command(after_help = "Example:\n  vault sync devices")]
    Devices {
        /// Print JSON (for scripts)
        #[arg(long)]
        json: bool,
    },
    /// Show a one-time pairing code for a new device (valid 10 minutes), and wait for it
    #[command(
        after_help = "Example:\n  vault sync invite      # then, on the new device: vault sync join URL\n\n\
                      The code goes only from your eyes to the other keyboard: the remote sees a \
                      key exchange it cannot test guesses against. A wrong code ends the \
                      invitation and is logged."
    )]
    Invite,
    /// Join the sync of another device: asks for the code `vault sync invite` shows there
    #[command(after_help = "Examples:\n  \
        vault sync join git@github.com:me/vault-sync.git\n  \
        vault sync join s3://team-vault/sync --endpoint http://nas.local:9000 --key S3_KEY\n  \
        echo 1234-ABCD-EFGH-JKMN | vault sync join git@github.com:me/vault-sync.git --code-stdin\n\n\
        This vault keeps its own master password; its items are merged with the others'.")]
    Join {
        /// The same remote the other device syncs through (a git remote, or s3://bucket/prefix)
        url: String,
        #[command(flatten)]
        storage: StorageArgs,
        /// This device's name, as the others show it [default: the host name]
        #[arg(long)]
        name: Option<String>,
        /// Read the pairing code from stdin (for scripts)
        #[arg(long)]
        code_stdin: bool,
    },
    /// Settle an item changed on two devices at once: keep its current value, or take the
    /// other one
    #[command(after_help = "Examples:\n  \
        vault sync resolve STRIPE_KEY               # keep the current value\n  \
        vault sync resolve STRIPE_KEY --use-other   # the value that lost becomes current\n\n\
        Both values are in `vault history NAME` either way. The item stops showing \
        \"changed on two devices\" here, and on the other devices at their next sync.")]
    Resolve {
        /// The item (`vault sync status` lists the ones changed on two devices)
        #[arg(add = ArgValueCompleter::new(crate::complete::api_key_names))]
        name: String,
        /// Make the other value (the one that lost) current, as a new version
        #[arg(long)]
        use_other: bool,
    },
    /// Remove a device (lost or retired): it gets nothing new, and the values it held come due
    /// for rotation
    #[command(
        after_help = "Example:\n  vault sync remove-device old-laptop --yes   # then `vault due` lists what to rotate"
    )]
    RemoveDevice {
        /// Its name or the start of its id (`vault sync devices`)
        device: String,
        /// Do not ask for confirmation
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SyncEngine {
    /// Through a git remote (GitHub, GitLab, any bare repository), with the system git: its
    /// SSH agent and credential helpers apply
    #[command(after_help = "Examples:\n  \
        vault sync init git git@github.com:me/vault-sync.git\n  \
        vault sync init git /srv/git/vault.git --name work-laptop")]
    Git {
        /// The remote, as `git clone` takes it (an empty repository)
        url: String,
        /// This device's name, as the others show it [default: the host name]
        #[arg(long)]
        name: Option<String>,
    },
    /// Through S3-compatible object storage (AWS S3, MinIO, Garage, R2...): each sync adds new
    /// objects and never overwrites one, so no lock is needed
    #[command(after_help = "Examples:\n  \
        vault sync init s3 s3://my-bucket/vault --key S3_KEY\n  \
        vault sync init s3 s3://team-vault/sync --endpoint http://nas.local:9000 --key S3_KEY\n\n\
        The access key is an item of this vault: `vault add S3_KEY` and paste the key id and \
        secret (AKIA... and 40 characters). Without --key, the agent signs with \
        AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from its environment. The storage sees \
        ciphertext only: every segment is encrypted and signed by the device that wrote it.")]
    S3 {
        /// s3://bucket/prefix (an empty prefix, or one no other vault uses)
        url: String,
        #[command(flatten)]
        storage: StorageArgs,
        /// This device's name, as the others show it [default: the host name]
        #[arg(long)]
        name: Option<String>,
    },
}

/// Where S3-compatible storage is and how to sign in to it (`s3://` URLs only).
#[derive(Debug, Default, clap::Args)]
pub struct StorageArgs {
    /// The storage's address, for S3-compatible storage other than AWS (MinIO, Garage...)
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// The storage's region [default: AWS_REGION, else us-east-1]
    #[arg(long)]
    pub region: Option<String>,
    /// The item of this vault holding the storage's access key, as `vault add` stores a pasted
    /// AWS key [default: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the agent's environment]
    #[arg(long, value_name = "ITEM")]
    pub key: Option<String>,
}

//! `vault scan`'s arguments.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and folders to look in [default: the current folder]; with --git, repositories
    pub paths: Vec<PathBuf>,
    /// Read every commit of the repository's history (each file version once) instead of the
    /// working tree
    #[arg(long, conflicts_with_all = ["staged", "all", "fix", "home", "follow"])]
    pub git: bool,
    /// Only what `git commit` would add now (the pre-commit hook: `vault setup pre-commit`);
    /// never asks for the master password
    #[arg(long, conflicts_with_all = ["paths", "home", "all", "fix"])]
    pub staged: bool,
    /// Also the usual places in your home folder: shell histories and profiles, ~/.npmrc,
    /// ~/.pypirc, ~/.docker/config.json, ~/.aws/credentials, ~/.git-credentials, ~/.netrc, ...
    #[arg(long)]
    pub home: bool,
    /// Also read files that .gitignore or .ignore exclude (such as .env)
    #[arg(long)]
    pub all: bool,
    /// Follow symbolic links (loops are detected and skipped)
    #[arg(long)]
    pub follow: bool,
    /// Skip files larger than this (e.g. 64M, 1G)
    #[arg(long, value_name = "SIZE", default_value = "64M")]
    pub max_size: String,
    /// Output format: text (path:line:column: what), json (for scripts) or sarif (code scanning)
    #[arg(long, value_enum, default_value = "text")]
    pub format: ScanFormat,
    /// The same as --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Replace stored values found in .env files and shell profiles with vault:// references
    /// (each file kept as FILE.vault-backup), after asking
    #[arg(long)]
    pub fix: bool,
    /// Do not ask before --fix rewrites files
    #[arg(long, short, requires = "fix")]
    pub yes: bool,
    /// Also list the files skipped, with the reason
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Text,
    Json,
    Sarif,
}

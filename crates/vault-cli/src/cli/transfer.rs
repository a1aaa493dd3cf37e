//! `vault import`'s arguments.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import, or `-` for stdin
    pub file: PathBuf,
    /// Its format [default: told from its content]
    #[arg(long, value_name = "FORMAT", value_parser = [
        "keepass", "1password", "bitwarden", "dotenvx", "doppler", "infisical", "shell", "env",
    ])]
    pub from: Option<String>,
    /// Read the source's password (KeePass) or private key (dotenvx) from this file's first
    /// line instead of a hidden prompt
    #[arg(long, value_name = "FILE")]
    pub source_password_file: Option<PathBuf>,
    /// The KeePass database's key file, if it has one
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Tag every imported item
    #[arg(long, short, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Rotate items that already exist to the imported value (default: skip them)
    #[arg(long)]
    pub rotate_existing: bool,
    /// Show what would be imported without changing the vault
    #[arg(long)]
    pub dry_run: bool,
    /// Then rewrite the file (a .env, a shell profile) as vault:// references without asking,
    /// the original kept as FILE.vault-backup
    #[arg(long, conflicts_with = "dry_run")]
    pub rewrite: bool,
    /// Print what was (or would be) done as JSON
    #[arg(long)]
    pub json: bool,
}

//! `vault-full`: every command of the vault's command line (see the library's documentation;
//! users type `vault`, which runs this program for all but its own fast paths).

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use vault_cli::cli::{Cli, Command};
use vault_cli::commands;
use vault_cli::session::{Passwords, Session};

fn main() -> ExitCode {
    // A completion request from the shell's script (`vault completions SHELL`), before anything
    // else reads arguments or writes output.
    vault_cli::complete::answer_if_asked();
    let cli = Cli::parse();
    vault_cli::harden(matches!(cli.command, Command::Agent { .. }));
    vault_cli::finish(run(cli))
}

/// Runs the command; `Ok` holds the exit status (non-zero only for `vault run --mask`).
fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Completions { shell } => {
            vault_cli::complete::registration(&shell.to_string(), &mut std::io::stdout())?;
            return Ok(0);
        }
        Command::ClipboardHold { clear_after } => {
            return vault_cli::clipboard::hold(std::time::Duration::from_secs(clear_after));
        }
        Command::Config { action } => {
            return commands::config(action, cli.global.no_agent).map(|()| 0);
        }
        Command::Setup(vault_cli::cli::SetupCommand::Git { undo }) => {
            return vault_cli::git::setup(cli.global.vault.as_deref(), undo).map(|()| 0);
        }
        Command::Setup(vault_cli::cli::SetupCommand::Status { json }) => {
            return vault_cli::setup_status::status(json).map(|()| 0);
        }
        Command::Setup(vault_cli::cli::SetupCommand::PreCommit { undo }) => {
            return vault_cli::git::pre_commit(cli.global.vault.as_deref(), undo).map(|()| 0);
        }
        Command::Agent {
            foreground,
            stop,
            daemon,
        } => return commands::agent(foreground, stop, daemon).map(|()| 0),
        _ => {}
    }
    let vault = vault_cli::vault_path(cli.global.vault)?;
    let passwords = Passwords::new(
        cli.global.password_file.as_deref(),
        cli.global.password_stdin,
    )?;
    let mut session = Session::new(vault, passwords, cli.global.no_agent);
    commands::run(&mut session, cli.command)
}

//! `vault`: the command-line client of the vault.
//!
//! A thin adapter: it parses arguments, asks for passwords and values, sends requests to the
//! vault service and prints answers. Errors end the process with a documented exit code.

mod cli;
mod commands;
mod oauth;
mod output;
mod session;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::session::{Failure, Passwords, Session, exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Anything this process creates (vault, exports, sockets) is private to the user.
    // SAFETY: umask only sets the process file-mode mask, and restoring SIGPIPE's default
    // (die quietly, like other Unix tools, when `| head` closes the pipe) has no preconditions.
    // The agent keeps Rust's "ignore": a client hanging up must not kill it.
    unsafe {
        libc::umask(0o077);
        if !matches!(cli.command, Command::Agent { .. }) {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = e.downcast_ref::<Failure>().map_or(exit::OTHER, |f| f.code);
            eprintln!("vault: {e:#}");
            ExitCode::from(code)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "vault", &mut std::io::stdout());
            return Ok(());
        }
        Command::Config { action } => return commands::config(action, cli.global.no_agent),
        Command::Agent {
            foreground,
            stop,
            daemon,
        } => return commands::agent(foreground, stop, daemon),
        _ => {}
    }
    let vault = vault_path(cli.global.vault)?;
    let passwords = Passwords::new(
        cli.global.password_file.as_deref(),
        cli.global.password_stdin,
    )?;
    let mut session = Session::new(vault, passwords, cli.global.no_agent);
    commands::run(&mut session, cli.command)
}

/// `--vault`, then `VAULT_PATH` (both through clap), then the platform default; made absolute
/// so every process names a vault the same way.
fn vault_path(given: Option<PathBuf>) -> Result<PathBuf> {
    let path = match given {
        Some(p) => p,
        None => vault_core::paths::default_vault_path()
            .context("cannot find a home directory for the default vault; pass --vault PATH")?,
    };
    let path = std::path::absolute(&path)
        .with_context(|| format!("invalid vault path {}", path.display()))?;
    // Resolve symlinks in the folder (the file itself may not exist yet).
    Ok(match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) => dir.canonicalize().map_or(path.clone(), |d| d.join(name)),
        _ => path,
    })
}

//! `vault`: the command-line client of the vault.
//!
//! A thin adapter: it parses arguments, asks for passwords and values, sends requests to the
//! vault service and prints answers. Errors end the process with a documented exit code.

mod cli;
mod commands;
mod mask;
mod oauth;
mod output;
mod run;
mod session;
mod supervise;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result};
use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::session::{Failure, Passwords, Session, exit};

/// The umask vault started with: `vault run` gives it back to the command it runs.
static USER_UMASK: AtomicU32 = AtomicU32::new(0o022);

/// This process's hardening (no core dump, no ptrace by same-user processes), undone for the
/// command `vault run` starts.
static HARDENING: OnceLock<vault_agent::hardening::ClientHardening> = OnceLock::new();

/// Restores the user's umask (vault itself runs with 077) and core-dump limit, for a command
/// `vault run` is about to start.
pub fn restore_user_umask() {
    let mask = rustix::fs::Mode::from_bits_truncate(USER_UMASK.load(Ordering::Relaxed));
    rustix::process::umask(mask);
    if let Some(h) = HARDENING.get() {
        h.restore_for_child();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Anything this process creates (vault, exports, sockets) is private to the user.
    let user = rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
    USER_UMASK.store(user.bits(), Ordering::Relaxed);
    if !matches!(cli.command, Command::Agent { .. }) {
        // Before any password or value is read. The agent hardens itself, more strictly.
        let _ = HARDENING.set(vault_agent::hardening::apply_to_client());
        // SAFETY: restoring SIGPIPE's default disposition has no preconditions. Like other Unix
        // tools, vault then dies quietly when `| head` closes the pipe; the agent keeps Rust's
        // "ignore", because a client hanging up must not kill it.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    match run(cli) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = e.downcast_ref::<Failure>().map_or(exit::OTHER, |f| f.code);
            eprintln!("vault: {e:#}");
            ExitCode::from(code)
        }
    }
}

/// Runs the command; `Ok` holds the exit status (non-zero only for `vault run --mask`).
fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "vault", &mut std::io::stdout());
            return Ok(0);
        }
        Command::Config { action } => {
            return commands::config(action, cli.global.no_agent).map(|()| 0);
        }
        Command::Agent {
            foreground,
            stop,
            daemon,
        } => return commands::agent(foreground, stop, daemon).map(|()| 0),
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
    vault_core::paths::canonical_vault_path(&path)
        .with_context(|| format!("invalid vault path {}", path.display()))
}

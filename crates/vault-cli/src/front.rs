//! `vault`: what users type.
//!
//! `vault run`, `vault get` and `vault token` are typed many times a day, and their cost is the
//! start-up of the program as much as the work: loading the full program (SQLite, the OAuth
//! stack, the agent) costs about a millisecond here before `main` runs. This front finishes
//! those three itself when an agent already holds the vault unlocked, and hands every other
//! command line over to `vault-full` by exec, arguments unchanged, before it has printed or
//! started anything. The two share the argument definitions and the commands' code
//! (this crate's library), so they cannot disagree on what a command line means.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use vault_agent::{AgentDir, Client};
use vault_cli::cli::{GetArgs, Global, RunArgs, TokenArgs};
use vault_cli::session::{HandOver, Session};

/// The front is installed as a static musl program (the Makefile's `dist` says why), and musl's
/// allocator maps and unmaps memory for most allocations of a short-lived program: a quarter of
/// `vault run`'s own time went to `mmap`/`munmap`. dlmalloc takes memory from the system in large
/// pieces and keeps it (BENCHMARKS.md). The same allocator in every build, so the tests run the
/// front as it is installed.
#[global_allocator]
static ALLOC: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// The command lines the front finishes itself. Anything else does not parse here and goes to
/// `vault-full`, which owns the help and the errors: `--help` and `--version` are parsed as
/// clap always does (so `vault run --help` is a request for help, not a command named
/// `--help`), and end the parse with an "error" that hands them over.
#[derive(Parser)]
#[command(name = "vault", version)]
struct Front {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Fast,
}

#[derive(Subcommand)]
enum Fast {
    Run(RunArgs),
    Get(GetArgs),
    Token(TokenArgs),
}

fn main() -> ExitCode {
    // Docker runs its credential helper as `docker-credential-vault ACTION` (a link to this
    // program that `vault setup docker` makes): `vault docker-credential ACTION`.
    let docker = std::env::args_os()
        .next()
        .map(PathBuf::from)
        .is_some_and(|p| {
            p.file_name()
                .is_some_and(|n| n == "docker-credential-vault")
        });
    if docker {
        return hand_over_as(&["docker-credential"]);
    }
    let Ok(front) = Front::try_parse() else {
        return hand_over();
    };
    // An in-process vault and a supervised (masked) command are vault-full's.
    let masked = matches!(&front.command, Fast::Run(run) if run.masks());
    // A password given on the command line is checked (vault-full's session does it).
    let password_given = front.global.password_file.is_some() || front.global.password_stdin;
    if front.global.no_agent || masked || password_given {
        return hand_over();
    }
    vault_cli::harden(false);
    match fast(front) {
        Err(e) if e.is::<HandOver>() => {
            // vault-full takes this process's umask and core limit for the user's own.
            vault_cli::restore_user_umask();
            hand_over()
        }
        result => vault_cli::finish(result),
    }
}

/// The command, through an agent that runs and holds the vault unlocked; [`HandOver`]
/// otherwise (no agent, an agent of another version, a locked vault).
fn fast(front: Front) -> Result<u8> {
    // The agent answers `hello` while the command does its own work; a stale one is found at
    // the first request, before it is sent, and the command handed over.
    let Ok(Some(client)) = Client::connect_early(&AgentDir::for_current_user()) else {
        return Err(HandOver.into());
    };
    let vault = vault_cli::vault_path(front.global.vault)?;
    let mut session = Session::front(vault, client);
    match front.command {
        Fast::Run(args) => vault_cli::run::run(&mut session, args),
        Fast::Get(args) => vault_cli::commands::get(&mut session, &args).map(|()| 0),
        Fast::Token(args) => vault_cli::commands::oauth::token(&mut session, &args).map(|()| 0),
    }
}

/// Becomes `vault-full` with the same arguments.
fn hand_over() -> ExitCode {
    hand_over_as(&[])
}

/// [`hand_over`], with `prefix` before this command line's arguments.
fn hand_over_as(prefix: &[&str]) -> ExitCode {
    let Some(full) = full_program() else {
        eprintln!(
            "vault: vault-full is missing (looked beside this program and in ../lib/vault); \
             reinstall vault"
        );
        return ExitCode::from(1);
    };
    let err = std::process::Command::new(&full)
        .arg0("vault")
        .args(prefix)
        .args(std::env::args_os().skip(1))
        .exec();
    eprintln!("vault: cannot start {}: {err}", full.display());
    ExitCode::from(1)
}

/// `vault-full` beside this program (a cargo target dir, `make install`), or in
/// `../lib/vault/` (the Debian package, which keeps it off `PATH`).
fn full_program() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    [dir.join("vault-full"), dir.join("../lib/vault/vault-full")]
        .into_iter()
        .find(|p| p.is_file())
}

//! The `vault` command line, built as two programs over this library:
//!
//! - `vault-full` has every command: it parses arguments, asks for passwords and values, sends
//!   requests to the vault service (the agent, or one in-process with `--no-agent`) and prints
//!   answers. Errors end the process with a documented exit code.
//! - `vault` is what users type. For the commands typed many times a day (`vault run`, `vault
//!   get`, `vault token`) against an agent that is already unlocked it does the work itself,
//!   and hands everything else over to `vault-full` (exec, same arguments). It links none of
//!   the vault, SQLite or OAuth code, so it starts in a fraction of the time.

pub mod aws;
pub mod cli;
pub mod clipboard;
pub mod commands;
pub mod complete;
pub mod docker;
pub mod exit;
pub mod git;
pub mod kube;
mod mask;
pub mod output;
pub mod run;
pub mod session;
pub mod setup_status;
mod supervise;
pub mod trust;

/// Entry points for the fuzz targets (`fuzz/`), compiled only for them and
/// their replay in `make test` (`--cfg fuzzing`, or the `fuzzing` feature; never in a shipped
/// build).
#[cfg(any(fuzzing, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::mask::{MIN_MASKED_LEN, Masker};
}

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result};

use crate::exit::Failure;

/// The umask vault started with: `vault run` gives it back to the command it runs.
static USER_UMASK: AtomicU32 = AtomicU32::new(0o022);

/// This process's hardening (no core dump, no ptrace by same-user processes), undone for the
/// command `vault run` starts.
static HARDENING: OnceLock<vault_agent::hardening::ClientHardening> = OnceLock::new();

/// Makes this process private before anything is read: files it creates are the user's only,
/// and (except in the agent, which hardens itself more strictly) it cannot dump core or be
/// traced.
pub fn harden(agent: bool) {
    let user = rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
    USER_UMASK.store(user.bits(), Ordering::Relaxed);
    if !agent {
        let _ = HARDENING.set(vault_agent::hardening::apply_to_client());
        // SAFETY: restoring SIGPIPE's default disposition has no preconditions. Like other Unix
        // tools, vault then dies quietly when `| head` closes the pipe; the agent keeps Rust's
        // "ignore", because a client hanging up must not kill it.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}

/// Restores the user's umask (vault itself runs with 077) and core-dump limit, for a command
/// this process is about to become (`exec`).
pub fn restore_user_umask() {
    restore_umask_only();
    if let Some(h) = HARDENING.get() {
        h.restore_for_child();
    }
}

/// Restores the user's umask only: for a parent that starts the command as a child and keeps
/// holding secrets (its core limit stays zero; the child gets [`user_core_limit`]).
pub fn restore_umask_only() {
    let mask = rustix::fs::Mode::from_bits_truncate(USER_UMASK.load(Ordering::Relaxed));
    rustix::process::umask(mask);
}

/// The user's core-dump limit, for a command started as a child.
pub fn user_core_limit() -> Option<rustix::process::Rlimit> {
    HARDENING.get().and_then(|h| h.user_core_limit())
}

/// The process status for a command's result, with the error reported on stderr.
pub fn finish(result: Result<u8>) -> ExitCode {
    match result {
        Ok(0) => ExitCode::SUCCESS,
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = e.downcast_ref::<Failure>().map_or(exit::OTHER, |f| f.code);
            eprintln!("vault: {e:#}");
            ExitCode::from(code)
        }
    }
}

/// `--vault`, then `VAULT_PATH` (both through clap), then the platform default; made absolute
/// so every process names a vault the same way.
pub fn vault_path(given: Option<PathBuf>) -> Result<PathBuf> {
    let path = match given {
        Some(p) => p,
        None => vault_core::paths::default_vault_path()
            .context("cannot find a home directory for the default vault; pass --vault PATH")?,
    };
    vault_core::paths::canonical_vault_path(&path)
        .with_context(|| format!("invalid vault path {}", path.display()))
}

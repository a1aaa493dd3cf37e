//! Process hardening for the one process that holds keys: no core dumps, no ptrace by other
//! processes of the same user, key pages kept out of swap where the system permits.
//!
//! Each step is best effort: a failure is reported (once) and the agent carries on, because a
//! refusing agent would push users to `--no-agent`, which protects nothing better.

/// What could not be applied, for the log.
#[derive(Debug, Default)]
pub struct Hardening {
    pub warnings: Vec<String>,
}

/// Applies every measure to this process.
pub fn apply() -> Hardening {
    let mut out = Hardening::default();
    // Not dumpable: no core file, and /proc/<pid>/mem and ptrace closed to same-uid processes.
    if let Err(e) =
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
    {
        out.warnings
            .push(format!("cannot mark the process non-dumpable: {e}"));
    }
    // A core limit of zero also covers crash handlers that ignore the dumpable flag.
    let zero = rustix::process::Rlimit {
        current: Some(0),
        maximum: Some(0),
    };
    if let Err(e) = rustix::process::setrlimit(rustix::process::Resource::Core, zero) {
        out.warnings.push(format!("cannot disable core dumps: {e}"));
    }
    out
}

/// The CLI's hardening: it holds the data key in `--no-agent` mode, and typed passwords and
/// revealed values in every mode. Not dumpable, and no core file on a crash; only the soft core
/// limit is lowered, so [`ClientHardening::restore_for_child`] can give `vault run`'s command the
/// user's own limit back (resource limits survive `exec`; the dumpable flag does not).
#[derive(Debug)]
pub struct ClientHardening {
    core: Option<rustix::process::Rlimit>,
}

/// Applies [`ClientHardening`] to this process (best effort, silently: the CLI has no log and a
/// warning on every command would be noise).
pub fn apply_to_client() -> ClientHardening {
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    let before = rustix::process::getrlimit(rustix::process::Resource::Core);
    let lowered = rustix::process::Rlimit {
        current: Some(0),
        maximum: before.maximum,
    };
    let core = rustix::process::setrlimit(rustix::process::Resource::Core, lowered)
        .ok()
        .map(|()| before);
    ClientHardening { core }
}

/// The desktop app's hardening: [`apply_to_client`], and a private umask (the app writes the
/// settings file and, without an agent, the vault itself).
pub fn apply_to_app() -> ClientHardening {
    rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
    apply_to_client()
}

impl ClientHardening {
    /// The user's core limit, to be given to a command started as a child while this process
    /// keeps its own at zero (`vault run --mask`, which holds the secrets while it runs).
    pub fn user_core_limit(&self) -> Option<rustix::process::Rlimit> {
        self.core
    }

    /// Puts the user's core limit back before this process becomes a command (`exec`).
    pub fn restore_for_child(&self) {
        if let Some(limit) = &self.core {
            let _ = rustix::process::setrlimit(rustix::process::Resource::Core, *limit);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn core_dumps_are_off_after_apply() {
        // Runs in the test process: harmless, it only stops this process dumping core.
        let h = super::apply();
        assert!(h.warnings.is_empty(), "{:?}", h.warnings);
        let limit = rustix::process::getrlimit(rustix::process::Resource::Core);
        assert_eq!(limit.current, Some(0));
        assert_eq!(
            rustix::process::dumpable_behavior().unwrap(),
            rustix::process::DumpableBehavior::NotDumpable
        );
    }
}

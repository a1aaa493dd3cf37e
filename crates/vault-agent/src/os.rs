//! The agent's dealings with the operating system, in one place: its transport (a stream socket
//! in a private folder) and the check of who is at the other end, leaving the terminal's
//! session, the one-agent-per-user lock, stopping another agent, and noticing a suspend (the
//! idle lock counts time asleep). Process hardening is
//! [`crate::hardening`]; private files and folders, and a file's owner, are
//! `vault_core::platform`.
//!
//! Written for Unix: a Unix socket and `SO_PEERCRED` (macOS would use `getpeereid` or
//! `LOCAL_PEERCRED` on the same socket). A Windows agent would listen on a named pipe whose
//! DACL admits only the user, check the client with `GetNamedPipeClientProcessId` and its
//! token's SID, and use a named mutex for the lock (ARCHITECTURE.md, Portability). None of that
//! can be built and run here, so it is not written.

use std::fs::File;
use std::io;

pub use std::os::unix::net::{UnixListener as Listener, UnixStream as Stream};

/// Lets only the user connect to the socket at `path` (0600): a second wall inside the private
/// folder.
pub fn protect_socket(path: &std::path::Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// Who is at the other end of a connection, as the kernel says (not as the peer claims).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer {
    pub uid: u32,
    pub pid: Option<u32>,
}

/// The uid this process runs as.
pub fn current_uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// The process at the other end of `stream`.
pub fn peer(stream: &Stream) -> io::Result<Peer> {
    let cred = rustix::net::sockopt::socket_peercred(stream)?;
    Ok(Peer {
        uid: cred.uid.as_raw(),
        pid: u32::try_from(cred.pid.as_raw_nonzero().get()).ok(),
    })
}

/// Leaves the terminal's session (its Ctrl-C and hang-up no longer reach the agent) and the
/// directory the first command happened to run in. Leaving the session fails only for a
/// session leader, which is just as good.
pub fn detach(new_session: bool) {
    if new_session {
        let _ = rustix::process::setsid();
    }
    let _ = rustix::process::chdir("/");
}

/// Standard input reads `null`; standard output and error go to `log`.
pub fn redirect_stdio(null: &File, log: &File) -> io::Result<()> {
    rustix::stdio::dup2_stdin(null)?;
    rustix::stdio::dup2_stdout(log)?;
    rustix::stdio::dup2_stderr(log)?;
    Ok(())
}

/// Takes the exclusive lock on `file` that says "an agent runs here", held until the file is
/// closed (or the process ends, however it ends); `false` when another process holds it.
pub fn try_lock_exclusive(file: &File) -> io::Result<bool> {
    match rustix::fs::flock(file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// How long the machine has been suspended since it booted: the boot clock keeps counting while
/// it sleeps, the monotonic clock does not. (macOS: `mach_continuous_time` against
/// `mach_absolute_time`; Windows: the interrupt time against the unbiased one.)
pub fn time_suspended() -> std::time::Duration {
    use rustix::time::{ClockId, Timespec, clock_gettime};
    let d = |t: Timespec| {
        std::time::Duration::new(
            u64::try_from(t.tv_sec).unwrap_or(0),
            u32::try_from(t.tv_nsec).unwrap_or(0),
        )
    };
    d(clock_gettime(ClockId::Boottime)).saturating_sub(d(clock_gettime(ClockId::Monotonic)))
}

/// Asks process `pid` to terminate (SIGTERM). An agent that does not answer `quit` gets this.
pub fn terminate(pid: u32) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peer_of_a_socket_pair_is_this_process() {
        let (a, _b) = Stream::pair().unwrap();
        let p = peer(&a).unwrap();
        assert_eq!(p.uid, current_uid());
        assert_eq!(p.pid, Some(std::process::id()));
    }

    #[test]
    fn a_second_lock_on_the_same_file_is_refused_until_the_first_is_closed() {
        let tmp = tempfile::NamedTempFile::new().unwrap();
        let first = File::open(tmp.path()).unwrap();
        assert!(try_lock_exclusive(&first).unwrap());
        let second = File::open(tmp.path()).unwrap();
        assert!(!try_lock_exclusive(&second).unwrap(), "one agent per user");
        drop(first);
        assert!(try_lock_exclusive(&second).unwrap());
    }
}

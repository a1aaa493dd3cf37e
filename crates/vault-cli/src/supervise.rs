//! `vault run --mask`: run the command as a child and filter its output.
//!
//! When the user's stdout is a terminal the child gets a pseudo-terminal of its own, so it
//! still sees a tty (colours, line editing, progress bars) while its output passes through
//! the masker; our terminal goes raw and keystrokes are relayed, so Ctrl-C reaches the child
//! through its own terminal. Otherwise stdout and stderr are pipes. Signals sent to vault
//! (SIGTERM from a supervisor, say) are passed on; the exit status comes back as the child's
//! code, or 128+N when it died of signal N.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use anyhow::{Context, Result};
use rustix::termios::{self, OptionalActions, Termios};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::low_level::siginfo::Cause;
use zeroize::Zeroizing;

use crate::exit::exec_failure;
use crate::mask::Masker;

/// A partial secret at the end of the output is held back at most this long, waiting for the
/// rest; then it is shown (it was not a whole secret, or the writer is waiting for input).
const HOLD_BACK: Duration = Duration::from_millis(300);
/// After the child exits, its output is drained for at most this long (a background process
/// it left behind may keep the terminal open forever).
const DRAIN: Duration = Duration::from_secs(2);

pub(crate) const FORWARDED: [i32; 6] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2];

/// `core`: the user's core-dump limit, set in the child only (this process keeps holding the
/// secrets, so its own stays zero).
pub fn run_masked(
    cmd: Command,
    program: &OsStr,
    secrets: Vec<(String, Zeroizing<Vec<u8>>)>,
    core: Option<rustix::process::Rlimit>,
) -> Result<u8> {
    let mut stage = Stage::new(core);
    // Handlers before the child starts, so no signal in between kills vault alone.
    let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED.iter().chain([&SIGWINCH]))
        .context("cannot install signal handlers")?;
    let child = stage.launch(cmd, program, Some(secrets))?;
    let handle = signals.handle();
    let (pid, own_group) = (child.pid, child.own_group);
    let master = child.master();
    std::thread::spawn(move || {
        for info in signals.forever() {
            if info.signal == SIGWINCH {
                resize(master.as_ref());
                continue;
            }
            // Sharing our process group, the child already got what the terminal sent
            // (Ctrl-C): pass on only what a process sent to vault itself.
            if own_group || !matches!(info.cause, Cause::Kernel) {
                forward(pid, info.signal, own_group);
            }
        }
    });
    let status = child.wait()?;
    drop(stage);
    handle.close();
    Ok(exit_code(status))
}

/// The terminal and output plumbing of a run, shared by the children it starts one after
/// another (`vault run --watch`): when our stdout is a terminal each child gets a
/// pseudo-terminal of its own (in its own session, so the whole of its job can be signalled)
/// while our terminal stays raw and keystrokes go to the current child's.
pub(crate) struct Stage {
    stdout_tty: bool,
    stdin_tty: bool,
    stderr_tty: bool,
    core: Option<rustix::process::Rlimit>,
    raw: Option<RawMode>,
    /// Where keystrokes go: the current child's pty.
    keys_to: Arc<Mutex<Option<File>>>,
    relaying_keys: bool,
}

/// A child started by [`Stage::launch`], with the threads copying its output.
pub(crate) struct Launched {
    pub pid: u32,
    /// In a session or process group of its own: signals go to its whole job.
    pub own_group: bool,
    child: Child,
    master: Option<File>,
    relays: usize,
    done: mpsc::Receiver<()>,
}

impl Stage {
    pub(crate) fn new(core: Option<rustix::process::Rlimit>) -> Stage {
        Stage {
            stdout_tty: termios::isatty(std::io::stdout()),
            stdin_tty: termios::isatty(std::io::stdin()),
            stderr_tty: termios::isatty(std::io::stderr()),
            core,
            raw: None,
            keys_to: Arc::new(Mutex::new(None)),
            relaying_keys: false,
        }
    }

    /// Starts `cmd`, its output through a masker of `secrets` (`None`: shown as it is).
    /// `own_group_without_tty`: with no terminal to share, the child leads a process group of
    /// its own, so that stopping it stops what it started too (a restart); a child sharing
    /// our terminal's stdin never does (it would be stopped reading it).
    pub(crate) fn launch(
        &mut self,
        mut cmd: Command,
        program: &OsStr,
        secrets: Option<Vec<(String, Zeroizing<Vec<u8>>)>>,
    ) -> Result<Launched> {
        self.launch_with(&mut cmd, program, secrets, false)
    }

    pub(crate) fn launch_with(
        &mut self,
        cmd: &mut Command,
        program: &OsStr,
        secrets: Option<Vec<(String, Zeroizing<Vec<u8>>)>>,
        own_group_without_tty: bool,
    ) -> Result<Launched> {
        if let Some(limit) = self.core {
            // SAFETY: runs in the forked child before exec and makes one system call
            // (prlimit64), which is async-signal-safe.
            unsafe {
                cmd.pre_exec(move || {
                    let _ = rustix::process::setrlimit(rustix::process::Resource::Core, limit);
                    Ok(())
                });
            }
        }
        // Our stdout and stderr are one destination (`2>&1`, as in CI): the child gets one pipe
        // for both, so its output reaches one masker in the order it was written, and a secret
        // split between the two streams is still one secret.
        let mut merged = None;
        let mut pty = None;
        let mut own_group = false;
        if self.stdout_tty {
            let p = Pty::open()?;
            if let Ok(size) = termios::tcgetwinsize(std::io::stdout()) {
                let _ = termios::tcsetwinsize(&p.master, size);
            }
            cmd.stdout(Stdio::from(p.slave()?));
            if self.stdin_tty {
                cmd.stdin(Stdio::from(p.slave()?));
            }
            if self.stderr_tty {
                cmd.stderr(Stdio::from(p.slave()?));
            } else {
                cmd.stderr(Stdio::piped());
            }
            // SAFETY: runs in the forked child before exec and only makes two system calls
            // (setsid, TIOCSCTTY on fd 1, the pty), both async-signal-safe: the child gets a
            // session of its own with the pty as its controlling terminal, as under a terminal.
            unsafe {
                cmd.pre_exec(|| {
                    rustix::process::setsid()?;
                    rustix::process::ioctl_tiocsctty(std::io::stdout())?;
                    Ok(())
                });
            }
            own_group = true;
            pty = Some(p);
        } else {
            if secrets.is_none() {
                // Nothing to mask: the child writes where we do.
            } else if same_destination() {
                let (reader, writer) = std::io::pipe().context("cannot create a pipe")?;
                cmd.stdout(writer.try_clone().context("cannot create a pipe")?)
                    .stderr(writer);
                merged = Some(reader);
            } else {
                cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            }
            if own_group_without_tty && !self.stdin_tty {
                cmd.process_group(0);
                own_group = true;
            }
        }
        let child = cmd.spawn().map_err(|e| exec_failure(program, &e));
        // The command holds our copies of the child's ends: the pipe's write end must close
        // here, or reading it never sees the end.
        *cmd = Command::new("");
        let mut child = child?;
        if pty.is_some() && self.stdin_tty && self.raw.is_none() {
            self.raw = RawMode::enter();
        }
        // Every stream the child writes to that we read: through a masker to ours.
        let mut sources: Vec<(File, Out)> = Vec::new();
        let mut master = None;
        if let Some(p) = pty {
            let m = File::from(p.master);
            if self.stdin_tty {
                *lock(&self.keys_to) = Some(m.try_clone().context("cannot use the pty")?);
                self.relay_keys();
            }
            master = Some(m.try_clone().context("cannot use the pty")?);
            sources.push((m, Out::Stdout));
        }
        if let Some(reader) = merged {
            sources.push((File::from(OwnedFd::from(reader)), Out::Stdout));
        }
        if let Some(out) = child.stdout.take() {
            sources.push((File::from(OwnedFd::from(out)), Out::Stdout));
        }
        if let Some(err) = child.stderr.take() {
            sources.push((File::from(OwnedFd::from(err)), Out::Stderr));
        }
        let (done_tx, done) = mpsc::channel::<()>();
        let relays = sources.len();
        for (from, to) in sources {
            let masker = secrets.clone().and_then(Masker::new);
            spawn_relay(from, to, masker, done_tx.clone());
        }
        Ok(Launched {
            pid: child.id(),
            own_group,
            child,
            master,
            relays,
            done,
        })
    }

    /// Copies our keystrokes to the current child's pty, for as long as we run.
    fn relay_keys(&mut self) {
        if self.relaying_keys {
            return;
        }
        self.relaying_keys = true;
        let keys_to = Arc::clone(&self.keys_to);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut stdin = std::io::stdin().lock();
            while let Ok(n) = stdin.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Some(to) = lock(&keys_to).as_mut() {
                    let _ = to.write_all(&buf[..n]);
                }
            }
            buf.iter_mut().for_each(|b| *b = 0);
        });
    }
}

impl Launched {
    /// The child's pty, to pass on a change of our window's size.
    pub(crate) fn master(&self) -> Option<File> {
        self.master.as_ref().and_then(|m| m.try_clone().ok())
    }

    /// Waits for the child, then for its output to drain (at most [`DRAIN`]: a background
    /// process it left behind may keep the pipe open forever).
    pub(crate) fn wait(mut self) -> Result<ExitStatus> {
        let status = self.child.wait().context("cannot wait for the command")?;
        drop(self.master.take());
        for _ in 0..self.relays {
            if self.done.recv_timeout(DRAIN).is_err() {
                break;
            }
        }
        Ok(status)
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Passes a change of our window's size on to the child's pty.
pub(crate) fn resize(master: Option<&File>) {
    if let (Some(m), Ok(size)) = (master, termios::tcgetwinsize(std::io::stdout())) {
        let _ = termios::tcsetwinsize(m, size);
    }
}

/// The status `vault run` exits with: the child's code, or 128+N when signal N killed it.
pub(crate) fn exit_code(status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(255),
        (None, None) => 1,
    }
}

/// Whether our stdout and stderr are the same file, pipe or socket.
fn same_destination() -> bool {
    // `st_dev` and `st_ino` are u64 here and other widths elsewhere (macOS).
    #[allow(clippy::unnecessary_cast)]
    fn id(fd: impl AsFd) -> Option<(u64, u64)> {
        rustix::fs::fstat(fd)
            .ok()
            .map(|st| (st.st_dev as u64, st.st_ino as u64))
    }
    let out = id(std::io::stdout());
    out.is_some() && out == id(std::io::stderr())
}

pub(crate) fn forward(pid: u32, signal: i32, to_group: bool) {
    let Some(pid) = rustix::process::Pid::from_raw(pid as i32) else {
        return;
    };
    let Some(sig) = rustix::process::Signal::from_named_raw(signal) else {
        return;
    };
    // In its own session the child leads its process group: signal the whole job, as a
    // terminal would.
    let _ = if to_group {
        rustix::process::kill_process_group(pid, sig)
    } else {
        rustix::process::kill_process(pid, sig)
    };
}

#[derive(Clone, Copy)]
enum Out {
    Stdout,
    Stderr,
}

/// Copies `from` to our stdout or stderr through a masker until the end of the stream.
fn spawn_relay(from: File, to: Out, mut masker: Option<Masker>, done: mpsc::Sender<()>) {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        let write = |bytes: &[u8]| -> bool {
            let result = match to {
                Out::Stdout => {
                    let mut o = std::io::stdout().lock();
                    o.write_all(bytes).and_then(|()| o.flush())
                }
                Out::Stderr => {
                    let mut e = std::io::stderr().lock();
                    e.write_all(bytes).and_then(|()| e.flush())
                }
            };
            result.is_ok()
        };
        let mut from = from;
        loop {
            if masker.as_ref().is_some_and(Masker::holds_back) && !readable(&from, HOLD_BACK) {
                // What is still held after this waits for more output or the end of it.
                if let Some(m) = masker.as_mut() {
                    write(&m.pause());
                }
                continue;
            }
            let n = match from.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // EIO: the pty's last slave closed (the child exited).
                Err(_) => break,
            };
            let shown = match masker.as_mut() {
                Some(m) => m.feed(&buf[..n]),
                None => buf[..n].to_vec(),
            };
            if !write(&shown) {
                break;
            }
        }
        if let Some(m) = masker.as_mut() {
            write(&m.finish());
        }
        buf.iter_mut().for_each(|b| *b = 0);
        let _ = done.send(());
    });
}

/// Whether `f` has data within `timeout`.
fn readable(f: &File, timeout: Duration) -> bool {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut fds = [PollFd::new(f, PollFlags::IN)];
    let ts = rustix::time::Timespec {
        tv_sec: 0,
        tv_nsec: i64::from(timeout.subsec_nanos()),
    };
    poll(&mut fds, Some(&ts)).is_ok_and(|n| n > 0)
}

struct Pty {
    master: OwnedFd,
    slave_path: std::ffi::CString,
}

impl Pty {
    fn open() -> Result<Pty> {
        use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
            .context("cannot open a pseudo-terminal")?;
        grantpt(&master).context("cannot open a pseudo-terminal")?;
        unlockpt(&master).context("cannot open a pseudo-terminal")?;
        let slave_path = ptsname(&master, Vec::new()).context("cannot open a pseudo-terminal")?;
        Ok(Pty { master, slave_path })
    }

    fn slave(&self) -> Result<File> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(OsStr::from_bytes(self.slave_path.as_bytes()))
            .context("cannot open the pseudo-terminal")
    }
}

/// Our terminal in raw mode while the child owns its pty; restored on drop.
struct RawMode {
    saved: Termios,
}

impl RawMode {
    fn enter() -> Option<RawMode> {
        let stdin = std::io::stdin();
        let saved = termios::tcgetattr(stdin.as_fd()).ok()?;
        let mut raw = saved.clone();
        raw.make_raw();
        termios::tcsetattr(stdin.as_fd(), OptionalActions::Now, &raw).ok()?;
        Some(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = termios::tcsetattr(std::io::stdin().as_fd(), OptionalActions::Now, &self.saved);
    }
}

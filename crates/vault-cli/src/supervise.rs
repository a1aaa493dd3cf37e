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
use std::process::{Command, Stdio};
use std::sync::mpsc;
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

const FORWARDED: [i32; 6] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2];

/// `core`: the user's core-dump limit, set in the child only (this process keeps holding the
/// secrets, so its own stays zero).
pub fn run_masked(
    mut cmd: Command,
    program: &OsStr,
    secrets: Vec<(String, Zeroizing<Vec<u8>>)>,
    core: Option<rustix::process::Rlimit>,
) -> Result<u8> {
    let stdout_tty = termios::isatty(std::io::stdout());
    let stdin_tty = termios::isatty(std::io::stdin());
    let stderr_tty = termios::isatty(std::io::stderr());
    if let Some(limit) = core {
        // SAFETY: runs in the forked child before exec and makes one system call (prlimit64),
        // which is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                let _ = rustix::process::setrlimit(rustix::process::Resource::Core, limit);
                Ok(())
            });
        }
    }
    // Our stdout and stderr are one destination (`2>&1`, as in CI): the child gets one pipe for
    // both, so its output reaches one masker in the order it was written, and a secret split
    // between the two streams is still one secret.
    let mut merged = None;

    let mut pty = None;
    if stdout_tty {
        let p = Pty::open()?;
        if let Ok(size) = termios::tcgetwinsize(std::io::stdout()) {
            let _ = termios::tcsetwinsize(&p.master, size);
        }
        cmd.stdout(Stdio::from(p.slave()?));
        if stdin_tty {
            cmd.stdin(Stdio::from(p.slave()?));
        }
        if stderr_tty {
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
        pty = Some(p);
    } else if same_destination() {
        let (reader, writer) = std::io::pipe().context("cannot create a pipe")?;
        cmd.stdout(writer.try_clone().context("cannot create a pipe")?)
            .stderr(writer);
        merged = Some(reader);
    } else {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    }

    // Handlers before the child starts, so no signal in between kills vault alone.
    let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED.iter().chain([&SIGWINCH]))
        .context("cannot install signal handlers")?;
    let mut child = cmd.spawn().map_err(|e| exec_failure(program, &e))?;
    // The command holds our copies of the child's ends: the pipe's write end must close here,
    // or reading it never sees the end.
    drop(cmd);
    let pid = child.id();
    // Our copies of the slave end must close, or reading the master never sees the end.
    let raw = match (&pty, stdin_tty) {
        (Some(_), true) => RawMode::enter(),
        _ => None,
    };
    let handle = signals.handle();
    let in_own_session = pty.is_some();
    let master_for_signals = pty.as_ref().and_then(|p| p.master.try_clone().ok());
    std::thread::spawn(move || {
        for info in signals.forever() {
            if info.signal == SIGWINCH {
                if let (Some(m), Ok(size)) = (
                    &master_for_signals,
                    termios::tcgetwinsize(std::io::stdout()),
                ) {
                    let _ = termios::tcsetwinsize(m, size);
                }
                continue;
            }
            // Sharing our process group, the child already got what the terminal sent
            // (Ctrl-C): pass on only what a process sent to vault itself.
            let from_terminal = matches!(info.cause, Cause::Kernel);
            if in_own_session || !from_terminal {
                forward(pid, info.signal, in_own_session);
            }
        }
    });

    let (done_tx, done_rx) = mpsc::channel::<()>();
    let mut relays = 0;
    let masker = || Masker::new(secrets.clone());
    if let Some(p) = &pty {
        let master = File::from(p.master.try_clone().context("cannot use the pty")?);
        if stdin_tty {
            let mut to_child = master.try_clone().context("cannot use the pty")?;
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let mut stdin = std::io::stdin().lock();
                while let Ok(n) = stdin.read(&mut buf) {
                    if n == 0 || to_child.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
        }
        spawn_relay(master, Out::Stdout, masker(), done_tx.clone());
        relays += 1;
    }
    if let Some(reader) = merged {
        spawn_relay(
            File::from(OwnedFd::from(reader)),
            Out::Stdout,
            masker(),
            done_tx.clone(),
        );
        relays += 1;
    }
    if let Some(out) = child.stdout.take() {
        spawn_relay(
            File::from(OwnedFd::from(out)),
            Out::Stdout,
            masker(),
            done_tx.clone(),
        );
        relays += 1;
    }
    if let Some(err) = child.stderr.take() {
        spawn_relay(
            File::from(OwnedFd::from(err)),
            Out::Stderr,
            masker(),
            done_tx.clone(),
        );
        relays += 1;
    }
    drop(done_tx);
    drop(pty.map(|p| p.master));

    let status = child.wait().context("cannot wait for the command")?;
    for _ in 0..relays {
        if done_rx.recv_timeout(DRAIN).is_err() {
            break;
        }
    }
    drop(raw);
    handle.close();
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(255),
        (None, None) => 1,
    })
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

fn forward(pid: u32, signal: i32, to_group: bool) {
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

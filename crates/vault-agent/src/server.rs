//! The agent process: one per user, listening on a Unix socket, holding unlocked vaults.
//!
//! Start-up order matters for safety: harden the process, take the pidfile lock (one agent per
//! user, decided by the kernel rather than by racing checks), replace a stale socket, bind, and
//! only then say "ready", so a client never races the bind. Each connection is served by the
//! thread that accepted it (see `Acceptors`); the [`Service`] serialises access to the vaults.
//! A peer of another uid is refused before a byte of it is read. The agent never logs a request
//! body, a password or a value.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use vault_core::platform::{FileId, file_id};
use vault_core::{Error, ErrorCode};

use crate::AgentError;
use crate::dirs::AgentDir;
use crate::frame::{Frame, read_frame, write_frame};
use crate::hardening;
use crate::os::{self, Listener, Stream};
use crate::protocol::{
    BUILD, EVENT_HEARTBEAT_SECS, Event, MAX_REQUEST_BYTES, Op, PROTOCOL, Request, Response,
    WireError,
};
use crate::service::{Clock, Service};

/// How the agent runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Started by a client: detach from the terminal, answer `ready` (or `running`) on stdout,
    /// then log to `agent.log`.
    Daemon,
    /// Under a service manager or in a terminal: stay attached, log to stderr.
    Foreground,
}

/// What a daemon prints on stdout once, for the client that started it.
pub const READY: &str = "ready";
/// Printed instead of [`READY`] when another agent holds the pidfile lock.
pub const RUNNING: &str = "running";

/// How often the agent checks idle time, suspend and its socket.
const TICK: Duration = Duration::from_millis(250);
/// A jump of the boot clock over the monotonic clock larger than this means the machine slept.
const SUSPEND_JUMP: Duration = Duration::from_secs(3);
/// How long the audit writer gathers entries before writing them.
const AUDIT_BATCH: Duration = Duration::from_millis(50);
/// A client that stops reading for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

macro_rules! log {
    ($($arg:tt)*) => {
        eprintln!("{} vault-agent[{}]: {}", jiff::Timestamp::now().round(jiff::Unit::Second)
            .unwrap_or_else(|_| jiff::Timestamp::now()), std::process::id(), format_args!($($arg)*))
    };
}

/// Runs the agent until it is asked to quit, signalled, or its socket disappears.
pub fn run(
    dir: AgentDir,
    mode: Mode,
    lock_after: Option<Duration>,
    sync_every: Option<Duration>,
    clock: Clock,
) -> Result<(), AgentError> {
    os::detach(mode == Mode::Daemon);
    let hardening = hardening::apply();

    let bound = match bind(&dir)? {
        Some(b) => b,
        None if mode == Mode::Daemon => {
            announce(RUNNING);
            return Ok(());
        }
        None => return Err(AgentError::AlreadyRunning { dir: dir.dir }),
    };
    match mode {
        Mode::Daemon => {
            announce(READY);
            redirect_output(&dir)?;
        }
        Mode::Foreground => log!("listening on {}", dir.socket().display()),
    }
    log!("started ({BUILD})");
    for w in hardening.warnings {
        log!("warning: {w}");
    }

    let service = Arc::new(Service::new(clock));
    service.attach_proxy(dir.dir.clone());
    service.set_lock_after(lock_after);
    service.defer_writes(true);
    let (audit_tx, audit_rx) = mpsc::channel();
    let agent = Arc::new(Agent {
        service,
        audit: Mutex::new(audit_tx),
        warned_mlock: AtomicBool::new(false),
        socket: dir.socket(),
        socket_id: bound.socket_id,
        exe: Executable::current(),
        _pidfile: bound.pidfile,
    });
    spawn_signal_handler(&agent)?;
    spawn_ticker(&agent);
    spawn_refresher(&agent);
    match sync_every {
        Some(every) => spawn_syncer(&agent, every),
        None => log!("background sync is off (sync-every = never)"),
    }
    spawn_audit_writer(&agent, audit_rx);

    let acceptors = Arc::new(Acceptors {
        listener: bound.listener,
        agent,
        me: os::current_uid(),
        waiting: AtomicUsize::new(0),
    });
    // The connections are served on threads of their own, so a panic while serving one ends
    // that thread and not the agent; this one waits until the agent exits (`shutdown`).
    if acceptors.spawn() {
        loop {
            std::thread::park();
        }
    }
    acceptors.accept_and_serve();
    Ok(())
}

/// The connection threads, each waiting in `accept` on the one socket: the kernel hands a new
/// connection to one of them, and the thread that accepted it serves it, so a request reaches
/// the thread that answers it with no hand-over in between (on a virtual machine, waking
/// another thread costs as much as the agent's whole work for a `vault get`). A thread that
/// accepts while no other is waiting starts one first, so a long request (an unlock, an OAuth
/// refresh) never holds up the next connection. Commands come in bursts (a script, a shell
/// prompt), so up to [`IDLE_ACCEPTORS`] threads are kept waiting; a thread beyond that ends, so
/// there are always some waiting.
struct Acceptors {
    listener: Listener,
    agent: Arc<Agent>,
    me: u32,
    /// Threads in (or about to enter) `accept`.
    waiting: AtomicUsize,
}

const IDLE_ACCEPTORS: usize = 4;

impl Acceptors {
    /// Accepts and serves connections; returns when enough other threads are waiting.
    fn accept_and_serve(self: &Arc<Self>) {
        loop {
            if self.waiting.fetch_add(1, Ordering::SeqCst) >= IDLE_ACCEPTORS {
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                return;
            }
            let accepted = self.listener.accept();
            let was_last = self.waiting.fetch_sub(1, Ordering::SeqCst) == 1;
            let stream = match accepted {
                Ok((s, _)) => s,
                Err(e) => {
                    log!("accept failed: {e}");
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
            };
            // Another thread waits for the next connection before this one is served.
            if was_last {
                self.spawn();
            }
            match os::peer(&stream) {
                Ok(peer) if peer.uid == self.me => self.agent.serve(stream, peer.pid),
                Ok(peer) => {
                    log!(
                        "refused a connection from uid {} (pid {})",
                        peer.uid,
                        peer.pid.map_or_else(|| "?".to_owned(), |p| p.to_string())
                    );
                    refuse(
                        &stream,
                        &format!(
                            "this agent serves uid {} only; start your own with `vault agent`",
                            self.me
                        ),
                    );
                }
                Err(e) => log!("refused a connection: cannot read its credentials: {e}"),
            }
        }
    }

    /// Starts a thread that waits for the next connection; `false` when none could be started
    /// (the threads already running go on accepting, one connection at a time each).
    fn spawn(self: &Arc<Self>) -> bool {
        let acceptors = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("vault-agent-conn".into())
            .spawn(move || acceptors.accept_and_serve());
        if let Err(e) = &spawned {
            log!("cannot start a connection thread: {e}");
        }
        spawned.is_ok()
    }
}

/// Writes one line to the client that started this daemon.
fn announce(word: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{word}");
    let _ = out.flush();
}

/// From now on stdout and stderr go to the log file, stdin reads nothing: the client that
/// started us is not waiting on our pipes.
fn redirect_output(dir: &AgentDir) -> Result<(), AgentError> {
    let path = dir.log();
    let io = |e| AgentError::io(format!("cannot open {}", path.display()), e);
    let log = vault_core::platform::private_file_options()
        .and_then(|mut o| o.create(true).append(true).open(&path))
        .map_err(io)?;
    let null = File::open("/dev/null").map_err(io)?;
    os::redirect_stdio(&null, &log).map_err(io)
}

fn refuse(stream: &Stream, message: &str) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let mut w = stream;
    let _ = write_frame(
        &mut w,
        &Response::Error(WireError::new(vault_core::ErrorCode::Refused, message)),
    );
}

struct Bound {
    listener: Listener,
    socket_id: FileId,
    /// Held open for the agent's life: the flock on it says "an agent runs here".
    pidfile: File,
}

/// Takes the pidfile lock and binds the socket; `None` when another agent holds the lock.
fn bind(dir: &AgentDir) -> Result<Option<Bound>, AgentError> {
    dir.ensure()?;
    let pid_path = dir.pidfile();
    let io = |what: &str, e| AgentError::io(format!("cannot {what} {}", pid_path.display()), e);
    let mut pidfile = vault_core::platform::private_file_options()
        .and_then(|mut o| {
            o.read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&pid_path)
        })
        .map_err(|e| io("open", e))?;
    if !os::try_lock_exclusive(&pidfile).map_err(|e| io("lock", e))? {
        return Ok(None);
    }
    pidfile
        .set_len(0)
        .and_then(|()| writeln!(pidfile, "{}", std::process::id()))
        .map_err(|e| io("write", e))?;

    // Holding the lock, any socket file left here belongs to a dead agent.
    let socket = dir.socket();
    let sock_io = |what: &str, e| AgentError::io(format!("cannot {what} {}", socket.display()), e);
    match fs::remove_file(&socket) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(sock_io("remove the stale socket", e)),
    }
    let listener = Listener::bind(&socket).map_err(|e| sock_io("listen on", e))?;
    // The folder is 0700 already; the socket's own mode is a second wall.
    os::protect_socket(&socket).map_err(|e| sock_io("protect", e))?;
    let socket_id = fs::symlink_metadata(&socket)
        .and_then(|m| file_id(&m))
        .map_err(|e| sock_io("read", e))?;
    Ok(Some(Bound {
        listener,
        socket_id,
        pidfile,
    }))
}

/// The running agent, shared by every thread.
struct Agent {
    service: Arc<Service>,
    /// Wakes the audit writer (see [`spawn_audit_writer`]).
    audit: Mutex<mpsc::Sender<()>>,
    /// The mlock warning is logged once per agent.
    warned_mlock: AtomicBool,
    socket: PathBuf,
    socket_id: FileId,
    exe: Executable,
    _pidfile: File,
}

impl Agent {
    /// Answers requests on one connection until the client closes it. `pid` is the client's
    /// process as the kernel reported it at connect: what a `vault run --proxy` session ends
    /// with (the client becomes the program).
    fn serve(&self, stream: Stream, pid: Option<u32>) {
        let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
        let mut reader = BufReader::new(&stream);
        let mut writer = &stream;
        // An invitation this connection made and has not waited on yet: ended with it.
        let mut invited = Invited {
            service: &self.service,
            invite: None,
        };
        loop {
            let request = match next_request(&mut reader, MAX_REQUEST_BYTES) {
                Incoming::Request(mut r) => {
                    r.set_proxy_pid(pid);
                    *r
                }
                Incoming::Reject(response) => {
                    if reply(&mut writer, &response).is_err() {
                        return;
                    }
                    continue;
                }
                Incoming::Closed => return,
            };
            let response = match request {
                Request::Hello { .. } => Response::Hello {
                    protocol: PROTOCOL.to_owned(),
                    build: BUILD.to_owned(),
                    pid: std::process::id(),
                    replaced: self.exe.replaced(),
                },
                Request::Quit => {
                    let _ = reply(&mut writer, &Response::Ok);
                    self.shutdown("asked to quit by a client");
                }
                Request::Subscribe => return self.stream_events(&mut writer),
                Request::Lock { .. } => {
                    let r = self.service.handle(request);
                    log!("locked on request");
                    r
                }
                unlock @ (Request::Unlock { .. } | Request::Init { .. }) => {
                    let r = self.service.handle(unlock);
                    if !self.service.keys_locked_in_memory()
                        && !self.warned_mlock.swap(true, Ordering::Relaxed)
                    {
                        log!(
                            "warning: the system refused to lock the key's memory (RLIMIT_MEMLOCK); \
                         it could be written to swap"
                        );
                    }
                    r
                }
                // A scan can take minutes: one whose client went away (Ctrl-C) stops at its
                // next file, instead of running on to an answer nobody reads with the vault's
                // values in its automaton.
                Request::Vault {
                    vault,
                    op: Op::Scan { request },
                } => {
                    match until_hangup(&stream, |stop| self.service.scan(&vault, &request, stop)) {
                        Some(response) => response,
                        None => {
                            log!("stopped a scan: its client went away");
                            return;
                        }
                    }
                }
                // An invitation whose `vault sync invite` was interrupted ends at once: the
                // code it showed pairs nothing more, rather than until it expires.
                Request::Vault {
                    vault,
                    op: Op::SyncInviteWait { nameplate },
                } => match until_hangup(&stream, |stop| {
                    invited.invite = None;
                    self.service.invite_wait(&vault, &nameplate, &stop)
                }) {
                    Some(response) => response,
                    None => {
                        log!("ended an invitation: its client went away");
                        return;
                    }
                },
                Request::Vault {
                    vault,
                    op: Op::SyncInvite,
                } => {
                    let r = self.service.handle(Request::Vault {
                        vault: vault.clone(),
                        op: Op::SyncInvite,
                    });
                    if let Response::Invitation { nameplate, .. } = &r {
                        invited.invite = Some((vault, nameplate.clone()));
                    }
                    r
                }
                other => self.service.handle(other),
            };
            if reply(&mut writer, &response).is_err() {
                return;
            }
            // Once the client has its answer: subscribers hear what it changed.
            self.service.announce_changes();
            // Audit entries of runs are written off the client's path, in batches.
            let _ = self.audit.lock().map(|tx| tx.send(()));
        }
    }

    /// Sends the lock state now, on every change, and as a heartbeat, and the items that
    /// change, until the client goes.
    fn stream_events(&self, writer: &mut &Stream) {
        let events = self.service.subscribe();
        let mut next = Response::LockState {
            vaults: self.service.status(Instant::now()).0,
        };
        loop {
            if reply(writer, &next).is_err() {
                return;
            }
            next = match events.recv_timeout(Duration::from_secs(EVENT_HEARTBEAT_SECS)) {
                Ok(Event::LockState(vaults)) => Response::LockState { vaults },
                Ok(Event::Changed { vault, items }) => Response::Changed { vault, items },
                Ok(Event::ProjectFile { vault, path }) => Response::ProjectFile { vault, path },
                Err(RecvTimeoutError::Timeout) => Response::LockState {
                    vaults: self.service.status(Instant::now()).0,
                },
                Err(RecvTimeoutError::Disconnected) => return,
            };
        }
    }

    /// Drops every key, removes our socket (not a successor's) and exits.
    fn shutdown(&self, why: &str) -> ! {
        self.service.write_deferred();
        self.service.lock_all();
        if fs::symlink_metadata(&self.socket)
            .is_ok_and(|m| file_id(&m).ok() == Some(self.socket_id))
        {
            let _ = fs::remove_file(&self.socket);
        }
        log!("stopped: {why}");
        std::process::exit(0)
    }
}

/// One frame from a client: a request to answer, or the error reply to send instead.
pub(crate) enum Incoming {
    Request(Box<Request>),
    Reject(Box<Response>),
    Closed,
}

/// Reads the next request from a connection. Everything a client sends goes through here
/// (the fuzz target `agent_frames` drives it with arbitrary bytes).
pub(crate) fn next_request(reader: &mut impl BufRead, limit: usize) -> Incoming {
    match read_frame(reader, limit) {
        Ok(Frame::Line(line)) => match serde_json::from_slice::<Request>(&line) {
            Ok(r) => Incoming::Request(Box::new(r)),
            Err(e) => Incoming::Reject(Box::new(malformed(&e))),
        },
        Ok(Frame::TooLarge) => {
            Incoming::Reject(Box::new(Response::error(&Error::Invalid(format!(
                "request larger than {} MiB (import a file this large with --no-agent)",
                limit / (1024 * 1024)
            )))))
        }
        Ok(Frame::Closed) | Err(_) => Incoming::Closed,
    }
}

/// The invitation a connection made and has not waited on: when the connection ends first
/// (`vault sync invite` interrupted between the two), it is ended too.
struct Invited<'a> {
    service: &'a Service,
    invite: Option<(PathBuf, String)>,
}

impl Drop for Invited<'_> {
    fn drop(&mut self) {
        if let Some((vault, nameplate)) = self.invite.take() {
            self.service.end_invite(&vault, &nameplate);
            log!("ended an invitation: its client went away");
        }
    }
}

/// `answer` with a flag set if the client hangs up meanwhile; `None` when it did (nobody is
/// left to answer).
fn until_hangup(
    stream: &Stream,
    answer: impl FnOnce(Arc<AtomicBool>) -> Response,
) -> Option<Response> {
    let stop = Arc::new(AtomicBool::new(false));
    let response = {
        let _watch = HangupWatch::start(stream, Arc::clone(&stop));
        answer(Arc::clone(&stop))
    };
    (!stop.load(Ordering::Relaxed)).then_some(response)
}

/// Sets a flag when the client of a connection hangs up while its request is being answered:
/// the socket is polled (it reads nothing: a client sends nothing before its answer) until
/// dropped. Dropping does not wait for the thread (that would add up to a tick to every
/// answer, `vault scan --staged` in each commit's hook among them): it ends at its next tick.
struct HangupWatch {
    done: Arc<AtomicBool>,
}

impl HangupWatch {
    /// How often the end of the request is looked for.
    const TICK: rustix::event::Timespec = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 200_000_000,
    };

    fn start(stream: &Stream, gone: Arc<AtomicBool>) -> HangupWatch {
        let done = Arc::new(AtomicBool::new(false));
        if let Ok(stream) = stream.try_clone() {
            let done = Arc::clone(&done);
            // Without the thread a gone client is only not noticed: the scan runs to its end.
            let _ = std::thread::Builder::new()
                .name("vault-agent-hangup".into())
                .spawn(move || {
                    while !done.load(Ordering::Relaxed) {
                        if hung_up(&stream, &Self::TICK) {
                            gone.store(true, Ordering::Relaxed);
                            return;
                        }
                    }
                });
        }
        HangupWatch { done }
    }
}

impl Drop for HangupWatch {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

/// Whether the peer closed `stream`, waiting up to `wait` for something to happen on it.
fn hung_up(stream: &Stream, wait: &rustix::event::Timespec) -> bool {
    use rustix::event::{PollFd, PollFlags, poll};
    use rustix::net::RecvFlags;
    let mut fds = [PollFd::new(stream, PollFlags::IN)];
    match poll(&mut fds, Some(wait)) {
        Ok(0) | Err(_) => return false,
        Ok(_) => {}
    }
    let events = fds[0].revents();
    if events.intersects(PollFlags::HUP | PollFlags::ERR) {
        return true;
    }
    // Readable: either the end of the stream (0 bytes) or bytes the client sent early, which
    // are left for the next request (and not polled for again at once: they stay readable).
    let mut byte = [0u8; 1];
    match rustix::net::recv(stream, &mut byte, RecvFlags::PEEK | RecvFlags::DONTWAIT) {
        Ok((_, 0)) => true,
        _ => {
            std::thread::sleep(Duration::new(
                wait.tv_sec.unsigned_abs(),
                u32::try_from(wait.tv_nsec).unwrap_or(0),
            ));
            false
        }
    }
}

fn reply(writer: &mut &Stream, response: &Response) -> std::io::Result<()> {
    write_frame(writer, response)
}

/// An error reply for a frame that is not a request. It names the position, never the input:
/// a malformed frame may still carry a password.
fn malformed(e: &serde_json::Error) -> Response {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => "not valid JSON",
        Category::Data => "not a request this agent understands (is the client a newer version?)",
    };
    Response::error(&Error::Invalid(format!(
        "malformed request at column {}: {what}",
        e.column()
    )))
}

/// Quits on SIGTERM, SIGINT and SIGHUP, dropping keys on the way out.
fn spawn_signal_handler(agent: &Arc<Agent>) -> Result<(), AgentError> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP])
        .map_err(|e| AgentError::io("cannot install signal handlers", e))?;
    let agent = Arc::clone(agent);
    std::thread::Builder::new()
        .name("vault-agent-signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                agent.shutdown(&format!("signal {sig}"));
            }
        })
        .map_err(|e| AgentError::io("cannot start the signal thread", e))?;
    Ok(())
}

/// How often the agent looks for OAuth grants to refresh, and how long before expiry it
/// refreshes them (capped at half a token's lifetime).
const REFRESH_TICK: Duration = Duration::from_secs(15);
const REFRESH_AHEAD: jiff::SignedDuration = jiff::SignedDuration::from_secs(5 * 60);

/// Refreshes OAuth grants ahead of expiry while unlocked, so `vault token` and `vault run`
/// rarely wait for a provider. Its own thread: a slow provider must not delay the idle lock.
/// Background accesses do not count as use, so they never keep the vault unlocked.
fn spawn_refresher(agent: &Arc<Agent>) {
    let agent = Arc::clone(agent);
    let spawned = std::thread::Builder::new()
        .name("vault-agent-refresh".into())
        .spawn(move || {
            loop {
                std::thread::sleep(REFRESH_TICK);
                if !agent.service.is_unlocked() {
                    continue;
                }
                let failed: Vec<ErrorCode> = agent
                    .service
                    .refresh_due(REFRESH_AHEAD)
                    .into_iter()
                    .filter_map(|(_, result)| result.err().map(|f| f.code))
                    .collect();
                if !failed.is_empty() {
                    log!("{}", refresh_failures(&failed));
                }
            }
        });
    if let Err(e) = spawned {
        log!("cannot start the refresh thread, grants refresh on use only: {e}");
    }
}

/// How often, at most, the agent looks for vaults with changes to send.
const SYNC_TICK: Duration = Duration::from_secs(15);

/// Syncs unlocked vaults in the background: soon after a change here, and every `every` (the
/// `sync-every` setting) for the other devices' changes. Its own thread: a slow remote must
/// not delay anything else.
fn spawn_syncer(agent: &Arc<Agent>, every: Duration) {
    let agent = Arc::clone(agent);
    let tick = SYNC_TICK.min(every);
    let every = jiff::SignedDuration::try_from(every).unwrap_or(jiff::SignedDuration::MAX);
    let spawned = std::thread::Builder::new()
        .name("vault-agent-sync".into())
        .spawn(move || {
            loop {
                std::thread::sleep(tick);
                if !agent.service.is_unlocked() {
                    continue;
                }
                let now = agent.service.now();
                let failed = agent.service.sync_due(now, every);
                if !failed.is_empty() {
                    log!(
                        "{}",
                        failures("sync", "vault", &failed, "`vault sync` says why")
                    );
                }
            }
        });
    if let Err(e) = spawned {
        log!("cannot start the sync thread, vaults sync on `vault sync` only: {e}");
    }
}

/// The log line for background refreshes that failed: a count and error codes only. A log is
/// read by whoever gets the user's files or a bug report, so it names no grant, account or
/// endpoint (the messages carry those); `vault grants` tells the user which one.
fn refresh_failures(codes: &[ErrorCode]) -> String {
    failures(
        "refresh",
        "OAuth grant",
        codes,
        "`vault grants` shows which",
    )
}

/// `could not <what> N <things> (codes); <hint>`.
fn failures(what: &str, thing: &str, codes: &[ErrorCode], hint: &str) -> String {
    let mut kinds: Vec<String> = codes
        .iter()
        .map(|c| {
            serde_json::to_value(c)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect();
    kinds.sort();
    kinds.dedup();
    format!(
        "could not {what} {} {thing}{} ({}); {hint}",
        codes.len(),
        if codes.len() == 1 { "" } else { "s" },
        kinds.join(", ")
    )
}

/// Writes the audit entries of runs shortly after they are answered, gathering a burst of runs
/// (a build script calling `vault run` in a loop) into one transaction and one disk sync.
fn spawn_audit_writer(agent: &Arc<Agent>, wake: mpsc::Receiver<()>) {
    let agent = Arc::clone(agent);
    let spawned = std::thread::Builder::new()
        .name("vault-agent-audit".into())
        .spawn(move || {
            while wake.recv().is_ok() {
                std::thread::sleep(AUDIT_BATCH);
                while wake.try_recv().is_ok() {}
                agent.service.write_deferred();
            }
        });
    if let Err(e) = spawned {
        log!("cannot start the audit writer, runs are not audited: {e}");
    }
}

/// Idle lock, lock on suspend, and exit when the socket is gone (the runtime dir was
/// cleaned up at logout, or a test's temp dir was removed).
fn spawn_ticker(agent: &Arc<Agent>) {
    let agent = Arc::clone(agent);
    let spawned = std::thread::Builder::new()
        .name("vault-agent-timer".into())
        .spawn(move || {
            let mut slept = SleepClock::new();
            loop {
                std::thread::sleep(TICK);
                if agent.service.lock_if_idle(Instant::now()) {
                    log!("locked after the idle time");
                }
                // Changes made elsewhere (a background refresh or sync round, a process
                // that opened the file itself) reach subscribers within a tick.
                agent.service.announce_changes();
                if slept.suspended_since_last_call() && agent.service.is_unlocked() {
                    agent.service.lock_all();
                    log!("locked: the system was suspended");
                }
                let ours = fs::symlink_metadata(&agent.socket)
                    .is_ok_and(|m| file_id(&m).ok() == Some(agent.socket_id));
                if !ours {
                    agent.shutdown("its socket was removed or replaced");
                }
            }
        });
    if let Err(e) = spawned {
        log!("cannot start the timer thread, idle locking is off: {e}");
    }
}

/// Detects suspend: the boot clock keeps counting while the machine sleeps, the monotonic
/// clock does not, so their difference jumps by the time slept.
struct SleepClock {
    gap: Duration,
}

impl SleepClock {
    fn new() -> Self {
        SleepClock { gap: Self::gap() }
    }

    fn gap() -> Duration {
        os::time_suspended()
    }

    fn suspended_since_last_call(&mut self) -> bool {
        let gap = Self::gap();
        let jumped = gap.saturating_sub(self.gap) > SUSPEND_JUMP;
        self.gap = gap;
        jumped
    }
}

/// The agent's own executable, to notice an upgrade: a client then restarts the agent so the
/// new code runs, instead of an old agent serving a new CLI indefinitely.
struct Executable {
    path: Option<PathBuf>,
    id: Option<FileId>,
}

impl Executable {
    fn current() -> Self {
        let path = std::env::current_exe().ok();
        let id = path
            .as_deref()
            .and_then(|p| fs::metadata(p).and_then(|m| file_id(&m)).ok());
        Executable { path, id }
    }

    fn replaced(&self) -> bool {
        match (&self.path, self.id) {
            (Some(p), Some(id)) => fs::metadata(p)
                .and_then(|m| file_id(&m))
                .map_or(true, |now| now != id),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_that_hangs_up_is_seen_gone_and_one_that_waits_is_not() {
        let (agent_side, client) = Stream::pair().unwrap();
        let tick = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 10_000_000,
        };
        assert!(!hung_up(&agent_side, &tick), "waiting for its answer");
        let gone = Arc::new(AtomicBool::new(false));
        let watch = HangupWatch::start(&agent_side, Arc::clone(&gone));
        drop(client);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !gone.load(Ordering::Relaxed) {
            assert!(Instant::now() < deadline, "the hang-up was never seen");
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(watch);
        assert!(hung_up(&agent_side, &tick));
    }

    #[test]
    fn a_refresh_failure_is_logged_as_a_count_and_codes_only() {
        assert_eq!(
            refresh_failures(&[ErrorCode::ProviderUnavailable]),
            "could not refresh 1 OAuth grant (provider_unavailable); `vault grants` shows which"
        );
        let line = refresh_failures(&[
            ErrorCode::NeedsRelogin,
            ErrorCode::ProviderUnavailable,
            ErrorCode::NeedsRelogin,
        ]);
        assert!(
            line.starts_with(
                "could not refresh 3 OAuth grants (needs_relogin, provider_unavailable)"
            ),
            "{line}"
        );
    }
}

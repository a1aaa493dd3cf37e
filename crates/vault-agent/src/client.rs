//! The client side of the agent socket, used by the CLI and the desktop app alike.
//!
//! [`Client::connect_or_start`] finds the user's agent, retires one built from another
//! protocol or whose executable was replaced, and starts a fresh one when none answers. The
//! agent is started with a minimal environment: whatever secrets the caller's environment
//! holds (tokens exported in a shell profile, say) never reach the long-lived process.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::AgentError;
use crate::dirs::AgentDir;
use crate::frame::{Frame, read_frame, write_frame};
use crate::os::{self, Stream};
use crate::protocol::{BUILD, Event, MAX_RESPONSE_BYTES, PROTOCOL, Request, Response, WireError};
use crate::server::{READY, RUNNING};

/// How long a starting agent may take to say it is ready.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a stale agent may take to leave after `quit`.
const QUIT_TIMEOUT: Duration = Duration::from_secs(3);

/// Variables the agent may inherit: where things live, locale, and proxies for OAuth refresh.
const AGENT_ENV: &[&str] = &[
    "HOME",
    "USER",
    "LOGNAME",
    "PATH",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// A connection to the agent.
#[derive(Debug)]
pub struct Client {
    reader: BufReader<Stream>,
    writer: Stream,
    /// The agent's process id.
    pub pid: u32,
    /// The agent's build, for messages.
    pub build: String,
    /// `hello` was sent by [`Client::connect_early`] and its answer is not read yet.
    hello_pending: bool,
}

/// What a `hello` found.
enum Hello {
    Compatible(Client),
    /// Another protocol, or an executable replaced since it started: retire it.
    Stale {
        pid: Option<u32>,
    },
}

impl Client {
    /// Connects to the running agent; `None` when no agent listens. A stale agent is left as
    /// it is and reported as [`AgentError::Stale`].
    pub fn connect(dir: &AgentDir) -> Result<Option<Client>, AgentError> {
        match Self::hello(dir)? {
            None => Ok(None),
            Some(Hello::Compatible(c)) => Ok(Some(c)),
            Some(Hello::Stale { pid }) => Err(AgentError::Stale { pid }),
        }
    }

    /// Connects to the agent, starting it (with `vault_exe agent --daemon`) when none answers,
    /// and replacing one that is stale.
    pub fn connect_or_start(dir: &AgentDir, vault_exe: &Path) -> Result<Client, AgentError> {
        dir.ensure()?;
        for attempt in 0..5u64 {
            match Self::hello(dir) {
                Ok(Some(Hello::Compatible(c))) => return Ok(c),
                Ok(Some(Hello::Stale { pid })) => retire(dir, pid)?,
                // An agent that hangs up on `hello` is dying (killed, or quitting): give it a
                // moment to release its lock, then start a fresh one.
                Err(AgentError::Disconnected(_)) => {
                    std::thread::sleep(Duration::from_millis(50 * (attempt + 1)))
                }
                Ok(None) => {}
                Err(e) => return Err(e),
            }
            start(vault_exe)?;
        }
        Err(AgentError::Start(format!(
            "it started but did not answer on {}; see {}",
            dir.socket().display(),
            dir.log().display()
        )))
    }

    /// Connects and sends `hello` without waiting for its answer, which the first
    /// [`Client::call`] reads before it sends anything: the agent answers while the caller does
    /// its own work (`vault run` finds its command and reads the project file meanwhile). A
    /// stale agent still never sees a request: that first call fails with
    /// [`AgentError::Stale`] instead, having asked it to quit. `None` when no agent listens.
    pub fn connect_early(dir: &AgentDir) -> Result<Option<Client>, AgentError> {
        if !dir.dir.exists() {
            return Ok(None);
        }
        dir.check()?;
        let socket = dir.socket();
        let stream = match Stream::connect(&socket) {
            Ok(s) => s,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Ok(None);
            }
            Err(e) => {
                return Err(AgentError::io(
                    format!("cannot connect to {}", socket.display()),
                    e,
                ));
            }
        };
        // The folder is ours and private, so only we (or root) could have bound this socket;
        // checking the peer as well costs one system call.
        let peer = os::peer(&stream)
            .map_err(|e| AgentError::io("cannot check the agent's identity", e))?;
        if peer.uid != os::current_uid() {
            return Err(AgentError::UnsafeDir {
                path: socket,
                why: format!("the process listening there runs as uid {}", peer.uid),
            });
        }
        let writer = stream
            .try_clone()
            .map_err(|e| AgentError::io("cannot use the agent socket", e))?;
        let mut client = Client {
            reader: BufReader::new(stream),
            writer,
            pid: 0,
            build: String::new(),
            hello_pending: true,
        };
        let hello = Request::Hello {
            protocol: PROTOCOL.to_owned(),
            build: BUILD.to_owned(),
        };
        write_frame(&mut client.writer, &hello)
            .map_err(|e| AgentError::Disconnected(e.to_string()))?;
        Ok(Some(client))
    }

    fn hello(dir: &AgentDir) -> Result<Option<Hello>, AgentError> {
        let Some(mut client) = Self::connect_early(dir)? else {
            return Ok(None);
        };
        Ok(Some(match client.read_hello() {
            Ok(()) => Hello::Compatible(client),
            Err(AgentError::Stale { pid }) => Hello::Stale { pid },
            Err(e) => return Err(e),
        }))
    }

    /// Reads the answer to `hello`: [`AgentError::Stale`] (after asking the agent to quit) for
    /// another protocol or a program replaced since it started.
    fn read_hello(&mut self) -> Result<(), AgentError> {
        self.hello_pending = false;
        match read_response(&mut self.reader) {
            Ok(Response::Hello {
                protocol,
                build,
                pid,
                replaced,
            }) => {
                if protocol == PROTOCOL && !replaced {
                    self.pid = pid;
                    self.build = build;
                    Ok(())
                } else {
                    self.send_quit();
                    Err(AgentError::Stale { pid: Some(pid) })
                }
            }
            // An agent from another era that cannot even parse our hello, or answers it in a
            // shape we cannot read: `quit` is frozen, so it still understands that.
            Ok(_) | Err(AgentError::Protocol(_)) => {
                self.send_quit();
                Err(AgentError::Stale { pid: None })
            }
            Err(e) => Err(e),
        }
    }

    fn send_quit(&mut self) {
        let _ = write_frame(&mut self.writer, &Request::Quit);
    }

    /// Stops the user's agent, whatever its version (locking everything), and waits until it
    /// has gone. Returns its pid, or `None` when no agent was running.
    pub fn stop(dir: &AgentDir) -> Result<Option<u32>, AgentError> {
        match Self::hello(dir)? {
            None => Ok(None),
            Some(Hello::Compatible(mut c)) => {
                let pid = c.pid;
                c.send_quit();
                drop(c);
                retire(dir, Some(pid)).map(|()| Some(pid))
            }
            // `hello` has already asked a stale agent to quit.
            Some(Hello::Stale { pid }) => retire(dir, pid).map(|()| Some(pid.unwrap_or(0))),
        }
    }

    /// Sends one request and reads its answer.
    pub fn call(&mut self, request: &Request) -> Result<Response, AgentError> {
        self.exchange(request)
    }

    fn exchange(&mut self, request: &Request) -> Result<Response, AgentError> {
        if self.hello_pending {
            self.read_hello()?;
        }
        write_frame(&mut self.writer, request)
            .map_err(|e| AgentError::Disconnected(e.to_string()))?;
        read_response(&mut self.reader)
    }

    /// Turns this connection into the stream of lock-state and item changes.
    pub fn subscribe(mut self) -> Result<Events, AgentError> {
        if self.hello_pending {
            self.read_hello()?;
        }
        write_frame(&mut self.writer, &Request::Subscribe)
            .map_err(|e| AgentError::Disconnected(e.to_string()))?;
        Ok(Events {
            reader: self.reader,
            _writer: self.writer,
        })
    }
}

pub(crate) fn read_response(reader: &mut impl BufRead) -> Result<Response, AgentError> {
    match read_frame(reader, MAX_RESPONSE_BYTES) {
        Ok(Frame::Line(line)) => serde_json::from_slice(&line)
            .map_err(|e| AgentError::Protocol(format!("unreadable answer from the agent: {e}"))),
        Ok(Frame::TooLarge) => Err(AgentError::Protocol(
            "the agent's answer is larger than this client accepts".into(),
        )),
        Ok(Frame::Closed) => Err(AgentError::Disconnected(
            "the agent closed the connection".into(),
        )),
        Err(e) => Err(AgentError::Disconnected(e.to_string())),
    }
}

/// Lock-state and item changes, as the agent announces them.
#[derive(Debug)]
pub struct Events {
    reader: BufReader<Stream>,
    _writer: Stream,
}

impl Events {
    /// Gives up on a read after `timeout` (the agent sends a heartbeat regularly, so a
    /// silent agent is a gone agent).
    pub fn set_timeout(&self, timeout: Option<Duration>) -> Result<(), AgentError> {
        self.reader
            .get_ref()
            .set_read_timeout(timeout)
            .map_err(|e| AgentError::io("cannot set a timeout on the agent socket", e))
    }
}

impl Iterator for Events {
    type Item = Result<Event, AgentError>;

    fn next(&mut self) -> Option<Self::Item> {
        match read_response(&mut self.reader) {
            Ok(Response::LockState { vaults }) => Some(Ok(Event::LockState(vaults))),
            Ok(Response::Changed { vault, items }) => Some(Ok(Event::Changed { vault, items })),
            Ok(Response::ProjectFile { vault, path }) => {
                Some(Ok(Event::ProjectFile { vault, path }))
            }
            Ok(Response::Error(WireError { message, .. })) => {
                Some(Err(AgentError::Protocol(message)))
            }
            Ok(_) => Some(Err(AgentError::Protocol(
                "unexpected answer on a subscription".into(),
            ))),
            Err(AgentError::Disconnected(_)) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// Waits for a stale agent (already sent `quit`) to go; terminates it if it does not.
fn retire(dir: &AgentDir, pid: Option<u32>) -> Result<(), AgentError> {
    if wait_for_socket_gone(dir, QUIT_TIMEOUT) {
        return Ok(());
    }
    if let Some(pid) = pid {
        os::terminate(pid);
        if wait_for_socket_gone(dir, QUIT_TIMEOUT) {
            return Ok(());
        }
    }
    Err(AgentError::Start(format!(
        "an older agent at {} does not stop; stop it with `pkill -u $USER -f 'vault agent'`",
        dir.socket().display()
    )))
}

fn wait_for_socket_gone(dir: &AgentDir, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if Stream::connect(dir.socket()).is_err() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Starts `vault_exe agent --daemon` and waits for its first line: `ready` once it listens,
/// or `running` when another agent won the race. Either way a connection will now succeed.
fn start(vault_exe: &Path) -> Result<(), AgentError> {
    let mut cmd = Command::new(vault_exe);
    cmd.args(["agent", "--daemon"])
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in AGENT_ENV {
        if let Some(v) = std::env::var_os(name) {
            cmd.env(name, v);
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| AgentError::Start(format!("cannot run {}: {e}", vault_exe.display())))?;
    let stdout = child.stdout.take();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        if let Some(out) = stdout {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(START_TIMEOUT).unwrap_or_default();
    let word = line.trim();
    if word == READY || word == RUNNING {
        // Reap the daemon if it ever exits while we live (the desktop app lives long).
        std::thread::spawn(move || child.wait());
        return Ok(());
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let err = err.trim().trim_start_matches("vault: ");
    Err(AgentError::Start(if err.is_empty() {
        format!(
            "it did not report ready within {} s",
            START_TIMEOUT.as_secs()
        )
    } else {
        err.to_owned()
    }))
}

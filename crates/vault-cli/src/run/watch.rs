//! `vault run --watch`: the command is started again when a secret it was given changes (the
//! agent pushes the names of changed items: a rotation, a rollback, an edit, a refreshed token,
//! a sync round) or the project file it read does (still trusted only as `vault allow` says).
//!
//! Changes are gathered until none came for `--debounce` (500 ms): several changes, one restart. Then the
//! values are resolved again; when they are what the command already has (a metadata edit, a
//! change by this run's own resolving), nothing happens. Otherwise the command's job gets
//! SIGTERM, `--grace` to end, then SIGKILL, and the command starts again with the new values;
//! one line on stderr names what changed, never a value. A new value that does not resolve, or
//! a project file not allowed as it is now, leaves the command running with what it has,
//! until `vault allow` records it (the agent announces allowances as it does items).
//! While the vault is locked nothing restarts, nor while no agent runs (one that stopped is
//! followed again once another answers). The command's own exit ends `vault run` with
//! its status (128+N for signal N); a signal for vault reaches the command as without --watch,
//! and no restart follows it.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use signal_hook::consts::{SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM, SIGWINCH};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::low_level::siginfo::Cause;
use vault_agent::protocol::{EVENT_HEARTBEAT_SECS, Event};
use vault_agent::{AgentDir, Client};
use vault_core::SecretValue;
use vault_core::names::fold;

use super::{Resolved, prepare};
use crate::cli::RunArgs;
use crate::exit::{self, Failure};
use crate::session::Session;
use crate::supervise::{self, FORWARDED, Stage};

enum Msg {
    /// Items of our vault changed (names from the agent).
    Changed(Vec<String>),
    /// Our vault is unlocked (true) or not.
    Unlocked(bool),
    AgentGone,
    /// An agent answers again after one stopped (its lock state follows).
    AgentBack,
    FileChanged(PathBuf),
    Signal {
        signal: i32,
        from_terminal: bool,
    },
    Exited {
        generation: u64,
        status: ExitStatus,
    },
}

/// What the running command was given: the names of the items behind its values, the files
/// read, and the values (to tell a real change from a metadata edit).
struct Given {
    items: BTreeSet<String>,
    values: Vec<(String, SecretValue)>,
}

impl Given {
    fn of(resolved: &Resolved) -> Given {
        Given {
            items: resolved
                .values
                .iter()
                .filter_map(|v| v.item.as_deref().map(fold))
                .collect(),
            values: resolved
                .values
                .iter()
                .map(|v| (v.name.clone(), v.value.clone()))
                .collect(),
        }
    }

    fn same_values(&self, other: &Given) -> bool {
        self.values.len() == other.values.len()
            && self
                .values
                .iter()
                .zip(&other.values)
                .all(|((a, x), (b, y))| a == b && x.ct_eq(y))
    }
}

/// The running command.
struct Running {
    pid: u32,
    own_group: bool,
    generation: u64,
    master: Option<std::fs::File>,
}

/// Runs `cmd` (built from `resolved`) and starts it again as its secrets change.
pub(super) fn watch(
    session: &mut Session,
    args: &RunArgs,
    inherited: &[(OsString, OsString)],
    program: &OsStr,
    cmd: std::process::Command,
    resolved: Resolved,
) -> Result<u8> {
    let (debounce, grace) = (args.debounce, args.grace);
    if !session.uses_agent() {
        return Err(Failure::new(
            exit::NOT_STARTED,
            "--watch follows the changes the agent announces: run it without --no-agent",
        )
        .into());
    }
    let (tx, rx) = mpsc::channel::<Msg>();
    // Handlers before the child starts, so no signal in between kills vault alone.
    let signals = SignalsInfo::<WithOrigin>::new(FORWARDED.iter().chain([&SIGWINCH]))
        .context("cannot install signal handlers")?;
    let signal_handle = signals.handle();
    let resized = spawn_signals(signals, tx.clone());
    follow_agent(session.vault_path(), &resolved.files, tx.clone())?;
    #[cfg(target_os = "linux")]
    files::follow(&resolved.files, tx.clone());

    let name = super::program_name(program);
    let mut given = Given::of(&resolved);
    let mut stage = Stage::new(crate::user_core_limit());
    crate::restore_umask_only();
    let mut running = start(&mut stage, cmd, program, 1, &tx)?;
    *supervise::lock(&resized) = running.master.as_ref().and_then(|m| m.try_clone().ok());
    drop(resolved);

    let mut pending: BTreeSet<String> = BTreeSet::new();
    let mut last_change: Option<Instant> = None;
    let mut unlocked = true;
    let mut stopping = false;
    let status = loop {
        let wait = match last_change {
            Some(at) => debounce.saturating_sub(at.elapsed()),
            None => Duration::from_secs(3600),
        };
        match rx.recv_timeout(wait) {
            Ok(Msg::Changed(names)) => {
                let ours: Vec<String> = names
                    .into_iter()
                    .filter(|n| given.items.contains(&fold(n)))
                    .collect();
                if !ours.is_empty() {
                    pending.extend(ours);
                    last_change = Some(Instant::now());
                }
            }
            Ok(Msg::FileChanged(path)) => {
                pending.insert(path.display().to_string());
                last_change = Some(Instant::now());
            }
            Ok(Msg::Unlocked(now)) => {
                if unlocked && !now {
                    eprintln!(
                        "vault: the vault is locked: {name} keeps running with what it has; \
                         changes restart it once the vault is unlocked"
                    );
                } else if !unlocked && now {
                    // What changed while it was locked (another process) is looked for now.
                    pending.insert("the vault, unlocked again".to_owned());
                    last_change = Some(Instant::now());
                }
                unlocked = now;
            }
            Ok(Msg::AgentGone) => {
                eprintln!(
                    "vault: the agent stopped: {name} keeps running with what it has; changes \
                     restart it once an agent runs and the vault is unlocked again"
                );
                // Nothing restarts until the new agent says the vault is unlocked.
                unlocked = false;
            }
            Ok(Msg::AgentBack) => session.forget_agent(),
            Ok(Msg::Signal {
                signal,
                from_terminal,
            }) => {
                // Sharing our process group, the command already got what the terminal sent
                // (Ctrl-C): pass on only what a process sent to vault itself.
                if running.own_group || !from_terminal {
                    supervise::forward(running.pid, signal, running.own_group);
                }
                if matches!(signal, SIGINT | SIGTERM | SIGHUP | SIGQUIT) {
                    stopping = true;
                }
            }
            Ok(Msg::Exited { generation, status }) if generation == running.generation => {
                break status;
            }
            Ok(Msg::Exited { .. }) => {}
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(anyhow::anyhow!("vault run --watch lost its own threads"));
            }
        }
        let quiet = last_change.is_some_and(|at| at.elapsed() >= debounce);
        if !quiet || stopping || !unlocked {
            continue;
        }
        last_change = None;
        let what = std::mem::take(&mut pending);
        let (cmd, resolved) = match prepare(session, args, inherited, program, None, true) {
            Ok(p) => p,
            Err(e) => {
                eprintln!(
                    "vault: {} changed, but {name} keeps running with what it has: {e:#}",
                    list(&what)
                );
                continue;
            }
        };
        let next = Given::of(&resolved);
        if next.same_values(&given) {
            if args.verbose {
                eprintln!(
                    "vault: {} changed, the values did not: no restart",
                    list(&what)
                );
            }
            continue;
        }
        eprintln!("vault: {} changed: restarting {name}", list(&what));
        let mut later = Vec::new();
        match stop(&running, grace, &rx, &mut stopping, &mut later) {
            Stopped::Restart => {}
            Stopped::Exited(status) => break status,
        }
        running = start(&mut stage, cmd, program, running.generation + 1, &tx)?;
        // What changed while the old one was ending is looked at again, against the new one.
        for msg in later {
            let _ = tx.send(msg);
        }
        *supervise::lock(&resized) = running.master.as_ref().and_then(|m| m.try_clone().ok());
        given = next;
        drop(resolved);
    };
    drop(stage);
    signal_handle.close();
    Ok(supervise::exit_code(status))
}

fn list(what: &BTreeSet<String>) -> String {
    what.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn start(
    stage: &mut Stage,
    mut cmd: std::process::Command,
    program: &OsStr,
    generation: u64,
    tx: &Sender<Msg>,
) -> Result<Running> {
    // Output is not masked under --watch: no secrets to look for.
    let launched = stage.launch_with(&mut cmd, program, None, true)?;
    let running = Running {
        pid: launched.pid,
        own_group: launched.own_group,
        generation,
        master: launched.master(),
    };
    let tx = tx.clone();
    std::thread::spawn(move || {
        if let Ok(status) = launched.wait() {
            let _ = tx.send(Msg::Exited { generation, status });
        }
    });
    Ok(running)
}

enum Stopped {
    /// Ended as asked: start the next one.
    Restart,
    /// Ended by a signal for vault while stopping: `vault run` ends with this.
    Exited(ExitStatus),
}

/// SIGTERM to the command's job, `grace` to end, then SIGKILL; waits for it to be gone. What
/// else arrives meanwhile is kept in `later`.
fn stop(
    running: &Running,
    grace: Duration,
    rx: &mpsc::Receiver<Msg>,
    stopping: &mut bool,
    later: &mut Vec<Msg>,
) -> Stopped {
    supervise::forward(running.pid, SIGTERM, running.own_group);
    let deadline = Instant::now() + grace;
    let mut killed = false;
    loop {
        let wait = if killed {
            Duration::from_secs(3600)
        } else {
            deadline.saturating_duration_since(Instant::now())
        };
        match rx.recv_timeout(wait) {
            Ok(Msg::Exited { generation, status }) if generation == running.generation => {
                return if *stopping {
                    Stopped::Exited(status)
                } else {
                    Stopped::Restart
                };
            }
            Ok(Msg::Signal { signal, .. }) => {
                if matches!(signal, SIGINT | SIGTERM | SIGHUP | SIGQUIT) {
                    *stopping = true;
                }
            }
            Ok(Msg::Exited { .. }) => {}
            Ok(other) => later.push(other),
            Err(RecvTimeoutError::Timeout) if !killed => {
                eprintln!(
                    "vault: the command did not end within {} s of SIGTERM: killing it",
                    grace.as_secs_f64()
                );
                supervise::forward(running.pid, SIGKILL, running.own_group);
                killed = true;
            }
            Err(_) => return Stopped::Restart,
        }
    }
}

/// Passes signals to the loop; window size changes straight to the current command's pty.
fn spawn_signals(
    mut signals: SignalsInfo<WithOrigin>,
    tx: Sender<Msg>,
) -> std::sync::Arc<std::sync::Mutex<Option<std::fs::File>>> {
    let master = std::sync::Arc::new(std::sync::Mutex::new(None::<std::fs::File>));
    let resize_to = std::sync::Arc::clone(&master);
    std::thread::spawn(move || {
        for info in signals.forever() {
            if info.signal == SIGWINCH {
                supervise::resize(supervise::lock(&resize_to).as_ref());
                continue;
            }
            let msg = Msg::Signal {
                signal: info.signal,
                from_terminal: matches!(info.cause, Cause::Kernel),
            };
            if tx.send(msg).is_err() {
                break;
            }
        }
    });
    master
}

/// Subscribes to the agent's events and passes on those about `vault` and the project `files`
/// read (an allowance recorded or forgotten: the file is looked at again).
fn follow_agent(vault: &Path, files: &[PathBuf], tx: Sender<Msg>) -> Result<()> {
    let canonical: BTreeSet<String> = files
        .iter()
        .filter_map(|f| std::fs::canonicalize(f).ok())
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    let mut events = subscribe()
        .map_err(|e| e.context("--watch cannot follow the agent's changes"))?
        .ok_or_else(|| anyhow::anyhow!("the agent stopped before --watch could follow it"))?;
    let vault = vault.to_owned();
    std::thread::spawn(move || {
        loop {
            for event in events {
                let msg = match event {
                    Ok(Event::Changed { vault: v, items }) if v == vault => Msg::Changed(items),
                    Ok(Event::ProjectFile { vault: v, path })
                        if v == vault && canonical.contains(&path) =>
                    {
                        Msg::FileChanged(PathBuf::from(path))
                    }
                    Ok(Event::Changed { .. } | Event::ProjectFile { .. }) => continue,
                    Ok(Event::LockState(vaults)) => {
                        Msg::Unlocked(vaults.iter().any(|s| s.unlocked && s.path == vault))
                    }
                    Err(_) => break,
                };
                if tx.send(msg).is_err() {
                    return;
                }
            }
            if tx.send(Msg::AgentGone).is_err() {
                return;
            }
            // An agent stopped (`vault agent --stop`, a new build replacing it) is usually started
            // again by the next `vault` command: followed again once one answers. Nothing else
            // tells this process when that happens, so it looks once a second.
            events = loop {
                std::thread::sleep(Duration::from_secs(1));
                if let Ok(Some(events)) = subscribe() {
                    break events;
                }
            };
            if tx.send(Msg::AgentBack).is_err() {
                return;
            }
        }
    });
    Ok(())
}

/// The running agent's events (`None`: no agent runs).
fn subscribe() -> Result<Option<vault_agent::client::Events>> {
    let Some(client) = Client::connect(&AgentDir::for_current_user())? else {
        return Ok(None);
    };
    let events = client.subscribe()?;
    // The agent repeats the lock state as a heartbeat: silence means it is gone.
    let _ = events.set_timeout(Some(Duration::from_secs(2 * EVENT_HEARTBEAT_SECS + 5)));
    Ok(Some(events))
}

/// The project files read, followed with inotify on their folders (an editor often writes a
/// new file and renames it over the old one).
#[cfg(target_os = "linux")]
mod files {
    use std::collections::HashMap;
    use std::mem::MaybeUninit;
    use std::os::unix::ffi::OsStrExt;
    use std::path::PathBuf;
    use std::sync::mpsc::Sender;

    use rustix::fs::inotify::{self, CreateFlags, ReadFlags, WatchFlags};

    use super::Msg;

    pub(super) fn follow(files: &[PathBuf], tx: Sender<Msg>) {
        if files.is_empty() {
            return;
        }
        let Ok(fd) = inotify::init(CreateFlags::CLOEXEC) else {
            eprintln!(
                "vault: cannot follow the project file (inotify): only the vault's changes restart the command"
            );
            return;
        };
        let mut watched: HashMap<i32, Vec<PathBuf>> = HashMap::new();
        for file in files {
            let Some(dir) = file.parent() else { continue };
            let flags = WatchFlags::CLOSE_WRITE
                | WatchFlags::MOVED_TO
                | WatchFlags::CREATE
                | WatchFlags::DELETE;
            if let Ok(wd) = inotify::add_watch(&fd, dir, flags) {
                watched.entry(wd).or_default().push(file.clone());
            }
        }
        std::thread::spawn(move || {
            let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
            let mut reader = inotify::Reader::new(&fd, &mut buf);
            loop {
                let Ok(event) = reader.next() else { return };
                if event.events().contains(ReadFlags::IGNORED) {
                    continue;
                }
                let (Some(name), Some(files)) = (event.file_name(), watched.get(&event.wd()))
                else {
                    continue;
                };
                let name = std::ffi::OsStr::from_bytes(name.to_bytes());
                for f in files {
                    if f.file_name() == Some(name) && tx.send(Msg::FileChanged(f.clone())).is_err()
                    {
                        return;
                    }
                }
            }
        });
    }
}

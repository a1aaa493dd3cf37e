//! One command's conversation with the vault: where requests go, and where passwords and
//! values come from.
//!
//! Passwords come from the terminal, `--password-file` or `--password-stdin`, never from argv or
//! the environment. A request answered `locked` is retried once after unlocking.

use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, IsTerminal, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use vault_agent::protocol::{Op, Request, Response, WireError, WireSecret};
use vault_agent::{AgentDir, AgentError, Client, Service};
use vault_core::{ErrorCode, SecretValue};
use zeroize::Zeroizing;

use crate::exit::{self, Failure, fail};

/// The item a request names, for a did-you-mean when it does not exist.
fn named_item(op: &Op) -> Option<&str> {
    match op {
        Op::Describe { name, .. }
        | Op::Get { name, .. }
        | Op::Edit { name, .. }
        | Op::Rotate { name, .. }
        | Op::History { name, .. }
        | Op::VersionValue { name, .. }
        | Op::Rollback { name, .. }
        | Op::MarkRefused { name, .. }
        | Op::Remove { name, .. }
        | Op::Token { name, .. }
        | Op::Refresh { name, .. }
        | Op::Logout { name, .. } => Some(name),
        _ => None,
    }
}

/// Where the master password comes from.
#[derive(Debug)]
pub enum PasswordSource {
    Terminal,
    Lines(VecDeque<SecretValue>),
    Stdin,
}

#[derive(Debug)]
pub struct Passwords {
    source: PasswordSource,
    /// Given on the command line (`--password-file`, `--password-stdin`): checked even when
    /// the agent needs no password, so a wrong one never passes unnoticed.
    given: bool,
    /// A password read ahead by [`Passwords::first`], returned by the next [`Passwords::next`].
    ahead: Option<SecretValue>,
}

impl Passwords {
    pub fn new(file: Option<&Path>, stdin: bool) -> Result<Self> {
        let source = match (file, stdin) {
            (Some(path), _) => {
                let mut text = Zeroizing::new(String::new());
                std::fs::File::open(path)
                    .and_then(|mut f| f.read_to_string(&mut text))
                    .with_context(|| format!("cannot read the password file {}", path.display()))?;
                PasswordSource::Lines(text.lines().map(SecretValue::new).collect())
            }
            (None, true) => PasswordSource::Stdin,
            (None, false) => PasswordSource::Terminal,
        };
        Ok(Passwords {
            source,
            given: file.is_some() || stdin,
            ahead: None,
        })
    }

    /// The password the next [`Passwords::next`] returns, read ahead (never a prompt): `None`
    /// when none was given on the command line.
    fn first(&mut self) -> Result<Option<SecretValue>> {
        if !self.given {
            return Ok(None);
        }
        if self.ahead.is_none() {
            self.ahead = Some(self.next("")?);
        }
        Ok(self.ahead.clone())
    }

    /// Whether stdin is taken by `--password-stdin`.
    pub fn uses_stdin(&self) -> bool {
        matches!(self.source, PasswordSource::Stdin)
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self.source, PasswordSource::Terminal)
    }

    /// The next password: a prompt on the terminal, or the next line of the file or stdin.
    pub fn next(&mut self, prompt: &str) -> Result<SecretValue> {
        if let Some(p) = self.ahead.take() {
            return Ok(p);
        }
        match &mut self.source {
            PasswordSource::Terminal => prompt_hidden(prompt).map_err(|e| {
                Failure::new(
                    exit::LOCKED,
                    format!(
                        "{e}; without a terminal, pass --password-file FILE or --password-stdin \
                         (or run `vault unlock` in a terminal first)"
                    ),
                )
                .into()
            }),
            PasswordSource::Lines(lines) => lines.pop_front().map_or_else(
                || fail(exit::LOCKED, "the password file has no more lines"),
                Ok,
            ),
            PasswordSource::Stdin => {
                let mut line = Zeroizing::new(String::new());
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("cannot read stdin")?;
                if line.is_empty() {
                    return fail(
                        exit::LOCKED,
                        "--password-stdin: stdin ended before a password",
                    );
                }
                Ok(SecretValue::new(line.trim_end_matches(['\n', '\r'])))
            }
        }
    }

    /// A new password: asked twice on a terminal, read once otherwise.
    pub fn new_password(&mut self, what: &str) -> Result<SecretValue> {
        let first = self.next(&format!("{what}: "))?;
        if self.is_terminal() {
            let again = self.next("Repeat it: ")?;
            if !first.ct_eq(&again) {
                return fail(
                    exit::OTHER,
                    "the passwords do not match; nothing was changed",
                );
            }
        }
        if first.is_empty() {
            return fail(exit::OTHER, "the master password cannot be empty");
        }
        if first.expose().chars().count() < 8 {
            return fail(
                exit::OTHER,
                "choose a master password of at least 8 characters",
            );
        }
        Ok(first)
    }
}

/// Reads a line from the terminal without echo. Fails when there is no terminal.
pub fn prompt_hidden(prompt: &str) -> Result<SecretValue> {
    let line = rpassword::prompt_password(prompt)
        .map_err(|_| Failure::new(exit::LOCKED, "no terminal to ask for the password on"))?;
    Ok(SecretValue::from(line))
}

/// Asks a yes/no question on the terminal; `false` unless the answer starts with y.
pub fn confirm(question: &str) -> Result<bool> {
    let tty = std::fs::File::open("/dev/tty").context("no terminal to confirm on")?;
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    std::io::BufReader::new(tty)
        .read_line(&mut answer)
        .context("cannot read the answer")?;
    Ok(answer.trim().to_lowercase().starts_with('y'))
}

/// Whether a confirmation prompt can be shown: both ends are a person at a terminal.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// All of stdin as text, for `what` ("value", "values"): never when the master password comes
/// from stdin too.
fn all_of_stdin(passwords: &Passwords, what: &str) -> Result<SecretValue> {
    if passwords.uses_stdin() {
        return fail(
            exit::OTHER,
            format!(
                "the {what} cannot come from stdin when --password-stdin is used; use \
                 --password-file for the password, or type the {what} at a terminal"
            ),
        );
    }
    let mut bytes = Zeroizing::new(Vec::new());
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read the {what} from stdin"))?;
    SecretValue::from_utf8(bytes).map_err(|_| {
        Failure::new(
            exit::OTHER,
            format!("the {what} on stdin is not UTF-8 text"),
        )
        .into()
    })
}

/// A value for `vault add` / `vault rotate`: hidden prompt on a terminal, else all of stdin.
pub fn read_value(passwords: &Passwords, name: &str) -> Result<SecretValue> {
    let stdin = std::io::stdin();
    let value = if stdin.is_terminal() {
        prompt_hidden(&format!("Value for {name}: "))?
    } else {
        let mut value = all_of_stdin(passwords, "value")?;
        // `echo value |` adds one newline that is not part of the key.
        let trimmed = value
            .expose()
            .strip_suffix('\n')
            .map(|v| v.strip_suffix('\r').unwrap_or(v));
        if let Some(t) = trimmed {
            value = SecretValue::new(t);
        }
        value
    };
    if value.is_empty() {
        return fail(exit::OTHER, "the value is empty; nothing was stored");
    }
    Ok(value)
}

/// Several secrets for one command, one per label: each asked for at a hidden prompt
/// (`LABEL: `), or read from stdin, one line each (a value of several lines cannot be told
/// apart from the next one: those go alone through [`read_value`]).
pub fn read_values(passwords: &Passwords, labels: &[String]) -> Result<Vec<SecretValue>> {
    let stdin = std::io::stdin();
    let values = if stdin.is_terminal() {
        labels
            .iter()
            .map(|label| prompt_hidden(&format!("{label}: ")))
            .collect::<Result<Vec<_>>>()?
    } else {
        let text = all_of_stdin(passwords, "values")?;
        let text = text.expose();
        let lines: Vec<SecretValue> = text
            .strip_suffix('\n')
            .unwrap_or(text)
            .split('\n')
            .map(|l| SecretValue::new(l.strip_suffix('\r').unwrap_or(l)))
            .collect();
        if lines.len() != labels.len() {
            return fail(
                exit::OTHER,
                format!(
                    "stdin holds {} line(s), but {} value(s) are needed, one per line: {}; \
                     nothing was stored",
                    lines.len(),
                    labels.len(),
                    labels.join(", ")
                ),
            );
        }
        lines
    };
    if let Some((label, _)) = labels.iter().zip(&values).find(|(_, v)| v.is_empty()) {
        return fail(exit::OTHER, format!("{label} is empty; nothing was stored"));
    }
    Ok(values)
}

/// Where requests go: the agent, or a service in this process (`--no-agent`). A trait object,
/// so the `vault` front binary, which only ever talks to a running agent, links none of the
/// in-process vault.
pub trait Backend {
    fn call(&mut self, request: Request) -> Result<Response>;
    /// The agent behind this backend, if it is one.
    fn agent(&mut self) -> Option<&mut Client>;
}

impl Backend for Client {
    fn call(&mut self, request: Request) -> Result<Response> {
        Client::call(self, &request).map_err(|e| {
            // Only the front's connection (`Client::connect_early`) learns this at its first
            // call, before the request was sent: vault-full replaces the agent and does it.
            if let AgentError::Stale { .. } = e {
                return HandOver.into();
            }
            Failure::new(
                exit::OTHER,
                format!(
                    "{e}; the request may not have been carried out (try again, or pass --no-agent)"
                ),
            )
            .into()
        })
    }

    fn agent(&mut self) -> Option<&mut Client> {
        Some(self)
    }
}

struct InProcess(Service);

impl Backend for InProcess {
    fn call(&mut self, request: Request) -> Result<Response> {
        Ok(self.0.handle(request))
    }

    fn agent(&mut self) -> Option<&mut Client> {
        None
    }
}

/// Opens the backend on first use: a service in this process, or the agent (started if none
/// runs).
fn open_backend(no_agent: bool) -> Result<Box<dyn Backend>> {
    if no_agent {
        let service = Service::new(std::sync::Arc::new(vault_core::Timestamp::now));
        service.set_lock_after(None);
        return Ok(Box::new(InProcess(service)));
    }
    let exe =
        std::env::current_exe().context("cannot find this program's path to start the agent")?;
    let client = Client::connect_or_start(&AgentDir::for_current_user(), &exe).map_err(|e| {
        Failure::new(
            exit::OTHER,
            format!("{e}; to open the vault without the agent, pass --no-agent"),
        )
    })?;
    Ok(Box::new(client))
}

/// The `vault` front binary hands a command it cannot finish alone (the vault is locked, so a
/// password must be asked for) to the full program. Nothing has been printed or started then.
#[derive(Debug)]
pub struct HandOver;

impl fmt::Display for HandOver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the vault is locked")
    }
}

impl std::error::Error for HandOver {}

pub struct Session {
    pub vault: PathBuf,
    pub passwords: Passwords,
    no_agent: bool,
    /// Connected on first use, so commands that need no vault start no agent.
    backend: Option<Box<dyn Backend>>,
    open: fn(bool) -> Result<Box<dyn Backend>>,
    /// A locked vault is unlocked (asking for the password), or handed over (the front).
    hand_over_when_locked: bool,
    /// Whether a password given on the command line was checked (see `check_given_password`).
    password_checked: bool,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("vault", &self.vault)
            .field("no_agent", &self.no_agent)
            .field("connected", &self.backend.is_some())
            .finish_non_exhaustive()
    }
}

impl Session {
    pub fn new(vault: PathBuf, passwords: Passwords, no_agent: bool) -> Self {
        Session {
            vault,
            passwords,
            no_agent,
            backend: None,
            open: open_backend,
            hand_over_when_locked: false,
            password_checked: false,
        }
    }

    /// A session over an agent that is already connected, which answers [`HandOver`] where
    /// it would otherwise ask for the master password.
    pub fn front(vault: PathBuf, client: Client) -> Self {
        Session {
            vault,
            passwords: Passwords {
                source: PasswordSource::Lines(VecDeque::new()),
                given: false,
                ahead: None,
            },
            no_agent: false,
            backend: Some(Box::new(client)),
            open: |_| Err(HandOver.into()),
            hand_over_when_locked: true,
            password_checked: false,
        }
    }

    /// The vault this session is for.
    pub fn vault_path(&self) -> &Path {
        &self.vault
    }

    pub fn uses_agent(&self) -> bool {
        !self.no_agent
    }

    fn backend(&mut self) -> Result<&mut dyn Backend> {
        let backend = match self.backend.take() {
            Some(b) => b,
            None => (self.open)(self.no_agent)?,
        };
        Ok(self.backend.insert(backend).as_mut())
    }

    /// Drops the connection to the agent: the next request connects again (to the agent that
    /// runs then, after one stopped and another started).
    pub fn forget_agent(&mut self) {
        self.backend = None;
    }

    /// The running agent, without starting one; `None` when none runs (or with `--no-agent`).
    pub fn running_agent(&mut self) -> Result<Option<&mut Client>> {
        if self.no_agent {
            return Ok(None);
        }
        if self.backend.is_none() {
            match Client::connect(&AgentDir::for_current_user()) {
                Ok(Some(c)) => self.backend = Some(Box::new(c)),
                Ok(None) | Err(AgentError::Stale { .. }) => return Ok(None),
                Err(e) => return Err(Failure::new(exit::OTHER, e.to_string()).into()),
            }
        }
        Ok(self.backend.as_mut().and_then(|b| b.agent()))
    }

    /// Sends a request; an error response becomes a [`Failure`].
    pub fn call(&mut self, request: Request) -> Result<Response> {
        match self.backend()?.call(request)? {
            Response::Error(e) => Err(Failure::from(e).into()),
            other => Ok(other),
        }
    }

    /// Runs `op` on the vault, unlocking it first when the agent says it is locked.
    pub fn op(&mut self, op: Op) -> Result<Response> {
        let named = named_item(&op).map(str::to_owned);
        let result = self.op_once(op);
        match (result, named) {
            (Err(e), Some(name)) => match e.downcast::<Failure>() {
                Ok(mut failure) if failure.code == exit::NOT_FOUND => {
                    if let Some(hint) = self.closest_name(&name) {
                        failure.message = format!("{}; did you mean \"{hint}\"?", failure.message);
                    }
                    Err(failure.into())
                }
                Ok(failure) => Err(failure.into()),
                Err(e) => Err(e),
            },
            (result, _) => result,
        }
    }

    fn op_once(&mut self, op: Op) -> Result<Response> {
        self.check_given_password()?;
        let request = Request::Vault {
            vault: self.vault.clone(),
            op: op.clone(),
        };
        match self.backend()?.call(request)? {
            Response::Error(WireError {
                code: ErrorCode::Locked,
                ..
            }) => {
                if self.hand_over_when_locked {
                    return Err(HandOver.into());
                }
                self.unlock()?;
                self.call(Request::Vault {
                    vault: self.vault.clone(),
                    op,
                })
            }
            Response::Error(e) => Err(Failure::from(e).into()),
            other => Ok(other),
        }
    }

    /// The stored name most like `name` (a typo, a missing suffix), as clap suggests a
    /// subcommand; `None` when nothing is close or the names cannot be read.
    fn closest_name(&mut self, name: &str) -> Option<String> {
        let Ok(Response::Items { items }) = self.call(Request::Vault {
            vault: self.vault.clone(),
            op: Op::List {
                query: None,
                tag: None,
            },
        }) else {
            return None;
        };
        items
            .iter()
            .map(|i| i.meta.name())
            .map(|n| (strsim::jaro_winkler(name, n), n))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, n)| n.to_owned())
    }

    /// Makes sure the vault is unlocked (asking for the password if needed) before a command
    /// asks for anything else on the terminal.
    pub fn ensure_unlocked(&mut self) -> Result<()> {
        self.op(Op::Ping).map(|_| ())
    }

    /// A password given on the command line is checked before the first operation, even when
    /// the agent holds the vault unlocked and needs none: a broken CI secret must fail on a
    /// developer's machine too, not pass because the vault happened to be unlocked.
    fn check_given_password(&mut self) -> Result<()> {
        if self.password_checked || self.no_agent {
            // Without the agent every command unlocks the file itself, with that password.
            return Ok(());
        }
        self.password_checked = true;
        let Some(password) = self.passwords.first()? else {
            return Ok(());
        };
        self.call(Request::CheckPassword {
            vault: self.vault.clone(),
            password: WireSecret::new(password),
        })?;
        Ok(())
    }

    /// Unlocks the vault with the next password. At a terminal a mistyped one is asked for
    /// again, three tries in all (as `sudo` and `op` do); a password from a file or stdin gets
    /// one try, since asking again would read the same wrong line.
    pub fn unlock(&mut self) -> Result<()> {
        let tries = if self.passwords.is_terminal() { 3 } else { 1 };
        let mut attempt = 1;
        loop {
            let password = self
                .passwords
                .next(&format!("Master password for {}: ", self.vault.display()))?;
            let request = Request::Unlock {
                vault: self.vault.clone(),
                password: WireSecret::new(password),
            };
            let answer = self.backend()?.call(request)?;
            match answer {
                Response::Error(WireError {
                    code: ErrorCode::WrongPassword,
                    ..
                }) if attempt < tries => {
                    eprintln!("Wrong master password; try again.");
                    attempt += 1;
                }
                Response::Error(e) => return Err(Failure::from(e).into()),
                _ => return Ok(()),
            }
        }
    }
}

//! How a command ends: [`Failure`] (an error and the exit code it ends the process with), the
//! exit codes themselves (documented in the README), and the errors every command can meet.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};

use vault_agent::protocol::{Response, WireError};
use vault_core::ErrorCode;

/// An error with the exit code it ends the process with. Messages never hold secrets.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

// The exit codes, read as `exit::LOCKED` at the call site.
pub const OTHER: u8 = 1;
pub const WRONG_PASSWORD: u8 = 3;
pub const NOT_FOUND: u8 = 4;
pub const VAULT: u8 = 5;
pub const EXISTS: u8 = 6;
pub const BUSY: u8 = 7;
pub const LOCKED: u8 = 8;
/// `vault due --check`: something is overdue or expired.
pub const ATTENTION: u8 = 9;
pub const CANCELLED: u8 = 10;
pub const NEEDS_LOGIN: u8 = 11;
pub const PROVIDER_UNAVAILABLE: u8 = 12;
pub const LOGIN_FAILED: u8 = 13;
/// `vault run` failed before starting the command (like `env`, `timeout` and `nohup`).
pub const NOT_STARTED: u8 = 125;
/// The command was found but could not be executed.
pub const CANNOT_EXECUTE: u8 = 126;
/// The command was not found.
pub const COMMAND_NOT_FOUND: u8 = 127;

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<WireError> for Failure {
    /// The exit code for the vault's error code (README: exit codes).
    fn from(e: WireError) -> Self {
        let exit = match e.code {
            ErrorCode::WrongPassword => WRONG_PASSWORD,
            ErrorCode::NotFound => NOT_FOUND,
            ErrorCode::NoVault
            | ErrorCode::Damaged
            | ErrorCode::NewerFormat
            | ErrorCode::Tampered => VAULT,
            ErrorCode::AlreadyExists | ErrorCode::VaultExists => EXISTS,
            ErrorCode::Busy => BUSY,
            ErrorCode::Locked => LOCKED,
            ErrorCode::NeedsRelogin => NEEDS_LOGIN,
            ErrorCode::ProviderUnavailable => PROVIDER_UNAVAILABLE,
            ErrorCode::LoginFailed => LOGIN_FAILED,
            ErrorCode::Invalid
            | ErrorCode::Io
            | ErrorCode::Internal
            | ErrorCode::Provider
            | ErrorCode::Refused => OTHER,
        };
        Failure::new(exit, e.message)
    }
}

/// Fails with a message and an exit code.
pub fn fail<T>(code: u8, message: impl Into<String>) -> anyhow::Result<T> {
    Err(Failure::new(code, message).into())
}

/// The failure to start `program`, as a shell reports it (127 not found, 126 not executable).
pub fn exec_failure(program: &OsStr, err: &std::io::Error) -> anyhow::Error {
    let name = Path::new(program).display();
    let (code, what) = match err.kind() {
        std::io::ErrorKind::NotFound => (COMMAND_NOT_FOUND, "command not found".to_owned()),
        std::io::ErrorKind::PermissionDenied => (
            CANNOT_EXECUTE,
            "permission denied (not executable)".to_owned(),
        ),
        _ if err.raw_os_error() == Some(libc::ENOEXEC) => {
            (CANNOT_EXECUTE, "not an executable file".to_owned())
        }
        _ => (CANNOT_EXECUTE, err.to_string()),
    };
    Failure::new(code, format!("{name}: {what}")).into()
}

/// The file exec would run for `program`, or what exec would say (not found, not executable):
/// a path as it is, a bare name along `search` (the `PATH` the command will have). `vault run`
/// checks it before any secret is asked for, so a typo costs nothing and the audit log never
/// records values given to a command that could not start; then it execs the file found, so
/// exec does not walk `PATH` a second time.
pub fn find_executable(program: &OsStr, search: Option<&OsStr>) -> Result<PathBuf, anyhow::Error> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let runnable = |p: &Path| -> std::io::Result<()> {
        let meta = std::fs::metadata(p)?;
        if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
            Ok(())
        } else {
            Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
        }
    };
    if program.as_bytes().contains(&b'/') {
        return runnable(Path::new(program))
            .map(|()| PathBuf::from(program))
            .map_err(|e| exec_failure(program, &e));
    }
    let mut denied = None;
    // No PATH at all: execvp's default.
    let search = search.unwrap_or(OsStr::new("/bin:/usr/bin"));
    for dir in std::env::split_paths(search) {
        // An empty entry is the current directory, as execvp takes it.
        let candidate = if dir.as_os_str().is_empty() {
            Path::new(".").join(program)
        } else {
            dir.join(program)
        };
        match runnable(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => denied = Some(e),
            Err(_) => {}
        }
    }
    let err = denied.unwrap_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound));
    Err(exec_failure(program, &err))
}

/// An answer the command did not ask for (a newer or older agent): named by its kind only,
/// since a response can carry a value.
pub fn unexpected(response: Response) -> anyhow::Error {
    anyhow::anyhow!("unexpected answer from the vault: {}", response.kind())
}

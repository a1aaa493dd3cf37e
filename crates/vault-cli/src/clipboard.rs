//! `vault get --copy`: a value on the clipboard, cleared after a while.
//!
//! On X11 the clipboard is not a buffer: the program that set it serves its content to every
//! program that pastes, for as long as it runs. So the copy is held by a helper process of its
//! own (`vault-full clipboard-hold`, detached into its own session), which receives the value
//! on a pipe (never in its arguments or environment), sets it marked
//! `x-kde-passwordManagerHint` so clipboard managers keep it out of their history, says it is
//! ready, and clears it once the time is up if the clipboard still holds it; copying anything
//! else before then ends it early. It is hardened like every vault process (no core dump, no
//! ptrace).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use vault_core::SecretValue;
use zeroize::Zeroizing;

use crate::exit::{self, Failure, fail};

/// The hidden subcommand the helper runs as.
pub const HOLD: &str = "clipboard-hold";

/// Puts `value` on the clipboard through a helper, and returns once it is there.
pub fn copy(value: &SecretValue, clear_after: Duration) -> Result<()> {
    let exe = std::env::current_exe().context("cannot find this program to copy with")?;
    let mut cmd = Command::new(exe);
    cmd.args([HOLD, "--clear-after", &clear_after.as_secs().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid is async-signal-safe; it only detaches the helper from the terminal, so
    // closing it (or Ctrl-C here) does not end the copy early.
    unsafe {
        cmd.pre_exec(|| rustix::process::setsid().map(|_| ()).map_err(Into::into));
    }
    let mut child = cmd.spawn().context("cannot start the clipboard helper")?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(value.expose().as_bytes())
            .context("cannot hand the value to the clipboard helper")?;
    }
    let mut ready = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut ready);
    }
    if ready.trim() == "ready" {
        return Ok(());
    }
    let mut why = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut why);
    }
    let _ = child.wait();
    let why = why.trim().trim_start_matches("vault: ");
    fail(
        exit::OTHER,
        if why.is_empty() {
            "the clipboard helper ended before the value was copied".to_owned()
        } else {
            why.to_owned()
        },
    )
}

/// The helper: reads the value from stdin, holds it on the clipboard, clears it when the time
/// is up (if it is still there).
pub fn hold(clear_after: Duration) -> Result<u8> {
    let mut text = Zeroizing::new(String::new());
    std::io::stdin()
        .read_to_string(&mut text)
        .context("cannot read the value")?;
    let value = SecretValue::new(text.as_str());
    drop(text);
    let unavailable = |e: arboard::Error| {
        Failure::new(
            exit::OTHER,
            format!("no clipboard to copy to ({e}); is this a desktop session (DISPLAY)?"),
        )
    };
    let mut clipboard = arboard::Clipboard::new().map_err(unavailable)?;
    {
        use arboard::SetExtLinux;
        clipboard
            .set()
            .exclude_from_history()
            .text(value.expose())
            .map_err(unavailable)?;
    }
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "ready")?;
        out.flush()?;
    }
    // Nobody reads these any more: the copying command has returned.
    // SAFETY: closing standard descriptors this process no longer uses; nothing else holds them.
    unsafe {
        libc::close(1);
        libc::close(2);
    }
    let ours = |clipboard: &mut arboard::Clipboard| {
        clipboard
            .get_text()
            .map(Zeroizing::new)
            .is_ok_and(|t| SecretValue::new(t.as_str()).ct_eq(&value))
    };
    let deadline = Instant::now() + clear_after;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        std::thread::sleep(left.min(Duration::from_secs(1)));
        if !ours(&mut clipboard) {
            // Something else was copied: it is not ours to clear.
            return Ok(0);
        }
    }
    let _ = clipboard.clear();
    Ok(0)
}

//! Human output: dates in the local time zone, relative times, aligned tables, JSON.

use std::io::Write;
use std::path::Path;

use anyhow::Result;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use vault_core::model::ApiKeyMeta;
use vault_core::rotation::Reason;
use vault_core::rotation::{DueState, lead_days};

use crate::exit::{self, Failure};

/// `2026-05-01` in the local time zone.
pub fn date(t: Timestamp) -> String {
    t.to_zoned_datetime(TimeZone::system())
        .strftime("%Y-%m-%d")
        .to_string()
}

/// `2026-05-01 14:03` in the local time zone.
pub fn date_time(t: Timestamp) -> String {
    t.to_zoned_datetime(TimeZone::system())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// `in 5 days`, `3 days ago`, `in 4 hours`, `now`.
pub fn relative(t: Timestamp, now: Timestamp) -> String {
    let d: SignedDuration = t.duration_since(now);
    let secs = d.as_secs();
    let abs = secs.unsigned_abs();
    let (n, unit) = if abs >= 2 * 86_400 {
        (abs / 86_400, "days")
    } else if abs >= 86_400 {
        (1, "day")
    } else if abs >= 7_200 {
        (abs / 3_600, "hours")
    } else if abs >= 120 {
        (abs / 60, "minutes")
    } else {
        return "now".into();
    };
    if secs > 0 {
        format!("in {n} {unit}")
    } else {
        format!("{n} {unit} ago")
    }
}

/// The state of an API key on `now`, warning `lead` days ahead, and a short description.
pub fn rotation(meta: &ApiKeyMeta, now: Timestamp, lead: u32) -> (DueState, String) {
    if let Some(c) = &meta.conflict {
        return (
            DueState::DueSoon,
            format!("changed on two devices (here and {})", c.with),
        );
    }
    let schedule = meta.schedule();
    match schedule.check(now, lead_days(lead)) {
        Some((Reason::Expired, at)) => (DueState::Expired, reason(Reason::Expired, at, now)),
        Some((r, at)) => (
            r.state(),
            format!("{}, {}", r.state().label(), reason(r, at, now)),
        ),
        None => {
            let text = match (schedule.due, schedule.expires) {
                (Some(d), _) => format!("ok, due {}", date(d)),
                (None, Some(x)) => format!("ok, expires {}", date(x)),
                (None, None) => "no rotation".into(),
            };
            (DueState::Ok, text)
        }
    }
}

/// `rotation due 5 days ago`, `expires in 3 days`.
pub fn reason(reason: Reason, at: Timestamp, now: Timestamp) -> String {
    let when = relative(at, now);
    match reason {
        Reason::Expired => format!("expired {when}"),
        Reason::RotationOverdue | Reason::RotationDueSoon => format!("rotation due {when}"),
        Reason::ExpiresSoon => format!("expires {when}"),
        Reason::NeedsRelogin => "needs a new login (`vault login`)".into(),
        Reason::LoginExpired => format!("login ran out {when} (`vault login`)"),
        Reason::LoginExpiresSoon => format!("login runs out {when}"),
        // The date says when; "refused now" would read as a state.
        Reason::RefusedByServer => "the server refused its value (`vault rotate`)".into(),
        Reason::ChangedOnTwoDevices => {
            format!("changed on two devices at once {when} (`vault sync resolve`)")
        }
        Reason::HeldByRemovedDevice => {
            format!("a device removed {when} held this value: rotate it")
        }
        Reason::SharedWithRemovedMember => {
            format!("shared with a member removed {when}: rotate it")
        }
    }
}

/// `90 days`, `1 day`, `never`.
pub fn interval(days: Option<u32>) -> String {
    match days {
        Some(1) => "every day".into(),
        Some(d) => format!("every {d} days"),
        None => "never".into(),
    }
}

/// `1 item`, `2 items`.
pub fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// A length of time for people: `90 s`, `5 min`, `1 h 30 min`.
pub fn duration(secs: u64) -> String {
    if secs < 120 {
        return format!("{secs} s");
    }
    let m = (secs + 30) / 60;
    match (m / 60, m % 60) {
        (0..=1, _) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, r) => format!("{h} h {r} min"),
    }
}

/// `in 5 min`, `in 40 s`.
pub fn in_duration(secs: u64) -> String {
    format!("in {}", duration(secs))
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let cols = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut text = String::new();
        for (i, cell) in cells.enumerate() {
            if i + 1 < cols {
                text.push_str(cell);
                text.extend(std::iter::repeat_n(
                    ' ',
                    widths[i] - cell.chars().count() + 2,
                ));
            } else {
                text.push_str(cell);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut headers.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// Refuses an output file that exists (unless `force`) or whose folder does not: checked before
/// any secret is asked for, so a command that cannot write gets nothing from the vault.
pub fn refuse_existing(path: &Path, force: bool) -> Result<()> {
    if !force && path.exists() {
        return Err(Failure::new(
            exit::EXISTS,
            format!("{} exists; pass --force to overwrite it", path.display()),
        )
        .into());
    }
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() && !d.is_dir() => Err(Failure::new(
            exit::OTHER,
            format!("cannot write {}: no folder {}", path.display(), d.display()),
        )
        .into()),
        _ => Ok(()),
    }
}

/// Writes a file only the user can read (0600), all at once: the content goes to a temporary
/// file beside it that is renamed into place, so a failure leaves no partial file. Refuses to
/// replace an existing file unless `force`.
pub fn write_private(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    refuse_existing(path, force)?;
    let exists = || -> anyhow::Error {
        Failure::new(
            exit::EXISTS,
            format!("{} exists; pass --force to overwrite it", path.display()),
        )
        .into()
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()));
    let placed = written.and_then(|()| {
        if force {
            std::fs::rename(&tmp, path)
        } else {
            // A hard link fails if the target appeared meanwhile: never clobber it.
            std::fs::hard_link(&tmp, path)
        }
    });
    let _ = std::fs::remove_file(&tmp);
    match placed {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists()),
        Err(e) => Err(anyhow::Error::from(e).context(format!("cannot write {}", path.display()))),
    }
}

/// Pretty JSON on stdout.
pub fn json<T: Serialize>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// Tells the user about a wait once it has lasted a second (a spinner at a terminal, one line
/// otherwise), and clears the spinner when dropped. Quick calls show nothing.
#[derive(Debug)]
pub struct SlowNotice {
    done: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SlowNotice {
    pub fn start(message: String) -> SlowNotice {
        use std::io::IsTerminal;
        use std::sync::mpsc::RecvTimeoutError;
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if wait.recv_timeout(std::time::Duration::from_secs(1))
                != Err(RecvTimeoutError::Timeout)
            {
                return;
            }
            if !std::io::stderr().is_terminal() {
                eprintln!("vault: {message}");
                return;
            }
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message(message);
            bar.enable_steady_tick(std::time::Duration::from_millis(100));
            let _ = wait.recv();
            bar.finish_and_clear();
        });
        SlowNotice {
            done: Some(done),
            thread: Some(thread),
        }
    }
}

impl Drop for SlowNotice {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Says that a committed change could not be erased from the WAL yet: the command succeeded,
/// and what a copy of the files could still hold until the erasure is finished.
pub fn erase_pending(vault: &std::path::Path, what: &str) {
    eprintln!(
        "vault: note: another process was reading the vault, so {what} are still in {}-wal. \
         Once it is done, they are erased at the agent's next use of the vault or the next \
         unlock; until then a copy of the vault file together with its -wal could still hold \
         them.",
        vault.display()
    );
}

/// `what` with its indefinite article: "an AWS access key ID", "a GitHub token".
pub fn with_article(what: &str) -> String {
    let vowel = what
        .chars()
        .next()
        .is_some_and(|c| "AEIOUaeiou".contains(c));
    format!("{} {what}", if vowel { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    #[test]
    fn articles_follow_the_first_sound() {
        assert_eq!(
            super::with_article("AWS access key ID"),
            "an AWS access key ID"
        );
        assert_eq!(super::with_article("OpenAI API key"), "an OpenAI API key");
        assert_eq!(super::with_article("GitHub token"), "a GitHub token");
    }

    use super::*;

    #[test]
    fn relative_times() {
        let now: Timestamp = "2026-05-01T00:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(relative(at("2026-05-06T00:00:00Z"), now), "in 5 days");
        assert_eq!(relative(at("2026-04-28T00:00:00Z"), now), "3 days ago");
        assert_eq!(relative(at("2026-05-01T05:00:00Z"), now), "in 5 hours");
        assert_eq!(relative(at("2026-05-01T00:00:30Z"), now), "now");
    }

    #[test]
    fn reasons_read_as_sentences() {
        let now: Timestamp = "2026-05-01T00:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(
            reason(Reason::RotationOverdue, at("2026-04-26T00:00:00Z"), now),
            "rotation due 5 days ago"
        );
        assert_eq!(
            reason(Reason::ExpiresSoon, at("2026-05-04T00:00:00Z"), now),
            "expires in 3 days"
        );
        assert_eq!(
            reason(Reason::Expired, at("2026-04-30T00:00:00Z"), now),
            "expired 1 day ago"
        );
        assert_eq!(interval(Some(1)), "every day");
        assert_eq!(interval(None), "never");
        assert_eq!(count(2, "item"), "2 items");
    }

    #[test]
    fn durations_round_to_what_people_read() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(899), "15 min");
        assert_eq!(duration(5400), "90 min");
        assert_eq!(duration(9000), "2 h 30 min");
        assert_eq!(duration(7199), "2 h");
    }

    #[test]
    fn tables_align() {
        let t = table(
            &["NAME", "ENV"],
            &[
                vec!["a".into(), "A".into()],
                vec!["long-name".into(), "B".into()],
            ],
        );
        assert_eq!(t, "NAME       ENV\na          A\nlong-name  B\n");
    }
}

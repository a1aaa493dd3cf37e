//! `vault scan`: find secrets lying in files, folders, git history and what is about to be
//! committed. Two detectors ([`Matcher`]): every value the vault holds, verbatim (no false
//! negatives for keys the vault knows, whatever their shape), and keys in the formats
//! vault-core recognises.
//!
//! The caller builds the matcher where the values are (the agent), and nothing here sends,
//! logs or returns a value: a [`Report`] holds paths, line and column numbers, item names and
//! format ids. Bad input (binary files, huge files, unreadable paths, invalid UTF-8, symlink
//! loops) is skipped with a reason or scanned as bytes, never a panic.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub mod matcher;
pub mod report;

mod git;
mod home;
mod walk;

pub use matcher::Matcher;
pub use report::{Finding, Found, MAX_FINDINGS, Report, Request, SkipReason, Skipped, Target};
use vault_core::formats::FORMATS;

/// Files whose first 8 KiB hold a NUL are binary.
const BINARY_SNIFF: usize = 8 << 10;

/// A line holding this marker has its known-format findings ignored (a documented example
/// key). A stored value is reported wherever it is: the vault knows it is a secret.
pub const ALLOW_MARKER: &str = "vault-scan:allow";

/// Runs every target of `request` through `matcher`.
pub fn scan(request: &Request, matcher: &Matcher) -> Report {
    scan_until(request, matcher, Arc::default())
}

/// Like [`scan`], stopping at the next file or blob once `stop` is set (the agent sets it when
/// the client that asked went away): what was read until then is reported.
pub fn scan_until(request: &Request, matcher: &Matcher, stop: Arc<AtomicBool>) -> Report {
    let sink = Sink {
        stop,
        ..Sink::default()
    };
    for target in &request.targets {
        if sink.stopped() {
            break;
        }
        match target {
            Target::Paths { paths } => walk::paths(paths, request, matcher, &sink),
            Target::Home { home } => home::scan(home, request, matcher, &sink),
            Target::History { repo } => git::history(repo, request, matcher, &sink),
            Target::Staged { repo, index } => git::staged(repo, index.as_deref(), matcher, &sink),
        }
    }
    sink.finish(matcher)
}

/// What the scanning threads collect.
#[derive(Default)]
pub(crate) struct Sink {
    findings: Mutex<Vec<Finding>>,
    skipped: Mutex<Vec<Skipped>>,
    files: AtomicU64,
    bytes: AtomicU64,
    stop: Arc<AtomicBool>,
}

impl Sink {
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub(crate) fn read(&self, bytes: usize) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub(crate) fn found(&self, findings: Vec<Finding>) {
        if !findings.is_empty() {
            lock(&self.findings).extend(findings);
        }
    }

    pub(crate) fn skip(&self, path: &Path, reason: SkipReason) {
        lock(&self.skipped).push(Skipped {
            path: path.to_string_lossy().into_owned(),
            reason,
        });
    }

    fn finish(self, matcher: &Matcher) -> Report {
        let mut findings = self
            .findings
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        findings.sort_by(|a, b| {
            (&a.path, &a.commit, a.line, a.column).cmp(&(&b.path, &b.commit, b.line, b.column))
        });
        let more = findings.len().saturating_sub(MAX_FINDINGS) as u64;
        findings.truncate(MAX_FINDINGS);
        let mut skipped = self.skipped.into_inner().unwrap_or_else(|e| e.into_inner());
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        let more_skipped = skipped.len().saturating_sub(MAX_FINDINGS) as u64;
        skipped.truncate(MAX_FINDINGS);
        Report {
            findings,
            more,
            skipped,
            more_skipped,
            files: self.files.into_inner(),
            bytes: self.bytes.into_inner(),
            values: matcher.values() as u64,
            too_short: matcher.too_short as u64,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads and scans one file, or says why it did not.
pub(crate) fn scan_file(path: &Path, request: &Request, matcher: &Matcher, sink: &Sink) {
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) => return sink.skip(path, unreadable(&e)),
    };
    if size > request.max_size {
        return sink.skip(
            path,
            SkipReason::TooLarge {
                size,
                limit: request.max_size,
            },
        );
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return sink.skip(path, unreadable(&e)),
    };
    scan_bytes(&path.to_string_lossy(), None, &bytes, matcher, sink);
}

/// Scans one file's content (from disk or a git blob).
pub(crate) fn scan_bytes(
    path: &str,
    commit: Option<&str>,
    bytes: &[u8],
    matcher: &Matcher,
    sink: &Sink,
) {
    sink.read(bytes.len());
    if is_binary(bytes) {
        return sink.skip(Path::new(path), SkipReason::Binary);
    }
    sink.found(findings(matcher, bytes, path, commit, 1));
}

pub(crate) fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF)]).is_some()
}

pub(crate) fn unreadable(e: &std::io::Error) -> SkipReason {
    SkipReason::Unreadable {
        error: e.kind().to_string(),
    }
}

/// The findings in `hay`, whose first line is line `first_line` of `path`.
pub(crate) fn findings(
    matcher: &Matcher,
    hay: &[u8],
    path: &str,
    commit: Option<&str>,
    first_line: u32,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut line = first_line;
    let mut line_start = 0;
    let mut counted = 0;
    for hit in matcher.find(hay) {
        for nl in memchr::memchr_iter(b'\n', &hay[counted..hit.start]) {
            line += 1;
            line_start = counted + nl + 1;
        }
        counted = hit.start;
        let found = match hit.what {
            matcher::HitKind::Stored(i) => Found::Stored {
                stored_as: matcher.stored_as(i).to_vec(),
            },
            matcher::HitKind::Format(i) => {
                let line_end =
                    memchr::memchr(b'\n', &hay[hit.start..]).map_or(hay.len(), |n| hit.start + n);
                let text = &hay[line_start..line_end];
                if memchr::memmem::find(text, ALLOW_MARKER.as_bytes()).is_some() {
                    continue;
                }
                let Some(format) = FORMATS.get(i) else {
                    continue;
                };
                Found::Format {
                    format: format.id.to_owned(),
                    description: format.description(),
                }
            }
        };
        let chars = |b: &[u8]| String::from_utf8_lossy(b).chars().count() as u32;
        let column = chars(&hay[line_start..hit.start]) + 1;
        out.push(Finding {
            path: path.to_owned(),
            line,
            column,
            end_column: column + chars(&hay[hit.start..hit.end]),
            commit: commit.map(str::to_owned),
            found,
        });
    }
    out
}

/// The fuzz targets' entry points (crates/vault-fuzz-checks).
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    use crate::{Finding, Matcher};

    /// The staged diff's parser: per file, its path and its added lines' numbers (`None`: a
    /// binary file).
    pub fn parse_diff(diff: &[u8]) -> Vec<(String, Option<Vec<u32>>)> {
        crate::git::parse_diff_numbers(diff)
    }

    /// The findings in `hay`, as a file's.
    pub fn findings(matcher: &Matcher, hay: &[u8]) -> Vec<Finding> {
        crate::findings(matcher, hay, "f", None, 1)
    }

    /// The byte ranges of the hits in `hay`.
    pub fn hits(matcher: &Matcher, hay: &[u8]) -> Vec<(usize, usize)> {
        matcher.find(hay).iter().map(|h| (h.start, h.end)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vault_core::SecretValue;
    use vault_core::vault::SecretRole;

    #[test]
    fn lines_and_columns_count_characters_from_one() {
        let m = Matcher::new(
            vec![vault_core::vault::KnownSecret {
                item: "db".into(),
                role: SecretRole::Value,
                value: SecretValue::new("correct-horse"),
            }],
            true,
        );
        let text = "first\né=\"correct-horse\"\n\nx correct-horse";
        let f = findings(&m, text.as_bytes(), "f", None, 1);
        let at: Vec<_> = f.iter().map(|f| (f.line, f.column)).collect();
        assert_eq!(at, [(2, 4), (4, 3)]);
    }

    #[test]
    fn the_allow_marker_silences_formats_not_stored_values() {
        let key = "ghp_R4nd0mL00k1ngT0k3nV4lu3Qw3rtY8u9i0pZ"; // vault-scan:allow (a made-up key)
        let m = Matcher::new(
            vec![vault_core::vault::KnownSecret {
                item: "stored".into(),
                role: SecretRole::Value,
                value: SecretValue::new("stored-value-1"),
            }],
            true,
        );
        let text = format!("{key} # vault-scan:allow\nstored-value-1 # vault-scan:allow\n{key}");
        let f = findings(&m, text.as_bytes(), "f", None, 1);
        let lines: Vec<_> = f.iter().map(|f| f.line).collect();
        assert_eq!(lines, [2, 3]);
    }

    #[test]
    fn a_stopped_scan_reads_no_further() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..20 {
            std::fs::write(dir.path().join(format!("f{i}")), "nothing here\n").unwrap();
        }
        let request = Request::new(vec![Target::Paths {
            paths: vec![dir.path().to_owned()],
        }]);
        let m = Matcher::new(Vec::new(), true);
        assert_eq!(scan(&request, &m).files, 20);
        let stopped = scan_until(&request, &m, Arc::new(AtomicBool::new(true)));
        assert_eq!(stopped.files, 0);
    }
}

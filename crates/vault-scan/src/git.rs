//! Git sources, through the system `git` (the user's own, with their configuration): every
//! blob of every commit reachable from a ref (`--git`), and the lines a commit of the index
//! would add (`--staged`, the pre-commit hook). Neither runs a textconv, an external diff or a
//! hook of the repository.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::{Matcher, Request, Sink, SkipReason, findings, scan_bytes};

fn git(repo: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C")
        .arg(repo)
        .args(["-c", "core.quotePath=false"])
        .stdin(Stdio::null());
    c
}

fn failed(repo: &Path, what: &str, stderr: &[u8], sink: &Sink) {
    let message = String::from_utf8_lossy(stderr);
    let first = message.lines().next().unwrap_or("").trim();
    sink.skip(
        repo,
        SkipReason::Unreadable {
            error: format!("git {what} failed: {first}"),
        },
    );
}

/// Every blob in the history, each read once (at the first path `rev-list` names it by), with
/// the commit that added it named for those that hold a finding.
pub(crate) fn history(repo: &Path, request: &Request, matcher: &Matcher, sink: &Sink) {
    let listed = match git(repo)
        .args([
            "rev-list",
            "--objects",
            "--all",
            "--filter=object:type=blob",
        ])
        .output()
    {
        Ok(o) if o.status.success() => o.stdout,
        Ok(o) => return failed(repo, "rev-list", &o.stderr, sink),
        Err(e) => return sink.skip(repo, crate::unreadable(&e)),
    };
    let mut paths: HashMap<String, String> = HashMap::new();
    let mut order = Vec::new();
    for line in String::from_utf8_lossy(&listed).lines() {
        // Commits are listed without a path; blobs with the path they were first met at.
        if let Some((oid, path)) = line.split_once(' ')
            && !paths.contains_key(oid)
        {
            paths.insert(oid.to_owned(), path.to_owned());
            order.push(oid.to_owned());
        }
    }
    let mut child = match git(repo)
        .args(["cat-file", "--batch", "--buffer"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return sink.skip(repo, crate::unreadable(&e)),
    };
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return;
    };
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    // Blobs go from the reader to the scanning threads through a short queue: git inflates
    // (its own process), one thread reads, the others scan.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(&str, &str, Vec<u8>)>(workers * 4);
    let rx = std::sync::Mutex::new(rx);
    std::thread::scope(|s| {
        let wanted = &order;
        // Fed from its own thread: git writes blobs while it is still being asked for more.
        s.spawn(move || {
            let mut w = std::io::BufWriter::new(&mut stdin);
            for oid in wanted {
                if writeln!(w, "{oid}").is_err() {
                    break;
                }
            }
            drop(w);
            drop(stdin);
        });
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let next = crate::lock(&rx).recv();
                    let Ok((oid, path, blob)) = next else { break };
                    scan_bytes(path, Some(oid), &blob, matcher, sink);
                }
            });
        }
        let mut out = BufReader::with_capacity(1 << 20, stdout);
        let mut header = String::new();
        for oid in &order {
            if sink.stopped() {
                break;
            }
            header.clear();
            if out.read_line(&mut header).unwrap_or(0) == 0 {
                break;
            }
            let mut parts = header.split_whitespace();
            let (_, kind, size) = (parts.next(), parts.next(), parts.next());
            let Some(size) = size.and_then(|s| s.parse::<u64>().ok()) else {
                continue; // `<oid> missing`: a partial clone
            };
            let path = paths.get(oid).map_or("", String::as_str);
            let mut blob = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(1 << 24));
            if (&mut out).take(size).read_to_end(&mut blob).is_err() {
                break;
            }
            let mut newline = [0u8; 1];
            if out.read_exact(&mut newline).is_err() {
                break;
            }
            if kind != Some("blob") {
                continue;
            }
            if size > request.max_size {
                sink.skip(
                    Path::new(&format!("{path} ({})", short(oid))),
                    SkipReason::TooLarge {
                        size,
                        limit: request.max_size,
                    },
                );
                continue;
            }
            if tx.send((oid, path, blob)).is_err() {
                break;
            }
        }
        drop(tx);
    });
    let _ = child.wait();
    name_commits(repo, sink);
}

fn short(oid: &str) -> &str {
    oid.get(..12).unwrap_or(oid)
}

/// Findings of a history scan carry their blob id as `commit` until here: each becomes the
/// first commit that added the blob, found in one pass over the history's changes (oldest
/// first), short. A blob no commit's diff shows (one only a merge brought) keeps its id.
fn name_commits(repo: &Path, sink: &Sink) {
    let mut findings = crate::lock(&sink.findings);
    let mut added: HashMap<String, Option<String>> = findings
        .iter()
        .filter_map(|f| f.commit.clone())
        .map(|blob| (blob, None))
        .collect();
    if added.is_empty() {
        return;
    }
    let mut left = added.len();
    let log = git(repo)
        .args([
            "log",
            "--all",
            "--reverse",
            "--no-renames",
            "--raw",
            "--no-abbrev",
            "--format=%x00%H",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    if let Ok(mut child) = log {
        if let Some(stdout) = child.stdout.take() {
            let mut commit = String::new();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(c) = line.strip_prefix('\0') {
                    commit = short(c).to_owned();
                } else if let Some(raw) = line.strip_prefix(':') {
                    // `old-mode new-mode old-blob new-blob status\tpath`
                    let new_blob = raw.split([' ', '\t']).nth(3).unwrap_or("");
                    if let Some(slot @ None) = added.get_mut(new_blob) {
                        *slot = Some(commit.clone());
                        left -= 1;
                        if left == 0 {
                            break;
                        }
                    }
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    for f in findings.iter_mut() {
        if let Some(blob) = f.commit.take() {
            let commit = added.get(&blob).cloned().flatten();
            f.commit = Some(commit.unwrap_or_else(|| short(&blob).to_owned()));
        }
    }
}

/// The lines `git commit` would add now: `git diff --cached` with no context, each `+` line
/// scanned at its line number in the staged file.
pub(crate) fn staged(repo: &Path, index: Option<&Path>, matcher: &Matcher, sink: &Sink) {
    let mut diff = git(repo);
    if let Some(index) = index {
        diff.env("GIT_INDEX_FILE", index);
    }
    let diff = match diff
        .args([
            "diff",
            "--cached",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            "-U0",
            "--diff-filter=ACMR",
        ])
        .output()
    {
        Ok(o) if o.status.success() => o.stdout,
        Ok(o) => return failed(repo, "diff --cached", &o.stderr, sink),
        Err(e) => return sink.skip(repo, crate::unreadable(&e)),
    };
    for (path, hunks) in parse_diff(&diff) {
        match hunks {
            Added::Binary => sink.skip(Path::new(&path), SkipReason::Binary),
            Added::Lines(lines) => {
                for (number, line) in lines {
                    sink.read(line.len());
                    sink.found(findings(matcher, line, &path, None, number));
                }
            }
        }
    }
}

/// [`parse_diff`] without the lines' bytes.
#[cfg(feature = "fuzzing")]
pub(crate) fn parse_diff_numbers(diff: &[u8]) -> Vec<(String, Option<Vec<u32>>)> {
    parse_diff(diff)
        .into_iter()
        .map(|(path, added)| match added {
            Added::Binary => (path, None),
            Added::Lines(l) => (path, Some(l.into_iter().map(|(n, _)| n).collect())),
        })
        .collect()
}

#[derive(Debug, PartialEq)]
enum Added<'a> {
    Binary,
    Lines(Vec<(u32, &'a [u8])>),
}

/// Per file of a `-U0` diff: its path in the new tree and its added lines with their numbers.
fn parse_diff(diff: &[u8]) -> Vec<(String, Added<'_>)> {
    let mut files: Vec<(String, Added<'_>)> = Vec::new();
    let mut lines = diff.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix(b"diff --git ") {
            // The path from `+++ b/...` when there is one; this is for binary files.
            let rest = String::from_utf8_lossy(rest);
            let path = rest
                .rfind(" b/")
                .map_or(rest.as_ref(), |i| &rest[i + 3..])
                .to_owned();
            files.push((unquote(&path), Added::Lines(Vec::new())));
        } else if let Some(path) = line.strip_prefix(b"+++ ") {
            let path = String::from_utf8_lossy(path);
            let path = unquote(&path);
            if let (Some(last), Some(p)) = (files.last_mut(), path.strip_prefix("b/")) {
                last.0 = p.to_owned();
            }
        } else if line.starts_with(b"Binary files ") {
            if let Some(last) = files.last_mut() {
                last.1 = Added::Binary;
            }
        } else if line.starts_with(b"@@ ") {
            let (removed, start, added) = hunk_header(line);
            let mut number = start;
            let mut left = (removed, added);
            // Exactly the counts the header gives: an added line may itself start `+++`.
            while left != (0, 0) {
                let Some(body) = lines.next() else { break };
                match body.first() {
                    Some(b'-') if left.0 > 0 => left.0 -= 1,
                    Some(b'+') if left.1 > 0 => {
                        left.1 -= 1;
                        if let Some((_, Added::Lines(l))) = files.last_mut() {
                            l.push((number, &body[1..]));
                        }
                        number += 1;
                    }
                    Some(b'\\') => {}
                    _ => break,
                }
            }
            // "\ No newline at end of file" after the last line.
            if lines.peek().is_some_and(|l| l.starts_with(b"\\")) {
                lines.next();
            }
        }
    }
    files
}

/// `@@ -a[,b] +c[,d] @@`: (b, c, d); a count left out is 1.
fn hunk_header(line: &[u8]) -> (u32, u32, u32) {
    let text = String::from_utf8_lossy(line);
    let mut parts = text.split(' ').skip(1);
    let range = |s: Option<&str>| {
        let s = s.unwrap_or("").get(1..).unwrap_or("");
        let (start, count) = s.split_once(',').unwrap_or((s, "1"));
        (start.parse().unwrap_or(0), count.parse().unwrap_or(0))
    };
    let (_, removed) = range(parts.next());
    let (start, added) = range(parts.next());
    (removed, start, added)
}

/// git's C-style quoting of unusual paths (`"tab\there"`), undone for the common escapes.
fn unquote(path: &str) -> String {
    let Some(inner) = path.strip_prefix('"').and_then(|p| p.strip_suffix('"')) else {
        return path.to_owned();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_lines_carry_their_numbers_in_the_new_file() {
        let diff = b"diff --git a/app.env b/app.env\nindex 1..2 100644\n--- a/app.env\n+++ b/app.env\n@@ -2 +2,2 @@\n-OLD=1\n+++KEY=x\n+B=2\n@@ -9,0 +11 @@\n+C=3\n\\ No newline at end of file\ndiff --git a/logo.png b/logo.png\nnew file mode 100644\nBinary files /dev/null and b/logo.png differ\n";
        let files = parse_diff(diff);
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].0, "app.env");
        assert_eq!(
            files[0].1,
            Added::Lines(vec![
                (2, &b"++KEY=x"[..]),
                (3, &b"B=2"[..]),
                (11, &b"C=3"[..])
            ])
        );
        assert_eq!(files[1], ("logo.png".to_owned(), Added::Binary));
    }
}

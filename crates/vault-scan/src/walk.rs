//! Files and folders: folders are walked in parallel by ripgrep's walker, with `.gitignore`,
//! `.ignore` and git's exclude files respected unless the request says `all`. Hidden files are
//! read (`.env` is the first place a key is left); `.git` folders are not (`--git` reads
//! history).

use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use crate::{Matcher, Request, Sink, SkipReason, scan_file};

pub(crate) fn paths(paths: &[PathBuf], request: &Request, matcher: &Matcher, sink: &Sink) {
    let Some((first, rest)) = paths.split_first() else {
        return;
    };
    let mut walk = WalkBuilder::new(first);
    for p in rest {
        walk.add(p);
    }
    let respect = !request.all;
    walk.hidden(false)
        .ignore(respect)
        .git_ignore(respect)
        .git_global(respect)
        .git_exclude(respect)
        .parents(respect)
        // A .gitignore says what is not the project's, in a repository or not.
        .require_git(false)
        .follow_links(request.follow)
        .threads(
            std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(1),
        )
        .filter_entry(|e| !(e.file_name() == ".git" && e.file_type().is_some_and(|t| t.is_dir())));
    walk.build_parallel().run(|| {
        Box::new(|entry| {
            if sink.stopped() {
                return WalkState::Quit;
            }
            match entry {
                Ok(entry) => {
                    let Some(kind) = entry.file_type() else {
                        return WalkState::Continue;
                    };
                    if kind.is_file() {
                        scan_file(entry.path(), request, matcher, sink);
                    } else if kind.is_symlink() {
                        sink.skip(entry.path(), SkipReason::Symlink);
                    }
                }
                Err(e) => {
                    let path = error_path(&e).unwrap_or_default();
                    sink.skip(&path, walk_error(&e));
                }
            }
            WalkState::Continue
        })
    });
}

/// The path an error of the walker is about.
fn error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::Partial(errs) => errs.first().and_then(error_path),
        _ => None,
    }
}

fn walk_error(e: &ignore::Error) -> SkipReason {
    match e {
        ignore::Error::Loop { ancestor, .. } => SkipReason::Unreadable {
            error: format!("symbolic link loop (back to {})", display(ancestor)),
        },
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => walk_error(err),
        ignore::Error::Io(io) => crate::unreadable(io),
        other => SkipReason::Unreadable {
            error: other.to_string(),
        },
    }
}

fn display(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

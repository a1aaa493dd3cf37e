//! Project files are trusted like code (direnv's rule, and then some).
//!
//! A `.vault.env` decides which of the user's secrets a command gets and can set variables that
//! make programs run other code (`LD_PRELOAD`, `NODE_OPTIONS`, `PATH`, ...). So one is read only
//! when no other user could have written it: owned by the user (or root), not group- or
//! world-writable, in a directory chain others cannot change. The upward search never leaves
//! the user's territory: it stops at a change of owner, at a filesystem boundary and at
//! `$HOME`. What the file asks for must then be allowed by the user (`vault allow`), by path
//! and content digest, recorded in the vault; a changed file needs allowing again.
//!
//! This module finds and checks files; it never reads the clock or the user's id itself (both
//! are passed in) and never holds a value.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::platform::{self, Ownership};

/// The project file `vault run` looks for, from the working directory upward.
pub const PROJECT_FILE: &str = ".vault.env";

/// The result of looking for a project file.
#[derive(Debug, PartialEq, Eq)]
pub enum ProjectFile {
    /// No `.vault.env` from the directory up to where the search stops.
    Absent,
    /// A file that passed the ownership checks (it may still need `vault allow`).
    Found(PathBuf),
    /// A file that another user could have written: never read.
    Refused { path: PathBuf, reason: String },
}

/// The nearest `.vault.env` from `start` upward, checked. `uid` is the user's; `home` their
/// home directory (the search does not go above it).
pub fn find_project_file(start: &Path, uid: u32, home: Option<&Path>) -> ProjectFile {
    let mut previous: Option<Ownership> = None;
    for dir in start.ancestors() {
        let candidate = dir.join(PROJECT_FILE);
        let Ok(meta) = fs::metadata(dir) else {
            break;
        };
        let here = match platform::owner(&meta) {
            Ok(o) => o,
            // Where owners cannot be told apart, no project file is trusted: say so if one is here.
            Err(e) if candidate.exists() => {
                return ProjectFile::Refused {
                    path: candidate,
                    reason: format!("cannot be checked ({e})"),
                };
            }
            Err(_) => break,
        };
        if let Some(p) = &previous
            && (here.device != p.device || here.uid != p.uid)
        {
            break;
        }
        match fs::symlink_metadata(&candidate) {
            Ok(_) => {
                return match check_project_file(&candidate, uid) {
                    Ok(()) => ProjectFile::Found(candidate),
                    Err(reason) => ProjectFile::Refused {
                        path: candidate,
                        reason,
                    },
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return ProjectFile::Refused {
                    path: candidate,
                    reason: format!("cannot be examined ({e})"),
                };
            }
        }
        if home == Some(dir) {
            break;
        }
        previous = Some(here);
    }
    ProjectFile::Absent
}

/// Why `path` could have been written by someone other than `uid`, or could stand for another
/// file, if it could.
///
/// A project file that is a symbolic link is refused. An allowance is recorded for the file
/// where it really is; a link would let a cloned repository's `.vault.env` point at a file the
/// user allowed for another project (directly, or through a hop in a directory its author
/// controls and can re-point at will) and get that project's secrets with no allow step.
pub fn check_project_file(path: &Path, uid: u32) -> Result<(), String> {
    let link = fs::symlink_metadata(path).map_err(|e| format!("cannot be examined ({e})"))?;
    if link.file_type().is_symlink() {
        let to = fs::canonicalize(path)
            .map(|t| format!(" to {}", t.display()))
            .unwrap_or_default();
        return Err(format!(
            "is a symbolic link{to}; a project file is only read where it really is (a link \
             could borrow another project's allowance): replace the link with a copy of the \
             file, or run the command from the directory that holds it"
        ));
    }
    let real = fs::canonicalize(path).map_err(|e| format!("cannot be resolved ({e})"))?;
    let meta = fs::metadata(&real).map_err(|e| format!("cannot be examined ({e})"))?;
    if !meta.is_file() {
        return Err("is not a regular file".into());
    }
    let file = platform::owner(&meta).map_err(|e| format!("cannot be checked ({e})"))?;
    if file.uid != uid && file.uid != 0 {
        return Err(format!("is owned by another user (uid {})", file.uid));
    }
    if file.others_can_write() {
        return Err(format!(
            "is writable by {} (mode {:o}), so another user could have written it; `chmod go-w` it",
            writers(file.mode),
            file.mode
        ));
    }
    let owned_by_user = file.uid == uid;
    if let Some(dir) = real.parent() {
        check_directories(dir, uid, owned_by_user)?;
    }
    Ok(())
}

/// Each directory from `dir` up to `/` must be the user's or root's, and writable by nobody
/// else, unless sticky (like `/tmp`, where others cannot rename or remove what the user owns)
/// and what lies below is the user's.
fn check_directories(dir: &Path, uid: u32, owned_by_user: bool) -> Result<(), String> {
    let dir = fs::canonicalize(dir).map_err(|e| format!("cannot be resolved ({e})"))?;
    // What is directly in a sticky directory must be the user's own to be safe there.
    let mut below_is_users = owned_by_user;
    for d in dir.ancestors() {
        let meta = fs::metadata(d).map_err(|e| format!("cannot be examined ({e})"))?;
        let o = platform::owner(&meta).map_err(|e| format!("cannot be checked ({e})"))?;
        if o.uid != uid && o.uid != 0 {
            return Err(format!(
                "is in {}, which belongs to another user (uid {})",
                d.display(),
                o.uid
            ));
        }
        if o.others_can_write() && !(o.sticky() && below_is_users) {
            return Err(format!(
                "is in {}, which {} can write to (mode {:o})",
                d.display(),
                writers(o.mode),
                o.mode
            ));
        }
        below_is_users = o.uid == uid;
    }
    Ok(())
}

fn writers(mode: u32) -> &'static str {
    match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => "its group and every user",
        (true, false) => "its group",
        _ => "every user",
    }
}

/// The SHA-256 of a project file's content, hex: what `vault allow` records.
pub fn digest(content: &[u8]) -> String {
    Sha256::digest(content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What `vault allow` records of a project file (sealed in the vault, like an item).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allowance {
    /// The file's canonical path.
    pub path: String,
    /// [`digest`] of the content allowed.
    pub digest: String,
    /// Variables that need allowing by name ([`crate::vars::code_risk`]) the user allowed the
    /// file to set.
    #[serde(default)]
    pub vars: Vec<String>,
    pub allowed_at: jiff::Timestamp,
}

/// Why a project file may not be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// Never allowed in this vault.
    NotAllowed,
    /// Allowed once, but the content changed since.
    Changed,
    /// Allowed, but it sets hook variables that were not allowed by name.
    Hooks { names: Vec<String> },
}

impl Allowance {
    /// Whether a file at this path with `digest`, setting `hooks`, may be used.
    pub fn check(&self, digest: &str, hooks: &[String]) -> Option<Refusal> {
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            self.digest.as_bytes(),
            digest.as_bytes(),
        )) {
            return Some(Refusal::Changed);
        }
        let names: Vec<String> = hooks
            .iter()
            .filter(|h| !self.vars.contains(h))
            .cloned()
            .collect();
        (!names.is_empty()).then_some(Refusal::Hooks { names })
    }
}

#[cfg(test)]
#[cfg(unix)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    /// This process's uid, as the owner of a file it creates.
    fn uid() -> u32 {
        let probe = tempfile::NamedTempFile::new().unwrap();
        probe.as_file().metadata().unwrap().uid()
    }

    fn chmod(p: &Path, mode: u32) {
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }

    /// A private project tree: `root/a/b`, 0700, with a `.vault.env` in `a`.
    fn tree() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        fs::create_dir_all(&nested).unwrap();
        let file = dir.path().join("a").join(PROJECT_FILE);
        fs::write(&file, "X=1\n").unwrap();
        chmod(&file, 0o644);
        (dir, nested, file)
    }

    #[test]
    fn the_nearest_safe_file_is_found_upward() {
        let (dir, nested, file) = tree();
        assert_eq!(
            find_project_file(&nested, uid(), None),
            ProjectFile::Found(file)
        );
        // The search stops at $HOME: a file above it is not looked at.
        assert_eq!(
            find_project_file(&nested, uid(), Some(&dir.path().join("a/b"))),
            ProjectFile::Absent
        );
    }

    #[test]
    fn a_file_others_can_write_is_refused_with_the_reason() {
        let (_dir, nested, file) = tree();
        chmod(&file, 0o666);
        let ProjectFile::Refused { path, reason } = find_project_file(&nested, uid(), None) else {
            panic!("a world-writable file must be refused");
        };
        assert_eq!(path, file);
        assert!(reason.contains("every user"), "{reason}");
        chmod(&file, 0o664);
        let ProjectFile::Refused { reason, .. } = find_project_file(&nested, uid(), None) else {
            panic!("a group-writable file must be refused");
        };
        assert!(reason.contains("its group"), "{reason}");
    }

    #[test]
    fn a_file_in_a_directory_others_can_write_is_refused() {
        let (dir, nested, file) = tree();
        chmod(&dir.path().join("a"), 0o777);
        let ProjectFile::Refused { reason, .. } = find_project_file(&nested, uid(), None) else {
            panic!("must be refused");
        };
        assert!(
            reason.contains("which its group and every user can write to"),
            "{reason}"
        );
        // Sticky, like /tmp: the user's own file there is safe.
        chmod(&dir.path().join("a"), 0o1777);
        assert_eq!(
            find_project_file(&nested, uid(), None),
            ProjectFile::Found(file)
        );
    }

    #[test]
    fn a_file_owned_by_another_user_is_refused_and_the_search_stops_at_their_directory() {
        let (dir, nested, file) = tree();
        // Only root can give a file away; elsewhere this part is skipped.
        if std::os::unix::fs::chown(&file, Some(65534), None).is_err() {
            eprintln!("skipped: needs root to chown");
            return;
        }
        let ProjectFile::Refused { reason, .. } = find_project_file(&nested, uid(), None) else {
            panic!("must be refused");
        };
        assert!(reason.contains("another user (uid 65534)"), "{reason}");
        // A directory owned by someone else ends the search: their file there is not reached.
        std::os::unix::fs::chown(&file, Some(uid()), None).unwrap();
        std::os::unix::fs::chown(dir.path().join("a"), Some(65534), None).unwrap();
        assert_eq!(find_project_file(&nested, uid(), None), ProjectFile::Absent);
    }

    #[test]
    fn an_allowance_covers_its_content_and_named_hooks_only() {
        let a = Allowance {
            path: "/p/.vault.env".into(),
            digest: digest(b"X=1\n"),
            vars: vec!["NODE_OPTIONS".into()],
            allowed_at: "2026-03-01T00:00:00Z".parse().unwrap(),
        };
        assert_eq!(a.check(&digest(b"X=1\n"), &[]), None);
        assert_eq!(a.check(&digest(b"X=2\n"), &[]), Some(Refusal::Changed));
        assert_eq!(a.check(&digest(b"X=1\n"), &["NODE_OPTIONS".into()]), None);
        assert_eq!(
            a.check(&digest(b"X=1\n"), &["LD_PRELOAD".into()]),
            Some(Refusal::Hooks {
                names: vec!["LD_PRELOAD".into()]
            })
        );
    }
}

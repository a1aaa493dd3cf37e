//! What a scan is asked to look at and what it answers: the wire types of the agent's `scan`
//! operation (the agent's protocol fingerprint covers this file). Locations and names only:
//! never a value, nor a line of the file it was found in.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use vault_core::vault::SecretRole;

/// The most findings one answer carries; the rest are counted (`Report::more`).
pub const MAX_FINDINGS: usize = 10_000;

/// Files larger than this are skipped unless the request says otherwise.
pub const DEFAULT_MAX_SIZE: u64 = 64 << 20;

/// Where to look. Paths are absolute: the scanning process may have another working directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "target", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(rename = "ScanTarget"))]
pub enum Target {
    /// Files and folders, folders walked respecting `.gitignore` (unless `all`).
    Paths {
        #[cfg_attr(feature = "ts", ts(type = "Array<string>"))]
        paths: Vec<PathBuf>,
    },
    /// Every blob of every commit reachable from any ref of the repository.
    History {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        repo: PathBuf,
    },
    /// The lines a commit of what is staged would add.
    Staged {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        repo: PathBuf,
        /// The index the commit is made from when it is not the repository's own: git hands
        /// a hook a temporary one (`GIT_INDEX_FILE`) for `git commit -a` and `git commit PATH`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "ts", ts(type = "string | null"))]
        index: Option<PathBuf>,
    },
    /// The usual places keys are left in a home folder (shell histories and profiles, tools'
    /// credential files).
    Home {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        home: PathBuf,
    },
}

/// A scan request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ScanRequest"))]
pub struct Request {
    pub targets: Vec<Target>,
    /// Read files `.gitignore` and `.ignore` exclude too.
    #[serde(default)]
    pub all: bool,
    /// Follow symbolic links (loops are detected and skipped).
    #[serde(default)]
    pub follow: bool,
    /// Skip files larger than this many bytes.
    #[serde(default = "default_max_size")]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub max_size: u64,
}

fn default_max_size() -> u64 {
    DEFAULT_MAX_SIZE
}

impl Request {
    pub fn new(targets: Vec<Target>) -> Request {
        Request {
            targets,
            all: false,
            follow: false,
            max_size: DEFAULT_MAX_SIZE,
        }
    }
}

/// One item (and which of its secrets) holding a value that was found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StoredAs {
    pub item: String,
    #[serde(flatten)]
    pub role: SecretRole,
}

/// What was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(rename = "ScanFound"))]
pub enum Found {
    /// A value the vault holds, verbatim.
    Stored { stored_as: Vec<StoredAs> },
    /// A key in a known format (`format`: vault-core's id, e.g. `github-pat`).
    Format { format: String, description: String },
}

/// One finding: where, and what. Lines and columns count from 1; a column counts characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ScanFinding"))]
pub struct Finding {
    pub path: String,
    pub line: u32,
    pub column: u32,
    /// The column just past it (on the same line: no secret spans lines).
    pub end_column: u32,
    /// The commit that added it (history scans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub found: Found,
}

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "reason", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", ts(rename = "ScanSkipReason"))]
pub enum SkipReason {
    /// It holds NUL bytes in its first 8 KiB.
    Binary,
    /// It is larger than the limit.
    TooLarge {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        size: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        limit: u64,
    },
    /// A symbolic link, not followed.
    Symlink,
    /// It could not be read (the error, which never holds file content).
    Unreadable { error: String },
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::Binary => f.write_str("binary"),
            SkipReason::TooLarge { size, limit } => write!(
                f,
                "{} MiB, over the {} MiB limit (--max-size)",
                size.div_ceil(1 << 20),
                limit >> 20
            ),
            SkipReason::Symlink => f.write_str("symbolic link, not followed (--follow)"),
            SkipReason::Unreadable { error } => write!(f, "cannot be read: {error}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ScanSkipped"))]
pub struct Skipped {
    pub path: String,
    #[serde(flatten)]
    pub reason: SkipReason,
}

/// A scan's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "ScanReport"))]
pub struct Report {
    /// Sorted by path, commit, line and column.
    pub findings: Vec<Finding>,
    /// Findings beyond [`MAX_FINDINGS`], not listed.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub more: u64,
    /// Sorted by path; at most [`MAX_FINDINGS`].
    pub skipped: Vec<Skipped>,
    /// Files skipped beyond those listed.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub more_skipped: u64,
    /// Files (or blobs) read, and their bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// Distinct stored values looked for (0 when the vault was locked: formats only).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub values: u64,
    /// Stored values too short to look for.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub too_short: u64,
}

impl Report {
    /// Whether anything was found (the CLI's exit status 1).
    pub fn found(&self) -> bool {
        !self.findings.is_empty() || self.more > 0
    }

    /// Paths under `dir` made relative to it (`.` for `dir` itself), as git and compilers show
    /// them; others stay as they are.
    pub fn relative_to(&mut self, dir: &std::path::Path) {
        let paths = self.findings.iter_mut().map(|f| &mut f.path);
        for p in paths.chain(self.skipped.iter_mut().map(|s| &mut s.path)) {
            if let Ok(r) = std::path::Path::new(p.as_str()).strip_prefix(dir) {
                *p = if r.as_os_str().is_empty() {
                    ".".into()
                } else {
                    r.to_string_lossy().into_owned()
                };
            }
        }
    }
}

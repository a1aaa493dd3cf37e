//! The desktop app's scan: a folder the user chose, looked at by the agent exactly as `vault
//! scan --all FOLDER` does (every stored value, and keys in known formats), and the report,
//! which names items and places, never a value.

use vault_agent::protocol::{Op, Response};
use vault_scan::{Report, Request, Target};

use super::{App, unexpected};
use crate::error::AppResult;
use crate::host::Host;

impl<H: Host> App<H> {
    /// The folder to scan, chosen in the desktop's folder chooser; `None` when cancelled.
    pub fn pick_scan_folder(&self) -> AppResult<Option<String>> {
        Ok(self
            .inner
            .host
            .pick_folder("Find leaked keys in a folder")
            .map(|p| p.display().to_string()))
    }

    /// Scans `path` (a leading `~/` is the home folder); `all`: files .gitignore excludes too.
    /// Paths in the report are relative to the folder.
    pub fn scan_folder(&self, path: &str, all: bool) -> AppResult<Report> {
        let folder = super::imports::expand(path.trim());
        let mut request = Request::new(vec![Target::Paths {
            paths: vec![folder.clone()],
        }]);
        request.all = all;
        let mut report = match self.op(Op::Scan { request })? {
            Response::Scanned { report } => report,
            other => return Err(unexpected("scan", &other)),
        };
        report.relative_to(&folder);
        Ok(report)
    }
}

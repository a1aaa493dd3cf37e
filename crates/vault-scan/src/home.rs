//! `vault scan --home`: the files keys are usually left in, in a home folder. Each is read as
//! it is; Docker's `config.json` also has its base64 `auth` entries decoded, since the token
//! in them never appears in the file as it is.

use std::path::Path;

use base64::Engine;

use crate::{Matcher, Request, Sink, findings, scan_file};

/// Shell histories and profiles, then tools' credential files, relative to the home folder.
pub const HOME_FILES: &[&str] = &[
    ".bash_history",
    ".zsh_history",
    ".histfile",
    ".local/share/fish/fish_history",
    ".python_history",
    ".node_repl_history",
    ".psql_history",
    ".mysql_history",
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".profile",
    ".zshrc",
    ".zshenv",
    ".zprofile",
    ".config/fish/config.fish",
    ".npmrc",
    ".yarnrc.yml",
    ".pypirc",
    ".docker/config.json",
    ".aws/credentials",
    ".aws/config",
    ".git-credentials",
    ".config/git/credentials",
    ".config/gh/hosts.yml",
    ".netrc",
    ".gem/credentials",
    ".cargo/credentials.toml",
    ".kube/config",
    ".terraform.d/credentials.tfrc.json",
];

pub(crate) fn scan(home: &Path, request: &Request, matcher: &Matcher, sink: &Sink) {
    for name in HOME_FILES {
        let path = home.join(name);
        // Absent files are the good case, not a skip worth a line.
        if !path.is_file() {
            continue;
        }
        scan_file(&path, request, matcher, sink);
        if *name == ".docker/config.json" {
            docker_auths(&path, matcher, sink);
        }
    }
}

/// `auths.<registry>.auth` is base64 of `user:secret`: decoded and scanned, and reported at
/// the place of the encoded string.
fn docker_auths(path: &Path, matcher: &Matcher, sink: &Sink) {
    let Ok(text) = std::fs::read(path) else {
        return;
    };
    let Ok(config) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return;
    };
    let Some(auths) = config.get("auths").and_then(|a| a.as_object()) else {
        return;
    };
    let display = path.to_string_lossy();
    for entry in auths.values() {
        let Some(encoded) = entry.get("auth").and_then(|a| a.as_str()) else {
            continue;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
            continue;
        };
        let decoded = zeroize::Zeroizing::new(decoded);
        if matcher.find(&decoded).is_empty() {
            continue;
        }
        // One finding per entry, where the encoded string starts.
        let Some(at) = memchr::memmem::find(&text, encoded.as_bytes()) else {
            continue;
        };
        let mut found = findings(matcher, &decoded, &display, None, 1);
        let line = text[..at].iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        let line_start = text[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        found.truncate(1);
        for f in &mut found {
            f.line = line;
            f.column = (at - line_start) as u32 + 1;
            f.end_column = f.column + encoded.len() as u32;
        }
        sink.found(found);
    }
}

//! References to secrets (`vault://ITEM`, `vault://ITEM/FIELD`) and the files that hold them.
//!
//! A reference names a secret without containing it, so a `.vault.env` full of references is
//! safe to commit. This module parses references and finds and reads such files; resolving a
//! reference to a value is the vault's job (through the agent), never done here.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dotenv;
use crate::error::{Error, Result};
use crate::model::Skipped;
use crate::secret::SecretValue;

/// The scheme every reference starts with.
pub const SCHEME: &str = "vault://";

/// A pointer to an item's value (or another field of it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference {
    pub item: String,
    /// `None`: the item's main value (an API key's value, a grant's access token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Reference {
    /// Whether `text` is meant as a reference (it may still be malformed).
    pub fn looks_like(text: &str) -> bool {
        text.starts_with(SCHEME)
    }

    /// Parses `vault://ITEM` or `vault://ITEM/FIELD`; `%XX` escapes allow any name
    /// (`vault://stripe%20live`).
    pub fn parse(text: &str) -> Result<Reference> {
        let bad = |why: &str| Error::Invalid(format!("{text:?} is not a vault reference: {why}"));
        let rest = text
            .strip_prefix(SCHEME)
            .ok_or_else(|| bad("it must start with vault://"))?;
        let (item, field) = match rest.split_once('/') {
            Some((item, field)) => (item, Some(field)),
            None => (rest, None),
        };
        let item = percent_decode(item).ok_or_else(|| bad("invalid %-escape"))?;
        if item.is_empty() {
            return Err(bad("no item name (vault://NAME)"));
        }
        let field = match field {
            None => None,
            Some("") => return Err(bad("empty field after `/`")),
            Some(f) if f.contains('/') => return Err(bad("only one `/FIELD` is allowed")),
            Some(f) => Some(percent_decode(f).ok_or_else(|| bad("invalid %-escape"))?),
        };
        Ok(Reference { item, field })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}", percent_encode(&self.item))?;
        if let Some(field) = &self.field {
            write!(f, "/{}", percent_encode(field))?;
        }
        Ok(())
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One line of an env file: a variable set to a plain value or to a reference.
#[derive(Debug)]
pub struct Binding {
    pub name: String,
    pub source: Source,
    /// Where it was set, for messages: `.vault.env:3`.
    pub origin: String,
}

#[derive(Debug)]
pub enum Source {
    Plain(SecretValue),
    Reference(Reference),
}

/// A file that could not be used, with every problem and its line.
#[derive(Debug)]
pub struct FileProblems {
    pub path: PathBuf,
    pub problems: Vec<Skipped>,
}

impl fmt::Display for FileProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} cannot be used:", self.path.display())?;
        for p in &self.problems {
            match &p.key {
                Some(k) => write!(f, "\n  line {}: {k}: {}", p.line, p.reason)?,
                None => write!(f, "\n  line {}: {}", p.line, p.reason)?,
            }
        }
        Ok(())
    }
}

/// Reads the bindings of an env file. Any line that is not a clean assignment (or a value that
/// starts with `vault://` but is not a valid reference) makes the whole file unusable: a
/// command must not start with half of what its file asks for.
pub fn read_env_file(path: &Path, text: &str) -> std::result::Result<Vec<Binding>, FileProblems> {
    let parsed = dotenv::parse_keeping_empty(text);
    // A key set twice keeps its later value, like a shell; only real problems count.
    let mut problems: Vec<Skipped> = parsed
        .skipped
        .into_iter()
        .filter(|s| {
            !s.key
                .as_ref()
                .is_some_and(|k| parsed.entries.iter().any(|e| &e.key == k))
        })
        .collect();
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut out = Vec::with_capacity(parsed.entries.len());
    for e in parsed.entries {
        let source = if Reference::looks_like(e.value.expose()) {
            match Reference::parse(e.value.expose()) {
                Ok(r) => Source::Reference(r),
                Err(err) => {
                    problems.push(Skipped {
                        line: e.line,
                        key: Some(e.key),
                        reason: err.to_string(),
                    });
                    continue;
                }
            }
        } else {
            Source::Plain(e.value)
        };
        out.push(Binding {
            origin: format!("{name}:{}", e.line),
            name: e.key,
            source,
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        problems.sort_by_key(|p| p.line);
        Err(FileProblems {
            path: path.to_owned(),
            problems,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        let r = Reference::parse("vault://openai").unwrap();
        assert_eq!(r.item, "openai");
        assert_eq!(r.field, None);
        let r = Reference::parse("vault://stripe%20live/notes").unwrap();
        assert_eq!(r.item, "stripe live");
        assert_eq!(r.field.as_deref(), Some("notes"));
        assert_eq!(r.to_string(), "vault://stripe%20live/notes");
        assert_eq!(Reference::parse(&r.to_string()).unwrap(), r);
        for bad in [
            "vault://",
            "vault:///x",
            "vault://a/",
            "vault://a/b/c",
            "vault://%zz",
            "http://x",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn env_files_bind_plain_values_and_references() {
        let text = "# project\nAPI=vault://openai\nPORT=3000\nEMPTY=\nAPI=vault://openai/value\n";
        let b = read_env_file(Path::new("/p/.vault.env"), text).unwrap();
        let names: Vec<&str> = b.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["PORT", "EMPTY", "API"], "the later API wins");
        assert!(matches!(&b[0].source, Source::Plain(v) if v.expose() == "3000"));
        assert!(matches!(&b[1].source, Source::Plain(v) if v.is_empty()));
        assert!(
            matches!(&b[2].source, Source::Reference(r) if r.field.as_deref() == Some("value"))
        );
        assert_eq!(b[2].origin, ".vault.env:5");
    }

    #[test]
    fn a_bad_line_makes_the_file_unusable_with_line_numbers() {
        let text = "OK=1\nnot an assignment\nREF=vault://\n";
        let err = read_env_file(Path::new(".vault.env"), text).unwrap_err();
        let lines: Vec<usize> = err.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [2, 3]);
        let msg = err.to_string();
        assert!(
            msg.contains("line 2") && msg.contains("line 3: REF"),
            "{msg}"
        );
    }
}

//! Other secret stores' files, read into items vault can import: KeePass (KDBX 3.1 and 4),
//! 1Password (`.1pux` and CSV), Bitwarden (the JSON export), dotenvx (an encrypted `.env` with
//! its `.env.keys`), Doppler and Infisical (their JSON downloads) and shell profiles
//! (`export NAME=value` lines).
//!
//! Nothing here touches a vault: [`read`] turns a file into [`Entry`]s (names made valid and
//! unique, the other parts of each credential as fields, the secret ones as secret fields)
//! and a list of what was left out and why; the caller imports the entries in one transaction.
//! A file that cannot be read whole (a wrong password, a truncated or corrupt file, an entry
//! of a kind this reader does not know) is an [`ImportError`] naming the file (and the entry),
//! and nothing of it is returned.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;

use jiff::Timestamp;
use vault_core::SecretValue;
use vault_core::model::{ImportedMeta, SecretFields};

pub mod aws;
mod bitwarden;
mod dotenvx;
mod env;
mod keepass;
mod onepassword;
mod plain;

/// A file format `vault import --from` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Keepass,
    /// A `.1pux` export (a ZIP archive) or 1Password's CSV export.
    OnePassword,
    Bitwarden,
    Dotenvx,
    Doppler,
    Infisical,
    /// `export NAME=value` lines of `~/.bashrc`, `~/.zshrc`, `~/.profile`...
    Shell,
    /// A dotenv file, or `vault export --format json`'s output: read by the caller.
    Env,
}

impl Format {
    /// Every format, in `--from`'s order.
    pub const ALL: [Format; 8] = [
        Format::Keepass,
        Format::OnePassword,
        Format::Bitwarden,
        Format::Dotenvx,
        Format::Doppler,
        Format::Infisical,
        Format::Shell,
        Format::Env,
    ];

    /// The name `--from` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Keepass => "keepass",
            Format::OnePassword => "1password",
            Format::Bitwarden => "bitwarden",
            Format::Dotenvx => "dotenvx",
            Format::Doppler => "doppler",
            Format::Infisical => "infisical",
            Format::Shell => "shell",
            Format::Env => "env",
        }
    }

    pub fn parse(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// What the user must give for the file to open (asked at a hidden prompt, or read from
    /// `--source-password-file`), if anything.
    pub fn secret_needed(self) -> Option<&'static str> {
        match self {
            Format::Keepass => Some("the KeePass database's password"),
            Format::Dotenvx => Some("the dotenvx private key (DOTENV_PRIVATE_KEY)"),
            _ => None,
        }
    }

    /// Whether the file holds the secrets in plaintext, so that rewriting it as references
    /// is worth offering.
    pub fn is_plaintext(self) -> bool {
        matches!(self, Format::Shell | Format::Env)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The format of `bytes`, from their content (and, for shell profiles, the file's name).
pub fn detect(path: &Path, bytes: &[u8]) -> Option<Format> {
    if keepass::looks_like(bytes) {
        return Some(Format::Keepass);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return onepassword::is_1pux(bytes).then_some(Format::OnePassword);
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let json: serde_json::Value = serde_json::from_str(trimmed).ok()?;
        return plain::detect_json(&json);
    }
    if onepassword::is_csv(trimmed) {
        return Some(Format::OnePassword);
    }
    if dotenvx::looks_like(text) {
        return Some(Format::Dotenvx);
    }
    let file_name = path.file_name()?.to_str()?;
    if plain::is_shell_profile(file_name) {
        return Some(Format::Shell);
    }
    Some(Format::Env)
}

/// The dotenvx private key for the `.env` file at `path`, from the `.env.keys` beside it.
pub fn dotenvx_key(path: &Path) -> Option<SecretValue> {
    dotenvx::key_from_keys_file(path)
}

/// What the reader is given.
#[derive(Debug)]
pub struct Input<'a> {
    /// The file's path, for messages and for finding files beside it (`.env.keys`).
    pub path: &'a Path,
    pub bytes: &'a [u8],
    /// The source's password or private key, when [`Format::secret_needed`].
    pub secret: Option<&'a SecretValue>,
    /// A KeePass key file's bytes.
    pub key_file: Option<&'a [u8]>,
}

/// One item to import.
#[derive(Debug)]
pub struct Entry {
    /// Where it came from, for the report: `Group/Title`, a vault's item title, a variable.
    pub origin: String,
    /// The item's name: valid, and unique in this import.
    pub name: String,
    /// Environment variable names, when the source has them (dotenv-like sources); empty:
    /// derived from the name.
    pub env: Vec<String>,
    pub value: SecretValue,
    pub fields: BTreeMap<String, String>,
    pub secret_fields: SecretFields,
    pub tags: Vec<String>,
    pub notes: String,
    pub expires: Option<Timestamp>,
}

impl Entry {
    /// The entry as the vault imports it (`Vault::import_with`): a named value at position
    /// `line` of the source, and the metadata its item takes.
    pub fn into_import(self, line: usize) -> (vault_core::dotenv::Entry, ImportedMeta) {
        let meta = ImportedMeta {
            env: self.env,
            tags: self.tags,
            notes: self.notes,
            expires: self.expires,
            fields: self.fields,
            secret_fields: self.secret_fields,
            ..ImportedMeta::default()
        };
        let entry = vault_core::dotenv::Entry {
            key: self.name,
            value: self.value,
            line,
        };
        (entry, meta)
    }
}

/// An entry of the source that is not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skip {
    pub origin: String,
    pub reason: String,
}

/// A file read whole.
#[derive(Debug, Default)]
pub struct Read {
    pub entries: Vec<Entry>,
    pub skipped: Vec<Skip>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: {what} does not open it; nothing was imported")]
    WrongSecret { file: String, what: &'static str },
    #[error("{file}: needs {what}; nothing was imported")]
    SecretNeeded { file: String, what: &'static str },
    #[error("{file}: {why}; nothing was imported")]
    Corrupt { file: String, why: String },
    #[error("{file}: {entry}: {why}; nothing was imported")]
    Entry {
        file: String,
        entry: String,
        why: String,
    },
    #[error(
        "{file}: not a format vault imports (KeePass .kdbx, 1Password .1pux or CSV, a Bitwarden \
         or Doppler or Infisical JSON export, a dotenvx or plain .env, a shell profile); name \
         one with --from; nothing was imported"
    )]
    Unknown { file: String },
}

impl ImportError {
    fn corrupt(input: &Input<'_>, why: impl Into<String>) -> ImportError {
        ImportError::Corrupt {
            file: input.path.display().to_string(),
            why: why.into(),
        }
    }

    fn entry(input: &Input<'_>, entry: impl Into<String>, why: impl Into<String>) -> ImportError {
        ImportError::Entry {
            file: input.path.display().to_string(),
            entry: entry.into(),
            why: why.into(),
        }
    }
}

/// A source as the vault imports it (`Vault::import_with`): named values, each with the
/// metadata its item takes (none for a dotenv line, whose item the vault describes from its
/// value), and what was left out (line 0 when the source has no lines: `key` names the entry).
#[derive(Debug, Default)]
pub struct Loaded {
    pub parsed: vault_core::dotenv::Parsed,
    pub metas: Vec<Option<ImportedMeta>>,
    /// An AWS access key's variables made one entry (see [`aws`]).
    pub joined: Option<aws::Joined>,
}

/// Reads `input` as `format`, whichever it is, for the vault's import.
pub fn load(format: Format, input: &Input<'_>) -> Result<Loaded, ImportError> {
    let mut loaded = load_entries(format, input)?;
    loaded.joined = aws::join_pair(format, &mut loaded);
    Ok(loaded)
}

fn load_entries(format: Format, input: &Input<'_>) -> Result<Loaded, ImportError> {
    if format == Format::Env {
        return env::load(input);
    }
    let read = read(format, input)?;
    let mut out = Loaded::default();
    for (i, e) in read.entries.into_iter().enumerate() {
        let (entry, meta) = e.into_import(i + 1);
        out.parsed.entries.push(entry);
        out.metas.push(Some(meta));
    }
    out.parsed.skipped = read
        .skipped
        .into_iter()
        .map(|s| vault_core::model::Skipped {
            line: 0,
            key: Some(s.origin),
            reason: s.reason,
        })
        .collect();
    Ok(out)
}

/// Reads `input` as `format`. [`Format::Env`] is [`load`]'s alone: asking for it here is an
/// error.
pub fn read(format: Format, input: &Input<'_>) -> Result<Read, ImportError> {
    let mut read = match format {
        Format::Keepass => keepass::read(input)?,
        Format::OnePassword => onepassword::read(input)?,
        Format::Bitwarden => bitwarden::read(input)?,
        Format::Dotenvx => dotenvx::read(input)?,
        Format::Doppler => plain::doppler(input)?,
        Format::Infisical => plain::infisical(input)?,
        Format::Shell => plain::shell(input)?,
        Format::Env => {
            return Err(ImportError::Unknown {
                file: input.path.display().to_string(),
            });
        }
    };
    unique_names(&mut read.entries);
    Ok(read)
}

/// An entry being built by a reader: empty parts are dropped, names made valid.
#[derive(Debug, Default)]
struct Draft {
    origin: String,
    title: String,
    env: Vec<String>,
    value: Option<SecretValue>,
    fields: BTreeMap<String, String>,
    secret_fields: SecretFields,
    tags: Vec<String>,
    notes: String,
    expires: Option<Timestamp>,
}

impl Draft {
    fn new(origin: impl Into<String>, title: impl Into<String>) -> Draft {
        Draft {
            origin: origin.into(),
            title: title.into(),
            ..Draft::default()
        }
    }

    /// A plain field, unless empty (a field cannot be).
    fn field(&mut self, name: &str, value: &str) {
        let value = value.trim_end_matches('\0');
        if !value.is_empty() && !value.contains('\0') {
            self.fields.insert(field_name(name), value.to_owned());
        }
    }

    fn secret_field(&mut self, name: &str, value: &str) {
        if !value.is_empty() && !value.contains('\0') {
            self.secret_fields
                .insert(field_name(name), SecretValue::new(value));
        }
    }

    fn tag(&mut self, tag: &str) {
        let tag: String = tag
            .trim()
            .chars()
            .map(|c| {
                if c.is_whitespace() || c == ',' || c.is_control() {
                    '-'
                } else {
                    c
                }
            })
            .collect();
        if !tag.is_empty() && !self.tags.contains(&tag) {
            self.tags.push(tag);
        }
    }

    /// The entry, or why it is skipped: no value, or a value an environment cannot hold.
    fn finish(self, out: &mut Read) {
        let value = match self.value {
            Some(v) if v.is_empty() => None,
            other => other,
        };
        let Some(value) = value else {
            out.skipped.push(Skip {
                origin: self.origin,
                reason: "nothing secret in it (no password or credential)".into(),
            });
            return;
        };
        if value.expose().contains('\0') {
            out.skipped.push(Skip {
                origin: self.origin,
                reason: "its value holds a NUL byte, which an environment cannot".into(),
            });
            return;
        }
        // A field named like a secret one stays secret only.
        let mut fields = self.fields;
        fields.retain(|k, _| !self.secret_fields.contains_key(k));
        out.entries.push(Entry {
            origin: self.origin,
            name: item_name(&self.title),
            env: self.env,
            value,
            fields,
            secret_fields: self.secret_fields,
            tags: self.tags,
            notes: self.notes,
            expires: self.expires,
        });
    }
}

/// A title made a valid item name: no `/` (references use it), no control characters, at
/// most 100 bytes (room for a `-2`).
pub fn item_name(title: &str) -> String {
    let clean: String = title
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if c == '/' { '-' } else { c })
        .collect();
    let mut clean = clean.trim().to_owned();
    while clean.len() > 100 {
        clean.pop();
    }
    if clean.is_empty() {
        "imported".to_owned()
    } else {
        clean
    }
}

/// A field name vault takes: a letter, then letters, digits, `_`, `-`, `.`; at most 64
/// characters; never one of the built-in fields (those get an `x-` in front).
pub fn field_name(name: &str) -> String {
    let mut out: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "f-");
    }
    if vault_core::model::API_KEY_FIELDS
        .iter()
        .any(|b| b.eq_ignore_ascii_case(&out))
    {
        out.insert_str(0, "x-");
    }
    out.truncate(64);
    out
}

/// Two entries of one file with the same name (case-insensitively) become `name`, `name-2`...
fn unique_names(entries: &mut [Entry]) {
    let mut seen = HashSet::new();
    for e in entries {
        let base = e.name.clone();
        let mut n = 1;
        while !seen.insert(vault_core::names::fold(&e.name)) {
            n += 1;
            e.name = format!("{base}-{n}");
        }
    }
}

/// A Unix time in seconds, as the exports write them.
fn from_unix(secs: i64) -> Option<Timestamp> {
    Timestamp::from_second(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_valid_and_unique() {
        assert_eq!(item_name(" GitHub / CI token\n"), "GitHub - CI token");
        assert_eq!(item_name(""), "imported");
        assert_eq!(field_name("API Key Id"), "API-Key-Id");
        assert_eq!(field_name("2fa"), "f-2fa");
        assert_eq!(field_name("notes"), "x-notes");
        let mut out = Read::default();
        for t in ["Stripe", "stripe", "Stripe"] {
            let mut d = Draft::new(t, t);
            d.value = Some(SecretValue::new("v"));
            d.finish(&mut out);
        }
        unique_names(&mut out.entries);
        let names: Vec<_> = out.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Stripe", "stripe-2", "Stripe-3"]);
    }

    #[test]
    fn an_entry_without_a_value_is_skipped_and_said_why() {
        let mut out = Read::default();
        Draft::new("Notes/empty", "empty").finish(&mut out);
        assert!(out.entries.is_empty());
        assert_eq!(out.skipped[0].origin, "Notes/empty");
    }

    #[test]
    fn formats_have_names_both_ways() {
        for f in Format::ALL {
            assert_eq!(Format::parse(f.name()), Some(f));
        }
        assert_eq!(Format::parse("lastpass"), None);
    }
}

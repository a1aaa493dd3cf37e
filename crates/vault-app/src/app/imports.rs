//! The desktop app's import: the file the user named, read by `vault-import` exactly as
//! `vault import` reads it (the format told from the content, or chosen), imported through the
//! agent in one transaction, and the report. A source that needs a password or private key
//! says so first, and the window asks for it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use vault_agent::WireSecret;
use vault_agent::protocol::{ImportEntry, Op, Response};
use vault_core::ErrorCode;
use vault_core::model::{ImportReport, OnConflict};
use vault_import::{Format, ImportError, Input};
use zeroize::Zeroizing;

use super::{App, unexpected};
use crate::error::{AppError, AppResult};
use crate::host::Host;

/// What the window sends to import a file.
#[derive(Debug, Deserialize, TS)]
pub struct ImportRequest {
    /// The file; a leading `~/` is the home folder.
    pub path: String,
    /// `vault import --from`'s names (keepass, 1password...); null: told from the content.
    pub from: Option<String>,
    /// The source's password (KeePass) or private key (dotenvx), once asked for.
    #[ts(type = "string | null")]
    pub secret: Option<WireSecret>,
    /// A KeePass key file.
    pub key_file: Option<String>,
    /// Tags for every imported item.
    pub tags: Vec<String>,
    /// Existing items take the imported values (else they are skipped).
    pub rotate_existing: bool,
}

/// What an import came to.
#[derive(Debug, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ImportOutcome {
    /// Nothing imported yet: the source needs `what` (asked again after a `wrong` one).
    NeedsSecret {
        format: String,
        what: String,
        wrong: bool,
    },
    Imported {
        format: String,
        report: ImportReport,
    },
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::vault(ErrorCode::Invalid, message)
}

/// `~/x` in the home folder; anything else as written.
pub(super) fn expand(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}

impl<H: Host> App<H> {
    /// The file to import, chosen in the desktop's file chooser; `None` when cancelled.
    pub fn pick_import_file(&self) -> AppResult<Option<String>> {
        Ok(self
            .inner
            .host
            .pick_file("Import into the vault")
            .map(|p| p.display().to_string()))
    }

    /// Imports the file `req` names, or says what it needs first.
    pub fn import_file(&self, req: ImportRequest) -> AppResult<ImportOutcome> {
        let path = expand(req.path.trim());
        let bytes = Zeroizing::new(
            std::fs::read(&path)
                .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?,
        );
        let format = match req.from.as_deref() {
            Some(name) => {
                Format::parse(name).ok_or_else(|| invalid(format!("{name}: not a format")))?
            }
            None => vault_import::detect(&path, &bytes).ok_or_else(|| {
                invalid(
                    ImportError::Unknown {
                        file: path.display().to_string(),
                    }
                    .to_string(),
                )
            })?,
        };
        let needs = |what: Option<&str>, wrong: bool| {
            Ok(ImportOutcome::NeedsSecret {
                format: format.name().to_owned(),
                what: what
                    .or(format.secret_needed())
                    .unwrap_or("a password")
                    .to_owned(),
                wrong,
            })
        };
        let key_file = match req.key_file.as_deref().filter(|k| !k.trim().is_empty()) {
            Some(k) => Some(Zeroizing::new(
                std::fs::read(expand(k.trim()))
                    .map_err(|e| invalid(format!("cannot read the key file {k}: {e}")))?,
            )),
            None => None,
        };
        let secret = req.secret.map(WireSecret::into_inner);
        let has_key = match format {
            Format::Dotenvx => vault_import::dotenvx_key(&path).is_some(),
            Format::Keepass => key_file.is_some(),
            _ => true,
        };
        if format.secret_needed().is_some() && secret.is_none() && !has_key {
            return needs(None, false);
        }
        let input = Input {
            path: &path,
            bytes: &bytes,
            secret: secret.as_ref(),
            key_file: key_file.as_ref().map(|k| k.as_slice()),
        };
        let loaded = match vault_import::load(format, &input) {
            Ok(l) => l,
            // A source that needs a secret only sometimes (a protected Bitwarden export) says
            // which when it is read.
            Err(ImportError::WrongSecret { what, .. } | ImportError::SecretNeeded { what, .. }) => {
                return needs(Some(what), secret.is_some());
            }
            Err(e) => return Err(invalid(e.to_string())),
        };
        let mut skipped = loaded.parsed.skipped;
        let entries = loaded
            .parsed
            .entries
            .into_iter()
            .zip(loaded.metas)
            .map(|(e, meta)| ImportEntry::new(e, meta))
            .collect();
        let on_conflict = if req.rotate_existing {
            OnConflict::Rotate
        } else {
            OnConflict::Skip
        };
        match self.op(Op::Import {
            entries,
            tags: req.tags,
            on_conflict,
        })? {
            Response::Imported { mut report } => {
                skipped.append(&mut report.skipped);
                report.skipped = skipped;
                Ok(ImportOutcome::Imported {
                    format: format.name().to_owned(),
                    report,
                })
            }
            other => Err(unexpected("import", &other)),
        }
    }
}

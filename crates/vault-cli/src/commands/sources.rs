//! What `vault import` reads: the file, in whichever format it is (told from its content, or
//! named with `--from`), as entries with the metadata their items take, read by
//! `vault-import`; the password or key the source needs comes from a file or a prompt.

use std::io::{IsTerminal, Read};
use std::path::Path;

use anyhow::{Context, Result};
use vault_core::model::ImportedMeta;
use vault_core::{SecretValue, dotenv};
use vault_import::{Format, Input};
use zeroize::Zeroizing;

use crate::cli::ImportArgs;
use crate::exit::{self, Failure, fail};
use crate::session::{Session, prompt_hidden};

/// A source read whole: its entries, each with the metadata its item takes (none for a
/// dotenv line), and what was left out.
pub(super) struct Source {
    pub format: Format,
    pub parsed: dotenv::Parsed,
    pub metas: Vec<Option<ImportedMeta>>,
    /// An AWS access key's variables made one entry.
    pub joined: Option<vault_import::aws::Joined>,
}

pub(super) fn read(session: &Session, args: &ImportArgs) -> Result<Source> {
    let file = args.file.as_path();
    let mut bytes = Zeroizing::new(Vec::new());
    if file == Path::new("-") {
        if session.passwords.uses_stdin() {
            return fail(
                exit::OTHER,
                "cannot read the file from stdin when --password-stdin is used",
            );
        }
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read stdin")?;
    } else {
        std::fs::File::open(file)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    let format = match args.from.as_deref() {
        Some(name) => Format::parse(name)
            .ok_or_else(|| Failure::new(exit::OTHER, format!("--from {name}: not a format")))?,
        None => vault_import::detect(file, &bytes).ok_or_else(|| {
            Failure::new(
                exit::OTHER,
                vault_import::ImportError::Unknown {
                    file: file.display().to_string(),
                }
                .to_string(),
            )
        })?,
    };
    let secret = secret_for(format, args)?;
    let key_file = match &args.key_file {
        Some(path) => {
            Some(Zeroizing::new(std::fs::read(path).with_context(|| {
                format!("cannot read {}", path.display())
            })?))
        }
        None => None,
    };
    let input = Input {
        path: file,
        bytes: &bytes,
        secret: secret.as_ref(),
        key_file: key_file.as_ref().map(|k| k.as_slice()),
    };
    let loaded = match vault_import::load(format, &input) {
        // A file that needs a password only sometimes (a protected Bitwarden export) says so
        // when read: asked for then, at a terminal.
        Err(vault_import::ImportError::SecretNeeded { what, .. })
            if secret.is_none() && interactive_terminal() =>
        {
            let asked = prompt_hidden(&format!("{} for {}: ", capitalised(what), file.display()))?;
            vault_import::load(
                format,
                &Input {
                    secret: Some(&asked),
                    ..input
                },
            )
        }
        other => other,
    };
    let vault_import::Loaded {
        parsed,
        metas,
        joined,
    } = loaded.map_err(|e| Failure::new(exit::OTHER, e.to_string()))?;
    Ok(Source {
        format,
        parsed,
        metas,
        joined,
    })
}

/// The password or private key the source needs: from `--source-password-file`, `.env.keys`
/// beside a dotenvx file, or a hidden prompt; `None` when it needs none.
fn secret_for(format: Format, args: &ImportArgs) -> Result<Option<SecretValue>> {
    // Given for scripts: used whatever the format (a Bitwarden export needs one only when it
    // is password-protected).
    if let Some(path) = &args.source_password_file {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        );
        let first = text.lines().next().unwrap_or_default();
        return Ok(Some(SecretValue::new(first)));
    }
    let Some(what) = format.secret_needed() else {
        return Ok(None);
    };
    if format == Format::Dotenvx && vault_import::dotenvx_key(&args.file).is_some() {
        return Ok(None);
    }
    if format == Format::Keepass && args.key_file.is_some() && !interactive_terminal() {
        // A database opened by its key file alone.
        return Ok(None);
    }
    if !interactive_terminal() {
        return fail(
            exit::OTHER,
            format!(
                "{}: needs {what}: give it with --source-password-file FILE, or run this at a \
                 terminal; nothing was imported",
                args.file.display()
            ),
        );
    }
    let value = prompt_hidden(&format!(
        "{} for {}: ",
        capitalised(what),
        args.file.display()
    ))?;
    Ok((!value.is_empty()).then_some(value))
}

fn interactive_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

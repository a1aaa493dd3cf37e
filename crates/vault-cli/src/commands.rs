//! The commands. Each builds protocol requests, sends them through the session and renders the
//! answer; none touches the vault file itself. One item's commands are in `items`, the vault
//! as a whole in `vault`, OAuth grants and providers in `oauth`, imports and exports in
//! `transfer`, settings and the agent process in `setup`.

use anyhow::Result;

use crate::cli::{Command, EnvFormat, ExportFormat};
use crate::session::Session;

mod backup;
mod items;
pub mod oauth;
mod setup;
mod transfer;
mod vault;

pub use items::get;
use items::{add, edit, history, ls, rm, rollback, rotate};
pub use setup::{agent, config};
use transfer::{export, import};
use vault::{due, init, lock, log, passwd, status, unlock};

/// Runs a command that needs the vault; `Ok` holds the exit status.
pub fn run(session: &mut Session, command: Command) -> Result<u8> {
    if let Command::Run(args) = command {
        return crate::run::run(session, args);
    }
    run_simple(session, command).map(|()| 0)
}

fn run_simple(session: &mut Session, command: Command) -> Result<()> {
    match command {
        Command::Init { kdf } => init(session, &kdf),
        Command::Add { name, value, meta } => add(session, name, value, meta, None),
        Command::Generate {
            name,
            length,
            charset,
            rotate: new_value_for_existing,
            meta,
        } => {
            let charset = vault_core::generate::Charset::parse(&charset)
                .map_err(|e| crate::exit::Failure::new(crate::exit::OTHER, e.to_string()))?;
            let value = vault_core::generate::value(length, charset)
                .map_err(|e| crate::exit::Failure::new(crate::exit::OTHER, e.to_string()))?;
            let bits = (charset.bits_per_char() * length as f64).floor();
            if new_value_for_existing
                && (!meta.env.is_empty()
                    || !meta.tag.is_empty()
                    || meta.service.is_some()
                    || !meta.notes.is_empty()
                    || meta.rotate_every.is_some()
                    || meta.last_rotated.is_some())
            {
                return crate::exit::fail(
                    crate::exit::OTHER,
                    "with --rotate only --expires applies (the new value's); change the rest \
                     with `vault edit`",
                );
            }
            if new_value_for_existing {
                rotate(session, &name, None, meta.expires.as_deref(), Some(value))?;
            } else {
                add(session, name.clone(), None, meta, Some(value))?;
            }
            eprintln!(
                "The value is {length} random characters ({bits} bits); `vault get {name}` \
                 prints it, `vault get {name} --copy` copies it."
            );
            Ok(())
        }
        Command::Get(args) => get(session, &args),
        Command::Ls { query, tag, json } => ls(session, query, tag, json),
        Command::Edit(args) => edit(session, args),
        Command::Rm { name, yes } => rm(session, &name, yes),
        Command::Rotate {
            name,
            value,
            expires,
        } => rotate(session, &name, value, expires.as_deref(), None),
        Command::History { name, json } => history(session, &name, json),
        Command::Rollback { name, to } => rollback(session, &name, to),
        Command::Due {
            lead,
            check,
            tag,
            json,
        } => due(session, lead.as_deref(), check, tag, json),
        Command::Passwd { kdf } => passwd(session, kdf.as_deref()),
        Command::Import {
            file,
            tag,
            rotate_existing,
            dry_run,
            json,
        } => import(session, &file, tag, rotate_existing, dry_run, json),
        Command::Export {
            format,
            json,
            tag,
            output,
            force,
            yes,
        } => {
            let format = if json { ExportFormat::Json } else { format };
            export(session, format, tag, output.as_deref(), force, yes)
        }
        Command::Log { limit, json } => log(session, limit, json),
        Command::Backup { file, force } => backup::backup(session, &file, force),
        Command::Restore { file, yes } => backup::restore(session, &file, yes),
        Command::Env {
            selection,
            format,
            json,
        } => {
            let format = if json { EnvFormat::Json } else { format };
            crate::run::env(session, &selection, format)
        }
        Command::Inject {
            input,
            output,
            force,
        } => crate::run::inject(session, input.as_deref(), output.as_deref(), force),
        Command::Allow {
            file,
            allow_var,
            yes,
        } => crate::trust::allow(session, file.as_deref(), &allow_var, yes),
        Command::Deny { file } => crate::trust::deny(session, file.as_deref()),
        Command::Unlock => unlock(session),
        Command::Lock => lock(session),
        Command::Status { json } => status(session, json),
        Command::Oauth(command) => oauth::oauth(session, command),
        Command::Login(args) => oauth::login(session, args),
        Command::Token(args) => oauth::token(session, &args),
        Command::Grants { json } => oauth::grants(session, json),
        Command::Refresh { name } => oauth::refresh(session, &name),
        Command::Logout { name } => oauth::logout(session, &name),
        // Handled before a session exists.
        Command::Completions { .. }
        | Command::ClipboardHold { .. }
        | Command::Config { .. }
        | Command::Agent { .. }
        | Command::Run(_) => Ok(()),
    }
}

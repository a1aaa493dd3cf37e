//! The commands. Each builds protocol requests, sends them through the session and renders the
//! answer; none touches the vault file itself. One item's commands are in `items`, the vault
//! as a whole in `vault`, OAuth grants and providers in `oauth`, imports and exports in
//! `transfer`, settings and the agent process in `setup`.

use anyhow::Result;

use crate::cli::{Command, EnvFormat, ExportFormat, KubeCommand, ProxyCommand, SetupCommand};
use crate::session::Session;

mod backup;
mod get;
mod items;
pub mod oauth;
mod proxy;
mod rewrite;
mod scan;
mod setup;
mod share;
mod sources;
mod sync;
mod transfer;
mod vault;

pub use get::get;
use items::{add, edit, history, ls, rm, rollback, rotate};
pub use setup::{agent, config};
use transfer::{export, import};
use vault::{due, init, lock, log, passwd, status, unlock};

/// Runs a command that needs the vault; `Ok` holds the exit status.
pub fn run(session: &mut Session, command: Command) -> Result<u8> {
    if let Command::Run(args) = command {
        return crate::run::run(session, args);
    }
    if let Command::Scan(args) = command {
        return scan::scan(session, args);
    }
    if let Command::DockerCredential { action } = command {
        return crate::docker::credential(session, action);
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
            rotate,
            meta,
        } => items::generate(session, name, length, &charset, rotate, meta),
        Command::Get(args) => get(session, &args),
        Command::Ls {
            query,
            tag,
            json,
            long,
        } => ls(session, query, tag, json, long),
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
        Command::Import(args) => import(session, args),
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
        Command::GitCredential { action } => crate::git::credential(session, action),
        Command::Aws { name } => crate::aws::credential_process(session, &name),
        Command::Setup(SetupCommand::Aws {
            name,
            profile,
            undo,
            migrate,
            yes,
        }) => crate::aws::setup(session, name, &profile, undo, migrate, yes),
        Command::Setup(SetupCommand::Kube {
            context,
            grant,
            undo,
        }) => crate::kube::setup(session, context.as_deref(), grant.as_deref(), undo),
        Command::Kube(KubeCommand::Token { grant }) => crate::kube::token(session, &grant),
        Command::Setup(SetupCommand::Docker { registry, undo }) => {
            crate::docker::setup(registry.as_deref(), undo)
        }
        Command::Proxy(ProxyCommand::Ls { json }) => proxy::ls(session, json),
        Command::Proxy(ProxyCommand::End { id }) => proxy::end(session, &id),
        Command::Sync(args) => sync::sync(session, args),
        Command::Share(command) => share::share(session, command),
        // Handled before a session exists.
        Command::Completions { .. }
        | Command::DockerCredential { .. }
        | Command::ClipboardHold { .. }
        | Command::Config { .. }
        | Command::Setup(_)
        | Command::Agent { .. }
        | Command::Run(_)
        | Command::Scan(_) => Ok(()),
    }
}

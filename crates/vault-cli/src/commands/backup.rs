//! `vault backup` and `vault restore`: the whole vault, still encrypted, in one file and back.
//!
//! A backup is the vault itself, copied by whoever holds it open (the agent, or this process)
//! through SQLite's `VACUUM INTO`: a consistent snapshot with every item, its history, the
//! grants and providers, the allowed project files and the audit log, opened by the same
//! master password and checked against its commitment before the command succeeds. A dotenv or
//! JSON export is for moving values into other tools; this is for getting the vault back.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use jiff::Timestamp;
use vault_agent::protocol::{Op, Request, Response};
use vault_core::LockedVault;
use vault_core::model::AuditEvent;

use crate::exit::{self, Failure, fail, unexpected};
use crate::session::{Session, confirm, interactive};

pub(super) fn backup(session: &mut Session, file: &Path, force: bool) -> Result<()> {
    let dest =
        std::path::absolute(file).with_context(|| format!("cannot resolve {}", file.display()))?;
    if dest.exists() && !force {
        return fail(
            exit::EXISTS,
            format!(
                "{} exists; choose another name, or pass --force to replace it",
                dest.display()
            ),
        );
    }
    // Written beside the destination under a temporary name, then moved into place: a backup
    // cut short never takes the name of a good one.
    let tmp = sibling(&dest, &format!("vault-backup-{}", std::process::id()))?;
    let answer = session.op(Op::Backup { path: tmp.clone() });
    let items = match answer {
        Ok(Response::BackedUp { items }) => items,
        Ok(other) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(unexpected(other));
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let placed = if force {
        std::fs::rename(&tmp, &dest)
    } else {
        std::fs::hard_link(&tmp, &dest).and_then(|()| std::fs::remove_file(&tmp))
    };
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&tmp);
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            return fail(exit::EXISTS, format!("{} exists", dest.display()));
        }
        return Err(anyhow::Error::from(e).context(format!("cannot write {}", dest.display())));
    }
    eprintln!(
        "Backed up {} to {} (mode 0600, checked). It is encrypted and opens with this vault's \
         master password as it is now; restore it with `vault restore {}`.",
        crate::output::count(items, "item"),
        dest.display(),
        file.display()
    );
    Ok(())
}

/// A temporary name in `path`'s folder (a rename within one filesystem is atomic).
fn sibling(path: &Path, name: &str) -> Result<PathBuf> {
    let dir = path
        .parent()
        .ok_or_else(|| Failure::new(exit::OTHER, format!("{} has no folder", path.display())))?;
    Ok(dir.join(format!(".{name}.tmp")))
}

pub(super) fn restore(session: &mut Session, file: &Path, yes: bool) -> Result<()> {
    let target = session.vault.clone();
    let exists = target.exists();
    if !yes {
        if !interactive() {
            return fail(
                exit::CANCELLED,
                format!(
                    "restoring replaces {}; pass --yes to confirm",
                    target.display()
                ),
            );
        }
        let question = if exists {
            format!(
                "Replace {} with the vault in {}? (the current one is kept beside it)",
                target.display(),
                file.display()
            )
        } else {
            format!("Restore {} to {}?", file.display(), target.display())
        };
        if !confirm(&question)? {
            return fail(exit::CANCELLED, "cancelled; nothing was changed");
        }
    }
    let dir = target
        .parent()
        .ok_or_else(|| Failure::new(exit::OTHER, format!("{} has no folder", target.display())))?;
    if !dir.exists() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    // The backup is copied first, and the copy opened and checked: the user's file is never
    // written to (opening a vault of an older format upgrades it).
    let staged = sibling(&target, &format!("vault-restore-{}", std::process::id()))?;
    let staged_result = stage(session, file, &staged);
    let items = match staged_result {
        Ok(items) => items,
        Err(e) => {
            remove_with_companions(&staged);
            return Err(e);
        }
    };
    // The agent forgets the vault it holds: it would notice the file was replaced, but
    // locking first means nothing is written to the old one meanwhile.
    if let Ok(Some(agent)) = session.running_agent() {
        let _ = agent.call(&Request::Lock {
            vault: Some(target.clone()),
        });
    }
    let kept = exists.then(|| {
        let stamp = Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
        PathBuf::from(format!("{}.replaced-{stamp}", target.display()))
    });
    // The write-ahead log belongs to its database: it moves with it, or SQLite would apply the
    // old vault's pages to the restored one. Every move is undone if a later one fails, so a
    // failed restore leaves the vault where and as it was.
    let mut moves: Vec<(PathBuf, PathBuf)> = Vec::new();
    if let Some(kept) = &kept {
        for suffix in ["-wal", "-shm", ""] {
            let from = PathBuf::from(format!("{}{suffix}", target.display()));
            if from.exists() {
                moves.push((from, PathBuf::from(format!("{}{suffix}", kept.display()))));
            }
        }
    }
    moves.push((staged.clone(), target.clone()));
    for (i, (from, to)) in moves.iter().enumerate() {
        if let Err(e) = std::fs::rename(from, to) {
            for (back_from, back_to) in moves[..i].iter().rev() {
                let _ = std::fs::rename(back_to, back_from);
            }
            remove_with_companions(&staged);
            return Err(anyhow::Error::from(e).context(format!(
                "cannot move {} to {}; nothing was changed",
                from.display(),
                to.display()
            )));
        }
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    eprintln!(
        "Restored {} from {} ({}). It opens with the backup's master password.",
        target.display(),
        file.display(),
        crate::output::count(items, "item")
    );
    if let Some(kept) = kept {
        eprintln!(
            "The vault it replaced is kept, encrypted, as {}; delete it once you no longer \
             need it.",
            kept.display()
        );
    }
    Ok(())
}

/// Copies the backup to `staged`, opens it with its master password, checks every row, and
/// records the restore in its audit log. Returns how many items it holds.
fn stage(session: &mut Session, file: &Path, staged: &Path) -> Result<usize> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut from =
        std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut to = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(staged)
        .with_context(|| format!("cannot create {}", staged.display()))?;
    std::io::copy(&mut from, &mut to).with_context(|| format!("cannot copy {}", file.display()))?;
    to.sync_all()?;
    drop(to);
    let bad = |e: vault_core::Error| not_a_backup(file, staged, &e);
    let locked = LockedVault::open(staged).map_err(bad)?;
    let password = session
        .passwords
        .next(&format!("Master password of {}: ", file.display()))?;
    let mut vault = locked.unlock(&password).map_err(bad)?;
    let items = vault.items().map_err(bad)?.len();
    vault.record(
        AuditEvent::Restored {
            from: file.display().to_string(),
        },
        Timestamp::now(),
    )?;
    Ok(items)
}

/// An error about the staged copy, told about the file the user named.
fn not_a_backup(file: &Path, staged: &Path, e: &vault_core::Error) -> anyhow::Error {
    let code = crate::exit::Failure::from(vault_agent::protocol::WireError::from(e)).code;
    let why = match e {
        vault_core::Error::WrongPassword => "wrong master password for this backup".to_owned(),
        vault_core::Error::NoVault { .. } | vault_core::Error::NotAVault { .. } => {
            "not a vault backup".to_owned()
        }
        other => other
            .to_string()
            .replace(&staged.display().to_string(), &file.display().to_string()),
    };
    Failure::new(
        code,
        format!("{}: {why}; nothing was changed", file.display()),
    )
    .into()
}

fn remove_with_companions(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

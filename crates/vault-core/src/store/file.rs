//! Checks on the vault file itself, before and while SQLite has it open: is it a vault at all,
//! is it cut short, is it still the file that was opened.

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::SQLITE_MAGIC;
use crate::error::{Error, Result};
use crate::platform::{self, FileId};

pub(super) fn file_id(path: &Path) -> Result<FileId> {
    match fs::metadata(path) {
        Ok(m) => platform::file_id(&m)
            .map_err(|e| Error::io(format!("cannot identify {}", path.display()), e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NoVault {
            path: path.to_owned(),
        }),
        Err(e) => Err(Error::io(format!("cannot read {}", path.display()), e)),
    }
}

/// Refuses files that are not SQLite at all before SQLite opens them (an empty file would
/// otherwise be taken for a new, empty database).
pub(super) fn check_magic(path: &Path) -> Result<()> {
    let not_a_vault = |reason: &str| Error::NotAVault {
        path: path.to_owned(),
        reason: reason.into(),
    };
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NoVault {
                path: path.to_owned(),
            });
        }
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
    };
    if !meta.is_file() {
        return Err(not_a_vault("not a regular file"));
    }
    let mut magic = [0u8; 16];
    let mut file =
        File::open(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    match file.read_exact(&mut magic) {
        Ok(()) if &magic == SQLITE_MAGIC => {}
        Ok(()) => return Err(not_a_vault("not an SQLite database")),
        Err(_) if meta.len() == 0 => return Err(not_a_vault("the file is empty")),
        Err(_) => return Err(not_a_vault("the file is too short")),
    }
    // SQLite zero-fills reads past the end of a truncated file, so a cut-off tail could read as
    // empty pages. The header records the page size and count (valid when the change counter
    // matches "version valid for"); a file shorter than that has lost data.
    //
    // Unless a WAL is beside it: a checkpoint copies pages in page order, header page first,
    // so a process killed mid-checkpoint leaves a header that already counts pages the file
    // does not hold yet. Those pages are still in the WAL, which SQLite reads them from and
    // which the next checkpoint finishes copying.
    if wal_has_frames(path) {
        return Ok(());
    }
    let mut header = [0u8; 100];
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.read_exact(&mut header))
        .map_err(|_| Error::Corrupt {
            path: path.to_owned(),
            reason: "the file is truncated".into(),
        })?;
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let pages = u64::from(be32(28));
    if be32(24) == be32(92) && pages > 0 && meta.len() < page_size * pages {
        return Err(Error::Corrupt {
            path: path.to_owned(),
            reason: "the file is truncated".into(),
        });
    }
    Ok(())
}

/// Whether `{path}-wal` holds anything past its 32-byte header (frames SQLite will replay).
pub(super) fn wal_has_frames(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    fs::metadata(wal).is_ok_and(|m| m.len() > 32)
}

impl super::Store {
    /// Writes a consistent copy of the database to `dest`, a new file (mode 0600) that must not
    /// exist yet. `VACUUM INTO` reads one snapshot, so a writer committing meanwhile is either
    /// wholly in the copy or not at all, and the copy holds no free pages: nothing erased
    /// from the vault survives in it.
    pub fn copy_to(&self, dest: &Path) -> Result<()> {
        let created = platform::create_private_file(dest);
        match created {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::VaultExists {
                    path: dest.to_owned(),
                });
            }
            Err(e) => return Err(Error::io(format!("cannot create {}", dest.display()), e)),
        }
        let Some(text) = dest.to_str() else {
            let _ = fs::remove_file(dest);
            return Err(Error::invalid(format!(
                "{} is not valid UTF-8; choose another name",
                dest.display()
            )));
        };
        let copied = self
            .conn
            .execute("VACUUM INTO ?1", [text])
            .map_err(|e| super::db_error(&self.path, e));
        if copied.is_err() {
            let _ = fs::remove_file(dest);
        }
        copied.map(|_| ())
    }
}

//! What differs between operating systems, behind one seam: files and folders only the user can
//! read, a file's identity (to notice a vault replaced under an open handle), and who owns a file
//! and who else may write it (the trust of project files).
//!
//! Unix (Linux here; macOS has the same calls) is written and tested. Elsewhere each function
//! refuses with [`io::ErrorKind::Unsupported`]: a Windows vault needs ACLs granting only the
//! user's SID and the volume serial and file index of `GetFileInformationByHandle`
//! (ARCHITECTURE.md, Portability), which cannot be built and run here, so they stay unwritten
//! rather than stand in with something weaker. What does not touch the disk (crypto, formats,
//! references, dotenv, rotation) works on every platform; `make lint` checks that the crate
//! compiles for Windows.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::Path;

/// Which file this is: the same pair for the same file, whatever its path now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileId {
    device: u64,
    inode: u64,
}

/// Who owns a file and what its mode lets others do (Unix's view; see [`owner`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ownership {
    /// The owner's user id.
    pub uid: u32,
    /// The permission bits, with setuid, setgid and sticky (`mode & 0o7777`).
    pub mode: u32,
    /// The filesystem it is on: a search for project files stops at a boundary.
    pub device: u64,
}

impl Ownership {
    /// Its group or every user can write to it.
    pub fn others_can_write(&self) -> bool {
        self.mode & 0o022 != 0
    }

    /// Others can create in it but not rename or remove what they do not own (like `/tmp`).
    pub fn sticky(&self) -> bool {
        self.mode & 0o1000 != 0
    }
}

#[cfg(unix)]
mod imp {
    use std::fs::{self, Metadata, OpenOptions};
    use std::io;
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
    use std::path::Path;

    use super::{FileId, Ownership};

    pub fn file_id(meta: &Metadata) -> io::Result<FileId> {
        Ok(FileId {
            device: meta.dev(),
            inode: meta.ino(),
        })
    }

    pub fn owner(meta: &Metadata) -> io::Result<Ownership> {
        Ok(Ownership {
            uid: meta.uid(),
            mode: meta.mode() & 0o7777,
            device: meta.dev(),
        })
    }

    pub fn private_file_options() -> io::Result<OpenOptions> {
        let mut options = OpenOptions::new();
        options.mode(0o600);
        Ok(options)
    }

    pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
}

#[cfg(not(unix))]
mod imp {
    use std::fs::Metadata;
    use std::io;
    use std::path::Path;

    use super::{FileId, Ownership};

    fn unsupported(what: &str) -> io::Error {
        io::Error::new(
            io::ErrorKind::Unsupported,
            format!("{what} is only written for Unix so far"),
        )
    }

    pub fn file_id(_: &Metadata) -> io::Result<FileId> {
        Err(unsupported("telling whether a vault file was replaced"))
    }

    pub fn owner(_: &Metadata) -> io::Result<Ownership> {
        Err(unsupported("telling who could have written a file"))
    }

    pub fn private_file_options() -> io::Result<std::fs::OpenOptions> {
        Err(unsupported("creating a file only its user can read"))
    }

    pub fn create_private_dir_all(_: &Path) -> io::Result<()> {
        Err(unsupported("creating a folder only its user can enter"))
    }
}

/// The identity of the file `meta` describes.
pub fn file_id(meta: &Metadata) -> io::Result<FileId> {
    imp::file_id(meta)
}

/// Who owns the file `meta` describes, and who else may write it.
pub fn owner(meta: &Metadata) -> io::Result<Ownership> {
    imp::owner(meta)
}

/// Options that create files readable and writable by the user alone (0600); the caller says
/// how to open (read, write, append, truncate, create). A file that exists keeps its mode.
pub fn private_file_options() -> io::Result<OpenOptions> {
    imp::private_file_options()
}

/// Creates `path`, which must not exist, readable and writable by the user alone (0600).
pub fn create_private_file(path: &Path) -> io::Result<File> {
    private_file_options()?
        .write(true)
        .create_new(true)
        .open(path)
}

/// Creates `dir` and any missing parents, each only the user can enter (0700).
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    imp::create_private_dir_all(dir)
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn private_files_and_folders_are_the_users_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        create_private_dir_all(&dir).unwrap();
        let file = dir.join("f");
        create_private_file(&file).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        assert_eq!(mode(&file), 0o600);
        let again = create_private_file(&file).unwrap_err();
        assert_eq!(
            again.kind(),
            io::ErrorKind::AlreadyExists,
            "never opens what exists"
        );
    }

    #[test]
    fn a_file_keeps_its_identity_when_renamed_and_a_replacement_does_not() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        std::fs::write(&a, "x").unwrap();
        let before = file_id(&std::fs::metadata(&a).unwrap()).unwrap();
        std::fs::rename(&a, &b).unwrap();
        assert_eq!(file_id(&std::fs::metadata(&b).unwrap()).unwrap(), before);
        std::fs::write(&a, "x").unwrap();
        assert_ne!(file_id(&std::fs::metadata(&a).unwrap()).unwrap(), before);
    }

    #[test]
    fn ownership_reads_the_mode_bits() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("f");
        std::fs::write(&f, "x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = owner(&std::fs::metadata(&f).unwrap()).unwrap();
        assert!(!o.others_can_write() && !o.sticky());
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let o = owner(&std::fs::metadata(&f).unwrap()).unwrap();
        assert!(o.others_can_write() && o.sticky());
        assert_eq!(o.mode, 0o1777);
    }
}

//! Where the agent's socket, pidfile and log live, and the checks that keep them private.
//!
//! `$XDG_RUNTIME_DIR/vault/` when the session has a runtime dir, else a folder named for the
//! uid under the temp dir. Either way the folder must be a real directory owned by this user
//! with no group or world access; anything else is refused rather than repaired, because a
//! folder someone else controls could hold a socket that impersonates the agent.

use std::fs;
use std::path::{Path, PathBuf};

use crate::AgentError;

/// The agent's files for this user.
#[derive(Debug, Clone)]
pub struct AgentDir {
    pub dir: PathBuf,
}

impl AgentDir {
    /// The folder for this user's agent (not created).
    pub fn for_current_user() -> AgentDir {
        let dir = match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
            Some(d) if d.is_absolute() => d.join("vault"),
            _ => std::env::temp_dir().join(format!("vault-{}", crate::os::current_uid())),
        };
        AgentDir { dir }
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("agent.sock")
    }

    pub fn pidfile(&self) -> PathBuf {
        self.dir.join("agent.pid")
    }

    pub fn log(&self) -> PathBuf {
        self.dir.join("agent.log")
    }

    /// Creates the folder (0700) if needed and checks it is ours and private.
    pub fn ensure(&self) -> Result<(), AgentError> {
        // A missing parent (a runtime dir not yet made) is created privately too; a folder that
        // exists is left as it is, and checked.
        vault_core::platform::create_private_dir_all(&self.dir)
            .map_err(|e| AgentError::io(format!("cannot create {}", self.dir.display()), e))?;
        self.check()
    }

    /// Checks an existing folder: a directory (not a symlink), owned by us, mode 0700.
    pub fn check(&self) -> Result<(), AgentError> {
        check_private_dir(&self.dir)
    }
}

fn check_private_dir(dir: &Path) -> Result<(), AgentError> {
    let meta = fs::symlink_metadata(dir)
        .map_err(|e| AgentError::io(format!("cannot read {}", dir.display()), e))?;
    let unsafe_dir = |why: String| AgentError::UnsafeDir {
        path: dir.to_owned(),
        why,
    };
    if !meta.file_type().is_dir() {
        return Err(unsafe_dir("it is not a directory".into()));
    }
    let me = crate::os::current_uid();
    let owner = vault_core::platform::owner(&meta)
        .map_err(|e| AgentError::io(format!("cannot check {}", dir.display()), e))?;
    if owner.uid != me {
        return Err(unsafe_dir(format!(
            "it belongs to uid {}, not to you (uid {me})",
            owner.uid
        )));
    }
    if owner.mode & 0o077 != 0 {
        return Err(unsafe_dir(format!(
            "other users can reach it (mode {:o}); run `chmod 700 {}`",
            owner.mode & 0o777,
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn creates_private_and_refuses_open_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let d = AgentDir {
            dir: tmp.path().join("run/vault"),
        };
        d.ensure().unwrap();
        let mode = fs::metadata(&d.dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        fs::set_permissions(&d.dir, fs::Permissions::from_mode(0o755)).unwrap();
        let err = d.ensure().unwrap_err().to_string();
        assert!(err.contains("other users can reach it"), "{err}");

        let link = AgentDir {
            dir: tmp.path().join("link"),
        };
        std::os::unix::fs::symlink(&d.dir, &link.dir).unwrap();
        assert!(
            link.ensure()
                .unwrap_err()
                .to_string()
                .contains("not a directory")
        );
    }
}

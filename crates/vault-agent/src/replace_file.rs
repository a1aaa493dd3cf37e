//! Replacing one of the user's files whole (a tool's config file that `vault setup` edits):
//! written to a temporary file in the same directory, synced, then renamed over it, so a crash
//! leaves the old file or the new one, never half of one. The file keeps its mode; a new one is
//! 0600 (these files may hold credentials).

use std::io::Write;
use std::path::Path;

/// What failed, for the caller's error: the step ("create the folder of", "write", ...) and
/// the I/O error.
pub type Failed = (&'static str, std::io::Error);

pub fn replace(path: &Path, bytes: &[u8]) -> Result<(), Failed> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| ("create the folder of", e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".vault-")
        .tempfile_in(dir)
        .map_err(|e| ("write next to", e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o600);
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
            .map_err(|e| ("write", e))?;
    }
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| ("write", e))?;
    tmp.persist(path).map_err(|e| ("replace", e.error))?;
    Ok(())
}

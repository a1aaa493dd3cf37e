//! What the app needs from whatever hosts it: a place to show events, a clipboard, a
//! browser and a file chooser.
//!
//! The desktop shell implements this with Tauri events, the tray, desktop notifications, the
//! system clipboard and the system browser; the tests implement it with vectors. Nothing in
//! this crate knows which.

use std::fmt;

use vault_core::SecretValue;

use crate::views::{DueItem, LockState};

/// Why the clipboard failed; shown as the `clipboard` error code.
#[derive(Debug, thiserror::Error)]
#[error("clipboard: {0}")]
pub struct ClipboardError(pub String);

/// Why the system browser could not be opened; shown as the `browser` error code.
#[derive(Debug, thiserror::Error)]
#[error("browser: {0}")]
pub struct BrowserError(pub String);

/// The system clipboard, as far as the app uses it: secrets only.
pub trait Clipboard: Send + Sync {
    /// Puts `value` on the clipboard, marked for clipboard managers to leave out of their
    /// history.
    fn set_secret(&self, value: &SecretValue) -> Result<(), ClipboardError>;
    /// The clipboard's text now, if it holds text.
    fn text(&self) -> Result<Option<SecretValue>, ClipboardError>;
    fn clear(&self) -> Result<(), ClipboardError>;
}

/// The shell around the app. Callbacks come from the app's own threads (the watcher, the
/// clipboard timer) as well as from commands, so they must be cheap and must not call back
/// into the app.
pub trait Host: Send + Sync + 'static {
    /// The vault was locked or unlocked, here or from anywhere else.
    fn lock_changed(&self, state: &LockState);
    /// The number of items needing attention changed (`None`: unknown while locked).
    fn attention_changed(&self, count: Option<usize>);
    /// These items got worse (due soon, overdue, expired) while the app was running.
    fn became_due(&self, items: &[DueItem]);
    /// Items of the app's vault were added, changed or removed (by name; a deleted or renamed
    /// one under the name it had), here or anywhere else: the CLI, a sync round, a refresh.
    fn items_changed(&self, names: &[String]) {
        let _ = names;
    }
    fn clipboard(&self) -> &dyn Clipboard;
    /// Opens `url` (an OAuth login page) in the user's browser, honouring `$BROWSER`. Returns
    /// once the browser is launched, not when the page is done.
    fn open_browser(&self, url: &str) -> Result<(), BrowserError>;
    /// Asks the user for a file with the desktop's own file chooser (titled `title`), from a
    /// command's thread; `None` when they cancel or there is no chooser. The path reaches the
    /// app only: the window never gets access to the file system.
    fn pick_file(&self, title: &str) -> Option<std::path::PathBuf> {
        let _ = title;
        None
    }
    /// Asks the user for a folder, as [`Self::pick_file`] does for a file.
    fn pick_folder(&self, title: &str) -> Option<std::path::PathBuf> {
        let _ = title;
        None
    }
}

impl fmt::Debug for dyn Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Host")
    }
}

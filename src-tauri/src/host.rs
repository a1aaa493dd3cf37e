//! The desktop host of the app: Tauri events for the window, the tray, notifications, the
//! system clipboard and the system browser. Adapter code only; what to do and when is decided in `vault-app`.

use std::sync::{Mutex, OnceLock};

use tauri::{AppHandle, Emitter};
use tauri_plugin_notification::NotificationExt;
use vault_app::views::{DueItem, LockState};
use vault_app::{BrowserError, Clipboard, ClipboardError, Host};
use vault_core::{DueState, SecretValue};

use crate::tray;

/// Events the window listens to.
pub const LOCK_CHANGED: &str = "lock-changed";
pub const ATTENTION_CHANGED: &str = "attention-changed";
pub const ITEMS_CHANGED: &str = "items-changed";

#[derive(Debug, Default)]
pub struct DesktopHost {
    handle: OnceLock<AppHandle>,
    clipboard: SystemClipboard,
}

impl DesktopHost {
    /// The app handle exists only once Tauri is set up; events before that have no window.
    pub fn attach(&self, handle: AppHandle) {
        let _ = self.handle.set(handle);
    }
}

impl Host for DesktopHost {
    fn lock_changed(&self, state: &LockState) {
        if let Some(h) = self.handle.get() {
            let _ = h.emit(LOCK_CHANGED, state);
            tray::show_lock(h, state.unlocked);
        }
    }

    fn attention_changed(&self, count: Option<usize>) {
        if let Some(h) = self.handle.get() {
            let _ = h.emit(ATTENTION_CHANGED, count);
            tray::show_attention(h, count);
        }
    }

    fn items_changed(&self, names: &[String]) {
        if let Some(h) = self.handle.get() {
            let _ = h.emit(ITEMS_CHANGED, names);
        }
    }

    fn became_due(&self, items: &[DueItem]) {
        let Some(h) = self.handle.get() else { return };
        let (title, body) = notification_text(items);
        // No notification daemon (a bare X server, a locked-down session): nothing to show on.
        let _ = h.notification().builder().title(title).body(body).show();
    }

    fn clipboard(&self) -> &dyn Clipboard {
        &self.clipboard
    }

    fn open_browser(&self, url: &str) -> Result<(), BrowserError> {
        // `$BROWSER` when set (as the CLI), else the desktop's default (xdg-open).
        opener::open_browser(url).map_err(|e| BrowserError(e.to_string()))
    }

    fn pick_file(&self, title: &str) -> Option<std::path::PathBuf> {
        use tauri_plugin_dialog::DialogExt;
        let h = self.handle.get()?;
        // Commands run on the blocking pool, never the event loop: blocking here is safe.
        let chosen = h.dialog().file().set_title(title).blocking_pick_file()?;
        chosen.into_path().ok()
    }

    fn pick_folder(&self, title: &str) -> Option<std::path::PathBuf> {
        use tauri_plugin_dialog::DialogExt;
        let h = self.handle.get()?;
        let chosen = h.dialog().file().set_title(title).blocking_pick_folder()?;
        chosen.into_path().ok()
    }
}

fn notification_text(items: &[DueItem]) -> (String, String) {
    let what = |d: DueState| match d {
        DueState::Expired => "has expired",
        DueState::Overdue => "is due for rotation",
        DueState::DueSoon => "is due for rotation soon",
        DueState::Ok => "is up to date",
    };
    match items {
        [one] => (
            format!("{} {}", one.name, what(one.due)),
            "Open Vault to rotate it.".to_owned(),
        ),
        many => (
            format!("{} items need attention", many.len()),
            many.iter()
                .take(5)
                .map(|i| format!("{} {}", i.name, what(i.due)))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    }
}

/// The system clipboard through `arboard`, opened on first use and kept open: on X11 the
/// process that set the clipboard serves its content for as long as it lives.
#[derive(Default)]
struct SystemClipboard {
    inner: Mutex<Option<arboard::Clipboard>>,
}

impl std::fmt::Debug for SystemClipboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SystemClipboard")
    }
}

impl SystemClipboard {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut arboard::Clipboard) -> Result<T, arboard::Error>,
    ) -> Result<T, ClipboardError> {
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if guard.is_none() {
            *guard = Some(arboard::Clipboard::new().map_err(|e| ClipboardError(e.to_string()))?);
        }
        match guard.as_mut() {
            Some(cb) => f(cb).map_err(|e| ClipboardError(e.to_string())),
            None => Err(ClipboardError("no clipboard".into())),
        }
    }
}

impl Clipboard for SystemClipboard {
    fn set_secret(&self, value: &SecretValue) -> Result<(), ClipboardError> {
        self.with(|cb| {
            let set = cb.set();
            #[cfg(target_os = "linux")]
            let set = {
                use arboard::SetExtLinux;
                // x-kde-passwordManagerHint: clipboard managers keep it out of their history.
                set.exclude_from_history()
            };
            set.text(value.expose())
        })
    }

    fn text(&self) -> Result<Option<SecretValue>, ClipboardError> {
        self.with(|cb| match cb.get_text() {
            Ok(t) => Ok(Some(SecretValue::from(t))),
            Err(arboard::Error::ContentNotAvailable) => Ok(None),
            Err(e) => Err(e),
        })
    }

    fn clear(&self) -> Result<(), ClipboardError> {
        self.with(arboard::Clipboard::clear)
    }
}

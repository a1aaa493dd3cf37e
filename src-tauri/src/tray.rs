//! The tray icon: lock state, the number of items needing attention, Lock / Open.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Wry};

use crate::Desktop;

const TRAY_ID: &str = "vault";

/// The menu items whose text changes.
pub struct TrayItems {
    status: MenuItem<Wry>,
    lock: MenuItem<Wry>,
}

pub fn build(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let open = MenuItem::with_id(app, "open", "Open Vault", true, None::<&str>)?;
    let status = MenuItem::with_id(app, "status", "Locked", false, None::<&str>)?;
    let lock = MenuItem::with_id(app, "lock", "Unlock…", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Vault", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &PredefinedMenuItem::separator(app)?,
            &status,
            &lock,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .menu(&menu)
        .tooltip("Vault")
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_window(app),
            "lock" => {
                let desktop = app.state::<Desktop>();
                if desktop.inner().status().is_ok_and(|s| s.unlocked) {
                    let _ = desktop.lock();
                } else {
                    // Unlocking takes the password, which is typed in the window.
                    show_window(app);
                }
            }
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let tray = builder.build(app)?;
    app.manage(TrayItems { status, lock });
    Ok(tray)
}

pub fn show_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

pub fn show_lock(app: &AppHandle, unlocked: bool) {
    if let Some(items) = app.try_state::<TrayItems>() {
        let _ = items
            .lock
            .set_text(if unlocked { "Lock" } else { "Unlock…" });
        if !unlocked {
            let _ = items.status.set_text("Locked");
        }
    }
}

pub fn show_attention(app: &AppHandle, count: Option<usize>) {
    let text = match count {
        None => "Locked".to_owned(),
        Some(0) => "Everything is up to date".to_owned(),
        Some(1) => "1 item needs attention".to_owned(),
        Some(n) => format!("{n} items need attention"),
    };
    if let Some(items) = app.try_state::<TrayItems>() {
        let _ = items.status.set_text(&text);
    }
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        // Shown next to the icon where the tray supports a label (Linux appindicator, macOS).
        let label = count.filter(|n| *n > 0).map(|n| n.to_string());
        let _ = tray.set_title(label.as_deref());
        let _ = tray.set_tooltip(Some(format!("Vault: {text}")));
    }
}

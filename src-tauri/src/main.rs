// Release builds on Windows must not open a console window next to the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

//! Vault desktop app: a thin Tauri shell. The commands and their rules live in `vault-app`;
//! this crate wires them to the window, the tray, notifications and the clipboard.

mod commands;
mod host;
mod tray;

use std::process::ExitCode;

use tauri::{Manager, RunEvent};
use vault_app::{App, AppConfig};

use crate::host::DesktopHost;

/// The app as the command handlers see it.
pub type Desktop = App<DesktopHost>;

fn run() -> Result<(), String> {
    let config =
        AppConfig::from_env().ok_or("no home directory: cannot place the settings or the vault")?;
    let desktop: Desktop = App::new(DesktopHost::default(), config);
    let app = tauri::Builder::default()
        // First: a second launch focuses this window and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            tray::show_window(app);
        }))
        .plugin(tauri_plugin_notification::init())
        // The file chooser, opened from Rust only (the window has no dialog permission).
        .plugin(tauri_plugin_dialog::init())
        .manage(desktop.clone())
        .setup(|app| {
            let handle = app.handle().clone();
            let desktop = app.state::<Desktop>();
            desktop.host().attach(handle.clone());
            // No tray on this desktop (no StatusNotifier host): the window is enough.
            if let Err(e) = tray::build(&handle) {
                eprintln!("vault-desktop: no tray icon: {e}");
            }
            if let Some(w) = app.get_webview_window("main") {
                let _ = w.set_content_protected(true);
            }
            desktop.start()?;
            Ok(())
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!())
        .map_err(|e| e.to_string())?;
    app.run(move |_, event| {
        if let RunEvent::Exit = event {
            desktop.shutdown();
        }
    });
    Ok(())
}

fn main() -> ExitCode {
    // Before anything is read: the app receives master passwords and revealed values, and
    // holds the data key when no agent runs. Files it writes are the user's only, and it
    // cannot dump core or be traced by the user's other processes.
    let _hardening = vault_agent::hardening::apply_to_app();
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("vault-desktop: {err}");
            ExitCode::FAILURE
        }
    }
}

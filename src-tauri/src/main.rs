// Release builds on Windows must not open a console window next to the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

//! Vault desktop app: a thin Tauri shell. All vault logic lives in the workspace crates.

use std::process::ExitCode;

fn run() -> tauri::Result<()> {
    tauri::Builder::default().run(tauri::generate_context!())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("vault-desktop: {err}");
            ExitCode::FAILURE
        }
    }
}

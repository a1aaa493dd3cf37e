//! The window's commands, made from the one list in `vault_app::window_commands!`: each entry
//! becomes a Tauri command that runs its adapter on the blocking pool (a key derivation takes a
//! second), and [`handler`] registers them all, so no command can be declared but not served.

use tauri::State;
use tauri::ipc::Invoke;
use vault_app::{AppError, AppErrorCode, AppResult};

use crate::Desktop;

/// Runs `f` on the blocking pool with a handle to the app.
async fn blocking<T: Send + 'static>(
    app: &Desktop,
    f: impl FnOnce(Desktop) -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || f(app))
        .await
        .map_err(|e| AppError::app(AppErrorCode::Unexpected, e.to_string()))?
}

macro_rules! tauri_commands {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) -> $ret:ty = |$app:ident| $body:expr;
    )*) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command]
            pub async fn $name(state: State<'_, Desktop>, $($arg: $ty),*) -> AppResult<$ret> {
                blocking(&state, move |$app| $body).await
            }
        )*

        /// Every command of the list, for `Builder::invoke_handler`.
        pub fn handler() -> impl Fn(Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }
    };
}

vault_app::window_commands!(tauri_commands);

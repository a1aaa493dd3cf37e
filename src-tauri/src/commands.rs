//! The window's commands: each a one-line call into `vault_app::App`, run off the UI thread
//! (a key derivation takes a second). Secrets arrive as `WireSecret` and are wrapped at once.

use tauri::State;
use vault_agent::WireSecret;
use vault_agent::protocol::{NewKey, NewProvider, PresetInfo};
use vault_app::views::{
    AppStatus, ConnectRequest, Connecting, Copied, Disconnected, ItemDetail, ItemView, KdfChoice,
    KdfMeasurement, KdfStrength, KeySuggestion, Revealed,
};
use vault_app::{AppError, AppErrorCode, AppResult, Settings};
use vault_core::model::{ApiKeyEdit, AuditEntry, ProviderMeta};

use crate::Desktop;

type App<'a> = State<'a, Desktop>;

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

#[tauri::command]
pub async fn status(app: App<'_>) -> AppResult<AppStatus> {
    blocking(&app, |a| a.status()).await
}

#[tauri::command]
pub fn kdf_choices(app: App<'_>) -> Vec<KdfChoice> {
    app.kdf_choices()
}

#[tauri::command]
pub async fn measure_kdf(app: App<'_>, strength: KdfStrength) -> AppResult<KdfMeasurement> {
    blocking(&app, move |a| a.measure_kdf(strength)).await
}

#[tauri::command]
pub async fn create_vault(
    app: App<'_>,
    password: WireSecret,
    strength: KdfStrength,
) -> AppResult<()> {
    blocking(&app, move |a| {
        a.create_vault(password.into_inner(), strength)
    })
    .await
}

#[tauri::command]
pub async fn unlock(app: App<'_>, password: WireSecret) -> AppResult<()> {
    blocking(&app, move |a| a.unlock(password.into_inner())).await
}

#[tauri::command]
pub async fn lock(app: App<'_>) -> AppResult<()> {
    blocking(&app, |a| a.lock()).await
}

#[tauri::command]
pub async fn items(app: App<'_>) -> AppResult<Vec<ItemView>> {
    blocking(&app, |a| a.items()).await
}

#[tauri::command]
pub async fn item(app: App<'_>, name: String) -> AppResult<ItemDetail> {
    blocking(&app, move |a| a.item(&name)).await
}

#[tauri::command]
pub async fn add_key(app: App<'_>, key: NewKey) -> AppResult<ItemView> {
    blocking(&app, move |a| a.add_key(key)).await
}

#[tauri::command]
pub async fn edit_key(app: App<'_>, name: String, edit: ApiKeyEdit) -> AppResult<ItemView> {
    blocking(&app, move |a| a.edit_key(&name, edit)).await
}

#[tauri::command]
pub async fn rotate(
    app: App<'_>,
    name: String,
    value: WireSecret,
    expires: Option<vault_core::Timestamp>,
) -> AppResult<u32> {
    blocking(&app, move |a| a.rotate(&name, value.into_inner(), expires)).await
}

#[tauri::command]
pub async fn rollback(app: App<'_>, name: String, to: u32) -> AppResult<u32> {
    blocking(&app, move |a| a.rollback(&name, to)).await
}

#[tauri::command]
pub async fn remove(app: App<'_>, name: String) -> AppResult<()> {
    blocking(&app, move |a| a.remove(&name)).await
}

#[tauri::command]
pub async fn copy(app: App<'_>, name: String) -> AppResult<Copied> {
    blocking(&app, move |a| a.copy(&name)).await
}

#[tauri::command]
pub async fn reveal(app: App<'_>, name: String) -> AppResult<Revealed> {
    blocking(&app, move |a| a.reveal(&name)).await
}

#[tauri::command]
pub async fn audit(app: App<'_>, limit: usize) -> AppResult<Vec<AuditEntry>> {
    blocking(&app, move |a| a.audit(limit)).await
}

#[tauri::command]
pub fn detect_key(app: App<'_>, value: WireSecret) -> Option<KeySuggestion> {
    app.detect_key(&value.0)
}

#[tauri::command]
pub fn settings(app: App<'_>) -> Settings {
    app.settings()
}

#[tauri::command]
pub async fn save_settings(app: App<'_>, settings: Settings) -> AppResult<Settings> {
    blocking(&app, move |a| a.save_settings(settings)).await
}

#[tauri::command]
pub async fn oauth_presets(app: App<'_>) -> AppResult<Vec<PresetInfo>> {
    blocking(&app, |a| a.oauth_presets()).await
}

#[tauri::command]
pub async fn oauth_providers(app: App<'_>) -> AppResult<Vec<ProviderMeta>> {
    blocking(&app, |a| a.oauth_providers()).await
}

#[tauri::command]
pub async fn add_provider(app: App<'_>, provider: NewProvider) -> AppResult<ProviderMeta> {
    blocking(&app, move |a| a.add_provider(provider)).await
}

#[tauri::command]
pub async fn remove_provider(app: App<'_>, name: String) -> AppResult<()> {
    blocking(&app, move |a| a.remove_provider(&name)).await
}

#[tauri::command]
pub async fn connect(app: App<'_>, request: ConnectRequest) -> AppResult<Connecting> {
    blocking(&app, move |a| a.connect(request)).await
}

#[tauri::command]
pub async fn connect_wait(app: App<'_>, login: u64) -> AppResult<Option<ItemView>> {
    blocking(&app, move |a| a.connect_wait(login)).await
}

#[tauri::command]
pub async fn connect_cancel(app: App<'_>, login: u64) -> AppResult<()> {
    blocking(&app, move |a| a.connect_cancel(login)).await
}

#[tauri::command]
pub async fn open_login_page(app: App<'_>, login: u64) -> AppResult<()> {
    blocking(&app, move |a| a.open_login_page(login)).await
}

#[tauri::command]
pub async fn refresh_grant(app: App<'_>, name: String) -> AppResult<ItemView> {
    blocking(&app, move |a| a.refresh_grant(&name)).await
}

#[tauri::command]
pub async fn disconnect(app: App<'_>, name: String) -> AppResult<Disconnected> {
    blocking(&app, move |a| a.disconnect(&name)).await
}

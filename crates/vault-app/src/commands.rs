//! The window's commands, declared once.
//!
//! [`window_commands!`](crate::window_commands) holds the one list: each command's name, its arguments as the window
//! sends them, what it returns and which [`App`](crate::App) method answers it. Two readers
//! expand it: the desktop adapter (`src-tauri`), which makes a Tauri command of each entry and
//! registers them all, and [`bindings`](crate::bindings), which writes the typed TypeScript
//! functions the window calls (`ui/src/lib/bindings/commands.ts`). A command added here without
//! an `App` method, or with an argument the window cannot send, fails to compile; the window
//! cannot call a command that is not here.

use serde::Deserialize;
use ts_rs::TS;

/// The list of window commands, handed to the macro `$then`, which receives entries of the form
///
/// ```text
/// /// docs
/// name(arg: Type, ...) -> Returned = |app| expression using app and the args;
/// ```
///
/// The expression is the whole adapter: it runs on the blocking pool (a key derivation takes a
/// second) with `app` the [`App`](crate::App), and returns an `AppResult<Returned>`. Arguments
/// arrive by name; Tauri spells them in camelCase on the JavaScript side.
#[macro_export]
macro_rules! window_commands {
    ($then:ident) => {
        $then! {
            /// Which vault, whether it exists, and whether it is unlocked.
            status() -> $crate::views::AppStatus = |app| app.status();
            /// The key-derivation strengths the first-run screen offers.
            kdf_choices() -> ::std::vec::Vec<$crate::views::KdfChoice> =
                |app| Ok(app.kdf_choices());
            /// How long one unlock takes at `strength` on this machine.
            measure_kdf(strength: $crate::views::KdfStrength) -> $crate::views::KdfMeasurement =
                |app| app.measure_kdf(strength);
            create_vault(
                password: $crate::commands::types::WireSecret,
                strength: $crate::views::KdfStrength
            ) -> () = |app| app.create_vault(password.into_inner(), strength);
            unlock(password: $crate::commands::types::WireSecret) -> () =
                |app| app.unlock(password.into_inner());
            lock() -> () = |app| app.lock();
            items() -> ::std::vec::Vec<$crate::views::ItemView> = |app| app.items();
            item(name: ::std::string::String) -> $crate::views::ItemDetail = |app| app.item(&name);
            add_key(key: $crate::commands::types::NewKey) -> $crate::views::ItemView =
                |app| app.add_key(key);
            /// `secret_fields`: secret fields to set (a change of one is a new version).
            edit_key(
                name: ::std::string::String,
                edit: $crate::commands::types::ApiKeyEdit,
                secret_fields: ::std::collections::BTreeMap<
                    ::std::string::String,
                    $crate::commands::types::WireSecret
                >
            ) -> $crate::views::ItemView = |app| app.edit_key_with(&name, edit, secret_fields);
            /// Returns the new version.
            rotate(
                name: ::std::string::String,
                value: $crate::commands::types::WireSecret,
                expires: ::std::option::Option<$crate::commands::Moment>
            ) -> u32 = |app| app.rotate(&name, value.into_inner(), expires.map(|m| m.0));
            /// Returns the new version.
            rollback(name: ::std::string::String, to: u32) -> u32 =
                |app| app.rollback(&name, to);
            remove(name: ::std::string::String) -> () = |app| app.remove(&name);
            /// `field`: one of the item's secret fields; null: its value.
            copy(
                name: ::std::string::String,
                field: ::std::option::Option<::std::string::String>
            ) -> $crate::views::Copied = |app| app.copy_field(&name, field.as_deref());
            reveal(
                name: ::std::string::String,
                field: ::std::option::Option<::std::string::String>
            ) -> $crate::views::Revealed = |app| app.reveal_field(&name, field.as_deref());
            audit(limit: usize) -> ::std::vec::Vec<$crate::commands::types::AuditEntry> =
                |app| app.audit(limit);
            /// The service, env name and rotation a pasted value's format suggests, if known.
            detect_key(value: $crate::commands::types::WireSecret)
                -> ::std::option::Option<$crate::views::KeySuggestion> =
                |app| Ok(app.detect_key(&value.0));
            settings() -> $crate::Settings = |app| Ok(app.settings());
            save_settings(settings: $crate::Settings) -> $crate::Settings =
                |app| app.save_settings(settings);
            oauth_presets() -> ::std::vec::Vec<$crate::commands::types::PresetInfo> =
                |app| app.oauth_presets();
            oauth_providers() -> ::std::vec::Vec<$crate::commands::types::ProviderMeta> =
                |app| app.oauth_providers();
            /// The client secret, if any, goes straight to the agent, which seals it.
            add_provider(provider: $crate::commands::types::NewProvider)
                -> $crate::commands::types::ProviderMeta = |app| app.add_provider(provider);
            remove_provider(name: ::std::string::String) -> () =
                |app| app.remove_provider(&name);
            connect(request: $crate::views::ConnectRequest) -> $crate::views::Connecting =
                |app| app.connect(request);
            /// Resolves when the login ends: the new grant, or null when it was cancelled.
            connect_wait(login: u64) -> ::std::option::Option<$crate::views::ItemView> =
                |app| app.connect_wait(login);
            connect_cancel(login: u64) -> () = |app| app.connect_cancel(login);
            open_login_page(login: u64) -> () = |app| app.open_login_page(login);
            refresh_grant(name: ::std::string::String) -> $crate::views::ItemView =
                |app| app.refresh_grant(&name);
            disconnect(name: ::std::string::String) -> $crate::views::Disconnected =
                |app| app.disconnect(&name);
            /// Where a provider's grants' tokens may go through `vault run --proxy`; null: its
            /// preset's API hosts.
            set_provider_hosts(
                name: ::std::string::String,
                hosts: ::std::option::Option<::std::vec::Vec<::std::string::String>>
            ) -> $crate::commands::types::ProviderMeta =
                |app| app.set_provider_hosts(&name, hosts);
            /// The running `vault run --proxy` sessions of the vault.
            proxy_sessions() -> ::std::vec::Vec<$crate::commands::types::ProxySessionInfo> =
                |app| app.proxy_sessions();
            end_proxy_session(id: ::std::string::String) -> () =
                |app| app.end_proxy_session(&id);
            /// A file chosen in the desktop's file chooser, for the import; null: cancelled.
            pick_import_file() -> ::std::option::Option<::std::string::String> =
                |app| app.pick_import_file();
            /// Imports a file (another manager's export, a .env, a shell profile), or says
            /// what it needs first (a password, a private key).
            import_file(request: $crate::ImportRequest) -> $crate::ImportOutcome =
                |app| app.import_file(request);
            /// A folder chosen in the desktop's folder chooser, for a scan; null: cancelled.
            pick_scan_folder() -> ::std::option::Option<::std::string::String> =
                |app| app.pick_scan_folder();
            /// Finds stored values and keys in known formats in a folder (`all`: ignored
            /// files too): places and item names, never a value.
            scan_folder(path: ::std::string::String, all: bool) -> $crate::commands::types::ScanReport =
                |app| app.scan_folder(&path, all);
            /// Where the vault syncs and how things stand; null: it does not sync.
            sync_status() -> ::std::option::Option<$crate::commands::types::SyncStatus> =
                |app| app.sync_status();
            /// Syncs now.
            sync_now() -> $crate::Synced = |app| app.sync_now();
            /// Starts syncing through the git remote `url`, as the first device; `name`: this
            /// device's (null: the host name).
            sync_init(
                url: ::std::string::String,
                name: ::std::option::Option<::std::string::String>,
                storage: ::std::option::Option<$crate::SyncStorage>
            ) -> $crate::Synced = |app| app.sync_init(&url, name, storage);
            /// A pairing code for a new device, to show.
            sync_invite() -> $crate::Invitation = |app| app.sync_invite();
            /// Waits for the invited device; its name once it joined.
            sync_invite_wait(nameplate: ::std::string::String) -> ::std::string::String =
                |app| app.sync_invite_wait(&nameplate);
            /// Joins another device's sync with the code it shows.
            sync_join(
                url: ::std::string::String,
                name: ::std::option::Option<::std::string::String>,
                code: $crate::commands::types::WireSecret,
                storage: ::std::option::Option<$crate::SyncStorage>
            ) -> $crate::Synced = |app| app.sync_join(&url, name, code, storage);
            /// Removes a device from sync.
            sync_remove_device(device: ::std::string::String) -> $crate::Synced =
                |app| app.sync_remove_device(&device);
            /// Settles an item changed on two devices: keeps its value, or (`take_other`)
            /// makes the other one (the value that lost) current.
            sync_resolve(name: ::std::string::String, take_other: bool) -> $crate::commands::types::Settled =
                |app| app.sync_resolve(&name, take_other);
            /// The members this vault shares with, and the shares it receives.
            shares() -> ::std::vec::Vec<$crate::commands::types::ShareInfo> = |app| app.shares();
            /// This user's public key for sharing (age1...).
            share_key() -> ::std::string::String = |app| app.share_key();
            /// Shares what `items` names (selectors, comma-separated) with a member.
            share_add(
                member: ::std::string::String,
                recipient: ::std::string::String,
                items: ::std::string::String
            ) -> $crate::MemberAdded = |app| app.share_add(&member, &recipient, &items);
            /// Removes a member: nothing new reaches them; what they could read comes due.
            share_remove(member: ::std::string::String) -> ::std::vec::Vec<$crate::commands::types::ShareInfo> =
                |app| app.share_remove(&member);
            /// git's credential helpers, and whether vault is one.
            git_helpers() -> $crate::commands::types::GitHelpers = |app| app.git_helpers();
            /// Which AWS profiles and Docker registries ask vault.
            tool_setups() -> $crate::ToolSetups = |app| app.tool_setups();
            /// Adds vault to git's credential helpers, or removes it.
            set_up_git(undo: bool) -> $crate::commands::types::GitHelpers =
                |app| app.set_up_git(undo);
        }
    };
}

/// The types of the list that live in other crates, so an adapter needs no dependency of its
/// own to name them.
pub mod types {
    pub use vault_agent::WireSecret;
    pub use vault_agent::git_config::GitHelpers;
    pub use vault_agent::protocol::{NewKey, NewProvider, PresetInfo, ProxySessionInfo};
    pub use vault_core::model::{ApiKeyEdit, AuditEntry, ProviderMeta, Settled};
    pub use vault_core::{ShareInfo, SyncStatus};
    pub use vault_scan::Report as ScanReport;
}

/// A moment the window sends (a new expiry), as RFC 3339 text.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(transparent)]
pub struct Moment(pub vault_core::Timestamp);

impl TS for Moment {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name(_: &ts_rs::Config) -> String {
        "string".to_owned()
    }

    fn inline(cfg: &ts_rs::Config) -> String {
        Self::name(cfg)
    }
}

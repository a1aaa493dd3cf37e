// Generated from vault-app's window_commands! by its bindings; do not edit.

import type { ApiKeyEdit } from './ApiKeyEdit';
import type { AppStatus } from './AppStatus';
import type { AuditEntry } from './AuditEntry';
import type { ConnectRequest } from './ConnectRequest';
import type { Connecting } from './Connecting';
import type { Copied } from './Copied';
import type { Disconnected } from './Disconnected';
import type { GitHelpers } from './GitHelpers';
import type { ImportOutcome } from './ImportOutcome';
import type { ImportRequest } from './ImportRequest';
import type { Invitation } from './Invitation';
import type { ItemDetail } from './ItemDetail';
import type { ItemView } from './ItemView';
import type { KdfChoice } from './KdfChoice';
import type { KdfMeasurement } from './KdfMeasurement';
import type { KdfStrength } from './KdfStrength';
import type { KeySuggestion } from './KeySuggestion';
import type { MemberAdded } from './MemberAdded';
import type { NewKey } from './NewKey';
import type { NewProvider } from './NewProvider';
import type { PresetInfo } from './PresetInfo';
import type { ProviderMeta } from './ProviderMeta';
import type { ProxySessionInfo } from './ProxySessionInfo';
import type { Revealed } from './Revealed';
import type { ScanReport } from './ScanReport';
import type { Settings } from './Settings';
import type { Settled } from './Settled';
import type { ShareInfo } from './ShareInfo';
import type { SyncStatus } from './SyncStatus';
import type { SyncStorage } from './SyncStorage';
import type { Synced } from './Synced';
import type { ToolSetups } from './ToolSetups';

/** How a command reaches Rust: Tauri's `invoke`, or a test's stand-in. */
export type Invoke = <T>(command: string, args?: Record<string, unknown>) => Promise<T>;

/** One typed function per command of the window. */
export function commands(invoke: Invoke) {
  return {
    /** Which vault, whether it exists, and whether it is unlocked. */
    status: () => invoke<AppStatus>('status'),
    /** The key-derivation strengths the first-run screen offers. */
    kdfChoices: () => invoke<Array<KdfChoice>>('kdf_choices'),
    /** How long one unlock takes at `strength` on this machine. */
    measureKdf: (strength: KdfStrength) => invoke<KdfMeasurement>('measure_kdf', { strength }),
    createVault: (password: string, strength: KdfStrength) => invoke<null>('create_vault', { password, strength }),
    unlock: (password: string) => invoke<null>('unlock', { password }),
    lock: () => invoke<null>('lock'),
    items: () => invoke<Array<ItemView>>('items'),
    item: (name: string) => invoke<ItemDetail>('item', { name }),
    addKey: (key: NewKey) => invoke<ItemView>('add_key', { key }),
    /** `secret_fields`: secret fields to set (a change of one is a new version). */
    editKey: (name: string, edit: ApiKeyEdit, secretFields: { [key in string]: string }) => invoke<ItemView>('edit_key', { name, edit, secretFields }),
    /** Returns the new version. */
    rotate: (name: string, value: string, expires: string | null) => invoke<number>('rotate', { name, value, expires }),
    /** Returns the new version. */
    rollback: (name: string, to: number) => invoke<number>('rollback', { name, to }),
    remove: (name: string) => invoke<null>('remove', { name }),
    /** `field`: one of the item's secret fields; null: its value. */
    copy: (name: string, field: string | null) => invoke<Copied>('copy', { name, field }),
    reveal: (name: string, field: string | null) => invoke<Revealed>('reveal', { name, field }),
    audit: (limit: number) => invoke<Array<AuditEntry>>('audit', { limit }),
    /** The service, env name and rotation a pasted value's format suggests, if known. */
    detectKey: (value: string) => invoke<KeySuggestion | null>('detect_key', { value }),
    settings: () => invoke<Settings>('settings'),
    saveSettings: (settings: Settings) => invoke<Settings>('save_settings', { settings }),
    oauthPresets: () => invoke<Array<PresetInfo>>('oauth_presets'),
    oauthProviders: () => invoke<Array<ProviderMeta>>('oauth_providers'),
    /** The client secret, if any, goes straight to the agent, which seals it. */
    addProvider: (provider: NewProvider) => invoke<ProviderMeta>('add_provider', { provider }),
    removeProvider: (name: string) => invoke<null>('remove_provider', { name }),
    connect: (request: ConnectRequest) => invoke<Connecting>('connect', { request }),
    /** Resolves when the login ends: the new grant, or null when it was cancelled. */
    connectWait: (login: number) => invoke<ItemView | null>('connect_wait', { login }),
    connectCancel: (login: number) => invoke<null>('connect_cancel', { login }),
    openLoginPage: (login: number) => invoke<null>('open_login_page', { login }),
    refreshGrant: (name: string) => invoke<ItemView>('refresh_grant', { name }),
    disconnect: (name: string) => invoke<Disconnected>('disconnect', { name }),
    /** Where a provider's grants' tokens may go through `vault run --proxy`; null: its preset's API hosts. */
    setProviderHosts: (name: string, hosts: Array<string> | null) => invoke<ProviderMeta>('set_provider_hosts', { name, hosts }),
    /** The running `vault run --proxy` sessions of the vault. */
    proxySessions: () => invoke<Array<ProxySessionInfo>>('proxy_sessions'),
    endProxySession: (id: string) => invoke<null>('end_proxy_session', { id }),
    /** A file chosen in the desktop's file chooser, for the import; null: cancelled. */
    pickImportFile: () => invoke<string | null>('pick_import_file'),
    /** Imports a file (another manager's export, a .env, a shell profile), or says what it needs first (a password, a private key). */
    importFile: (request: ImportRequest) => invoke<ImportOutcome>('import_file', { request }),
    /** A folder chosen in the desktop's folder chooser, for a scan; null: cancelled. */
    pickScanFolder: () => invoke<string | null>('pick_scan_folder'),
    /** Finds stored values and keys in known formats in a folder (`all`: ignored files too): places and item names, never a value. */
    scanFolder: (path: string, all: boolean) => invoke<ScanReport>('scan_folder', { path, all }),
    /** Where the vault syncs and how things stand; null: it does not sync. */
    syncStatus: () => invoke<SyncStatus | null>('sync_status'),
    /** Syncs now. */
    syncNow: () => invoke<Synced>('sync_now'),
    /** Starts syncing through the git remote `url`, as the first device; `name`: this device's (null: the host name). */
    syncInit: (url: string, name: string | null, storage: SyncStorage | null) => invoke<Synced>('sync_init', { url, name, storage }),
    /** A pairing code for a new device, to show. */
    syncInvite: () => invoke<Invitation>('sync_invite'),
    /** Waits for the invited device; its name once it joined. */
    syncInviteWait: (nameplate: string) => invoke<string>('sync_invite_wait', { nameplate }),
    /** Joins another device's sync with the code it shows. */
    syncJoin: (url: string, name: string | null, code: string, storage: SyncStorage | null) => invoke<Synced>('sync_join', { url, name, code, storage }),
    /** Removes a device from sync. */
    syncRemoveDevice: (device: string) => invoke<Synced>('sync_remove_device', { device }),
    /** Settles an item changed on two devices: keeps its value, or (`take_other`) makes the other one (the value that lost) current. */
    syncResolve: (name: string, takeOther: boolean) => invoke<Settled>('sync_resolve', { name, takeOther }),
    /** The members this vault shares with, and the shares it receives. */
    shares: () => invoke<Array<ShareInfo>>('shares'),
    /** This user's public key for sharing (age1...). */
    shareKey: () => invoke<string>('share_key'),
    /** Shares what `items` names (selectors, comma-separated) with a member. */
    shareAdd: (member: string, recipient: string, items: string) => invoke<MemberAdded>('share_add', { member, recipient, items }),
    /** Removes a member: nothing new reaches them; what they could read comes due. */
    shareRemove: (member: string) => invoke<Array<ShareInfo>>('share_remove', { member }),
    /** git's credential helpers, and whether vault is one. */
    gitHelpers: () => invoke<GitHelpers>('git_helpers'),
    /** Which AWS profiles and Docker registries ask vault. */
    toolSetups: () => invoke<ToolSetups>('tool_setups'),
    /** Adds vault to git's credential helpers, or removes it. */
    setUpGit: (undo: boolean) => invoke<GitHelpers>('set_up_git', { undo }),
  };
}

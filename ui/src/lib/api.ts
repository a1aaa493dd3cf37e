// The window's only door to the vault: one typed function per Tauri command of src-tauri.
// Argument and result types are generated from Rust (./bindings); nothing here is declared twice.
import { invoke } from '@tauri-apps/api/core';
import type { ApiKeyEdit } from './bindings/ApiKeyEdit';
import type { AppError } from './bindings/AppError';
import type { AppStatus } from './bindings/AppStatus';
import type { AuditEntry } from './bindings/AuditEntry';
import type { ConnectRequest } from './bindings/ConnectRequest';
import type { Connecting } from './bindings/Connecting';
import type { Copied } from './bindings/Copied';
import type { Disconnected } from './bindings/Disconnected';
import type { ItemDetail } from './bindings/ItemDetail';
import type { ItemView } from './bindings/ItemView';
import type { KdfChoice } from './bindings/KdfChoice';
import type { KdfMeasurement } from './bindings/KdfMeasurement';
import type { KdfStrength } from './bindings/KdfStrength';
import type { KeySuggestion } from './bindings/KeySuggestion';
import type { NewKey } from './bindings/NewKey';
import type { NewProvider } from './bindings/NewProvider';
import type { PresetInfo } from './bindings/PresetInfo';
import type { ProviderMeta } from './bindings/ProviderMeta';
import type { Revealed } from './bindings/Revealed';
import type { Settings } from './bindings/Settings';

/** Whatever a command rejected with, as an AppError (a code the UI can explain). */
export function toAppError(e: unknown): AppError {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') {
    return e as AppError;
  }
  return { code: 'unexpected', message: String(e) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toAppError(e);
  }
}

export const api = {
  status: () => call<AppStatus>('status'),
  kdfChoices: () => call<KdfChoice[]>('kdf_choices'),
  measureKdf: (strength: KdfStrength) => call<KdfMeasurement>('measure_kdf', { strength }),
  createVault: (password: string, strength: KdfStrength) =>
    call<null>('create_vault', { password, strength }),
  unlock: (password: string) => call<null>('unlock', { password }),
  lock: () => call<null>('lock'),
  items: () => call<ItemView[]>('items'),
  item: (name: string) => call<ItemDetail>('item', { name }),
  addKey: (key: NewKey) => call<ItemView>('add_key', { key }),
  editKey: (name: string, edit: ApiKeyEdit) => call<ItemView>('edit_key', { name, edit }),
  rotate: (name: string, value: string, expires: string | null) =>
    call<number>('rotate', { name, value, expires }),
  rollback: (name: string, to: number) => call<number>('rollback', { name, to }),
  remove: (name: string) => call<null>('remove', { name }),
  copy: (name: string) => call<Copied>('copy', { name }),
  reveal: (name: string) => call<Revealed>('reveal', { name }),
  audit: (limit: number) => call<AuditEntry[]>('audit', { limit }),
  detectKey: (value: string) => call<KeySuggestion | null>('detect_key', { value }),
  settings: () => call<Settings>('settings'),
  saveSettings: (settings: Settings) => call<Settings>('save_settings', { settings }),
  oauthPresets: () => call<PresetInfo[]>('oauth_presets'),
  oauthProviders: () => call<ProviderMeta[]>('oauth_providers'),
  /** The client secret, if any, goes straight to Rust and on to the agent, which seals it. */
  addProvider: (provider: NewProvider) => call<ProviderMeta>('add_provider', { provider }),
  removeProvider: (name: string) => call<null>('remove_provider', { name }),
  connect: (request: ConnectRequest) => call<Connecting>('connect', { request }),
  /** Resolves when the login ends: the new grant, or null when it was cancelled. */
  connectWait: (login: number) => call<ItemView | null>('connect_wait', { login }),
  connectCancel: (login: number) => call<null>('connect_cancel', { login }),
  openLoginPage: (login: number) => call<null>('open_login_page', { login }),
  refreshGrant: (name: string) => call<ItemView>('refresh_grant', { name }),
  disconnect: (name: string) => call<Disconnected>('disconnect', { name }),
};

export type Api = typeof api;

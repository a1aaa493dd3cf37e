// OAuth connections as the window holds them: the configured providers, the presets to add one
// from, and the one login in progress. Grants are items (./items.svelte) and are read from there.
// No token ever reaches this store: the Rust side keeps them and answers with metadata only.
import { api } from './api';
import type { AppError } from './bindings/AppError';
import type { ConnectRequest } from './bindings/ConnectRequest';
import type { Connecting } from './bindings/Connecting';
import type { Disconnected } from './bindings/Disconnected';
import type { ItemView } from './bindings/ItemView';
import type { NewProvider } from './bindings/NewProvider';
import type { PresetInfo } from './bindings/PresetInfo';
import type { ProviderMeta } from './bindings/ProviderMeta';
import { items } from './items.svelte';
import type { GrantItem } from './types';

/** Where the "Connect" dialog is. */
export type Login =
  | { step: 'idle' }
  /** Picking a provider (and a name) before anything starts. */
  | { step: 'choosing'; provider: string | null }
  | { step: 'starting'; request: ConnectRequest }
  /** The browser (or another device) is signing in; `since` is when the wait began. */
  | { step: 'waiting'; request: ConnectRequest; connecting: Connecting; since: number }
  | { step: 'failed'; request: ConnectRequest; error: AppError };

export type GrantView = ItemView & { item: GrantItem };

export function isGrant(v: ItemView): v is GrantView {
  return v.item.kind === 'grant';
}

class Connections {
  presets = $state.raw<PresetInfo[]>([]);
  providers = $state.raw<ProviderMeta[]>([]);
  loaded = $state(false);
  error = $state<AppError | null>(null);
  login = $state<Login>({ step: 'idle' });
  /** Grants with a refresh or disconnect under way, by name. */
  working = $state<Record<string, 'refresh' | 'disconnect'>>({});

  grants = $derived(items.all.filter(isGrant));

  async load(): Promise<void> {
    try {
      const [providers, presets] = await Promise.all([
        api.oauthProviders(),
        this.presets.length ? Promise.resolve(this.presets) : api.oauthPresets(),
      ]);
      this.providers = providers;
      this.presets = presets;
      this.error = null;
      this.loaded = true;
    } catch (e) {
      this.error = e as AppError;
    }
  }

  provider(name: string): ProviderMeta | undefined {
    return this.providers.find((p) => p.name === name);
  }

  /** The grants obtained through provider `name`: it cannot be removed while they exist. */
  grantsOf(name: string): GrantView[] {
    return this.grants.filter((g) => g.item.provider === name);
  }

  async addProvider(provider: NewProvider): Promise<ProviderMeta> {
    const added = await api.addProvider(provider);
    await this.load();
    return added;
  }

  async removeProvider(name: string): Promise<void> {
    await api.removeProvider(name);
    await this.load();
  }

  /** Opens the dialog to pick a provider. */
  choose(provider: string | null = null): void {
    if (this.login.step === 'waiting' || this.login.step === 'starting') return;
    this.login = { step: 'choosing', provider };
  }

  /**
   * Starts a login (the browser opens from Rust) and waits for it. Resolves with the new grant,
   * or null when cancelled or failed (the dialog shows why).
   */
  async connect(request: ConnectRequest): Promise<ItemView | null> {
    if (this.login.step === 'waiting' || this.login.step === 'starting') return null;
    this.login = { step: 'starting', request };
    let connecting: Connecting;
    try {
      connecting = await api.connect(request);
    } catch (e) {
      this.login = { step: 'failed', request, error: e as AppError };
      return null;
    }
    const id = connecting.prompt.login;
    this.login = { step: 'waiting', request, connecting, since: Date.now() };
    try {
      const grant = await api.connectWait(id);
      if (!this.#waitingFor(id)) return null;
      this.login = { step: 'idle' };
      if (grant) {
        await items.load();
        items.selected = grant.item.name;
      }
      return grant;
    } catch (e) {
      if (this.#waitingFor(id)) this.login = { step: 'failed', request, error: e as AppError };
      return null;
    }
  }

  #waitingFor(id: number): boolean {
    return this.login.step === 'waiting' && this.login.connecting.prompt.login === id;
  }

  /** Log in again to a grant: same provider, same name; the grant is replaced when it succeeds. */
  relogin(grant: GrantItem): Promise<ItemView | null> {
    return this.connect({ provider: grant.provider, name: grant.name, scopes: [], device: false });
  }

  /** Closes the dialog; a login in progress is abandoned (its callback port closes). */
  async cancel(): Promise<void> {
    const login = this.login;
    this.login = { step: 'idle' };
    if (login.step === 'waiting') await api.connectCancel(login.connecting.prompt.login);
  }

  async openPage(): Promise<void> {
    if (this.login.step === 'waiting') await api.openLoginPage(this.login.connecting.prompt.login);
  }

  async refresh(name: string): Promise<ItemView> {
    this.working = { ...this.working, [name]: 'refresh' };
    try {
      return await api.refreshGrant(name);
    } finally {
      await this.#done(name);
    }
  }

  async disconnect(name: string): Promise<Disconnected> {
    this.working = { ...this.working, [name]: 'disconnect' };
    try {
      return await api.disconnect(name);
    } finally {
      await this.#done(name);
    }
  }

  /** Whatever happened, the list shows the grant as it is now (a failed refresh is noted). */
  async #done(name: string): Promise<void> {
    const rest = { ...this.working };
    delete rest[name];
    this.working = rest;
    await items.load();
  }

  /** Locked: nothing of the vault stays in the window. */
  clear(): void {
    if (this.login.step === 'waiting') {
      void api.connectCancel(this.login.connecting.prompt.login).catch(() => {});
    }
    this.login = { step: 'idle' };
    this.providers = [];
    this.loaded = false;
    this.error = null;
    this.working = {};
  }
}

export const connections = new Connections();

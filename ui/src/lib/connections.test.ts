import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Connecting } from './bindings/Connecting';
import type { ItemView } from './bindings/ItemView';
import { connections } from './connections.svelte';
import { items } from './items.svelte';
import { grant, provider, view } from '../test/fixtures';
import { backend, resetBackend } from '../test/ipc';

function started(login: number, over: Partial<Connecting> = {}): Connecting {
  return {
    prompt: { login, url: `http://127.0.0.1:4000/auth?state=s${login}` },
    provider: 'test',
    grant: 'test',
    browser_opened: true,
    ...over,
  };
}

/** A promise to answer a command with later. */
function later<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('connections store', () => {
  beforeEach(() => {
    items.clear();
    connections.clear();
  });
  afterEach(resetBackend);

  it('connects: waiting with the page to show, then the new grant is listed and selected', async () => {
    const wait = later<ItemView | null>();
    const g = grant('test');
    const calls = backend({
      connect: started(7),
      connect_wait: () => wait.promise,
      items: [view('openai'), g],
    });
    const done = connections.connect({ provider: 'test', name: null, scopes: [], device: false });
    await settle();
    expect(connections.login.step).toBe('waiting');
    if (connections.login.step === 'waiting') {
      expect(connections.login.connecting.prompt.url).toContain('/auth?');
    }
    wait.resolve(g);
    expect(await done).toEqual(g);
    expect(connections.login.step).toBe('idle');
    expect(items.selected).toBe('test');
    expect(connections.grants.map((v) => v.item.name)).toEqual(['test']);
    expect(calls.map((c) => c.cmd)).toEqual(['connect', 'connect_wait', 'items']);
    expect(calls[1]?.args).toEqual({ login: 7 });
  });

  it('cancel abandons the login in Rust and a late answer changes nothing', async () => {
    const first = later<ItemView | null>();
    const calls = backend({
      connect: ({ request }: Record<string, unknown>) =>
        started((request as { name: string | null }).name === 'second' ? 2 : 1),
      connect_wait: ({ login }: Record<string, unknown>) =>
        login === 1 ? first.promise : new Promise(() => {}),
      connect_cancel: null,
    });
    const one = connections.connect({ provider: 'test', name: null, scopes: [], device: false });
    await settle();
    await connections.cancel();
    expect(calls.find((c) => c.cmd === 'connect_cancel')?.args).toEqual({ login: 1 });
    expect(connections.login.step).toBe('idle');

    // A new login starts before the first one's wait has come back.
    void connections.connect({ provider: 'test', name: 'second', scopes: [], device: false });
    await settle();
    first.resolve(null);
    expect(await one).toBeNull();
    expect(connections.login.step).toBe('waiting');
    if (connections.login.step === 'waiting') {
      expect(connections.login.connecting.prompt.login).toBe(2);
    }
  });

  it('a failed login keeps its request to try again', async () => {
    backend({
      connect: started(3),
      connect_wait: () => Promise.reject({ code: 'login_failed', message: 'access_denied' }),
    });
    const result = await connections.connect({
      provider: 'test',
      name: 'work',
      scopes: ['openid'],
      device: false,
    });
    expect(result).toBeNull();
    expect(connections.login).toMatchObject({
      step: 'failed',
      request: { provider: 'test', name: 'work', scopes: ['openid'] },
      error: { code: 'login_failed' },
    });
  });

  it('logs in again to the same provider under the same name', async () => {
    const calls = backend({ connect: started(4), connect_wait: null, items: [] });
    await connections.relogin(grant('work-gh', { provider: 'github', relogin: true }).item);
    expect(calls[0]).toEqual({
      cmd: 'connect',
      args: { request: { provider: 'github', name: 'work-gh', scopes: [], device: false } },
    });
  });

  it('refresh and disconnect reload the list whatever the outcome', async () => {
    const calls = backend({
      refresh_grant: () => Promise.reject({ code: 'provider_unavailable', message: 'x' }),
      disconnect: { name: 'test', revoked: true, problem: null },
      items: [],
    });
    await expect(connections.refresh('test')).rejects.toMatchObject({
      code: 'provider_unavailable',
    });
    expect(connections.working).toEqual({});
    expect(await connections.disconnect('test')).toMatchObject({ revoked: true });
    expect(calls.map((c) => c.cmd)).toEqual(['refresh_grant', 'items', 'disconnect', 'items']);
  });

  it('loads providers and presets; a provider in use is known', async () => {
    backend({
      oauth_providers: [provider('test'), provider('spare')],
      oauth_presets: [],
      items: [grant('test')],
    });
    await items.load();
    await connections.load();
    expect(connections.providers.map((p) => p.name)).toEqual(['test', 'spare']);
    expect(connections.grantsOf('test')).toHaveLength(1);
    expect(connections.grantsOf('spare')).toHaveLength(0);
  });
});

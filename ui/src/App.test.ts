import { emit } from '@tauri-apps/api/event';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import App from './App.svelte';
import { items } from './lib/items.svelte';
import { session } from './lib/session.svelte';
import { view } from './test/fixtures';
import { backend, resetBackend, settings, status } from './test/ipc';

describe('App', () => {
  beforeEach(() => {
    session.screen = 'loading';
    session.status = null;
    items.clear();
  });
  afterEach(resetBackend);

  it('opens on first run when there is no vault', async () => {
    backend({
      status: status({ exists: false }),
      settings,
      kdf_choices: [],
    });
    render(App);
    expect(await screen.findByRole('heading', { name: 'Create your vault' })).toBeTruthy();
  });

  it('shows the lock screen within the event of a lock from anywhere, and forgets the items', async () => {
    backend({ status: status({ unlocked: true }), settings, items: [view('openai')] });
    render(App);
    expect(await screen.findByText('openai')).toBeTruthy();
    await emit('lock-changed', { unlocked: false, vault: '/v.db' });
    expect(await screen.findByRole('heading', { name: 'Vault is locked' })).toBeTruthy();
    expect(items.all).toEqual([]);
    expect(screen.queryByText('openai')).toBeNull();
  });

  it('locks with Ctrl+L', async () => {
    const calls = backend({
      status: status({ unlocked: true }),
      settings,
      items: [],
      lock: null,
    });
    render(App);
    await screen.findByText('Your vault is empty.');
    await fireEvent.keyDown(window, { key: 'l', ctrlKey: true });
    await waitFor(() => expect(session.screen).toBe('locked'));
    expect(calls.some((c) => c.cmd === 'lock')).toBe(true);
  });

  it('explains a damaged vault file instead of asking for a password', async () => {
    backend({
      status: status({ problem: { code: 'damaged', message: 'x is damaged' } }),
      settings,
    });
    render(App);
    expect(await screen.findByText(/damaged or is not a vault/)).toBeTruthy();
    expect(screen.queryByLabelText('Master password')).toBeNull();
  });
});

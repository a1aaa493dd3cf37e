import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncStatus } from '../lib/bindings/SyncStatus';
import { backend, resetBackend } from '../test/ipc';
import { items } from '../lib/items.svelte';
import { ui } from '../lib/ui.svelte';
import SyncView from './SyncView.svelte';

const status: SyncStatus = {
  url: 'git@github.com:me/vault-sync.git',
  remote: 'git@github.com:me/vault-sync.git',
  devices: [
    { id: 'a1b2c3d4', name: 'desktop', this: true, removed: false },
    { id: 'e5f6a7b8', name: 'laptop', this: false, removed: false },
    { id: '99990000', name: 'old-phone', this: false, removed: true },
  ],
  last_sync: null,
  pending: 2,
  unsent: 0,
  conflicts: ['stripe'],
  notes: [],
  removed: false,
};

describe('SyncView', () => {
  afterEach(resetBackend);

  it('starts syncing through a remote, then shows where it syncs', async () => {
    const calls = backend({
      shares: [],
      sync_status: null,
      sync_init: { round: { received: 0, sent: 3, conflicts: [], notes: [] }, status },
      sync_join: { round: { received: 5, sent: 0, conflicts: [], notes: [] }, status },
      items: [],
    });
    render(SyncView);
    const start = await screen.findByRole('form', { name: 'Start syncing' });
    await fireEvent.input(start.querySelector('#sync-url')!, { target: { value: ' /srv/git/vault.git ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Start syncing' }));
    expect((await screen.findByRole('status')).textContent).toContain('Synced: 0 changes received, 3 changes sent.');
    expect(calls.find((c) => c.cmd === 'sync_init')?.args).toEqual({ url: '/srv/git/vault.git', name: null, storage: null });
    // Once it syncs, the page shows where and the devices.
    await screen.findByTestId('sync-status');
    expect(screen.getByTestId('sync-status').textContent).toContain('git@github.com:me/vault-sync.git');
  });

  it("shows the status, the devices and conflicts, and an invitation's code until the device joins", async () => {
    let paired: (name: string) => void = () => {};
    const calls = backend({
      shares: [],
      sync_status: status,
      sync_invite: {
        code: '4821-HX7Q-K2MP-9TRD',
        nameplate: '4821',
        expires: '2026-12-06T14:32:00Z',
        url: status.url,
        join: `vault sync join ${status.url}`,
      },
      sync_invite_wait: () => new Promise<string>((resolve) => (paired = resolve)),
      sync_now: { round: { received: 1, sent: 2, conflicts: [], notes: [] }, status: { ...status, pending: 0 } },
      items: [],
    });
    render(SyncView);
    const card = await screen.findByTestId('sync-status');
    expect(card.textContent).toContain('2 changes here, 0 segments not pushed yet');
    expect(card.textContent).toContain('Changed on two devices: stripe');
    // The item's own page settles it.
    await fireEvent.click(screen.getByRole('button', { name: 'stripe' }));
    expect(items.selected).toBe('stripe');
    expect(ui.view).toBe('items');
    ui.view = 'sync';
    const devices = screen.getByRole('region', { name: 'Devices' });
    expect(devices.textContent).toContain('desktop');
    expect(devices.textContent).toContain('this device');
    expect(devices.textContent).toContain('removed');
    expect(screen.getAllByRole('button', { name: 'Remove…' })).toHaveLength(1);

    await fireEvent.click(screen.getByRole('button', { name: 'Add a device' }));
    const invitation = await screen.findByTestId('invitation');
    expect(invitation.textContent).toContain('4821-HX7Q-K2MP-9TRD');
    expect(invitation.textContent).toContain(`vault sync join ${status.url}`);
    await waitFor(() => expect(calls.some((c) => c.cmd === 'sync_invite_wait')).toBe(true));
    paired('laptop');
    expect((await screen.findByRole('status')).textContent).toContain('Paired laptop');
    await waitFor(() => expect(screen.queryByTestId('invitation')).toBeNull());

    await fireEvent.click(screen.getByRole('button', { name: 'Sync now' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('1 change received, 2 changes sent'));
  });

  it('asks where S3 storage is and which item holds its key, only for an s3:// remote', async () => {
    const remote = 's3://team-vault/sync (endpoint http://nas.local:9000, key S3_KEY)';
    const calls = backend({
      shares: [],
      sync_status: null,
      sync_init: {
        round: { received: 0, sent: 1, conflicts: [], notes: [] },
        status: { ...status, url: 's3://team-vault/sync?endpoint=http%3A%2F%2Fnas.local%3A9000&key=S3_KEY', remote },
      },
      items: [],
    });
    render(SyncView);
    const start = await screen.findByRole('form', { name: 'Start syncing' });
    expect(start.querySelector('#sync-endpoint')).toBeNull();
    await fireEvent.input(start.querySelector('#sync-url')!, { target: { value: 's3://team-vault/sync' } });
    await fireEvent.input(start.querySelector('#sync-endpoint')!, { target: { value: 'http://nas.local:9000' } });
    await fireEvent.input(start.querySelector('#sync-key')!, { target: { value: 'S3_KEY' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Start syncing' }));
    await screen.findByTestId('sync-status');
    expect(calls.find((c) => c.cmd === 'sync_init')?.args).toEqual({
      url: 's3://team-vault/sync',
      name: null,
      storage: { endpoint: 'http://nas.local:9000', region: null, key: 'S3_KEY' },
    });
    expect(screen.getByTestId('sync-status').textContent).toContain(remote);
  });

  it('shows a refused pairing as a message', async () => {
    backend({
      shares: [],
      sync_status: null,
      sync_join: () => {
        throw { code: 'invalid', message: 'the other device refused the pairing code' };
      },
    });
    render(SyncView);
    const join = await screen.findByRole('form', { name: 'Join another device' });
    await fireEvent.input(join.querySelector('#join-url')!, { target: { value: 'file:///srv/v.git' } });
    await fireEvent.input(join.querySelector('#join-code')!, { target: { value: '1234-ABCD-EFGH-JKMN' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Join' }));
    expect((await screen.findByRole('alert')).textContent).toContain('refused the pairing code');
  });
});

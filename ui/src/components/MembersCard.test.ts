import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { ShareInfo } from '../lib/bindings/ShareInfo';
import { backend, resetBackend } from '../test/ipc';
import MembersCard from './MembersCard.svelte';

const alice: ShareInfo = {
  id: '5f0c29e4b7a1d3c8e6f9a2b4c7d1e3f5',
  owner: true,
  name: 'alice',
  recipient: 'age1alice',
  selector: ['tag:staging'],
  items: 2,
  state: 'active',
  last_seen: null,
  last_sync: null,
  remote: 's3://team-vault/sync',
};
const fromBob: ShareInfo = {
  ...alice,
  id: '0123456789abcdef0123456789abcdef',
  owner: false,
  name: 'bob-laptop',
  recipient: null,
  selector: [],
  items: 3,
};

describe('MembersCard', () => {
  afterEach(resetBackend);

  it('lists the members with what each gets, and the shares received', async () => {
    backend({ shares: [alice, fromBob] });
    render(MembersCard, { syncs: true });
    const table = await screen.findByRole('table', { name: 'Members' });
    expect(table.textContent).toContain('alice');
    expect(table.textContent).toContain('tag:staging');
    expect(table.textContent).toContain('active');
    expect(screen.getByTestId('received-share').textContent).toContain('Shared with you by bob-laptop: 3 items');
  });

  it('adds a member and shows the line they run', async () => {
    const calls = backend({
      shares: [],
      share_add: { share: { ...alice, state: 'waiting' }, accept: `vault share accept s3://team-vault/sync ${alice.id}` },
    });
    render(MembersCard, { syncs: true });
    const form = await screen.findByRole('form', { name: 'Add a member' });
    await fireEvent.input(form.querySelector('#member-name')!, { target: { value: ' alice ' } });
    await fireEvent.input(form.querySelector('#member-key')!, { target: { value: 'age1alice' } });
    await fireEvent.input(form.querySelector('#member-items')!, { target: { value: 'tag:staging, name:SENTRY_*' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add member' }));
    expect((await screen.findByTestId('member-added')).textContent).toContain(`vault share accept s3://team-vault/sync ${alice.id}`);
    expect(calls.find((c) => c.cmd === 'share_add')?.args).toEqual({
      member: 'alice',
      recipient: 'age1alice',
      items: 'tag:staging, name:SENTRY_*',
    });
  });

  it('removes a member only after confirming, then shows them removed', async () => {
    const calls = backend({
      shares: [alice],
      share_remove: [{ ...alice, state: 'removed' }],
      items: [],
    });
    render(MembersCard, { syncs: true });
    await fireEvent.click(await screen.findByRole('button', { name: 'Remove…' }));
    expect(calls.some((c) => c.cmd === 'share_remove')).toBe(false);
    await fireEvent.click(screen.getByRole('button', { name: 'Remove', hidden: true }));
    await waitFor(() => expect(calls.find((c) => c.cmd === 'share_remove')?.args).toEqual({ member: 'alice' }));
    await waitFor(() => expect(screen.getByRole('table', { name: 'Members' }).textContent).toContain('removed'));
  });

  it('shows this user key on request, and no form without a remote', async () => {
    backend({ shares: [], share_key: 'age1mykey' });
    render(MembersCard, { syncs: false });
    await fireEvent.click(await screen.findByRole('button', { name: 'Show my sharing key' }));
    expect((await screen.findByTestId('my-share-key')).textContent).toBe('age1mykey');
    expect(screen.queryByRole('form', { name: 'Add a member' })).toBeNull();
  });
});

import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { items } from '../lib/items.svelte';
import { view } from '../test/fixtures';
import { backend, resetBackend } from '../test/ipc';
import AddKey from './AddKey.svelte';

describe('AddKey', () => {
  beforeEach(() => items.clear());
  afterEach(resetBackend);

  it('fills provider and env name from a recognised key, and sends the key as typed', async () => {
    const calls = backend({
      detect_key: ({ value }: Record<string, unknown>) =>
        String(value).startsWith('ghp_')
          ? {
              service: 'github',
              provider: 'GitHub',
              description: 'GitHub personal access token (classic)',
              env: 'GITHUB_TOKEN',
              rotation_days: 90,
            }
          : null,
      add_key: view('gh'),
      items: [view('gh')],
    });
    render(AddKey, { open: true });
    await fireEvent.input(screen.getByLabelText('Name'), { target: { value: 'gh' } });
    await fireEvent.input(screen.getByLabelText('Value'), {
      target: { value: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789' },
    });
    expect((await screen.findByTestId('key-suggestion')).textContent).toContain(
      'GitHub personal access token',
    );
    await waitFor(() =>
      expect((screen.getByLabelText('Environment variables') as HTMLInputElement).value).toBe(
        'GITHUB_TOKEN',
      ),
    );
    expect((screen.getByLabelText('Service') as HTMLInputElement).value).toBe('github');
    await fireEvent.click(screen.getByRole('button', { name: 'Add key', hidden: true }));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'add_key')).toBe(true));
    const key = calls.find((c) => c.cmd === 'add_key')?.args.key as Record<string, unknown>;
    expect(key).toMatchObject({
      name: 'gh',
      value: 'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      env: ['GITHUB_TOKEN'],
      service: 'github',
      rotation: { policy: 'default' },
    });
  });
});

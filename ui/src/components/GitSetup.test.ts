import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { GitHelpers } from '../lib/bindings/GitHelpers';
import { backend, resetBackend } from '../test/ipc';
import GitSetup from './GitSetup.svelte';

const line = "!'/usr/bin/vault' git-credential";

describe('GitSetup', () => {
  afterEach(resetBackend);

  it('sets git up and says which helpers git asks first', async () => {
    const after: GitHelpers = { helpers: ['cache', line], ours: line, before: ['cache'] };
    const calls = backend({
      git_helpers: { helpers: ['cache'], ours: null, before: ['cache'] },
      set_up_git: after,
    });
    const { container } = render(GitSetup);
    await fireEvent.click(await screen.findByRole('button', { name: 'Set up git' }));
    await waitFor(() => expect(container.querySelector('[data-git=set-up]')).toBeTruthy());
    expect(calls.find((c) => c.cmd === 'set_up_git')?.args).toEqual({ undo: false });
    expect(container.textContent).toContain('git asks cache first');
  });

  it('takes vault out again', async () => {
    const calls = backend({
      git_helpers: { helpers: [line], ours: line, before: [] },
      set_up_git: { helpers: [], ours: null, before: [] },
    });
    const { container } = render(GitSetup);
    await fireEvent.click(await screen.findByRole('button', { name: 'Remove vault from git' }));
    await waitFor(() => expect(container.querySelector('[data-git=not-set-up]')).toBeTruthy());
    expect(calls.find((c) => c.cmd === 'set_up_git')?.args).toEqual({ undo: true });
  });
});

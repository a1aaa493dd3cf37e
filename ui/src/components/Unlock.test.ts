import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { items } from '../lib/items.svelte';
import { session } from '../lib/session.svelte';
import { backend, resetBackend, status } from '../test/ipc';
import Unlock from './Unlock.svelte';

describe('Unlock', () => {
  beforeEach(() => {
    session.status = status();
    session.screen = 'locked';
    items.clear();
  });
  afterEach(resetBackend);

  it('says a wrong password plainly and keeps the screen', async () => {
    backend({
      unlock: () => {
        throw { code: 'wrong_password', message: 'wrong master password' };
      },
    });
    render(Unlock);
    const input = screen.getByLabelText('Master password');
    await fireEvent.input(input, { target: { value: 'nope' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Unlock' }));
    expect(await screen.findByRole('alert')).toHaveProperty(
      'textContent',
      'That password is not right. Check Caps Lock and try again.',
    );
    expect(session.screen).toBe('locked');
    expect(input.getAttribute('aria-invalid')).toBe('true');
  });

  it('unlocks and shows the items', async () => {
    const calls = backend({ unlock: null, items: [] });
    render(Unlock);
    await fireEvent.input(screen.getByLabelText('Master password'), {
      target: { value: 'correct horse' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Unlock' }));
    await waitFor(() => expect(session.screen).toBe('unlocked'));
    expect(calls.find((c) => c.cmd === 'unlock')?.args).toEqual({ password: 'correct horse' });
    await waitFor(() => expect(items.loaded).toBe(true));
  });

  it('cannot be submitted empty', () => {
    backend({});
    render(Unlock);
    expect(screen.getByRole('button', { name: 'Unlock' })).toHaveProperty('disabled', true);
  });
});

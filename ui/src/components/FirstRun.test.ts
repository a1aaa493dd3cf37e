import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KdfChoice } from '../lib/bindings/KdfChoice';
import { session } from '../lib/session.svelte';
import { backend, resetBackend, status } from '../test/ipc';
import FirstRun from './FirstRun.svelte';

const choices: KdfChoice[] = [
  { strength: 'standard', params: { memory_kib: 65536, iterations: 3, parallelism: 4 }, recommended: true },
  { strength: 'high', params: { memory_kib: 262144, iterations: 3, parallelism: 4 }, recommended: false },
  { strength: 'minimum', params: { memory_kib: 19456, iterations: 2, parallelism: 1 }, recommended: false },
];
const millis = { standard: 640, high: 2510, minimum: 120 };

describe('FirstRun', () => {
  beforeEach(() => {
    session.status = status({ exists: false });
    session.screen = 'first_run';
  });
  afterEach(resetBackend);

  it('shows the measured unlock time of each strength', async () => {
    backend({
      kdf_choices: choices,
      measure_kdf: ({ strength }: Record<string, unknown>) => ({
        strength,
        millis: millis[strength as keyof typeof millis],
      }),
    });
    const { container } = render(FirstRun);
    await waitFor(() =>
      expect(container.querySelector('[data-measured="high"]')?.textContent).toContain('2.5 s'),
    );
    expect(container.querySelector('[data-measured="standard"]')?.textContent).toContain('640 ms');
    expect(screen.getByText('Recommended')).toBeTruthy();
  });

  it('creates only with a long enough, repeated password, at the chosen strength', async () => {
    const calls = backend({
      kdf_choices: choices,
      measure_kdf: ({ strength }: Record<string, unknown>) => ({ strength, millis: 100 }),
      create_vault: null,
      status: status({ exists: true, unlocked: true }),
      items: [],
    });
    render(FirstRun);
    const create = screen.getByRole('button', { name: 'Create vault' });
    await fireEvent.input(screen.getByLabelText('Master password'), { target: { value: 'short' } });
    expect(create).toHaveProperty('disabled', true);
    await fireEvent.input(screen.getByLabelText('Master password'), {
      target: { value: 'long enough words' },
    });
    await fireEvent.input(screen.getByLabelText('Repeat it'), { target: { value: 'long enough' } });
    expect(await screen.findByText('The two passwords are different.')).toBeTruthy();
    expect(create).toHaveProperty('disabled', true);
    await fireEvent.input(screen.getByLabelText('Repeat it'), {
      target: { value: 'long enough words' },
    });
    await fireEvent.click(await screen.findByLabelText(/High/));
    await fireEvent.click(create);
    await waitFor(() => expect(session.screen).toBe('unlocked'));
    expect(calls.find((c) => c.cmd === 'create_vault')?.args).toEqual({
      password: 'long enough words',
      strength: 'high',
    });
  });
});

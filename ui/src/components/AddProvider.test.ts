import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connections } from '../lib/connections.svelte';
import { presets, provider } from '../test/fixtures';
import { backend, resetBackend } from '../test/ipc';
import AddProvider from './AddProvider.svelte';

const submit = () => screen.getByRole('button', { name: 'Add provider', hidden: true });
const field = (label: string) => screen.getByLabelText(label) as HTMLInputElement;

describe('AddProvider', () => {
  beforeEach(() => connections.clear());
  afterEach(resetBackend);

  it('a preset that needs a client secret cannot be added without one; the secret goes to Rust once and leaves the form', async () => {
    const calls = backend({
      oauth_presets: presets,
      oauth_providers: [],
      add_provider: provider('github', { preset: 'github', has_client_secret: true }),
    });
    render(AddProvider, { open: true });
    await waitFor(() => expect(field('Provider').value).toBe('github'));
    expect(screen.getByText('https://github.com/settings/developers')).toBeTruthy();
    await fireEvent.input(field('Client ID'), { target: { value: 'Iv1.0123' } });
    expect(submit().hasAttribute('disabled')).toBe(true);
    expect(field('Client secret').placeholder).toBe('GitHub requires one');

    await fireEvent.input(field('Client secret'), { target: { value: 'gh-client-secret' } });
    expect(submit().hasAttribute('disabled')).toBe(false);
    await fireEvent.click(submit());
    await waitFor(() => expect(calls.some((c) => c.cmd === 'add_provider')).toBe(true));
    expect(calls.find((c) => c.cmd === 'add_provider')?.args.provider).toEqual({
      name: 'github',
      preset: 'github',
      issuer: null,
      client_id: 'Iv1.0123',
      client_secret: 'gh-client-secret',
      scopes: [],
      hosts: [],
      replace: false,
    });
    // The form closes, and the secret is gone from the page with it.
    await waitFor(() => expect(screen.queryByLabelText('Client secret')).toBeNull());
    expect(document.body.innerHTML).not.toContain('gh-client-secret');
  });

  it('any provider by issuer URL: named after its host unless named, scopes as typed; a refusal is shown', async () => {
    const calls = backend({
      oauth_presets: presets,
      oauth_providers: [],
      add_provider: () =>
        Promise.reject({ code: 'provider_unavailable', message: 'connection refused' }),
    });
    render(AddProvider, { open: true });
    await fireEvent.click(screen.getByLabelText('Any provider, by issuer URL'));
    await fireEvent.input(field('Issuer URL'), {
      target: { value: ' https://login.example.com/realms/dev ' },
    });
    expect(field('Name').placeholder).toBe('login');
    await fireEvent.input(field('Client ID'), { target: { value: 'vault-cli' } });
    await fireEvent.input(field('Scopes'), { target: { value: 'openid, email offline_access' } });
    // No secret needed for a public client.
    expect(submit().hasAttribute('disabled')).toBe(false);
    await fireEvent.click(submit());
    expect((await screen.findByRole('alert', { hidden: true })).textContent).toContain(
      'The provider could not be reached.',
    );
    // Still open with what was typed, to correct and try again.
    expect(field('Issuer URL').value).toBe('https://login.example.com/realms/dev');
    expect(calls.find((c) => c.cmd === 'add_provider')?.args.provider).toEqual({
      name: 'login',
      preset: null,
      issuer: 'https://login.example.com/realms/dev',
      client_id: 'vault-cli',
      client_secret: null,
      scopes: ['openid', 'email', 'offline_access'],
      hosts: [],
      replace: false,
    });
  });
});

import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ItemDetail as Detail } from '../lib/bindings/ItemDetail';
import { items } from '../lib/items.svelte';
import { ui } from '../lib/ui.svelte';
import { grant, provider, view } from '../test/fixtures';
import { backend, resetBackend } from '../test/ipc';
import ItemDetail from './ItemDetail.svelte';

const detail: Detail = {
  view: view('openai', { env: ['OPENAI_API_KEY'], tags: ['ai'], due: 'overdue' }),
  history: [
    { version: 2, set_at: '2026-02-01T00:00:00Z', replaced_at: null },
    { version: 1, set_at: '2026-01-01T00:00:00Z', replaced_at: '2026-02-01T00:00:00Z' },
  ],
  hosts: { rules: ['api.openai.com'], own: false, defaults: ['api.openai.com'], provider: null },
};

describe('ItemDetail', () => {
  beforeEach(() => {
    items.clear();
    ui.toasts = [];
  });
  afterEach(async () => {
    vi.useRealTimers();
    await resetBackend();
  });

  it('copies through Rust: the value never reaches the window', async () => {
    const calls = backend({ item: detail, copy: { name: 'openai', clears_in_secs: 30 } });
    const { container } = render(ItemDetail, { name: 'openai' });
    await fireEvent.click(await screen.findByRole('button', { name: /Copy value/ }));
    await waitFor(() => expect(ui.toasts[0]?.text).toContain('cleared in 30 s'));
    expect(calls.map((c) => c.cmd)).toEqual(['item', 'copy']);
    expect(container.textContent).not.toContain('sk-');
    expect(screen.getByLabelText('Value hidden')).toBeTruthy();
  });

  it('reveals on request and hides again when the time is up', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    backend({ item: detail, reveal: { value: 'sk-secret-123', hide_after_secs: 3 } });
    render(ItemDetail, { name: 'openai' });
    await fireEvent.click(await screen.findByRole('button', { name: 'Reveal' }));
    expect((await screen.findByTestId('revealed-value')).textContent).toBe('sk-secret-123');
    expect(screen.getByText('Hides in 3 s')).toBeTruthy();
    await vi.advanceTimersByTimeAsync(3100);
    expect(screen.queryByTestId('revealed-value')).toBeNull();
    expect(screen.getByLabelText('Value hidden')).toBeTruthy();
  });

  it('follows a change the agent announces, and only its own item', async () => {
    let version = 2;
    const calls = backend({
      item: () => ({
        ...detail,
        history: [{ version, set_at: '2026-03-01T00:00:00Z', replaced_at: null }],
      }),
      items: () => [detail.view],
    });
    render(ItemDetail, { name: 'openai' });
    expect(await screen.findByText('Version 2')).toBeTruthy();
    version = 3;
    await items.changedElsewhere(['stripe']);
    expect(screen.queryByText('Version 3')).toBeNull();
    await items.changedElsewhere(['openai']);
    expect(await screen.findByText('Version 3')).toBeTruthy();
    expect(calls.filter((c) => c.cmd === 'item')).toHaveLength(2);
  });

  it('shows the due state, env names, tags and the history', async () => {
    backend({ item: detail });
    render(ItemDetail, { name: 'openai' });
    expect(await screen.findByText('Rotate now')).toBeTruthy();
    expect(screen.getByText('OPENAI_API_KEY')).toBeTruthy();
    expect(screen.getByText('ai')).toBeTruthy();
    expect(screen.getByText('Version 2')).toBeTruthy();
    expect(screen.getByText('Current')).toBeTruthy();
    expect(screen.getAllByRole('button', { name: 'Restore…' })).toHaveLength(1);
  });

  it('sends only the fields that changed when saving an edit', async () => {
    const calls = backend({
      item: detail,
      edit_key: { ...detail.view },
      items: [detail.view],
    });
    render(ItemDetail, { name: 'openai' });
    await fireEvent.click(await screen.findByRole('button', { name: /Edit/ }));
    await fireEvent.input(screen.getByLabelText('Tags'), { target: { value: 'ai, prod' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'edit_key')).toBe(true));
    expect(calls.find((c) => c.cmd === 'edit_key')?.args).toEqual({
      name: 'openai',
      edit: { tags: ['ai', 'prod'] },
      secretFields: {},
    });
  });

  it("shows where --proxy may send the key: the service's hosts until it has its own", async () => {
    backend({ item: detail });
    render(ItemDetail, { name: 'openai' });
    const hosts = await screen.findByTestId('hosts');
    expect(hosts.textContent).toContain('api.openai.com');
    expect(hosts.textContent).toContain("The service's defaults");
  });

  it('saves hosts typed into the edit form as the key\'s own', async () => {
    const calls = backend({ item: detail, edit_key: { ...detail.view }, items: [detail.view] });
    render(ItemDetail, { name: 'openai' });
    await fireEvent.click(await screen.findByRole('button', { name: /Edit/ }));
    const field = screen.getByLabelText('Allowed hosts');
    expect((field as HTMLTextAreaElement).value).toBe('api.openai.com');
    await fireEvent.input(field, { target: { value: 'api.openai.com\nllm.corp.example:8443' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'edit_key')).toBe(true));
    expect(calls.find((c) => c.cmd === 'edit_key')?.args).toEqual({
      name: 'openai',
      edit: { hosts: ['api.openai.com', 'llm.corp.example:8443'] },
      secretFields: {},
    });
  });

  it("goes back to the service's hosts with one button", async () => {
    const own: Detail = {
      ...detail,
      hosts: { rules: ['localhost:8443'], own: true, defaults: ['api.openai.com'], provider: null },
    };
    const calls = backend({ item: own, edit_key: { ...detail.view }, items: [detail.view] });
    render(ItemDetail, { name: 'openai' });
    await fireEvent.click(await screen.findByRole('button', { name: /Edit/ }));
    await fireEvent.click(screen.getByRole('button', { name: /Use .* defaults/ }));
    expect((screen.getByLabelText('Allowed hosts') as HTMLTextAreaElement).value).toBe('api.openai.com');
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'edit_key')).toBe(true));
    expect(calls.find((c) => c.cmd === 'edit_key')?.args).toEqual({
      name: 'openai',
      edit: { hosts: null },
      secretFields: {},
    });
  });

  it("edits a grant's hosts as its provider's, shared by its other grants", async () => {
    const github: Detail = {
      view: grant('github', { provider: 'github' }),
      history: [],
      hosts: { rules: ['api.github.com'], own: false, defaults: ['api.github.com'], provider: 'github' },
    };
    const calls = backend({
      item: github,
      set_provider_hosts: provider('github', { hosts: ['api.github.com', 'ghe.corp.example'] }),
    });
    render(ItemDetail, { name: 'github' });
    await fireEvent.click(await screen.findByRole('button', { name: 'Edit the hosts of github' }));
    expect(screen.getByText(/Shared by every connection through github/)).toBeTruthy();
    await fireEvent.input(screen.getByLabelText('Allowed hosts'), {
      target: { value: 'api.github.com, ghe.corp.example' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Save hosts' }));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'set_provider_hosts')).toBe(true));
    expect(calls.find((c) => c.cmd === 'set_provider_hosts')?.args).toEqual({
      name: 'github',
      hosts: ['api.github.com', 'ghe.corp.example'],
    });
    await waitFor(() => expect(ui.toasts[0]?.text).toBe('Saved the hosts of github.'));
  });

  it("shows a key's fields and edits them: one changed, one removed, one added", async () => {
    const base = view('github');
    if (base.item.kind !== 'api_key') throw new Error('an API key');
    const withFields: Detail = {
      ...detail,
      view: { ...base, item: { ...base.item, fields: { username: 'alice', org: 'acme' } } },
    };
    const calls = backend({ item: withFields, edit_key: { ...withFields.view }, items: [withFields.view] });
    const { container } = render(ItemDetail, { name: 'github' });
    await screen.findByText('alice');
    expect(container.querySelector('[data-field=org]')?.textContent).toBe('acme');
    await fireEvent.click(screen.getByRole('button', { name: /Edit/ }));
    await fireEvent.input(screen.getByLabelText('Field 1 value'), { target: { value: 'bob' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Remove field org' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Add a field' }));
    await fireEvent.input(screen.getByLabelText('Field 2 name'), { target: { value: 'team' } });
    await fireEvent.input(screen.getByLabelText('Field 2 value'), { target: { value: 'infra' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'edit_key')).toBe(true));
    expect(calls.find((c) => c.cmd === 'edit_key')?.args).toEqual({
      name: 'github',
      edit: { fields: { org: null, username: 'bob', team: 'infra' } },
      secretFields: {},
    });
  });

  it('says which server refused a key and that it needs a new value', async () => {
    const base = view('forge', { due: 'expired' });
    if (base.item.kind !== 'api_key') throw new Error('an API key');
    const refused: Detail = {
      ...detail,
      view: {
        ...base,
        item: { ...base.item, refused: { at: '2026-03-01T00:00:00Z', by: 'https://git.example.com' } },
        attention: {
          name: 'forge',
          id: base.item.id,
          kind: 'api_key',
          state: 'expired',
          reason: 'refused_by_server',
          at: '2026-03-01T00:00:00Z',
          days_left: -3,
          service: null,
          due: null,
          expires: null,
        },
      },
    };
    backend({ item: refused });
    render(ItemDetail, { name: 'forge' });
    expect(await screen.findByText(/https:\/\/git\.example\.com refused this key/)).toBeTruthy();
  });

  it('settles a key changed on two devices: keeps this value, or takes the other', async () => {
    const base = view('stripe', { due: 'due_soon' });
    if (base.item.kind !== 'api_key') throw new Error('an API key');
    const flagged: Detail = {
      ...detail,
      view: {
        ...base,
        item: { ...base.item, conflict: { at: '2026-03-01T00:00:00Z', with: 'laptop', version: 3 } },
        attention: {
          name: 'stripe',
          id: base.item.id,
          kind: 'api_key',
          state: 'due_soon',
          reason: 'changed_on_two_devices',
          at: '2026-03-01T00:00:00Z',
          days_left: 0,
          service: null,
          due: null,
          expires: null,
        },
      },
    };
    const calls = backend({
      item: flagged,
      items: [flagged.view],
      sync_resolve: ({ takeOther }: { takeOther: boolean }) => ({
        name: 'stripe',
        with: 'laptop',
        took_other: takeOther,
        version: takeOther ? 5 : 4,
        other_version: 3,
      }),
    });
    render(ItemDetail, { name: 'stripe' });
    expect(await screen.findByText(/changed here and on laptop at once/)).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Keep this value' }));
    await waitFor(() => expect(ui.toasts.map((t) => t.text).join(' ')).toContain('Kept the current value of stripe'));
    expect(calls.find((c) => c.cmd === 'sync_resolve')?.args).toEqual({ name: 'stripe', takeOther: false });
    await fireEvent.click(await screen.findByRole('button', { name: 'Use the other value (version 3)' }));
    await waitFor(() => expect(ui.toasts.map((t) => t.text).join(' ')).toContain('stripe now holds the other value (version 5)'));
    expect(calls.filter((c) => c.cmd === 'sync_resolve').map((c) => c.args)).toEqual([
      { name: 'stripe', takeOther: false },
      { name: 'stripe', takeOther: true },
    ]);
  });

  it('shows a secret field hidden until its own Reveal, and sets a new one as a secret', async () => {
    const base = view('registry');
    if (base.item.kind !== 'api_key') throw new Error('an API key');
    const withSecret: Detail = {
      ...detail,
      view: { ...base, item: { ...base.item, secret_fields: ['password'] } },
    };
    const calls = backend({
      item: withSecret,
      reveal: { value: 'pw-hidden', hide_after_secs: 5 },
      edit_key: { ...withSecret.view },
      items: [withSecret.view],
    });
    const { container } = render(ItemDetail, { name: 'registry' });
    const row = await waitFor(() => {
      const dd = container.querySelector('[data-secret-field=password]');
      if (!dd) throw new Error('no row yet');
      return dd;
    });
    expect(row.textContent).not.toContain('pw-hidden');
    await fireEvent.click(screen.getByRole('button', { name: 'Reveal password' }));
    await waitFor(() => expect(row.textContent).toContain('pw-hidden'));
    expect(calls.find((c) => c.cmd === 'reveal')?.args).toEqual({ name: 'registry', field: 'password' });

    await fireEvent.click(screen.getByRole('button', { name: /Edit/ }));
    // The stored secret is not loaded into the form: left empty, it is kept.
    expect((screen.getByLabelText('Field 1 secret value') as HTMLInputElement).value).toBe('');
    await fireEvent.click(screen.getByRole('button', { name: 'Add a secret field' }));
    await fireEvent.input(screen.getByLabelText('Field 2 name'), { target: { value: 'otp' } });
    await fireEvent.input(screen.getByLabelText('Field 2 secret value'), { target: { value: 'JBSWY3DP' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(calls.some((c) => c.cmd === 'edit_key')).toBe(true));
    expect(calls.find((c) => c.cmd === 'edit_key')?.args).toEqual({
      name: 'registry',
      edit: {},
      secretFields: { otp: 'JBSWY3DP' },
    });
  });
});

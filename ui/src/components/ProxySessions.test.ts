import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProxySessionInfo } from '../lib/bindings/ProxySessionInfo';
import { ui } from '../lib/ui.svelte';
import { backend, resetBackend } from '../test/ipc';
import ProxySessions from './ProxySessions.svelte';

function session(over: Partial<ProxySessionInfo> = {}): ProxySessionInfo {
  return {
    id: '3f9c2a7d1b0e4c55',
    program: 'node',
    pid: 4242,
    started: new Date(Date.now() - 5 * 60_000).toISOString(),
    items: ['openai', 'github'],
    strict: false,
    requests: 12,
    sent: [
      { destination: 'https://api.openai.com:443', items: ['openai'], requests: 11 },
      { destination: 'https://localhost:8443', items: ['github'], requests: 1 },
    ],
    refusals: 1,
    recent_refusals: [
      'refused a request to https://evil.example:443/: it carries the placeholder of "openai", which may go only to api.openai.com; nothing was sent',
    ],
    ...over,
  };
}

describe('ProxySessions', () => {
  beforeEach(() => {
    ui.toasts = [];
  });
  afterEach(resetBackend);

  it('shows each program with its items, where values went and what was refused', async () => {
    backend({ proxy_sessions: [session()] });
    render(ProxySessions);
    const card = await screen.findByRole('listitem', { name: 'node (process 4242)' });
    const c = within(card);
    expect(c.getByText('openai')).toBeTruthy();
    expect(c.getByTestId('sent').textContent).toContain('api.openai.com 11×');
    expect(c.getByTestId('sent').textContent).toContain('https://localhost:8443 1×');
    expect(c.getByTestId('refusals').textContent).toContain('evil.example');
    expect(card.textContent).toContain('started 5 min ago');
  });

  it('says so when nothing runs through the proxy', async () => {
    backend({ proxy_sessions: [] });
    render(ProxySessions);
    expect(await screen.findByText(/No program is running with/)).toBeTruthy();
  });

  it('ends a session only after asking, then shows the list without it', async () => {
    let live = [session(), session({ id: 'aaaa', program: 'python3', pid: 7 })];
    const calls = backend({
      proxy_sessions: () => live,
      end_proxy_session: ({ id }: Record<string, unknown>) => {
        live = live.filter((s) => s.id !== id);
        return null;
      },
    });
    render(ProxySessions);
    await fireEvent.click(await screen.findByRole('button', { name: 'End the session of node' }));
    expect(calls.some((c) => c.cmd === 'end_proxy_session')).toBe(false);
    await fireEvent.click(await screen.findByRole('button', { name: 'End session', hidden: true }));
    await waitFor(() => expect(screen.queryByRole('listitem', { name: /node/ })).toBeNull());
    expect(calls.find((c) => c.cmd === 'end_proxy_session')?.args).toEqual({ id: '3f9c2a7d1b0e4c55' });
    expect(screen.getByRole('listitem', { name: 'python3 (process 7)' })).toBeTruthy();
    expect(ui.toasts[0]?.text).toContain('Ended the session of node');
  });

  it('follows the agent: a session that ends by itself goes from the list', async () => {
    let live = [session()];
    backend({ proxy_sessions: () => live });
    render(ProxySessions);
    await screen.findByRole('listitem', { name: /node/ });
    live = [];
    await waitFor(() => expect(screen.getByText(/No program is running with/)).toBeTruthy(), {
      timeout: 5000,
    });
  });
});

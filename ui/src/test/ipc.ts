// A fake backend for component tests: Tauri's own IPC mock, answering commands from a table.
import { cleanup } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import type { AppStatus } from '../lib/bindings/AppStatus';
import type { Settings } from '../lib/bindings/Settings';

export type Call = { cmd: string; args: Record<string, unknown> };
type Answer = unknown | ((args: Record<string, unknown>) => unknown);

export function backend(answers: Record<string, Answer>): Call[] {
  const calls: Call[] = [];
  mockIPC(
    (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args: a });
      if (!(cmd in answers)) throw { code: 'unexpected', message: `no answer for ${cmd}` };
      const answer = answers[cmd];
      return typeof answer === 'function' ? (answer as (x: typeof a) => unknown)(a) : answer;
    },
    { shouldMockEvents: true },
  );
  return calls;
}

/** Unmounts first: components stop listening before the fake IPC goes away. */
export async function resetBackend(): Promise<void> {
  cleanup();
  // Unlistening is asynchronous: let it reach the fake before the fake is removed.
  await new Promise((r) => setTimeout(r, 0));
  clearMocks();
}

export const settings: Settings = {
  theme: 'system',
  auto_lock_secs: 900,
  clipboard_clear_secs: 30,
  reveal_secs: 15,
  vault_path: null,
};

export function status(over: Partial<AppStatus> = {}): AppStatus {
  return {
    vault: '/home/me/.local/share/vault/vault.db',
    source: 'default',
    exists: true,
    unlocked: false,
    problem: null,
    shared: false,
    ...over,
  };
}

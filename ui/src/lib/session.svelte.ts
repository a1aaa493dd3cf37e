// Which screen the window shows, from the app's status and lock events from anywhere.
import { api } from './api';
import type { AppError } from './bindings/AppError';
import type { AppStatus } from './bindings/AppStatus';
import type { LockState } from './bindings/LockState';
import { connections } from './connections.svelte';
import { items } from './items.svelte';

export type Screen = 'loading' | 'first_run' | 'locked' | 'problem' | 'unlocked';

export function screenFor(status: AppStatus): Screen {
  if (status.problem) return 'problem';
  if (!status.exists) return 'first_run';
  return status.unlocked ? 'unlocked' : 'locked';
}

class Session {
  screen = $state<Screen>('loading');
  status = $state<AppStatus | null>(null);
  /** Why the status itself could not be read. */
  error = $state<AppError | null>(null);

  async refresh(): Promise<void> {
    try {
      const status = await api.status();
      this.status = status;
      this.error = null;
      this.show(screenFor(status));
    } catch (e) {
      this.error = e as AppError;
      this.show('problem');
    }
  }

  show(screen: Screen): void {
    const was = this.screen;
    this.screen = screen;
    if (screen === 'unlocked' && was !== 'unlocked') void items.load();
    if (screen !== 'unlocked') {
      items.clear();
      connections.clear();
    }
  }

  /** A lock or unlock from anywhere: this window, the tray, the idle timer, the CLI. */
  lockChanged(state: LockState): void {
    if (state.unlocked && this.screen !== 'unlocked') {
      if (this.status) this.status = { ...this.status, exists: true, unlocked: true };
      this.show('unlocked');
    } else if (!state.unlocked && this.screen === 'unlocked') {
      if (this.status) this.status = { ...this.status, unlocked: false };
      this.show('locked');
    }
  }

  async lock(): Promise<void> {
    await api.lock();
    this.lockChanged({ unlocked: false, vault: this.status?.vault ?? '' });
  }
}

export const session = new Session();

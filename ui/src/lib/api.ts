// The window's only door to the vault. The commands, their arguments and results are declared
// once in Rust (vault-app's window_commands!) and generated into ./bindings/commands.ts; this
// file only turns whatever a command rejects with into an AppError.
import { invoke } from '@tauri-apps/api/core';
import type { AppError } from './bindings/AppError';
import { commands } from './bindings/commands';

/** Whatever a command rejected with, as an AppError (a code the UI can explain). */
export function toAppError(e: unknown): AppError {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') {
    return e as AppError;
  }
  return { code: 'unexpected', message: String(e) };
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toAppError(e);
  }
}

export const api = commands(call);

export type Api = typeof api;

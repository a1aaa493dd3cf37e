// Error codes into sentences for a person. Exhaustive over the generated ErrorKind union, so a
// new code in Rust fails `npm run check` until it has a message here. Never matches on text.
import type { AppError } from './bindings/AppError';
import type { ErrorKind } from './bindings/ErrorKind';

const messages: Record<ErrorKind, string> = {
  wrong_password: 'That password is not right. Check Caps Lock and try again.',
  no_vault: 'There is no vault at this location yet.',
  vault_exists: 'A vault already exists at this location.',
  damaged: 'This vault file is damaged or is not a vault. It has not been changed.',
  newer_format: 'This vault was saved by a newer version of Vault. Update the app to open it.',
  tampered:
    'This vault was changed outside Vault and can no longer be trusted. It has not been modified.',
  not_found: 'That item no longer exists. It may have been removed elsewhere.',
  already_exists: 'An item with that name already exists. Choose another name.',
  invalid: 'That value is not valid.',
  busy: 'The vault is busy in another program. Try again in a moment.',
  locked: 'The vault is locked.',
  io: 'Vault could not read or write a file. Check the disk and its permissions.',
  internal: 'Something went wrong inside Vault. Nothing was changed.',
  needs_relogin:
    'The provider no longer accepts this connection. Log in again to keep using it.',
  provider_unavailable:
    'The provider could not be reached. Check your network connection and try again; nothing was lost.',
  provider:
    'The provider refused the request. Check the provider settings (client ID, secret, scopes); nothing was changed.',
  login_failed:
    'The sign-in did not complete: it was declined, took too long, or its answer could not be trusted. Nothing was changed.',
  refused: "Vault's background service refused the request. Quit Vault and open it again.",
  password_too_short: 'Choose a master password of at least 8 characters.',
  no_vault_location: 'There is no place to keep the vault. Choose a location in Settings.',
  clipboard: 'The clipboard is not available right now.',
  browser: 'Your browser could not be opened. Copy the address and open it yourself.',
  settings: 'Your settings could not be saved.',
  agent_unavailable: "Vault's background service could not be started.",
  unexpected: 'Something unexpected happened. Nothing was changed.',
};

/** A clear, non-technical sentence for an error. */
export function messageFor(error: AppError): string {
  // Only `invalid` carries its own explanation (what the input should look like).
  if (error.code === 'invalid' && error.message) {
    const m = error.message.trim();
    return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? '' : '.');
  }
  return messages[error.code] ?? messages.unexpected;
}

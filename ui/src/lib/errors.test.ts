import { describe, expect, it } from 'vitest';
import type { ErrorKind } from './bindings/ErrorKind';
import { messageFor } from './errors';

const codes: ErrorKind[] = [
  'wrong_password', 'no_vault', 'vault_exists', 'damaged', 'newer_format', 'tampered',
  'not_found', 'already_exists', 'invalid', 'busy', 'locked', 'io', 'internal', 'refused',
  'needs_relogin', 'provider_unavailable', 'provider', 'login_failed', 'password_too_short', 'no_vault_location', 'clipboard', 'browser', 'settings', 'agent_unavailable',
  'unexpected',
];

describe('messageFor', () => {
  it('says something plain for every code, without the technical detail', () => {
    for (const code of codes) {
      const m = messageFor({ code, message: code === 'invalid' ? '' : 'database error on /x: SQLITE_BUSY' });
      expect(m.length, code).toBeGreaterThan(10);
      expect(m, code).not.toContain('SQLITE');
    }
  });

  it('explains a wrong password and a damaged file in words a person knows', () => {
    expect(messageFor({ code: 'wrong_password', message: 'wrong master password' })).toMatch(
      /password is not right/,
    );
    expect(messageFor({ code: 'damaged', message: '/v.db is damaged (x)' })).toMatch(
      /has not been changed/,
    );
  });

  it('says what to do about an OAuth failure, not what the provider said', () => {
    expect(
      messageFor({ code: 'needs_relogin', message: 'the provider refused the grant (invalid_grant)' }),
    ).toMatch(/Log in again/);
    expect(
      messageFor({ code: 'provider_unavailable', message: 'cannot reach http://x: refused' }),
    ).toMatch(/could not be reached.*nothing was lost/);
    const failed = messageFor({ code: 'login_failed', message: 'the login was refused: access_denied' });
    expect(failed).toMatch(/did not complete/);
    expect(failed).not.toContain('access_denied');
    expect(messageFor({ code: 'browser', message: 'browser: xdg-open not found' })).toMatch(
      /Copy the address/,
    );
  });

  it('shows the explanation of invalid input as a sentence', () => {
    expect(
      messageFor({ code: 'invalid', message: 'a rotation interval must be at least one day' }),
    ).toBe('A rotation interval must be at least one day.');
  });
});

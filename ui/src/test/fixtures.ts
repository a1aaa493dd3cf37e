import type { DueState } from '../lib/bindings/DueState';
import type { ItemView } from '../lib/bindings/ItemView';
import type { PresetInfo } from '../lib/bindings/PresetInfo';
import type { ProviderMeta } from '../lib/bindings/ProviderMeta';
import type { GrantView } from '../lib/connections.svelte';

let n = 0;

export function view(
  name: string,
  opts: { env?: string[]; tags?: string[]; due?: DueState; service?: string; next?: string } = {},
): ItemView {
  n += 1;
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    item: {
      id,
      kind: 'api_key',
      name,
      env: opts.env ?? [name.toUpperCase().replace(/[^A-Z0-9]/g, '_')],
      service: opts.service ?? null,
      tags: opts.tags ?? [],
      notes: '',
      created: '2026-01-01T00:00:00Z',
      updated: '2026-01-01T00:00:00Z',
      last_rotated: '2026-01-01T00:00:00Z',
      rotation: { policy: 'default' },
      expires: null,
      version: 1,
    },
    due: opts.due ?? 'ok',
    attention: null,
    schedule: { due: '2026-04-01T00:00:00Z', expires: null },
    next: opts.next ?? '2026-04-01T00:00:00Z',
  };
}

export function many(count: number): ItemView[] {
  return Array.from({ length: count }, (_, i) =>
    view(`service-${String(i).padStart(5, '0')}`, { tags: [i % 2 ? 'odd' : 'even'] }),
  );
}

/** An OAuth grant as listed: metadata only. */
export function grant(
  name: string,
  opts: {
    provider?: string;
    expires?: string | null;
    last_refresh?: string | null;
    relogin?: boolean;
    refreshable?: boolean;
  } = {},
): GrantView {
  n += 1;
  const id = `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`;
  const relogin = opts.relogin ?? false;
  return {
    item: {
      id,
      kind: 'grant',
      name,
      env: [name.toUpperCase()],
      tags: [],
      notes: '',
      provider: opts.provider ?? 'test',
      token_type: 'bearer',
      scopes: ['openid', 'email'],
      expires: opts.expires === undefined ? '2026-03-01T12:04:05Z' : opts.expires,
      refresh_expires: null,
      obtained: '2026-03-01T11:04:05Z',
      subject: null,
      email: 'alice@example.test',
      created: '2026-01-01T00:00:00Z',
      updated: '2026-03-01T11:04:05Z',
      last_refresh: opts.last_refresh ?? null,
      last_error: null,
      refreshable: opts.refreshable ?? true,
      status: relogin ? { state: 'needs_relogin', reason: 'invalid_grant' } : { state: 'ok' },
      generation: 1,
    },
    due: relogin ? 'expired' : 'ok',
    attention: relogin
      ? {
          name,
          id,
          kind: 'grant',
          state: 'expired',
          reason: 'needs_relogin',
          at: '2026-03-01T11:04:05Z',
          days_left: 0,
          service: null,
          due: null,
          expires: null,
        }
      : null,
    schedule: { due: null, expires: null },
    next: null,
  };
}

export function provider(name: string, over: Partial<ProviderMeta> = {}): ProviderMeta {
  return {
    name,
    preset: null,
    issuer: 'http://127.0.0.1:4000',
    client_id: 'vault-cli',
    has_client_secret: false,
    scopes: ['openid', 'email', 'offline_access'],
    authorization_endpoint: 'http://127.0.0.1:4000/auth',
    token_endpoint: 'http://127.0.0.1:4000/token',
    revocation_endpoint: 'http://127.0.0.1:4000/token/revocation',
    device_authorization_endpoint: 'http://127.0.0.1:4000/device/auth',
    iss_parameter_supported: true,
    created: '2026-01-01T00:00:00Z',
    updated: '2026-01-01T00:00:00Z',
    ...over,
  };
}

export const presets: PresetInfo[] = [
  {
    id: 'github',
    title: 'GitHub',
    default_scopes: ['repo', 'read:user'],
    console: 'https://github.com/settings/developers',
    client_secret_required: true,
    device_flow: true,
  },
  {
    id: 'google',
    title: 'Google',
    default_scopes: ['openid', 'email'],
    console: 'https://console.cloud.google.com/apis/credentials',
    client_secret_required: false,
    device_flow: true,
  },
];

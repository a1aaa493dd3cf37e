import type { DueState } from '../lib/bindings/DueState';
import type { ItemView } from '../lib/bindings/ItemView';

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

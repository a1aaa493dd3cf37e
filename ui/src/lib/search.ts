// Instant search over the item list, in the window: the metadata is already here, so a keystroke
// costs a scan of precomputed lowercase text, not a round trip. Values are never here to search.
import type { DueState } from './bindings/DueState';
import type { ItemView } from './bindings/ItemView';

export type Kind = ItemView['item']['kind'];

export interface Filter {
  tag: string | null;
  kind: Kind | null;
  attention: boolean;
}

export const noFilter: Filter = { tag: null, kind: null, attention: false };

export interface Indexed {
  view: ItemView;
  /** name, env names, tags and service, lowercased, separated by a character no one types. */
  text: string;
}

export function buildIndex(views: readonly ItemView[]): Indexed[] {
  return views.map((view) => {
    const i = view.item;
    const service = i.kind === 'api_key' ? (i.service ?? '') : i.provider;
    const parts = [i.name, ...i.env, ...i.tags, service];
    return { view, text: parts.join('\u0001').toLowerCase() };
  });
}

export function needsAttention(due: DueState): boolean {
  return due !== 'ok';
}

/** Items matching every word of `query` (anywhere in name, env names, tags) and the filter. */
export function filterItems(index: readonly Indexed[], query: string, filter: Filter): ItemView[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const out: ItemView[] = [];
  for (const { view, text } of index) {
    if (filter.attention && !needsAttention(view.due)) continue;
    if (filter.kind && view.item.kind !== filter.kind) continue;
    if (filter.tag && !view.item.tags.includes(filter.tag)) continue;
    if (words.every((w) => text.includes(w))) out.push(view);
  }
  return out;
}

/** Every tag in use, sorted. */
export function tagsOf(views: readonly ItemView[]): string[] {
  const tags = new Set<string>();
  for (const v of views) for (const t of v.item.tags) tags.add(t);
  return [...tags].sort((a, b) => a.localeCompare(b));
}

const urgency: Record<DueState, number> = { expired: 0, overdue: 1, due_soon: 2, ok: 3 };

/** Items needing attention, most urgent first, then the soonest date. */
export function attentionList(views: readonly ItemView[]): ItemView[] {
  return views
    .filter((v) => needsAttention(v.due))
    .sort(
      (a, b) =>
        urgency[a.due] - urgency[b.due] ||
        (a.next ?? '').localeCompare(b.next ?? '') ||
        a.item.name.localeCompare(b.item.name),
    );
}

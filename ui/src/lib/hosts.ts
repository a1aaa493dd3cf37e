import type { ItemHosts } from './bindings/ItemHosts';
import { splitList } from './format';

/**
 * What an edit of an item's hosts asks for: `undefined` nothing changed, `null` back to the
 * defaults (the service's, or the provider preset's), a list: its own hosts from now on.
 */
export function hostsChange(hosts: ItemHosts, text: string, own: boolean): string[] | null | undefined {
  if (!own) return hosts.own ? null : undefined;
  const list = splitList(text);
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  // Typing the defaults back in while they are the defaults is no change.
  if (same(list, hosts.rules) && (hosts.own || same(list, hosts.defaults))) return undefined;
  return list;
}

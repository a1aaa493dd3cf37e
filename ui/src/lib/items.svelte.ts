// The item list as the window holds it: metadata only, loaded on unlock and after each change,
// searched in place. `$state.raw`: 10,000 items are replaced whole, never deeply proxied.
import { api } from './api';
import type { AppError } from './bindings/AppError';
import type { ItemView } from './bindings/ItemView';
import { attentionList, buildIndex, filterItems, noFilter, tagsOf, type Filter } from './search';

class Items {
  all = $state.raw<ItemView[]>([]);
  loaded = $state(false);
  loading = $state(false);
  error = $state<AppError | null>(null);
  query = $state('');
  filter = $state<Filter>({ ...noFilter });
  /** The selected item's name. */
  selected = $state<string | null>(null);
  /** The items the agent last said changed (the CLI, a sync round, a refresh), counted so
   * that the same names twice are two changes. */
  changed = $state.raw<{ names: string[]; count: number }>({ names: [], count: 0 });

  #index = $derived(buildIndex(this.all));
  visible = $derived(filterItems(this.#index, this.query, this.filter));
  tags = $derived(tagsOf(this.all));
  attention = $derived(attentionList(this.all));

  get selectedView(): ItemView | undefined {
    return this.all.find((v) => v.item.name === this.selected);
  }

  async load(): Promise<void> {
    this.loading = true;
    try {
      this.all = await api.items();
      this.error = null;
      this.loaded = true;
      if (this.selected && !this.all.some((v) => v.item.name === this.selected)) {
        this.selected = null;
      }
    } catch (e) {
      this.error = e as AppError;
    } finally {
      this.loading = false;
    }
  }

  /** The agent says these items changed: the list is read again, and an open item follows. */
  async changedElsewhere(names: string[]): Promise<void> {
    this.changed = { names, count: this.changed.count + 1 };
    if (this.loaded) await this.load();
  }

  /** Locked: nothing of the vault stays in the window. */
  clear(): void {
    this.all = [];
    this.loaded = false;
    this.query = '';
    this.filter = { ...noFilter };
    this.selected = null;
    this.error = null;
  }

  get filtered(): boolean {
    return (
      this.query.trim() !== '' || this.filter.attention || !!this.filter.tag || !!this.filter.kind
    );
  }

  resetSearch(): void {
    this.query = '';
    this.filter = { ...noFilter };
  }
}

export const items = new Items();

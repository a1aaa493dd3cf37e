// Where the user is inside the unlocked window, and transient messages.
export type View =
  | 'items'
  | 'attention'
  | 'connections'
  | 'proxy'
  | 'import'
  | 'scan'
  | 'sync'
  | 'audit'
  | 'settings';

export interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error';
}

class Ui {
  view = $state<View>('items');
  adding = $state(false);
  addingProvider = $state(false);
  /** The search box should take the focus (Ctrl/Cmd+F); it clears this when it has. */
  searchWanted = $state(false);
  toasts = $state<Toast[]>([]);
  #next = 1;

  toast(text: string, tone: Toast['tone'] = 'info', millis = 4000): void {
    const id = this.#next++;
    // Kept in order, oldest first; the window shows the newest two (`Toasts.svelte`).
    this.toasts = [...this.toasts, { id, text, tone }].slice(-10);
    setTimeout(() => this.dismiss(id), millis);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  /** Dismisses every message but the newest `keep`. */
  dismissOlder(keep: number): void {
    this.toasts = this.toasts.slice(-keep);
  }

  focusSearch(): void {
    if (this.view !== 'items' && this.view !== 'attention') this.view = 'items';
    this.searchWanted = true;
  }
}

export const ui = new Ui();

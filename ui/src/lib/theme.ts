import type { Theme } from './bindings/Theme';

/** System follows prefers-color-scheme (no attribute); light and dark pin it. */
export function applyTheme(theme: Theme, root: HTMLElement = document.documentElement): void {
  if (theme === 'system') delete root.dataset.theme;
  else root.dataset.theme = theme;
}

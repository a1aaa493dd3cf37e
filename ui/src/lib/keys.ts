// Window-wide shortcuts. Ctrl on Linux and Windows, Cmd on macOS.
export type Shortcut = 'lock' | 'search' | 'new';

export function shortcutFor(e: KeyboardEvent): Shortcut | null {
  const mod = e.ctrlKey || e.metaKey;
  if (!mod || e.altKey || e.shiftKey) return null;
  switch (e.key.toLowerCase()) {
    case 'l':
      return 'lock';
    case 'f':
      return 'search';
    case 'n':
      return 'new';
    default:
      return null;
  }
}

export const isMac = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform);
export const modKey = isMac ? '⌘' : 'Ctrl';

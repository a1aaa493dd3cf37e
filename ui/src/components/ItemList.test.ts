import { fireEvent, render } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import { many, view } from '../test/fixtures';
import ItemList from './ItemList.svelte';

describe('ItemList', () => {
  it('puts only the rows in view into the page, even for 10,000 items', () => {
    const views = many(10_000);
    const { container } = render(ItemList, { views, selected: null, onselect: () => {} });
    const rows = container.querySelectorAll('[role="option"]');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(60);
    const spacer = container.querySelector('.spacer') as HTMLElement;
    expect(spacer.style.height).toBe(`${10_000 * 58}px`);
  });

  it('moves the selection with the keyboard and copies with Ctrl+C', async () => {
    const views = [view('a'), view('b'), view('c')];
    const onselect = vi.fn();
    const oncopy = vi.fn();
    const { container } = render(ItemList, { views, selected: 'a', onselect, oncopy });
    const list = container.querySelector('[role="listbox"]') as HTMLElement;
    await fireEvent.keyDown(list, { key: 'ArrowDown' });
    expect(onselect).toHaveBeenLastCalledWith('b');
    await fireEvent.keyDown(list, { key: 'End' });
    expect(onselect).toHaveBeenLastCalledWith('c');
    await fireEvent.keyDown(list, { key: 'c', ctrlKey: true });
    expect(oncopy).toHaveBeenCalledWith('a');
    expect(list.getAttribute('aria-activedescendant')).toBe(`item-${views[0]?.item.id}`);
  });

  it('shows the due badge only when something is due', () => {
    const { container } = render(ItemList, {
      views: [view('fine'), view('late', { due: 'overdue' })],
      selected: null,
      onselect: () => {},
    });
    const badges = container.querySelectorAll('[data-due]');
    expect(badges).toHaveLength(1);
    expect(badges[0]?.textContent?.trim()).toBe('Rotate now');
  });
});

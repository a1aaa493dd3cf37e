import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { items } from '../lib/items.svelte';
import { ui } from '../lib/ui.svelte';
import { view } from '../test/fixtures';
import { backend, resetBackend } from '../test/ipc';
import ItemsPane from './ItemsPane.svelte';

const rowNames = (c: HTMLElement) =>
  [...c.querySelectorAll('[role="option"]')].map((r) => r.getAttribute('data-name'));

describe('ItemsPane', () => {
  beforeEach(() => {
    items.clear();
    ui.adding = false;
  });
  afterEach(resetBackend);

  it('offers to add the first key when the vault is empty', async () => {
    backend({ items: [] });
    await items.load();
    render(ItemsPane);
    expect(screen.getByText('Your vault is empty.')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: /Add an API key/ }));
    expect(ui.adding).toBe(true);
  });

  it('filters as the user types and says when nothing matches', async () => {
    backend({
      items: [
        view('openai', { env: ['OPENAI_API_KEY'], tags: ['ai'] }),
        view('stripe', { env: ['STRIPE_KEY'], tags: ['billing'] }),
      ],
    });
    await items.load();
    const { container } = render(ItemsPane);
    expect(rowNames(container)).toEqual(['openai', 'stripe']);
    const search = screen.getByLabelText('Search items');
    await fireEvent.input(search, { target: { value: 'billing' } });
    expect(rowNames(container)).toEqual(['stripe']);
    expect(screen.getByText('1 of 2')).toBeTruthy();
    await fireEvent.input(search, { target: { value: 'zzz' } });
    expect(screen.getByText('No items match “zzz”.')).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Clear search' }));
    expect(rowNames(container)).toEqual(['openai', 'stripe']);
  });

  it('shows only what needs attention, most urgent first', async () => {
    backend({
      items: [
        view('fine'),
        view('soon', { due: 'due_soon' }),
        view('gone', { due: 'expired' }),
      ],
    });
    await items.load();
    const { container } = render(ItemsPane, { attention: true });
    await waitFor(() => expect(rowNames(container)).toEqual(['gone', 'soon']));
  });

  it('says so when nothing needs attention', async () => {
    backend({ items: [view('fine')] });
    await items.load();
    render(ItemsPane, { attention: true });
    expect(screen.getByText('Nothing needs attention.')).toBeTruthy();
  });
});

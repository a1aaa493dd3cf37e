import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { ui } from '../lib/ui.svelte';
import Toasts from './Toasts.svelte';

describe('Toasts', () => {
  afterEach(() => {
    ui.toasts = [];
  });

  it('shows the newest two, newest on top, and collapses the older ones', async () => {
    render(Toasts);
    for (const text of ['Added stripe.', 'Added legacy.', 'Copied openai.', 'Saved openai.']) ui.toast(text);
    await Promise.resolve();
    const shown = screen.getAllByText(/^(Added|Copied|Saved)/).map((e) => e.textContent);
    expect(shown).toEqual(['Saved openai.', 'Copied openai.']);
    const more = screen.getByRole('button', { name: '+2 earlier' });
    await fireEvent.click(more);
    expect(ui.toasts.map((t) => t.text)).toEqual(['Copied openai.', 'Saved openai.']);
    expect(screen.queryByRole('button', { name: /earlier/ })).toBeNull();
  });

  it('shows only the newest on a short window, where two would cover the sidebar', async () => {
    const height = window.innerHeight;
    window.innerHeight = 500;
    try {
      render(Toasts);
      for (const text of ['Added stripe.', 'Copied openai.', 'Saved openai.']) ui.toast(text);
      await Promise.resolve();
      const shown = screen.getAllByText(/^(Added|Copied|Saved)/).map((e) => e.textContent);
      expect(shown).toEqual(['Saved openai.']);
      expect(screen.getByRole('button', { name: '+2 earlier' })).toBeTruthy();
    } finally {
      window.innerHeight = height;
    }
  });

  it('dismisses one message', async () => {
    render(Toasts);
    ui.toast('Added stripe.');
    ui.toast('Added legacy.');
    await Promise.resolve();
    await fireEvent.click(screen.getAllByRole('button', { name: 'Dismiss' })[0]!);
    expect(ui.toasts.map((t) => t.text)).toEqual(['Added stripe.']);
  });
});

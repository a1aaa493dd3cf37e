import { fireEvent, render, screen } from '@testing-library/svelte';
import { createRawSnippet } from 'svelte';
import { describe, expect, it, vi } from 'vitest';
import ConfirmDialog from './ConfirmDialog.svelte';

const message = createRawSnippet(() => ({ render: () => '<p>This cannot be undone.</p>' }));

function open(danger: boolean) {
  const onconfirm = vi.fn();
  render(ConfirmDialog, {
    title: 'Delete openai?',
    open: true,
    action: 'Delete',
    danger,
    onconfirm,
    children: message,
  });
  return onconfirm;
}

describe('ConfirmDialog', () => {
  it('asks, and runs the action only when it is chosen', async () => {
    const onconfirm = open(true);
    expect(screen.getByText('This cannot be undone.')).toBeTruthy();
    const action = screen.getByRole('button', { name: 'Delete', hidden: true });
    expect(action.classList.contains('danger-fill')).toBe(true);
    await fireEvent.click(action);
    expect(onconfirm).toHaveBeenCalledOnce();
  });

  it('closes on Cancel without running the action', async () => {
    const onconfirm = open(false);
    const action = screen.getByRole('button', { name: 'Delete', hidden: true });
    expect(action.classList.contains('danger-fill')).toBe(false);
    await fireEvent.click(screen.getByRole('button', { name: 'Cancel', hidden: true }));
    expect(screen.queryByText('This cannot be undone.')).toBeNull();
    expect(onconfirm).not.toHaveBeenCalled();
  });
});

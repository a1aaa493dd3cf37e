import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';

describe('App', () => {
  it('shows the app name as the page heading', () => {
    render(App);
    const heading = screen.getByRole('heading', { level: 1 });
    expect(heading.textContent).toBe('Vault');
  });

  it('points the user at the CLI to unlock', () => {
    render(App);
    expect(screen.getByText('vault unlock').tagName).toBe('CODE');
  });
});

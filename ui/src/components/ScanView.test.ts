import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { backend, resetBackend } from '../test/ipc';
import ScanView from './ScanView.svelte';

describe('ScanView', () => {
  afterEach(resetBackend);

  it('scans the chosen folder and lists each finding by place and item, never a value', async () => {
    const asked: Record<string, unknown>[] = [];
    backend({
      pick_scan_folder: () => '/home/me/src/app',
      scan_folder: (a: Record<string, unknown>) => {
        asked.push(a);
        return {
          findings: [
            {
              path: '.env',
              line: 2,
              column: 13,
              end_column: 33,
              found: { kind: 'stored', stored_as: [{ item: 'db', role: 'previous', version: 1 }] },
            },
            {
              path: 'src/app.js',
              line: 1,
              column: 12,
              end_column: 52,
              found: { kind: 'format', format: 'github-pat', description: 'GitHub personal access token (classic)' },
            },
          ],
          more: 0,
          skipped: [{ path: 'logo.png', reason: 'binary' }],
          more_skipped: 0,
          files: 12,
          bytes: 4096,
          values: 5,
          too_short: 1,
        };
      },
    });
    render(ScanView);
    await fireEvent.click(screen.getByRole('button', { name: 'Choose…' }));
    await waitFor(() => expect((screen.getByLabelText('Folder') as HTMLInputElement).value).toBe('/home/me/src/app'));
    await fireEvent.click(screen.getByRole('button', { name: 'Scan' }));
    const report = await screen.findByTestId('scan-report');
    await waitFor(() =>
      expect(report.textContent).toContain('Found 2 secrets in 2 files: 12 files read, looking for 5 stored values'),
    );
    expect(report.textContent).toContain('.env:2:13');
    expect(report.textContent).toContain('a previous value of db (version 1)');
    expect(report.textContent).toContain('GitHub personal access token (classic) (not in the vault)');
    expect(report.textContent).toContain('1 stored value shorter than 8 characters');
    expect(report.textContent).toContain('Skipped 1 file');
    expect(asked[0]).toEqual({ path: '/home/me/src/app', all: true });
  });

  it('says so when nothing is found, and shows an error as a message', async () => {
    let fail = true;
    backend({
      scan_folder: () => {
        if (fail) throw { code: 'invalid', message: 'cannot read /nope' };
        return { findings: [], more: 0, skipped: [], more_skipped: 0, files: 3, bytes: 10, values: 2, too_short: 0 };
      },
    });
    render(ScanView);
    await fireEvent.input(screen.getByLabelText('Folder'), { target: { value: '/nope' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Scan' }));
    expect(await screen.findByRole('alert')).toBeTruthy();
    fail = false;
    await fireEvent.click(screen.getByLabelText(/Include files .gitignore leaves out/));
    await fireEvent.click(screen.getByRole('button', { name: 'Scan' }));
    const report = await screen.findByTestId('scan-report');
    await waitFor(() => expect(report.textContent).toContain('Nothing found: 3 files read'));
  });
});

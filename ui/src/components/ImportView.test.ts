import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { ImportRequest } from '../lib/bindings/ImportRequest';
import { backend, resetBackend } from '../test/ipc';
import ImportView from './ImportView.svelte';

describe('ImportView', () => {
  afterEach(resetBackend);

  it('asks for the password only when the file needs one, then shows what landed and what not', async () => {
    const requests: ImportRequest[] = [];
    backend({
      import_file: (a: Record<string, unknown>) => {
        const r = a.request as ImportRequest;
        requests.push(r);
        if (r.secret === null) return { outcome: 'needs_secret', format: 'keepass', what: "the KeePass database's password (and key file)", wrong: false };
        if (r.secret !== 'right') return { outcome: 'needs_secret', format: 'keepass', what: "the KeePass database's password (and key file)", wrong: true };
        return {
          outcome: 'imported',
          format: 'keepass',
          report: {
            added: ['GitHub CI', 'Stripe'],
            rotated: [],
            skipped: [{ line: 0, key: 'Dev/Just a note', reason: 'nothing secret in it (no password or credential)' }],
            recognised: [],
          },
        };
      },
      items: [],
    });
    render(ImportView);
    await fireEvent.input(screen.getByLabelText('File'), { target: { value: '~/Passwords.kdbx' } });
    await fireEvent.input(screen.getByLabelText('Tags for every item'), { target: { value: 'moved-in, kp' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    const password = await screen.findByLabelText(/The KeePass database's password/);
    await fireEvent.input(password, { target: { value: 'wrong' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Open and import' }));
    expect(await screen.findByText('That does not open the file. Try again.')).toBeTruthy();
    await fireEvent.input(screen.getByLabelText(/The KeePass database's password/), { target: { value: 'right' } });
    await fireEvent.input(screen.getByLabelText('Key file (if the database has one)'), { target: { value: '~/db.key' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Open and import' }));
    const report = await screen.findByTestId('import-report');
    await waitFor(() => expect(report.textContent).toContain('Imported 2 new items from KeePass'));
    expect(report.textContent).toContain('Dev/Just a note');
    expect(requests[0]).toEqual({
      path: '~/Passwords.kdbx',
      from: null,
      secret: null,
      key_file: null,
      tags: ['moved-in', 'kp'],
      rotate_existing: false,
    });
    expect(requests[2]).toMatchObject({ secret: 'right', key_file: '~/db.key' });
    // The password is gone from the form once it was used.
    expect(screen.queryByLabelText(/The KeePass database's password/)).toBeNull();
  });

  it("fills the path from the desktop's file chooser, and keeps it when the chooser is cancelled", async () => {
    let answer: string | null = '/home/me/Downloads/Acme.1pux';
    backend({ pick_import_file: () => answer });
    render(ImportView);
    await fireEvent.click(screen.getByRole('button', { name: 'Choose…' }));
    await waitFor(() => expect((screen.getByLabelText('File') as HTMLInputElement).value).toBe('/home/me/Downloads/Acme.1pux'));
    answer = null;
    await fireEvent.click(screen.getByRole('button', { name: 'Choose…' }));
    await new Promise((r) => setTimeout(r, 0));
    expect((screen.getByLabelText('File') as HTMLInputElement).value).toBe('/home/me/Downloads/Acme.1pux');
  });

  it('shows a bad file as the message Rust gives, naming the file', async () => {
    backend({
      import_file: () => {
        throw { code: 'invalid', message: '/tmp/x.1pux: Engineering/Thing: an item of category "999", which vault does not know; nothing was imported' };
      },
    });
    render(ImportView);
    await fireEvent.input(screen.getByLabelText('File'), { target: { value: '/tmp/x.1pux' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Engineering/Thing');
  });
});

// The user's browser in the end-to-end suites: headless Debian chromium driven by playwright-core.
//
// Usage: node browser.mjs URL   (normally through ./browser, set as $BROWSER)
// It opens URL and acts on the oidc-provider pages it meets (device code confirmation, login,
// consent) as OAUTH_BROWSER_ACTION says:
//   approve    sign in as OAUTH_BROWSER_LOGIN (default alice) and grant consent (default)
//   deny       press Cancel on the login page, so the client gets error=access_denied
//   bad-state  approve, but change `state` on the way back to the loopback callback
//   bad-iss    approve, but change `iss` on the way back (a mix-up attack, RFC 9207)
//   ignore     do nothing (the user never comes back; the client times out)
// What it saw is appended to OAUTH_BROWSER_LOG when set (the launcher hides its stdout).
// Requests to anything but 127.0.0.1 are blocked: the provider's pages import a web font.

import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

const url = process.argv[2];
const action = process.env.OAUTH_BROWSER_ACTION ?? 'approve';
const login = process.env.OAUTH_BROWSER_LOGIN ?? 'alice';
const log = (msg) => {
  if (process.env.OAUTH_BROWSER_LOG) appendFileSync(process.env.OAUTH_BROWSER_LOG, `${msg}\n`);
};

if (!url) {
  console.error('usage: node browser.mjs URL');
  process.exit(2);
}
log(`open ${action} ${url}`);
if (action === 'ignore') process.exit(0);

const profile = mkdtempSync(join(tmpdir(), 'vault-test-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  await context.route('**/*', async (route) => {
    const { hostname } = new URL(route.request().url());
    if (hostname !== '127.0.0.1') return route.abort();
    const tamper = { 'bad-state': 'state', 'bad-iss': 'iss' }[action];
    if (!tamper || !route.request().isNavigationRequest()) return route.continue();
    // Redirects are followed inside the browser where routes cannot see them, so follow the
    // provider's redirects here and forge `state` or `iss` in the one to the loopback callback.
    let response = await route.fetch({ maxRedirects: 0 });
    let url = route.request().url();
    for (let hop = 0; hop < 5; hop += 1) {
      const location = response.headers().location;
      if (response.status() < 300 || response.status() >= 400 || !location) break;
      const target = new URL(location, url);
      if (target.pathname === '/callback') {
        target.searchParams.set(
          tamper,
          tamper === 'iss' ? 'https://attacker.example' : 'forged-by-an-attacker',
        );
        log(`tampered ${target.pathname}`);
        return route.fulfill({ status: 303, headers: { location: target.toString() } });
      }
      url = target.toString();
      response = await context.request.get(url, { maxRedirects: 0 });
    }
    return route.fulfill({ response });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  // Each step submits one page; the last page is the loopback callback's answer (or the
  // provider's device-flow success page).
  for (let step = 0; step < 10; step += 1) {
    const here = new URL(page.url());
    const text = await page.locator('body').innerText().catch(() => '');
    log(`page ${here.host}${here.pathname}: ${text.replace(/\s+/g, ' ').slice(0, 200)}`);
    if (here.pathname === '/callback' || /Sign-in Success/i.test(text)) break;
    const next = page.waitForNavigation({ waitUntil: 'domcontentloaded' });
    if (await page.locator('input[name=login]').count()) {
      if (action === 'deny') {
        await page.getByText('[ Cancel ]').click();
      } else {
        await page.fill('input[name=login]', login);
        await page.fill('input[name=password]', 'any password');
        await page.click('button[type=submit]');
      }
    } else if (await page.locator('button[form="op.deviceConfirmForm"][autofocus]').count()) {
      await page.click('button[form="op.deviceConfirmForm"][autofocus]');
    } else if (await page.locator('input[name=prompt][value=consent]').count()) {
      await page.click('button[type=submit]');
    } else {
      log('stuck: no known page');
      break;
    }
    await next;
  }
} catch (e) {
  log(`error ${e}`);
  process.exitCode = 1;
} finally {
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}

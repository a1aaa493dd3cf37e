// The real authorization server of the end-to-end suites: npm `oidc-provider` on 127.0.0.1.
//
// Usage: node server.mjs --log FILE [--access-ttl SECONDS]
// Prints `ISSUER=http://127.0.0.1:PORT` on stdout once it accepts connections, and appends one
// JSON line per token-endpoint request to FILE, so a test can count refresh requests.
// Configured the way the issue asks: a public native client with PKCE required, short-lived
// access tokens, refresh-token rotation, revocation, introspection, device flow and the built-in
// login/consent pages (devInteractions). `/test/*` routes let a test inject faults and revoke
// grants behind the client's back; they are not part of OAuth.

import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    log: { type: 'string' },
    'access-ttl': { type: 'string', default: '60' },
  },
});
if (!args.log) {
  console.error('usage: node server.mjs --log FILE [--access-ttl SECONDS]');
  process.exit(2);
}
const accessTtl = Number(args['access-ttl']);

// Only a hash prefix of a refresh token is logged: enough to tell tokens apart.
const fingerprint = (token) => (token ? createHash('sha256').update(token).digest('hex').slice(0, 16) : null);

function record(entry) {
  appendFileSync(args.log, `${JSON.stringify({ at: Date.now(), ...entry })}\n`);
}

// Faults queued by the test: each token request takes the next one, if any.
const faults = [];
// Delays queued by the test (milliseconds): the next token requests are answered for real,
// that long after they arrive (a slow provider, with the refresh token already rotated once
// the answer is sent).
const delays = [];
// Every grant id a refresh token was issued under, so a test can revoke them all.
const grantIds = new Set();

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'vault-cli',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      // RFC 8252 §7.3: any port is accepted for a loopback IP redirect of a native client.
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
    },
    {
      // A confidential client, for peers (oidc-agent) that need one.
      client_id: 'confidential',
      client_secret: 'confidential-secret',
      redirect_uris: ['http://localhost:4242/', 'http://localhost:43985/'],
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
    },
    {
      // The resource server's credentials, for introspection by the test.
      client_id: 'resource-server',
      client_secret: 'resource-server-secret',
      redirect_uris: [],
      grant_types: [],
      response_types: [],
    },
  ],
  pkce: { required: () => true },
  ttl: {
    AccessToken: accessTtl,
    RefreshToken: 24 * 3600,
    Grant: 24 * 3600,
    Session: 24 * 3600,
    Interaction: 3600,
    AuthorizationCode: 120,
    DeviceCode: 600,
    IdToken: 3600,
  },
  rotateRefreshToken: true,
  // Always hand out a refresh token when the client may use one (no `offline_access` dance).
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  conformIdTokenClaims: false,
  findAccount: async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, email: `${sub}@example.test`, email_verified: true }),
  }),
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    revocation: { enabled: true },
    introspection: {
      enabled: true,
      allowedPolicy: async (_ctx, client) => client.clientId === 'resource-server',
    },
  },
  cookies: { keys: ['test-only-cookie-key'] },
});

provider.on('grant.success', (ctx) => {
  const p = ctx.oidc.params;
  record({ grant_type: p.grant_type, outcome: 'ok', refresh_token: fingerprint(p.refresh_token) });
});
provider.on('grant.error', (ctx, err) => {
  const p = ctx.oidc.params ?? {};
  record({ grant_type: p.grant_type, outcome: err.error ?? 'error', refresh_token: fingerprint(p.refresh_token) });
});
provider.on('refresh_token.saved', (token) => grantIds.add(token.grantId));
// oidc-provider emits no event for a revocation, and RFC 7009 answers 200 even for an unknown
// token: record which known token (if any) the revocation endpoint was handed.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.oidc?.route !== 'revocation') return;
  const token = ['RefreshToken', 'AccessToken'].find((kind) => ctx.oidc.entities[kind]) ?? null;
  record({ revocation: true, outcome: ctx.status === 200 ? 'ok' : 'error', token });
});
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

const callback = provider.callback();

function readBody(req) {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => resolve(body));
  });
}

server.on('request', async (req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname === '/test/fault' && req.method === 'POST') {
    // {"status": 503, "body": "...", "count": 1}: the next `count` token requests get this.
    const fault = JSON.parse(await readBody(req));
    for (let i = 0; i < (fault.count ?? 1); i += 1) faults.push(fault);
    res.writeHead(204).end();
    return;
  }
  if (url.pathname === '/test/delay' && req.method === 'POST') {
    // {"ms": 2000, "count": 1}
    const delay = JSON.parse(await readBody(req));
    for (let i = 0; i < (delay.count ?? 1); i += 1) delays.push(delay.ms);
    res.writeHead(204).end();
    return;
  }
  if (url.pathname === '/test/revoke-grants' && req.method === 'POST') {
    // Ends every grant at the provider, as a user revoking the app in the provider's settings.
    for (const id of grantIds) {
      const grant = await provider.Grant.find(id);
      if (grant) await grant.destroy();
    }
    res.writeHead(204).end();
    return;
  }
  if (url.pathname === '/token' && req.method === 'POST' && faults.length > 0) {
    const fault = faults.shift();
    const body = await readBody(req);
    const params = new URLSearchParams(body);
    record({ grant_type: params.get('grant_type'), outcome: `fault ${fault.status}`, refresh_token: fingerprint(params.get('refresh_token')) });
    res.writeHead(fault.status, { 'content-type': fault.content_type ?? 'application/json' });
    res.end(fault.body ?? '');
    return;
  }
  if (url.pathname === '/token' && req.method === 'POST' && delays.length > 0) {
    const ms = delays.shift();
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
  callback(req, res);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
console.log(`ISSUER=${issuer}`);

// Seals a Bitwarden JSON export as Bitwarden's clients do for "Password protected" exports
// (deriveVaultExportKey, EncString type 2), written here independently of vault's reader so
// the import suite checks one against the other.
// Usage: node bitwarden-protect.mjs PLAIN.json OUT.json PASSWORD [ITERATIONS]
import { createCipheriv, createHmac, pbkdf2Sync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const [plainPath, outPath, password, iterationsArg] = process.argv.slice(2);
const iterations = Number(iterationsArg ?? 600000);
// The salt is random base64 text, and the KDF takes that text itself, not its bytes.
const salt = randomBytes(16).toString('base64');
const master = pbkdf2Sync(Buffer.from(password, 'utf8'), Buffer.from(salt, 'utf8'), iterations, 32, 'sha256');
// HKDF-Expand only (the master key is the PRK): one block each for "enc" and "mac".
const expand = (info) => createHmac('sha256', master).update(Buffer.concat([Buffer.from(info), Buffer.from([1])])).digest();
const enc = expand('enc');
const mac = expand('mac');
const encString = (text) => {
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', enc, iv);
  const ct = Buffer.concat([c.update(Buffer.from(text, 'utf8')), c.final()]);
  const tag = createHmac('sha256', mac).update(Buffer.concat([iv, ct])).digest();
  return `2.${iv.toString('base64')}|${ct.toString('base64')}|${tag.toString('base64')}`;
};
writeFileSync(
  outPath,
  JSON.stringify({
    encrypted: true,
    passwordProtected: true,
    salt,
    kdfType: 0,
    kdfIterations: iterations,
    encKeyValidation_DO_NOT_EDIT: encString(randomUUID()),
    data: encString(readFileSync(plainPath, 'utf8')),
  }),
);

// Writes a KeePass (KDBX 4) database whose key derivation is Argon2id with exactly the
// parameters given, for comparing unlock times with keepassxc-cli at the same cost as vault's
// default (keepassxc-cli db-create can only target a decryption time, not set m/t/p).
// Usage: node make-kdbx.mjs OUT.kdbx PASSWORD_FILE MEMORY_KIB ITERATIONS PARALLELISM [ENTRIES]
import { readFileSync, writeFileSync } from 'node:fs';
import kdbxwebModule from 'kdbxweb';
const kdbxweb = kdbxwebModule.default ?? kdbxwebModule;
import { argon2d, argon2id } from 'hash-wasm';

const [out, passwordFile, memoryKib, iterations, parallelism, entries] = process.argv.slice(2);
if (!parallelism) {
  console.error('usage: node make-kdbx.mjs OUT.kdbx PASSWORD_FILE MEMORY_KIB ITERATIONS PARALLELISM');
  process.exit(2);
}

// kdbxweb brings no Argon2 of its own: hash-wasm's (WebAssembly, shipped in the npm package).
kdbxweb.CryptoEngine.setArgon2Impl(
  async (password, salt, memory, iterations, length, parallelism, type, version) => {
    const hash = type === kdbxweb.CryptoEngine.Argon2TypeArgon2id ? argon2id : argon2d;
    const out = await hash({
      password: new Uint8Array(password),
      salt: new Uint8Array(salt),
      memorySize: memory,
      iterations,
      parallelism,
      hashLength: length,
      outputType: 'binary',
    });
    return out.buffer;
  },
);

const password = readFileSync(passwordFile, 'utf8').split('\n')[0];
const db = kdbxweb.Kdbx.create(
  new kdbxweb.Credentials(kdbxweb.ProtectedValue.fromString(password)),
  'bench',
);
db.setKdf(kdbxweb.Consts.KdfId.Argon2id);
const params = db.header.kdfParameters;
params.set('M', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(Number(memoryKib) * 1024));
params.set('I', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(Number(iterations)));
params.set('P', kdbxweb.VarDictionary.ValueType.UInt32, Number(parallelism));
const entry = db.createEntry(db.getDefaultGroup());
entry.fields.set('Title', 'KEY_01');
entry.fields.set('Password', kdbxweb.ProtectedValue.fromString('bench-value'));
// More entries (bench/import.sh), in a group, each as a developer's credential is kept: a
// user name, a URL, a plain and a protected custom attribute.
const group = db.createGroup(db.getDefaultGroup(), 'Services');
for (let i = 2; i <= Number(entries ?? 1); i++) {
  const e = db.createEntry(group);
  const n = String(i).padStart(5, '0');
  e.fields.set('Title', `service-${n}`);
  e.fields.set('UserName', `user-${n}`);
  e.fields.set('URL', `https://api-${n}.example.com`);
  e.fields.set('Password', kdbxweb.ProtectedValue.fromString(`sk-bench-${n}-0123456789abcdef`));
  e.fields.set('region', 'eu-west-1');
  e.fields.set('webhook secret', kdbxweb.ProtectedValue.fromString(`whsec-${n}`));
}
writeFileSync(out, Buffer.from(await db.save()));

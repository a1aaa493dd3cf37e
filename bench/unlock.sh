#!/usr/bin/env bash
# Unlock cost side by side with KeePassXC, in one hyperfine run: each command opens its
# database from the master password (Argon2id at the same cost: 64 MiB, 3 passes, 4 lanes,
# vault's default) and prints one stored value.
#   - `vault --no-agent get KEY_01`: derive, unwrap the data key, open one record
#   - `keepassxc-cli show -a Password db.kdbx KEY_01`: derive, decrypt and parse the database
# The KDBX file is written by make-kdbx.mjs (keepassxc-cli can only target a decryption time,
# not set Argon2's parameters). Prints a Markdown section for BENCHMARKS.md.
# Usage: bench/unlock.sh [path/to/release/vault] [runs]   (make bench runs it on make dist's build)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
vault=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/vault-target}/dist/vault}
runs=${2:-20}
[ -x "$vault" ] || { echo "no release build at $vault (run: make dist)" >&2; exit 1; }
command -v keepassxc-cli >/dev/null || { echo "keepassxc-cli missing (apt-get install keepassxc)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }
[ -d "$here/node_modules/kdbxweb" ] || { echo "kdbxweb missing (run: npm ci --prefix bench)" >&2; exit 1; }

work=$(mktemp -d)
export XDG_RUNTIME_DIR=$work/run HOME=$work VAULT_PATH=$work/vault.db
mkdir -m 700 "$work/run"
trap 'rm -rf "$work"' EXIT

printf 'bench master password\n' > "$work/pw"
"$vault" --no-agent --password-file "$work/pw" init >/dev/null 2>&1   # standard: 64 MiB, t=3, p=4
printf 'bench-value' | "$vault" --no-agent --password-file "$work/pw" add KEY_01 >/dev/null 2>&1
node "$here/make-kdbx.mjs" "$work/db.kdbx" "$work/pw" 65536 3 4

# Both print the same value, or the comparison means nothing.
a=$("$vault" --no-agent --password-file "$work/pw" get KEY_01 </dev/null)
b=$(keepassxc-cli show -q -s -a Password "$work/db.kdbx" KEY_01 <"$work/pw")
[ "$a" = bench-value ] && [ "$b" = bench-value ] || { echo "the two do not print the value: $a / $b" >&2; exit 1; }
kdf=$(keepassxc-cli db-info -q "$work/db.kdbx" <"$work/pw" | sed -n 's/^KDF: //p')

json=$work/unlock.json
hyperfine --warmup 2 --runs "$runs" --export-json "$json" \
  -n 'vault --no-agent get KEY_01' "$vault --no-agent --password-file $work/pw get KEY_01 </dev/null" \
  -n 'keepassxc-cli show -a Password db.kdbx KEY_01' \
     "keepassxc-cli show -q -s -a Password $work/db.kdbx KEY_01 <$work/pw" >/dev/null

python3 - "$json" "$kdf" "$(keepassxc-cli --version)" <<'PY'
import json, sys, platform, os
rows = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
load = open("/proc/loadavg").read().split()[0]
print(f"Machine: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}; vault release build; "
      f"KeePassXC {sys.argv[3]} (Debian); load average at the start {load}.\n")
print(f"Both at Argon2id 64 MiB, t=3, p=4 (KeePassXC reports: {sys.argv[2]}, 4 lanes).\n")
print("| command | median | mean ± σ |")
print("|---|---|---|")
for name, r in rows.items():
    print(f"| `{name}` | {r['median']*1000:.0f} ms | {r['mean']*1000:.0f} ± {r['stddev']*1000:.0f} ms |")
v = rows["vault --no-agent get KEY_01"]["median"]
k = rows["keepassxc-cli show -a Password db.kdbx KEY_01"]["median"]
print()
print(f"- vault unlock (+ one value) median {v*1000:.0f} ms: goal <= 600 ms")
print(f"- keepassxc-cli / vault: {k / v:.2f}x")
PY

#!/usr/bin/env bash
# Importing a 10,000-entry KeePass database (KDBX 4, Argon2id 64 MiB, t=3, p=4) side by side
# with keepassxc-cli opening the same file and reading every entry, in one hyperfine run:
#   - `vault import db.kdbx`: derive, decrypt and parse the KDBX, then seal and write 10,000
#     items (each with fields and a secret field) into a fresh vault in one transaction
#   - `keepassxc-cli export --format csv db.kdbx`: derive, decrypt, parse, print every entry
# The goal: the import costs little more than the decryption. The KDBX file is written by
# make-kdbx.mjs. Prints a Markdown section for BENCHMARKS.md.
# Usage: bench/import.sh [path/to/release/vault] [runs]   (make bench runs it on make dist's build)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
vault=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/vault-target}/dist/vault}
runs=${2:-10}
entries=10000
[ -x "$vault" ] || { echo "no release build at $vault (run: make dist)" >&2; exit 1; }
vault=$(realpath "$vault")
command -v keepassxc-cli >/dev/null || { echo "keepassxc-cli missing (apt-get install keepassxc)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }
[ -d "$here/node_modules/kdbxweb" ] || { echo "kdbxweb missing (run: npm ci --prefix bench)" >&2; exit 1; }

work=$(mktemp -d)
export XDG_RUNTIME_DIR=$work/run HOME=$work VAULT_PATH=$work/vault.db
mkdir -m 700 "$work/run"
trap 'rm -rf "$work"' EXIT

printf 'bench master password\n' > "$work/pw"
node "$here/make-kdbx.mjs" "$work/db.kdbx" "$work/pw" 65536 3 4 "$entries"
# A fresh vault before each import (its own KDF at the minimum: the KDBX's is what is compared).
fresh="rm -f $work/vault.db $work/vault.db-wal $work/vault.db-shm && $vault --no-agent --password-file $work/pw init --kdf minimum >/dev/null 2>&1"
import="$vault --no-agent --password-file $work/pw import $work/db.kdbx --source-password-file $work/pw"

# Both read every entry, or the comparison means nothing.
sh -c "$fresh"
$import >/dev/null 2>&1
n=$("$vault" --no-agent --password-file "$work/pw" ls --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
rows=$(keepassxc-cli export -q -f csv "$work/db.kdbx" <"$work/pw" | wc -l)
[ "$n" = "$entries" ] && [ "$rows" -gt "$entries" ] || { echo "not every entry: vault $n, keepassxc $rows rows" >&2; exit 1; }
w=$("$vault" --no-agent --password-file "$work/pw" get service-09999 --field webhook-secret)
[ "$w" = whsec-09999 ] || { echo "a secret field did not arrive: $w" >&2; exit 1; }

json=$work/import.json
hyperfine --warmup 1 --runs "$runs" --export-json "$json" \
  -n "vault import db.kdbx ($entries entries)" --prepare "$fresh" "$import >/dev/null 2>&1" \
  -n 'keepassxc-cli export -f csv db.kdbx' \
     "keepassxc-cli export -q -f csv $work/db.kdbx <$work/pw >/dev/null" >/dev/null

python3 - "$json" "$(keepassxc-cli --version)" "$entries" <<'PY'
import json, sys, platform, os
rows = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
load = open("/proc/loadavg").read().split()[0]
print(f"Machine: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}; vault release build; "
      f"KeePassXC {sys.argv[2]} (Debian); load average at the start {load}.\n")
print(f"A KDBX 4 of {sys.argv[3]} entries (user name, URL, a plain and a protected custom "
      "attribute each), Argon2id 64 MiB, t=3, p=4.\n")
print("| command | median | mean ± σ |")
print("|---|---|---|")
for name, r in rows.items():
    print(f"| `{name}` | {r['median']*1000:.0f} ms | {r['mean']*1000:.0f} ± {r['stddev']*1000:.0f} ms |")
names = list(rows)
v, k = rows[names[0]]["median"], rows[names[1]]["median"]
print()
print(f"- vault import / keepassxc-cli export: {v / k:.2f}x ({(v - k)*1000:+.0f} ms; vault also seals and writes every item)")
PY

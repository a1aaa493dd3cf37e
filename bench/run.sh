#!/usr/bin/env bash
# Whole-process benchmarks, side by side with peers in one hyperfine run each:
#   - `vault run -- true` vs bare `true` vs `dotenvx run -f .env -- true` on the same 20 variables
#     (vault's exec path, as at a terminal: hyperfine's output is not one, where vault masks)
#   - `vault get NAME` against an unlocked agent
#   - `vault ls` and a search on a 100,000-item vault, unlocking with the default KDF, and
#     `vault import` of a 10,000-line .env
# Prints a Markdown section for BENCHMARKS.md (machine, commands, medians, ratios).
# Usage: bench/run.sh [path/to/release/vault]   (make bench runs it on the installed form, make dist)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
vault=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/vault-target}/dist/vault}
dotenvx=$here/node_modules/.bin/dotenvx
[ -x "$vault" ] || { echo "no release build at $vault (run: make dist)" >&2; exit 1; }
[ -x "$dotenvx" ] || { echo "dotenvx missing (run: npm ci --prefix bench)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }

work=$(mktemp -d)
export XDG_RUNTIME_DIR=$work/run HOME=$work VAULT_PATH=$work/vault.db
mkdir -m 700 "$work/run"
trap '"$vault" agent --stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

printf 'bench master password\n' > "$work/pw"
"$vault" --password-file "$work/pw" init 2>/dev/null          # default KDF: 64 MiB, t=3, p=4
: > "$work/.env"; : > "$work/.vault.env"
for i in $(seq 1 20); do
  value=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  printf 'KEY_%02d=%s\n' "$i" "$value" >> "$work/.env"
  printf 'KEY_%02d=vault://KEY_%02d\n' "$i" "$i" >> "$work/.vault.env"
done
"$vault" import "$work/.env" >/dev/null 2>&1                # items KEY_01..KEY_20
cd "$work"
"$vault" allow --yes 2>/dev/null                             # the project file, as a user would
"$vault" run --no-rotation-warning -- sh -c 'test "$KEY_20" = "$(sed -n "20s/^KEY_20=//p" .env)"' \
  || { echo "vault run did not inject the values" >&2; exit 1; }

json=$work/results.json
hyperfine -N --warmup 20 --runs 300 --export-json "$json" \
  -n 'true' 'true' \
  -n 'vault run -- true' "$vault run --no-mask --no-rotation-warning -- true" \
  -n 'vault get KEY_07' "$vault get KEY_07" >/dev/null
hyperfine -N --warmup 3 --runs 30 --export-json "$work/dotenvx.json" \
  -n 'dotenvx run -f .env -- true' "$dotenvx run -q -f .env -- true" >/dev/null

# A 100,000-item vault in the same agent (a second vault file).
big=$work/big.db
seq 1 100000 | awk '{printf "SERVICE_%d_API_KEY=sk-live-%08d-abcdefghijklmnopqrstuvwxyz0123\n", $1, $1}' > "$work/100k.env"
head -n 10000 "$work/100k.env" > "$work/10k.env"
"$vault" --vault "$big" --password-file "$work/pw" init --kdf minimum 2>/dev/null
"$vault" --vault "$big" import "$work/100k.env" >/dev/null 2>&1
"$vault" --vault "$big" ls >/dev/null                      # the first listing fills the cache
hyperfine -N --warmup 3 --runs 20 --export-json "$work/large.json" \
  -n 'vault ls (100k items)' "$vault --vault $big ls" \
  -n 'vault ls --json (100k items)' "$vault --vault $big ls --json" \
  -n 'vault ls service_4242_ (search, 100k items)' "$vault --vault $big ls service_4242_" >/dev/null
hyperfine -N --runs 10 --export-json "$work/unlock.json" \
  --prepare "$vault lock" \
  -n 'vault unlock (default KDF)' "$vault --password-file $work/pw unlock" >/dev/null
hyperfine -N --runs 10 --export-json "$work/import.json" \
  --prepare "sh -c 'rm -f $work/imp.db; $vault --vault $work/imp.db --password-file $work/pw init --kdf minimum 2>/dev/null'" \
  -n 'vault import (10,000 lines)' "$vault --vault $work/imp.db import $work/10k.env" >/dev/null

python3 - "$json" "$work/dotenvx.json" "$work/large.json" "$work/unlock.json" "$work/import.json" <<'PY'
import json, sys, platform, os
rows = {}
for path in sys.argv[1:]:
    for r in json.load(open(path))["results"]:
        rows[r["command"]] = r["median"] * 1000
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"Machine: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}; release build.\n")
print("| command | median |")
print("|---|---|")
for name, ms in rows.items():
    print(f"| `{name}` | {ms:.2f} ms |")
t = rows["true"]
run = rows["vault run -- true"]
print()
print(f"- `vault run -- true` overhead over bare `true`: {run - t:.2f} ms (goal <= 1.0 ms)")
print(f"- `vault get` over bare `true`: {rows['vault get KEY_07'] - t:.2f} ms (goal <= 0.5 ms)")
print(f"- dotenvx / vault run: {rows['dotenvx run -f .env -- true'] / run:.0f}x (goal >= 100x)")
print(f"- `vault ls` on 100k items: {rows['vault ls (100k items)']:.0f} ms, search "
      f"{rows['vault ls service_4242_ (search, 100k items)']:.1f} ms (goal <= 100 ms)")
print(f"- unlock, default KDF: {rows['vault unlock (default KDF)']:.0f} ms (goal <= 600 ms)")
print(f"- import of 10,000 lines: {rows['vault import (10,000 lines)']:.0f} ms (goal <= 2000 ms)")
PY

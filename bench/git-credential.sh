#!/usr/bin/env bash
# `git credential fill` answered by `vault git-credential` (the unlocked agent, an API key
# allowed to go to the host) side by side with git's own `store` helper (a plaintext
# ~/.git-credentials), with hyperfine. Each command is the same `sh -c` with the same request on
# stdin, so the shell costs both the same.
#
# Usage: bench/git-credential.sh [path/to/vault [RUNS]]   (from the repository root; `make bench`
# runs it on the installed form, `make dist`)
# Prints hyperfine's table; the medians go into BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
VAULT=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/vault-target}/dist/vault}
RUNS=${2:-300}
[ -x "$VAULT" ] || { echo "no release build at $VAULT (run: make dist)" >&2; exit 1; }
VAULT=$(realpath "$VAULT")   # HOME changes below

WORK=$(mktemp -d)
cleanup() {
  XDG_RUNTIME_DIR=$WORK/run "$VAULT" agent --stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/run" "$WORK/vault-home" "$WORK/store-home" && chmod 700 "$WORK/run"
export XDG_RUNTIME_DIR=$WORK/run VAULT_PATH=$WORK/vault.db GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
TOKEN=bench-git-token-0123456789abcdefghijklmnopqrstuvwxyz
printf 'bench-password\n' >"$WORK/pw"
"$VAULT" --password-file "$WORK/pw" init --kdf minimum 2>/dev/null
printf %s "$TOKEN" | "$VAULT" --password-file "$WORK/pw" add forge --host git.bench.example \
  --field username=bench 2>/dev/null
"$VAULT" --password-file "$WORK/pw" unlock 2>/dev/null
HOME=$WORK/vault-home "$VAULT" setup git 2>/dev/null
HOME=$WORK/store-home git config --global credential.helper store
printf 'https://bench:%s@git.bench.example\n' "$TOKEN" >"$WORK/store-home/.git-credentials"
printf 'protocol=https\nhost=git.bench.example\n\n' >"$WORK/request"

# Both answer, and the same.
for home in vault-home store-home; do
  HOME=$WORK/$home git credential fill <"$WORK/request" | grep -q "password=$TOKEN" ||
    { echo "$home: no answer" >&2; exit 1; }
done

hyperfine --warmup 20 --runs "$RUNS" -N --export-json "$WORK/times.json" \
  -n 'git credential fill (store helper)' \
  "sh -c 'HOME=$WORK/store-home exec git credential fill <$WORK/request >/dev/null'" \
  -n 'git credential fill (vault git-credential)' \
  "sh -c 'HOME=$WORK/vault-home exec git credential fill <$WORK/request >/dev/null'"
# Medians (what BENCHMARKS.md records) and the difference the goal is about (≤ 3 ms).
python3 - "$WORK/times.json" <<'PY'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
for name, ms in r.items():
    print(f"median {name}: {ms:.2f} ms")
store, vault = r["git credential fill (store helper)"], r["git credential fill (vault git-credential)"]
print(f"vault over store: {vault - store:+.2f} ms")
PY

#!/usr/bin/env bash
# `vault token NAME` with a cached valid token through the agent, side by side with oidc-agent's
# `oidc-token` against the same local provider (npm oidc-provider on 127.0.0.1), with hyperfine.
#
# Usage: bench/oauth-token.sh [path/to/vault [RUNS]]   (from the repository root; `make bench`
# runs it on the installed form, `make dist`)
# Needs: a release build of `vault` (make dist), Node with tests/oauth installed
# (make deps-oauth), Debian's chromium, hyperfine and oidc-agent-cli (make deps-bench).
# Prints hyperfine's table; the medians go into BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
VAULT=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/vault-target}/dist/vault}
RUNS=${2:-300}
[ -x "$VAULT" ] || { echo "no release build at $VAULT (run: make dist)" >&2; exit 1; }
VAULT=$(realpath "$VAULT")   # HOME changes below

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  XDG_RUNTIME_DIR=$WORK/run "$VAULT" agent --stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/run" "$WORK/home" && chmod 700 "$WORK/run"

# The provider: access tokens live an hour, so every timed call is served from the cache.
(cd tests/oauth && exec node server.mjs --log "$WORK/token-log.jsonl" --access-ttl 3600) \
  >"$WORK/server.out" 2>/dev/null &
PIDS+=($!)
for _ in $(seq 100); do grep -q ISSUER= "$WORK/server.out" && break; sleep 0.1; done
ISSUER=$(sed -n 's/^ISSUER=//p' "$WORK/server.out")
echo "provider: $ISSUER" >&2

# vault: a vault, its agent, a grant obtained through the browser leg.
export HOME=$WORK/home XDG_RUNTIME_DIR=$WORK/run VAULT_PATH=$WORK/vault.db
printf 'bench-password\n' >"$WORK/pw"
"$VAULT" --password-file "$WORK/pw" init --kdf minimum 2>/dev/null
"$VAULT" --password-file "$WORK/pw" oauth add bench --issuer "$ISSUER" --client-id vault-cli 2>/dev/null
BROWSER=$PWD/tests/oauth/browser "$VAULT" --password-file "$WORK/pw" login bench --timeout 120s 2>/dev/null
"$VAULT" token bench >/dev/null

COMMANDS=("$VAULT token bench")

# oidc-agent: an account made through the device flow (the browser approves), then cached.
if command -v oidc-agent >/dev/null && command -v oidc-gen >/dev/null; then
  export OIDC_CONFIG_DIR=$WORK/oidc
  mkdir -p "$OIDC_CONFIG_DIR"
  eval "$(oidc-agent --no-autoload --no-webserver --no-scheme 2>/dev/null)" >/dev/null
  PIDS+=("$OIDCD_PID")
  printf 'bench-password\n' >"$WORK/oidc-pw"
  oidc-gen bench --issuer="$ISSUER" --client-id=confidential --client-secret=confidential-secret \
    --flow=device --scope="openid offline_access" --pw-file="$WORK/oidc-pw" --confirm-default \
    --prompt=none --no-url-call >"$WORK/oidc-gen.out" 2>&1 &
  GEN=$!
  # It prints the verification URL and the code on separate lines.
  for _ in $(seq 300); do grep -q 'enter the code:' "$WORK/oidc-gen.out" && break; sleep 0.1; done
  CODE=$(sed -n 's/.*enter the code: *\([A-Z0-9-]*\).*/\1/p' "$WORK/oidc-gen.out" | head -1)
  URL=$(grep -ao 'http://127.0.0.1:[0-9]*/device' "$WORK/oidc-gen.out" | head -1 || true)
  [ -n "$URL" ] && [ -n "$CODE" ] && URL="$URL?user_code=$CODE" || URL=""
  if [ -n "$URL" ] && tests/oauth/browser "$URL" && wait "$GEN"; then
    oidc-token bench >/dev/null
    COMMANDS+=("oidc-token bench")
  else
    echo "oidc-agent could not be set up; timing vault alone:" >&2
    cat "$WORK/oidc-gen.out" >&2
  fi
fi

hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$WORK/result.json" "${COMMANDS[@]}"
# Every timed call was served from the cache: no refresh reached the provider.
if grep -q '"refresh_token"' <(grep '"grant_type":"refresh_token"' "$WORK/token-log.jsonl"); then
  echo "warning: a refresh happened during the run" >&2
fi
python3 - "$WORK/result.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command']}: median {r['median'] * 1000:.2f} ms (mean {r['mean'] * 1000:.2f} ± {r['stddev'] * 1000:.2f} ms)")
PY

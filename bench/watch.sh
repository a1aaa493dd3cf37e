#!/usr/bin/env bash
# `vault run --watch`: from `vault rotate` returning to the restarted command's first
# instruction (a shell writing the time), with the default 500 ms debounce and with none, the
# old command ending at once on SIGTERM (no grace used). Medians of ROUNDS rotations each.
# Prints a Markdown section for BENCHMARKS.md.
# Usage: bench/watch.sh [path/to/release/vault] [ROUNDS]   (make bench runs it on make dist's)
set -euo pipefail

vault=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/vault-target}/dist/vault}
rounds=${2:-20}
[ -x "$vault" ] || { echo "no release build at $vault (run: make dist)" >&2; exit 1; }

work=$(mktemp -d)
export XDG_RUNTIME_DIR=$work/run HOME=$work VAULT_PATH=$work/vault.db
mkdir -m 700 "$work/run" "$work/app"
watcher=
trap '[ -n "$watcher" ] && kill "$watcher" 2>/dev/null; "$vault" agent --stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

printf 'bench master password\n' > "$work/pw"
"$vault" --password-file "$work/pw" init >/dev/null 2>&1
printf 'v0\n' | "$vault" add api >/dev/null 2>&1
echo 'API_KEY=vault://api' > "$work/app/.vault.env"
(cd "$work/app" && "$vault" allow --yes >/dev/null 2>&1)

now() { date +%s%N; }

# One series: prints the milliseconds of each round, one per line.
series() {
  local debounce=$1 log=$work/started.$1
  : > "$log"
  (cd "$work/app" && exec "$vault" run --watch --debounce "$debounce" -- \
    sh -c "date +%s%N >> '$log'; exec sleep 3600" 2>/dev/null) &
  watcher=$!
  until [ -s "$log" ]; do sleep 0.01; done
  for i in $(seq 1 "$rounds"); do
    local before
    before=$(wc -l < "$log")
    printf 'value-%s-%s\n' "$debounce" "$i" | "$vault" rotate api >/dev/null 2>&1
    local t0
    t0=$(now)
    until [ "$(wc -l < "$log")" -gt "$before" ]; do sleep 0.001; done
    local t1
    t1=$(tail -n1 "$log")
    echo $(( (t1 - t0) / 1000 ))
  done
  kill "$watcher"
  wait "$watcher" 2>/dev/null || true
  watcher=
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'; }

default=$(series 500ms | median)
none=$(series 0 | median)

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "Machine: $cpu, $(nproc) cores, $(uname -sr)."
echo "Command: \`bench/watch.sh $vault $rounds\` ($rounds rotations per row; medians)."
echo
echo "| from \`vault rotate\` returning to the new command's first instruction | median |"
echo "|---|---|"
echo "| \`vault run --watch\` (debounce 500 ms, the default) | $default ms |"
echo "| \`vault run --watch --debounce 0\` | $none ms |"

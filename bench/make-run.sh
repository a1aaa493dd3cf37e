#!/usr/bin/env bash
# `make run` when nothing changed: from the command to the desktop app's window on the screen
# (mapped, as `xwininfo` sees it), under Xvfb, with a fresh home (the first-run screen). Runs
# `make run` once first so everything is built, then ROUNDS times; after them, once more with a
# UI source touched but unchanged (the UI is built again, byte for byte the same, so the desktop
# app is not). Prints a Markdown section for BENCHMARKS.md.
# Usage: bench/make-run.sh [ROUNDS]   (from the repository's root)
set -euo pipefail

rounds=${1:-5}
work=$(mktemp -d)
display=:$((50 + RANDOM % 400))
Xvfb "$display" -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
app=
trap 'kill $xvfb 2>/dev/null; [ -n "$app" ] && kill -- -$app 2>/dev/null; rm -rf "$work"' EXIT
# The toolchain and the build cache stay the user's; the app's home is a fresh one.
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup} CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/vault-target} npm_config_cache=$HOME/.npm
export DISPLAY=$display HOME=$work/home XDG_RUNTIME_DIR=$work/run
mkdir -p "$HOME" && mkdir -m 700 "$XDG_RUNTIME_DIR"
# Xvfb is up when it answers.
until xwininfo -root >/dev/null 2>&1; do sleep 0.05; done

now() { date +%s%N; }

# One `make run`: milliseconds until a window titled Vault is mapped, then the app is closed.
once() {
  local start end
  start=$(now)
  setsid make --no-print-directory run >"$work/make.log" 2>&1 &
  app=$!
  until xwininfo -root -tree 2>/dev/null | grep -q '"Vault"'; do
    kill -0 "$app" 2>/dev/null || { cat "$work/make.log" >&2; exit 1; }
    sleep 0.02
  done
  end=$(now)
  kill -- -"$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
  app=
  echo $(( (end - start) / 1000000 ))
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

once >/dev/null
times=$(for _ in $(seq "$rounds"); do once; done)
touch ui/src/main.ts
touched=$(once)

echo "## \`make run\` when nothing changed ($(date +%F), issue 36)"
echo
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores. Command: \`bench/make-run.sh $rounds\`."
echo
echo "| what | median of $rounds | runs |"
echo "|---|---|---|"
echo "| \`make run\` to the window, nothing changed | $(echo "$times" | median) ms | $(echo $times) |"
echo "| the same after a UI source was touched but not changed (the UI built again, the app not) | $touched ms | |"

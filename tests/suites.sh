#!/usr/bin/env bash
# The Rust test suites as `make test` runs them: side by side where a suite mostly waits.
#   lane 1: every suite but the OAuth one, through cargo (the CPU-bound part)
#   lane 2: the OAuth suite (a minute of waiting for real tokens to expire), then the doc tests
#   lane 3, with --gui: the window tests under Xvfb (a minute of waiting for the window), one
#           test at a time, then the clipboard test
# Everything is built first, for the whole workspace, so no lane compiles anything or replaces
# a program another lane is running (an agent that sees its program replaced retires). Lanes 2
# and 3 run the test programs cargo built, from the package folder as cargo would: a
# `cargo test --test NAME` would resolve features for that one package and build again. Each
# lane's output is printed whole at the end; the status is 1 when any test failed.
#
# Usage: tests/suites.sh [--gui]   (from the repository root, with CARGO_TARGET_DIR set)
set -uo pipefail
cd "$(dirname "$0")/.."
cargo=${CARGO:-cargo}
gui=false
[ "${1:-}" = --gui ] && gui=true
logs=${CARGO_TARGET_DIR:?CARGO_TARGET_DIR must be set}/suites
mkdir -p "$logs"

$cargo build --locked --workspace --bins || exit 1
$cargo test --locked --workspace --no-run 2>"$logs/build.log" || { cat "$logs/build.log"; exit 1; }

# The test program cargo built for tests/tests/NAME.rs.
program() {
  local path
  path=$(sed -n "s|^ *Executable tests/$1.rs (\(.*\))\$|\1|p" "$logs/build.log" | head -1)
  [ -x "$path" ] || { echo "cargo named no program for tests/tests/$1.rs" >&2; return 1; }
  realpath "$path"
}
oauth=$(program oauth) || exit 1
if $gui; then
  window=$(program gui) || exit 1
  clipboard=$(program clipboard) || exit 1
fi

# Every other suite, named from its file so that a new one cannot be left out.
others=()
for f in crates/*/tests/*.rs tests/tests/*.rs src-tauri/tests/*.rs; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .rs)
  [ "$name" = oauth ] || others+=(--test "$name")
done

(cd tests && "$oauth" && cd .. && $cargo test --locked --workspace --doc) >"$logs/oauth.log" 2>&1 &
lane2=$!
if $gui; then
  (cd tests && "$window" --ignored --test-threads 1 && "$clipboard" --ignored --test-threads 1) \
    >"$logs/gui.log" 2>&1 &
  lane3=$!
fi

status=0
$cargo test --locked --workspace --lib --bins "${others[@]}" || status=1
wait "$lane2" || status=1
echo "--- beside the others: the OAuth suite (tests/tests/oauth.rs), then the doc tests"
cat "$logs/oauth.log"
if $gui; then
  wait "$lane3" || status=1
  echo "--- beside the others: the window tests (tests/tests/gui.rs, clipboard.rs)"
  cat "$logs/gui.log"
fi
exit $status

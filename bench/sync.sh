#!/usr/bin/env bash
# Sync through a git remote, whole commands, vault against pass (password-store), in one run:
#   - the first sync of a new device: `vault sync join` (pairing, then the first round of every
#     item) against `git clone` of a pass store holding the same items
#   - one changed item reaching the other device: `vault rotate` + `vault sync` there, `vault
#     sync` here, against `pass insert` (which commits) + `pass git push` there, `pass git pull`
#     here
#   - the agent's CPU while idle with background sync on, over a wall-clock window
# pass is the store gopass's git sync follows (same layout, one gpg file per entry, `gopass
# sync` = pull + push); Debian's `gopass` package is a different program (aviau/gopass) and the
# gopass of gopasspw cannot be built here. The remote is a bare repository on the same disk
# (`file://`), so git's part is its processes, not a network.
# Prints a Markdown section for BENCHMARKS.md.
# Usage: bench/sync.sh [path/to/release/vault] [items, default 10000] [idle seconds, default 180]
set -euo pipefail

vault=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/vault-target}/dist/vault}
items=${2:-10000}
idle=${3:-180}
[ -x "$vault" ] || { echo "no release build at $vault (run: make dist)" >&2; exit 1; }
for tool in hyperfine pass gpg git jq; do
  command -v "$tool" >/dev/null || { echo "$tool missing (make deps-bench)" >&2; exit 1; }
done

work=$(mktemp -d)
export GNUPGHOME=$work/gnupg
cleanup() {
  for d in "$work"/dev-*; do
    [ -d "$d" ] && HOME=$d XDG_RUNTIME_DIR=$d/run "$vault" agent --stop >/dev/null 2>&1 || true
  done
  gpgconf --kill all >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
remote=$work/vault-remote.git
git init --bare -q "$remote"
printf 'bench master password\n' > "$work/pw"

# A device: its own home, runtime dir (so its own agent) and vault. Prints the `env` prefix
# that runs vault as it. Only init and unlock are given the password: with it, every command
# would check it against the vault (an Argon2id derivation), which a user at an unlocked
# agent does not pay.
device() {
  local d=$work/dev-$1
  mkdir -p "$d/.config/vault" && mkdir -m 700 -p "$d/run"
  printf 'sync-every = "%s"\n' "$2" > "$d/.config/vault/config.toml"
  echo "env HOME=$d XDG_RUNTIME_DIR=$d/run VAULT_PATH=$d/vault.db $vault"
}
pw="--password-file $work/pw"
# The item the checks and the changes use.
n=$(( items < 4242 ? items : 4242 ))
probe=$(printf 'SERVICE_%05d_API_KEY' "$n")
probe_value=$(printf 'sk-live-%08d-abcdefghijklmnopqrstuvwxyz0123' "$n")
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# The laptop: $items keys, then the first device of the sync.
a=$(device laptop never)
seq 1 "$items" | awk '{printf "SERVICE_%05d_API_KEY=sk-live-%08d-abcdefghijklmnopqrstuvwxyz0123\n", $1, $1}' > "$work/items.env"
$a $pw init --kdf minimum >/dev/null 2>&1
$a import "$work/items.env" >/dev/null 2>&1
t0=$(date +%s%N)
$a sync init git "file://$remote" --name laptop >/dev/null 2>&1
t1=$(date +%s%N)
vault_init_ms=$(ms "$t0" "$t1")

# New devices join, one at a time: the time is `vault sync join` from the typed code to every
# item in the new vault (pairing's exchange included: each side polls the remote every 500 ms).
joins=()
for i in 1 2 3 4 5; do
  b=$(device "desktop$i" never)
  $b $pw init --kdf minimum >/dev/null 2>&1
  code=$work/code-$i
  $a sync invite > "$code" 2>/dev/null &
  invite=$!
  until [ -s "$code" ]; do sleep 0.05; done
  t0=$(date +%s%N)
  $b sync join "file://$remote" --name "desktop$i" --code-stdin < "$code" >/dev/null 2>&1
  t1=$(date +%s%N)
  wait "$invite"
  joins+=("$(ms "$t0" "$t1")")
  [ "$($b get "$probe")" = "$probe_value" ] \
    || { echo "the joined device does not hold the items" >&2; exit 1; }
done
vault_join_ms=$(printf '%s\n' "${joins[@]}" | median)
b=$(device desktop1 never)

# One change from the laptop reaching desktop1.
json=$work/change.json
hyperfine --runs 20 --warmup 2 --export-json "$json" \
  --prepare "head -c 24 /dev/urandom | base64 > $work/new" \
  -n 'vault: rotate + sync on one device, sync on the other' \
  "$a rotate $probe < $work/new >/dev/null 2>&1 && $a sync 2>/dev/null && $b sync 2>/dev/null" \
  >/dev/null
[ "$($b get $probe)" = "$(cat "$work/new")" ] \
  || { echo "the change did not reach the other device" >&2; exit 1; }

# pass: the same items, one gpg file each, in a store built as pass would (one gpg process
# encrypts them all; pass's own insert is a gpg and a git commit per item).
mkdir -m 700 -p "$GNUPGHOME"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' --quick-gen-key bench@example.invalid default default never 2>/dev/null
export PASSWORD_STORE_DIR=$work/pass-laptop
pass init bench@example.invalid >/dev/null
pass git init -q >/dev/null
git -C "$PASSWORD_STORE_DIR" config user.email bench@example.invalid
git -C "$PASSWORD_STORE_DIR" config user.name bench
mkdir -p "$work/plain"
awk -F= -v dir="$work/plain" '{print $2 > (dir "/" $1)}' "$work/items.env"
(cd "$work/plain" && ls | xargs gpg --batch --quiet --yes -r bench@example.invalid --multifile --encrypt)
mv "$work/plain"/*.gpg "$PASSWORD_STORE_DIR/"
git -C "$PASSWORD_STORE_DIR" add -A
git -C "$PASSWORD_STORE_DIR" commit -q -m "$items entries"
pass_remote=$work/pass-remote.git
git init --bare -q "$pass_remote"
git -C "$PASSWORD_STORE_DIR" remote add origin "$pass_remote"
git -C "$PASSWORD_STORE_DIR" push -q -u origin HEAD:main 2>/dev/null
clone=$work/pass-desktop
hyperfine --runs 5 --export-json "$work/clone.json" \
  --prepare "rm -rf $clone" \
  -n 'pass: git clone of the store (its first sync)' \
  "git clone -q -b main $pass_remote $clone" >/dev/null
git -C "$clone" config user.email bench@example.invalid
git -C "$clone" config user.name bench
[ "$(PASSWORD_STORE_DIR=$clone pass show "$probe")" = "$probe_value" ] \
  || { echo "the pass clone does not hold the items" >&2; exit 1; }
hyperfine --runs 20 --warmup 2 --export-json "$work/pass-change.json" \
  --prepare "head -c 24 /dev/urandom | base64 > $work/new" \
  -n 'pass: insert + git push on one device, git pull on the other' \
  "pass insert -m -f $probe < $work/new >/dev/null && pass git push -q origin HEAD:main 2>/dev/null && PASSWORD_STORE_DIR=$clone pass git pull -q --no-rebase origin main 2>/dev/null" \
  >/dev/null
[ "$(PASSWORD_STORE_DIR=$clone pass show $probe)" = "$(cat "$work/new")" ] \
  || { echo "the pass change did not reach the other device" >&2; exit 1; }

# Idle: the laptop's agent with background sync every 30 s (four times the default rate),
# unlocked, nothing changing; its CPU and its children's (git) over $idle seconds.
$a agent --stop >/dev/null 2>&1 || true
printf 'sync-every = "30s"\n' > "$work/dev-laptop/.config/vault/config.toml"
$a $pw unlock >/dev/null 2>&1
$a sync >/dev/null 2>&1
pid=$(cat "$work/dev-laptop/run/vault/agent.pid")
ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$pid/stat"; }
before=$(ticks)
sleep "$idle"
after=$(ticks)
hz=$(getconf CLK_TCK)
idle_cpu=$(awk -v t=$((after - before)) -v hz="$hz" -v s="$idle" 'BEGIN {printf "%.3f", 100 * t / hz / s}')
rounds=$($a sync status 2>/dev/null | sed -n 's/^Last sync: *//p')

med() { jq -r ".results[0].median * 1000 | . * 10 | round / 10" "$1"; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
cat <<EOF
Machine: $cpu, $(nproc) cores, $(uname -sr), $(git --version), $(pass version 2>/dev/null | grep -o 'v[0-9.]*' | head -1 | sed 's/^/pass /'), $(gpg --version | head -1).
Command: \`bench/sync.sh $vault $items $idle\` ($items items; the remote a bare repository on the same disk).

| what | vault | pass |
|---|---|---|
| first device: \`vault sync init git\` (every item sealed and pushed) / \`git push\` of the store | $vault_init_ms ms | — |
| first sync of a new device: \`vault sync join\` (median of 5, pairing included) / \`git clone\` (median of 5) | $vault_join_ms ms | $(med "$work/clone.json") ms |
| one changed item reaching the other device (median of 20) | $(med "$json") ms | $(med "$work/pass-change.json") ms |
| the agent's CPU while idle, background sync every 30 s, over ${idle} s (its git included) | ${idle_cpu} % | — (no background sync) |

Joins, each: ${joins[*]} ms. Last background sync when the idle window closed: $rounds.
EOF

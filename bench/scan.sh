#!/usr/bin/env bash
# `vault scan` side by side with the secret scanners people use, on the same tree and cores:
#   - kingfisher (PyPI kingfisher-bin; Rust, Vectorscan, parallel), detect-secrets (PyPI),
#     secretlint (npm, with its recommended preset), git-secrets (Debian; AWS patterns)
#   - the tree: crate sources from the cargo registry (real code and test fixtures, SIZE_MB)
#     with 200 keys in real formats and 200 stored values planted (bench/make-scan-tree.py)
#   - a git history of that tree committed in COMMITS steps: `vault scan --git` against
#     kingfisher's git mode
# Reports throughput (hyperfine medians), recall on the planted sets, and findings on the
# project's own tree (its precision: every one there is a test key). Prints a Markdown section
# for BENCHMARKS.md.
# Usage: bench/scan.sh [path/to/release/vault] [SIZE_MB] [COMMITS]   (make bench runs it on make dist's build)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
vault=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/vault-target}/dist/vault}
size_mb=${2:-400}
commits=${3:-200}
[ -x "$vault" ] || { echo "no release build at $vault (run: make dist)" >&2; exit 1; }
vault=$(realpath "$vault")
kingfisher=$here/.venv/bin/kingfisher
detect=$here/.venv/bin/detect-secrets
secretlint=$here/node_modules/.bin/secretlint
for t in "$kingfisher" "$detect" "$secretlint"; do
  [ -x "$t" ] || { echo "$t missing (run: make deps-bench)" >&2; exit 1; }
done
command -v git-secrets >/dev/null || { echo "git-secrets missing (apt-get install git-secrets)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }

registry=${CARGO_HOME:-$HOME/.cargo}/registry/src
ls "$registry"/*/ >/dev/null 2>&1 || { echo "no crate sources in $registry (build the project first)" >&2; exit 1; }
work=$(mktemp -d)
export XDG_RUNTIME_DIR=$work/run HOME=$work VAULT_PATH=$work/vault.db
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
mkdir -m 700 "$work/run"
trap '"$vault" agent --stop >/dev/null 2>&1 || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
tree=$work/tree
python3 "$here/make-scan-tree.py" "$tree" "$size_mb" "$work/values.env" "$registry" >&2

# The vault holds the 200 stored values (and nothing else), unlocked in the agent.
printf 'bench master password\n' > "$work/pw"
"$vault" --password-file "$work/pw" init --kdf minimum >/dev/null 2>&1
# The slow peers take many minutes: the agent must not lock meanwhile.
"$vault" config set lock-after never >/dev/null 2>&1
"$vault" --password-file "$work/pw" import "$work/values.env" >/dev/null 2>&1
"$vault" --password-file "$work/pw" unlock >/dev/null 2>&1
# secretlint's configuration; git-secrets' AWS patterns in this HOME's git config.
printf '{"rules":[{"id":"@secretlint/secretlint-rule-preset-recommend"}]}\n' > "$work/secretlintrc.json"
git config --global secrets.patterns 'placeholder' && git config --global --unset secrets.patterns
git secrets --register-aws --global >/dev/null

# The project's own tree, as a clean checkout has it.
mkdir "$work/project"
git -C "$repo" archive HEAD | tar -x -C "$work/project"

vault_scan="$vault scan --all --json"
kf="$kingfisher scan --no-update-check -n -q -j $(nproc) --format json"
ds="$detect scan --all-files"
sl="$secretlint --secretlintrc $work/secretlintrc.json --format unix"

# Findings per tool, as "path<TAB>line" rows relative to the tree, for recall and precision.
findings() { # tool dir
  local tool=$1 dir=$2
  case $tool in
    vault) (cd "$dir" && $vault_scan . 2>/dev/null || true) | python3 -c '
import json,sys
for f in json.load(sys.stdin)["findings"]: print(f["path"], f["line"], sep="\t")' ;;
    kingfisher) (cd "$dir" && $kf . 2>/dev/null || true) | python3 -c '
import json,sys
for f in json.load(sys.stdin).get("findings", []): print(f["finding"]["path"].removeprefix("./"), f["finding"]["line"], sep="\t")' ;;
    detect-secrets) (cd "$dir" && $ds . 2>/dev/null) | python3 -c '
import json,sys
for path, rs in json.load(sys.stdin)["results"].items():
    for r in rs: print(path, r["line_number"], sep="\t")' ;;
    secretlint) (cd "$dir" && $sl "**/*" 2>/dev/null || true) | sed -n "s#^$dir/\([^:]*\):\([0-9]*\):.*#\1\t\2#p" ;;
    git-secrets) (cd "$dir" && git secrets --scan -r . 2>&1 || true) | sed -n 's/^\([^:]*\):\([0-9]*\):.*/\1\t\2/p' | sed 's#^\./##' ;;
  esac
}

tools="vault kingfisher detect-secrets secretlint git-secrets"
declare -A recall_f recall_s project took
for t in $tools; do
  # One timed run each: the slow peers take many minutes, so this run is their measurement.
  start=$(date +%s.%N)
  findings "$t" "$tree" > "$work/$t.found"
  took[$t]=$(python3 -c "print($(date +%s.%N) - $start)")
  recall_f[$t]=$(cut -f1 "$work/$t.found" | grep '^planted/formats/' | sort -u | grep -c . || true)
  recall_s[$t]=$(cut -f1 "$work/$t.found" | grep '^planted/stored/' | sort -u | grep -c . || true)
  project[$t]=$(findings "$t" "$work/project" | grep -c . || true)
done
[ "${recall_s[vault]}" = 200 ] || { echo "vault missed stored values: ${recall_s[vault]}/200" >&2; exit 1; }

# Throughput on the whole tree: the two fast ones, 5 runs each after a warm-up.
bytes=$(du -sb "$tree" | cut -f1)
hyperfine --warmup 1 --runs 5 --export-json "$work/fast.json" -i \
  -n "vault scan --all" "cd $tree && $vault_scan . >/dev/null" \
  -n "kingfisher scan -n" "cd $tree && $kf . >/dev/null 2>&1" >/dev/null

# The history: the tree committed in $commits steps (a crate or a few per commit), the planted
# files in the last.
hist=$work/history
git init -q -b main "$hist"
crates=("$tree"/src/*)
per=$(( (${#crates[@]} + commits - 2) / (commits - 1) ))
mkdir "$hist/src"
for ((i = 0; i < ${#crates[@]}; i += per)); do
  cp -r "${crates[@]:i:per}" "$hist/src/"
  git -C "$hist" add -A >/dev/null && git -C "$hist" commit -qm "step $i" --no-verify
done
cp -r "$tree/planted" "$hist/"
git -C "$hist" add -A && git -C "$hist" commit -qm planted --no-verify
ncommits=$(git -C "$hist" rev-list --count HEAD)
hist_vault=$( (cd "$hist" && $vault scan --git --json 2>/dev/null || true) | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
hyperfine --warmup 1 --runs 3 --export-json "$work/git.json" -i \
  -n "vault scan --git" "cd $hist && $vault scan --git --json >/dev/null" \
  -n "kingfisher scan -n (git history)" "cd $hist && $kf --git-history full . >/dev/null 2>&1" >/dev/null

python3 - "$work" "$bytes" "$ncommits" "$hist_vault" "$tools" \
  "$("$kingfisher" --version)" "$("$detect" --version)" "$("$secretlint" --version)" \
  "$(dpkg-query -W -f '${Version}' git-secrets)" \
  "$(for t in $tools; do printf '%s=%s/%s/%s/%s ' "$t" "${recall_f[$t]}" "${recall_s[$t]}" "${project[$t]}" "${took[$t]}"; done)" <<'PY'
import json, os, platform, sys
work, size, ncommits, hist_found, tools = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5].split()
versions = dict(kingfisher=sys.argv[6], detect=sys.argv[7], secretlint=sys.argv[8], gitsecrets=sys.argv[9])
quality = {k: v.split("/") for k, v in (p.split("=") for p in sys.argv[10].split())}
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
load = open("/proc/loadavg").read().split()[0]
print(f"Machine: {cpu}, {os.cpu_count()} cores, Linux {platform.release()}; vault release build "
      f"(the agent unlocked, 200 stored values); {versions['kingfisher']} (PyPI kingfisher-bin, "
      f"`-n`: no validation), detect-secrets {versions['detect']} (PyPI), secretlint "
      f"{versions['secretlint']} (npm, recommended preset), git-secrets {versions['gitsecrets']} "
      f"(Debian, `--register-aws`); load average at the start {load}.\n")
print(f"The tree: {size / 2**20:.0f} MiB of crate sources from the cargo registry, with 200 keys "
      "in real formats (GitHub with its checksum, GitLab, OpenAI, Anthropic, Stripe, Slack, AWS, "
      "Google, SendGrid, npm; 20 each) and 200 stored values (random passwords in no known "
      "format) planted one per file.\n")
print("| command | median (5 runs) | throughput |")
print("|---|---|---|")
for r in json.load(open(os.path.join(work, "fast.json")))["results"]:
    print(f"| `{r['command']}` | {r['median']:.2f} s | {size / 2**20 / r['median']:.0f} MiB/s |")
print()
print("| tool | one run, with its output read | throughput | format keys found (of 200) | "
      "stored values found (of 200) | findings on this project's own tree |")
print("|---|---|---|---|---|---|")
for t in tools:
    f, s, p, took = quality[t]
    took = float(took)
    print(f"| {t} | {took:.2f} s | {size / 2**20 / took:.1f} MiB/s | {f} | {s} | {p} |")
print()
print(f"The history: the same tree committed in {ncommits} commits (`vault scan --git` found "
      f"{hist_found}, each with the commit that added it).\n")
print("| command | median |")
print("|---|---|")
for r in json.load(open(os.path.join(work, "git.json")))["results"]:
    print(f"| `{r['command']}` | {r['median']:.2f} s |")
PY

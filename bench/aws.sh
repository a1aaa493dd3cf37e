#!/usr/bin/env bash
# AWS credential resolution as every `aws` command and boto3 program does it, one new Python
# process each: botocore resolving a profile whose keys come from `credential_process = vault
# aws NAME` (through the unlocked agent), against the same keys in plaintext
# ~/.aws/credentials, in one hyperfine run; and `vault aws NAME` alone.
# Prints a Markdown section for BENCHMARKS.md.
# Usage: bench/aws.sh [path/to/release/vault]   (make bench runs it on the installed form, make dist)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
vault=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/vault-target}/dist/vault}
python=$here/.venv/bin/python3
[ -x "$vault" ] || { echo "no release build at $vault (run: make dist)" >&2; exit 1; }
"$python" -c 'import botocore' 2>/dev/null || { echo "botocore missing (run: make deps-bench)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine missing (apt-get install hyperfine)" >&2; exit 1; }

work=$(mktemp -d)
export XDG_RUNTIME_DIR=$work/run HOME=$work VAULT_PATH=$work/vault.db
mkdir -m 700 "$work/run"
trap '"$vault" agent --stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

key_id=AKIAQ3EGRJ6TLZ4BNCH7                       # made up; vault-scan:allow
secret=benchSECRETK7MDENG/bPxRfiCYzEXAMPLE01234   # vault-scan:allow
printf 'bench master password\n' > "$work/pw"
"$vault" --password-file "$work/pw" init >/dev/null 2>&1
printf '%s %s\n' "$key_id" "$secret" | "$vault" add aws-bench >/dev/null 2>&1
"$vault" setup aws aws-bench --profile vault >/dev/null 2>&1
printf '[plain]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$key_id" "$secret" > "$work/.aws/credentials"
cat > "$work/resolve.py" <<'PY'
import sys
import botocore.session
s = botocore.session.Session(profile=sys.argv[1])
c = s.get_credentials().get_frozen_credentials()
print(c.access_key)
PY
for p in plain vault; do
  [ "$("$python" "$work/resolve.py" "$p")" = "$key_id" ] || { echo "profile $p does not resolve" >&2; exit 1; }
done

json=$work/aws.json
hyperfine -N --warmup 3 --runs 30 --export-json "$json" \
  -n 'botocore, plaintext ~/.aws/credentials' "$python $work/resolve.py plain" \
  -n 'botocore, credential_process = vault aws' "$python $work/resolve.py vault" \
  -n 'vault aws NAME alone' "$vault aws aws-bench" >/dev/null

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
echo "Machine: $cpu, $(nproc) cores, $(uname -sr), $("$python" --version), botocore $("$python" -c 'import botocore; print(botocore.__version__)')."
echo "Command: \`bench/aws.sh $vault\` (hyperfine, 30 runs after 3 warm-ups; medians)."
echo
echo "| what | median |"
echo "|---|---|"
jq -r '.results[] | "| \(.command) | \(.median * 1000 * 10 | round / 10) ms |"' "$json"

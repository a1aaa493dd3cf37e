#!/usr/bin/env bash
# `vault run --proxy` against the direct request (the limit) and mitmproxy doing the same header
# rewrite (bench/mitm_rewrite.py), in one run, with the same client (curl) and the same HTTPS
# server on loopback (crates/vault-proxy/examples/https_echo.rs, the test suites' server):
# each with curl on HTTP/2 (its default) and on HTTP/1.1 (what most SDKs speak: requests, httpx,
# undici), the proxy speaking to the server what the client spoke:
#   - added latency per keep-alive HTTPS request (p50, p99 over REQUESTS on one connection);
#   - requests per second with PARALLEL clients at once (each on its own connection), as curl
#     processes and from one light load generator (crates/vault-proxy/examples/https_load.rs)
#     with as many connections, which leaves the second core to the proxy and the server;
#   - time to the first byte of a short server-sent event stream (p50);
#   - resident memory of the proxy's process, idle and with 100 event streams held open.
# Prints a Markdown section for BENCHMARKS.md (machine, command, figures).
# Usage: bench/proxy.sh [path/to/release/vault] [path/to/https_echo] [REQUESTS] [PARALLEL]
#   (make bench runs it on the installed form of vault, make dist)
set -euo pipefail

target=${CARGO_TARGET_DIR:-$HOME/.cache/vault-target}
vault=${1:-$target/dist/vault}
echo_server=${2:-$target/release/examples/https_echo}
requests=${3:-2000}
parallel=${4:-8}
[ -x "$vault" ] || { echo "no release build at $vault (run: make dist)" >&2; exit 1; }
[ -x "$echo_server" ] || { echo "no $echo_server (run: cargo build --release -p vault-proxy --example https_echo)" >&2; exit 1; }
load=$(dirname "$echo_server")/https_load
[ -x "$load" ] || { echo "no $load (run: cargo build --release -p vault-proxy --example https_load)" >&2; exit 1; }
export LOAD=$load
here=$(cd "$(dirname "$0")" && pwd)
mitmdump=${MITMDUMP:-$here/.venv/bin/mitmdump}
[ -x "$mitmdump" ] || { echo "no $mitmdump (run: make deps-bench)" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl missing" >&2; exit 1; }

work=$(mktemp -d)
export XDG_RUNTIME_DIR=$work/run HOME=$work VAULT_PATH=$work/vault.db
mkdir -m 700 "$work/run"
server="" mitm=""
trap 'kill $server $mitm 2>/dev/null; "$vault" agent --stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

"$echo_server" "$work/upstream-ca.pem" > "$work/echo.out" &
server=$!
# The server prints its port once it listens: wait for that line, not for a time.
while ! grep -q '^PORT=' "$work/echo.out"; do
  kill -0 "$server" 2>/dev/null || { echo "the echo server did not start" >&2; exit 1; }
  sleep 0.05
done
port=$(sed -n 's/^PORT=//p' "$work/echo.out")
url=https://localhost:$port/echo

printf 'bench master password\n' > "$work/pw"
"$vault" --password-file "$work/pw" init --kdf minimum 2>/dev/null
key=sk-bench-0123456789abcdefghijklmnopqrstuvwxyz
printf %s "$key" | "$vault" --password-file "$work/pw" add bench --env BENCH_KEY \
  --host "localhost:$port" 2>/dev/null
"$vault" --password-file "$work/pw" unlock 2>/dev/null

# client.sh MODE N URL: N requests on one connection; each transfer's total and first-byte
# times on stdout. Direct: the key itself, the server's CA. Proxied: what vault run gives.
cat > "$work/client.sh" <<'CLIENT'
#!/usr/bin/env bash
set -euo pipefail
mode=$1 n=$2 url=$3
args=(-s "--http$HTTP" -w '%{time_total},%{time_starttransfer}\n' -H "Authorization: Bearer $BENCH_KEY")
case $mode in
  direct) args+=(--noproxy '*' --cacert "$UPSTREAM_CA") ;;
  mitm) args+=(--proxy "$MITM" --cacert "$MITM_CA") ;;
esac
# One `-o` per URL: curl pairs them in order (a single -o would cover the first URL only).
urls=()
for _ in $(seq "$n"); do urls+=(-o /dev/null "$url"); done
curl "${args[@]}" "${urls[@]}"
CLIENT
chmod +x "$work/client.sh"
export UPSTREAM_CA=$work/upstream-ca.pem

# mitmproxy, trusting the server's CA, replacing the placeholder for that host only (and a key
# echoed in a body back, as vault does), on a port it picks and prints.
placeholder=placeholder-0123456789abcdefghijklmnopqrstuv
BENCH_PLACEHOLDER=$placeholder BENCH_KEY=$key BENCH_HOST=localhost \
  "$mitmdump" --listen-host 127.0.0.1 --listen-port 0 -s "$here/mitm_rewrite.py" \
  --set confdir="$work/mitm" --set ssl_verify_upstream_trusted_ca="$UPSTREAM_CA" \
  > "$work/mitm.log" 2>&1 &
mitm=$!
while ! grep -q 'proxy listening at' "$work/mitm.log"; do
  kill -0 "$mitm" 2>/dev/null || { cat "$work/mitm.log" >&2; exit 1; }
  sleep 0.05
done
export MITM=http://$(sed -n 's/.*proxy listening at \([0-9.:]*[0-9]\).*/\1/p' "$work/mitm.log")
export MITM_CA=$work/mitm/mitmproxy-ca-cert.pem

# load_WHO N: N requests from the load generator over PARALLEL connections; prints requests/s.
load_direct() { HTTPS_PROXY= LOAD_CA=$UPSTREAM_CA LOAD_AUTHORIZATION="Bearer $key" "$load" "$url" "$parallel" "$1" "$HTTP"; }
load_mitm() { HTTPS_PROXY=$MITM LOAD_CA=$MITM_CA LOAD_AUTHORIZATION="Bearer $placeholder" "$load" "$url" "$parallel" "$1" "$HTTP"; }
load_proxy() {
  "$vault" run --no-mask --item bench --proxy --proxy-ca-file "$UPSTREAM_CA" -- \
    sh -c 'LOAD_CA=$SSL_CERT_FILE LOAD_AUTHORIZATION="Bearer $BENCH_KEY" exec "$LOAD" "$0" "$1" "$2" "$3"' \
    "$url" "$parallel" "$1" "$HTTP"
}
run_direct() { BENCH_KEY=$key "$work/client.sh" direct "$1" "$2"; }
run_mitm() { BENCH_KEY=$placeholder "$work/client.sh" mitm "$1" "$2"; }
run_proxy() {
  "$vault" run --no-mask --item bench --proxy --proxy-ca-file "$UPSTREAM_CA" -- \
    "$work/client.sh" proxy "$1" "$2"
}
# Per-request times in ms of the 2nd..Nth transfer (the first opens the connection).
times() { tail -n +2 | awk -F, -v f="$1" '{ printf "%.4f\n", $f * 1000 }' | sort -n; }
pct() { awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p / 100); if (i < 1) i = 1; printf "%.3f", a[i] }'; }

# CPU time (user + system, in clock ticks) of a process: the proxy's own cost per request,
# whatever the clients and the server on the same cores take.
ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
agent=$(cat "$XDG_RUNTIME_DIR/vault/agent.pid")
declare -A PID=([proxy]=$agent [mitm]=$mitm)
hz=$(getconf CLK_TCK)

declare -A P50 P99 RPS TTFB RSS CPU LOADED
for HTTP in 2 1.1; do
  export HTTP
  for who in direct proxy mitm; do
    k=$who/$HTTP
    "run_$who" 50 "$url" > /dev/null # warm up (and, proxied, mint the leaf)
    "run_$who" "$requests" "$url" | times 1 > "$work/$who.lat"
    P50[$k]=$(pct 50 < "$work/$who.lat")
    P99[$k]=$(pct 99 < "$work/$who.lat")
    "run_$who" 200 "https://localhost:$port/events" | times 2 > "$work/$who.ttfb"
    TTFB[$k]=$(pct 50 < "$work/$who.ttfb")
    per=$((requests / parallel))
    [ -n "${PID[$who]:-}" ] && cpu_before=$(ticks "${PID[$who]}")
    start=$(date +%s.%N)
    clients=()
    for _ in $(seq "$parallel"); do "run_$who" "$per" "$url" > /dev/null & clients+=($!); done
    wait "${clients[@]}" # not a bare `wait`: the server is a child of this shell too
    end=$(date +%s.%N)
    RPS[$k]=$(awk -v n=$((per * parallel)) -v s="$start" -v e="$end" 'BEGIN { printf "%.0f", n / (e - s) }')
    if [ -n "${PID[$who]:-}" ]; then
      CPU[$k]=$(awk -v t=$(($(ticks "${PID[$who]}") - cpu_before)) -v hz="$hz" -v n=$((per * parallel)) \
        'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
    fi
    LOADED[$k]=$("load_$who" $((requests * 5)))
  done
done

# Memory: 100 event streams held open through each proxy (the server's /sse sends one event,
# then waits for ever); the resident set of the process that proxies, before and with them.
rss() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
export HTTP=2
cat > "$work/streams.sh" <<'STREAMS'
#!/usr/bin/env bash
# streams.sh URL PID [curl options]: 100 streams; once each has its first event, PID's RSS.
set -euo pipefail
url=$1 pid=$2; shift 2
dir=$(mktemp -d)
pids=()
for i in $(seq 100); do curl -s -N "$@" -o "$dir/$i" "$url" & pids+=($!); done
deadline=$((SECONDS + 60))
for i in $(seq 100); do
  while [ ! -s "$dir/$i" ]; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "stalled"; kill "${pids[@]}" 2>/dev/null; exit 0; }
    sleep 0.05
  done
done
awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"
kill "${pids[@]}" 2>/dev/null || true
rm -rf "$dir"
STREAMS
chmod +x "$work/streams.sh"
before=$(rss "$agent")
after=$("$vault" run --no-mask --item bench --proxy --proxy-ca-file "$UPSTREAM_CA" -- \
  "$work/streams.sh" "https://localhost:$port/sse" "$agent")
RSS[proxy]="$before → $after"
before=$(rss "$mitm")
after=$("$work/streams.sh" "https://localhost:$port/sse" "$mitm" --proxy "$MITM" --cacert "$MITM_CA")
RSS[mitm]="$before → $after"

added() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.3f", a - b }'; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "Machine: $(nproc) cores ($cpu), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); curl $(curl --version | head -1 | cut -d' ' -f2)."
echo "Command: \`bench/proxy.sh $vault $echo_server $requests $parallel\`; $requests keep-alive requests on one connection, then $parallel clients at once."
echo
echo "| | HTTP | p50 per request (ms) | p99 (ms) | added p50 | added p99 | requests/s ($parallel curl clients) | × mitmproxy | requests/s ($parallel connections, https_load) | × mitmproxy | proxy CPU per request (µs) | first SSE byte p50 (ms) | RSS idle → 100 streams (MiB) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for HTTP in 2 1.1; do
  for who in direct proxy mitm; do
    case $who in
      direct) name="direct (curl to the server)" ;;
      proxy) name="\`vault run --proxy\` (the agent)" ;;
      mitm) name="mitmproxy $("$mitmdump" --version | sed -n 's/^Mitmproxy: *//p') (mitmdump, same rewrite)" ;;
    esac
    k=$who/$HTTP
    times_mitm=$(awk -v a="${RPS[$k]}" -v b="${RPS[mitm/$HTTP]}" 'BEGIN { printf "%.1f×", a / b }')
    loaded_mitm=$(awk -v a="${LOADED[$k]}" -v b="${LOADED[mitm/$HTTP]}" 'BEGIN { printf "%.1f×", a / b }')
    memory=""
    [ "$HTTP" = 2 ] && memory=${RSS[$who]:-}
    echo "| $name | $HTTP | ${P50[$k]} | ${P99[$k]} | $(added "${P50[$k]}" "${P50[direct/$HTTP]}") | $(added "${P99[$k]}" "${P99[direct/$HTTP]}") | ${RPS[$k]} | $times_mitm | ${LOADED[$k]} | $loaded_mitm | ${CPU[$k]:-} | ${TTFB[$k]} | $memory |"
  done
done

#!/usr/bin/env bash
# Measures the gateway the way docs/benchmarks/gateway.md reports it: `tongdao sim serve`
# (wall clock) and `tongdao gateway serve` as separate processes on loopback, `tongdao
# gateway load` from a third, and the two servers' CPU time read from /proc.
#
#   scripts/gateway-bench.sh DSN DURATION CALLERS [RATE] [complete]
#   scripts/gateway-bench.sh sqlite:/tmp/gwb.db 10s 32            # created payments/s, closed loop
#   scripts/gateway-bench.sh sqlite:/tmp/gwb.db 10s 64 500        # open loop at 500/s: latency
#   scripts/gateway-bench.sh sqlite:/tmp/gwb.db 10s 32 0 complete # paid, callback, posting, webhook
#
# Use a fresh database each run (rm the SQLite file; a new schema for PostgreSQL via
# search_path). Ports 18080, 18090 and 19090 must be free.
set -euo pipefail
DSN=$1; DUR=$2; CONC=$3; RATE=${4:-0}; MODE=${5:-}
BIN=${TONGDAO:-$(mktemp -d)/tongdao}
[ -x "$BIN" ] || go build -o "$BIN" ./cmd/tongdao
CFG=$(mktemp)
sed -e 's#127.0.0.1:8080#127.0.0.1:18080#; s#127.0.0.1:8090#127.0.0.1:18090#' \
    -e "s#\.\./simulator#$(pwd)/simulator#" \
    -e 's#rate_per_second: 500#rate_per_second: 100000#; s#burst: 1000#burst: 100000#' examples/gateway-sim.yaml > "$CFG"
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
"$BIN" sim serve --addr 127.0.0.1:18080 --clock wall --log-level error >/dev/null 2>&1 &
SIM=$!
sleep 1
"$BIN" gateway serve ${GWFLAGS:-} --config "$CFG" --db "$DSN" --addr 127.0.0.1:18090 --metrics-addr 127.0.0.1:19090 --log-level error >/dev/null 2>&1 &
GW=$!
trap 'kill $GW $SIM 2>/dev/null || true' EXIT
sleep 2
s0=$(cpu $SIM); g0=$(cpu $GW)
EXTRA=()
[ "$MODE" = complete ] && EXTRA=(--sim http://127.0.0.1:18080 --metrics http://127.0.0.1:19090/metrics)
OUT=$("$BIN" gateway load --gateway http://127.0.0.1:18090 --duration "$DUR" --concurrency "$CONC" --rate "$RATE" "${EXTRA[@]}")
echo "$OUT"
sleep 1
s1=$(cpu $SIM); g1=$(cpu $GW)
N=$(echo "$OUT" | awk '/created/ {print $2}')
TICK=$(getconf CLK_TCK)
echo "CPU per payment: gateway $(( (g1-g0)*1000000/TICK/N )) µs, simulator $(( (s1-s0)*1000000/TICK/N )) µs ($N payments)"

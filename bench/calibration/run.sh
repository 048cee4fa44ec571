#!/usr/bin/env bash
# Depth-1 calibration: a trivial Node echo server, wasmcached and memcached -t 1 under the same
# load generator, alternating, N rounds. Prints one line per run. Needs bench/results/tmp/loadgen,
# which `npm run bench` compiles (`-- --quick --parts memory` is enough).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-2}
LG=bench/results/tmp/loadgen
user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
node bench/calibration/echo-server.mjs 22130 & ECHO=$!
node dist/host/cli.js "${user[@]}" -p 22131 -m 256 & WC=$!
memcached "${user[@]}" -p 22132 -U 0 -l 127.0.0.1 -t 1 -m 256 & MC=$!
trap 'kill $ECHO $WC $MC 2>/dev/null' EXIT
sleep 1
for p in 22131 22132; do $LG -p $p -m preload -k 10000 >/dev/null; done
for r in $(seq "$ROUNDS"); do
  for t in echo:22130 wasmcached:22131 memcached:22132; do
    echo "round $r ${t%%:*} $($LG -p ${t##*:} -c 32 -d 1 -m mix -k 10000 -t 3 -w 1 | grep -o '"rps":[0-9.]*')"
  done
done

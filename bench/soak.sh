#!/usr/bin/env bash
# Soak: a fixed rate of mixed valid and invalid requests against one `cloison serve`, for a
# fixed time, recording the server's resident memory every 10 s and the statuses it answered.
#
#   bench/soak.sh [SECONDS] [REQUESTS_PER_SECOND] [ACCESS_POINTS]
#
# Defaults: 600 s at 400 requests/s on a 2,000-access-point demo, seed 11 (its tour access
# point, read as its supplier on 2024-07-01, and the customer of the access-log finding F9).
# The load generator is bench/soak.py (Python standard library only), a separate process on
# loopback; it paces itself to the rate and stops by itself. Fails when any answer is a 5xx.
set -euo pipefail

seconds=${1:-600}
rate=${2:-400}
access_points=${3:-2000}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release -p cli --manifest-path "$root/Cargo.toml" >/dev/null
bin="${CARGO_TARGET_DIR:-$root/target}/release/cloison"
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
"$bin" demo --access-points "$access_points" --seed 11 --no-serve >demo.out
token() {
  "$bin" admin token create --party "$1" --role "$2" --json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
supplier=$(token sup-brabant supplier)
auditor=$(token staff-paul auditor)
customer=$(token nu-0001739 customer)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --listen "127.0.0.1:$port" --rate-limit-per-second 1000000 --rate-limit-burst 1000000 \
  >serve.out 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
python3 "$root/bench/soak.py" --base "http://127.0.0.1:$port" --pid "$server" --seconds "$seconds" \
  --rate "$rate" --supplier "$supplier" --auditor "$auditor" --customer "$customer" \
  --ean 541448000000000042 --customer-ean 541448000000013745

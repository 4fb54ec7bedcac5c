#!/usr/bin/env bash
# HTTP read load on one access point, journaled, from wrk as a separate process on loopback:
# requests/s, latency percentiles, and the server's peak resident size (VmHWM) during the run.
#
#   bench/http.sh [--db URL] [ACCESS_POINTS] [SECONDS] [CONNECTIONS]
#
# `--db` runs it on that database (an empty PostgreSQL database, say) instead of a SQLite file
# in the temporary directory. `/healthz` of the same server is loaded first, the same way, so
# the ratio of the journaled read to the server's bare HTTP rate is printed from one run.
#
# Builds the release binary (or takes CLOISON_BIN, to compare two builds in one sitting),
# builds a demo register in a temporary directory, creates a
# supplier token, serves with a rate limit high enough not to throttle the load generator,
# and asks for an access point the supplier holds, as that supplier (so every request loads
# the supplier's facts, asks the policy, looks the register up, names the holders and
# journals the read before answering).
set -euo pipefail

db=
if [ "${1:-}" = "--db" ]; then db=$2; shift 2; fi
access_points=${1:-10000}
seconds=${2:-20}
connections=${3:-64}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v wrk >/dev/null || { apt-get install -y wrk >/dev/null; }
if [ -n "${CLOISON_BIN:-}" ]; then
  bin=$(realpath "$CLOISON_BIN")
else
  cargo build --release -p cli --manifest-path "$root/Cargo.toml" >/dev/null
  bin="${CARGO_TARGET_DIR:-$root/target}/release/cloison"
fi
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
[ -n "$db" ] && export CLOISON_DATABASE_URL="$db"
"$bin" demo --access-points "$access_points" --no-serve >demo.out
ean=541448000000000707   # the demo's tour access point: supplier sup-sambre since 2023-08-24
secret=$("$bin" admin token create --party sup-sambre --role supplier --json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --listen "127.0.0.1:$port" --rate-limit-per-second 1000000 --rate-limit-burst 1000000 \
  >serve.out 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/v1/access-points/$ean?at=2024-07-01T00:00:00Z"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $secret" "$url")
[ "$status" = 200 ] || { echo "the probe request answered $status" >&2; exit 1; }
echo "== /healthz, the same server"
wrk -t2 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:$port/healthz" | tee healthz.out
echo "== the journaled read"
before=$("$bin" journal head --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["size"])')
wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $secret" "$url" | tee read.out
rate() { sed -nE 's/^Requests\/sec: *([0-9.]+)/\1/p' "$1"; }
echo "journaled read / healthz: $(rate read.out) / $(rate healthz.out) req/s =" \
  "$(python3 -c "print(f'{100 * $(rate read.out) / $(rate healthz.out):.1f} %')")"
echo "server peak RSS: $(grep VmHWM /proc/$server/status)"
kill -INT "$server"; wait "$server" || true
after=$("$bin" journal head --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["size"])')
echo "journal entries written during the run: $((after - before))"

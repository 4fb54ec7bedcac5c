#!/usr/bin/env bash
# The access-point page of the web interface under load, beside the JSON API's access point,
# in one run on one server: wrk as a separate process on loopback, 64 connections.
#
#   bench/web.sh [ACCESS_POINTS] [SECONDS] [CONNECTIONS]
#
# Builds the release binary (or takes CLOISON_BIN), a demo register in a temporary directory,
# gives the demo's supplier sup-sambre a password, signs it in through the sign-in form (with
# its CSRF token) for a session cookie, creates an API token for the same party and role, and
# loads the page and the API in turn on the same access point and instant, each request
# journaled. Prints requests/s and the latency percentiles of both.
set -euo pipefail

access_points=${1:-2000}
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
"$bin" demo --access-points "$access_points" --no-serve >demo.out
ean=541448000000000707   # the demo's tour access point: supplier sup-sambre since 2023-08-24
echo "bench-password-2026" | "$bin" admin password set --party sup-sambre --role supplier >/dev/null
secret=$("$bin" admin token create --party sup-sambre --role supplier --json |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" serve --listen "127.0.0.1:$port" --rate-limit-per-second 1000000 --rate-limit-burst 1000000 \
  >serve.out 2>&1 &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
# Sign in as a browser would: the form, its token and nonce cookie, then the post.
csrf=$(curl -s -c jar "$base/ui/login" | sed -nE 's/.*name="csrf" value="([0-9a-f]+)".*/\1/p' | head -n 1)
curl -s -b jar -c jar -o /dev/null -d "csrf=$csrf&next=/ui&party=sup-sambre&password=bench-password-2026" "$base/ui/login"
session=$(awk '$6 == "cloison_session" { print $7 }' jar)
[ -n "$session" ] || { echo "sign-in gave no session cookie" >&2; exit 1; }
page="$base/ui/access-points?ean=$ean&at=2024-07-01T00:00:00Z"
api="$base/v1/access-points/$ean?at=2024-07-01T00:00:00Z"
status=$(curl -s -o page.html -w '%{http_code}' -H "Cookie: cloison_session=$session" "$page")
[ "$status" = 200 ] && grep -q 'sup-sambre\|Sambre' page.html || { echo "the page answered $status" >&2; exit 1; }
echo "== the JSON API's access point"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Authorization: Bearer $secret" "$api" | tee api.out
echo "== the web page of the same access point"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Cookie: cloison_session=$session" "$page" | tee page.out
rate() { sed -nE 's/^Requests\/sec: *([0-9.]+)/\1/p' "$1"; }
echo "page / API: $(rate page.out) / $(rate api.out) req/s; page size $(wc -c <page.html) bytes"
echo "server peak RSS: $(grep VmHWM /proc/$server/status)"

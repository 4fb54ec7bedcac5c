#!/usr/bin/env bash
# Full journal verification on a demo register: wall time, entries and bound rows per second,
# and peak memory, from `cloison journal verify` under GNU time.
#
#   bench/verify.sh [ACCESS_POINTS] [RUNS]
#
# Builds the release binary (or takes CLOISON_BIN, to compare two builds in one sitting),
# builds a demo register in a temporary directory (the build is timed too), then verifies it
# RUNS times (default 3) and prints each run and the best.
set -euo pipefail

access_points=${1:-100000}
runs=${2:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x /usr/bin/time ] || apt-get install -y time >/dev/null
command -v bc >/dev/null || apt-get install -y bc >/dev/null
if [ -n "${CLOISON_BIN:-}" ]; then
  bin=$(realpath "$CLOISON_BIN")
else
  cargo build --release -p cli --manifest-path "$root/Cargo.toml" >/dev/null
  bin="${CARGO_TARGET_DIR:-$root/target}/release/cloison"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
start=$(date +%s.%N)
"$bin" demo --access-points "$access_points" --no-serve >demo.out
echo "demo of $access_points access points built in $(echo "$(date +%s.%N) - $start" | bc) s"
for run in $(seq "$runs"); do
  /usr/bin/time -f '%e %M' -o time.out "$bin" journal verify >verify.out
  read -r wall rss <time.out
  line=$(cat verify.out)
  entries=$(echo "$line" | sed -E 's/^journal intact: ([0-9]+) entries.*/\1/')
  rows=$(echo "$line" | sed -nE 's/.* ([0-9]+) bound rows.*/\1/p')
  echo "run $run: ${wall} s, $entries entries ($(echo "$entries / $wall" | bc) /s)," \
    "${rows:-no} bound rows${rows:+ ($(echo "$rows / $wall" | bc) /s)}, peak RSS $((rss / 1024)) MB"
done
echo "$line"

#!/usr/bin/env bash
# Release rebuild time of the workspace's own crates (dependencies already
# built), with and without the simulators: the figures in issue #13's note.
# Usage: bash benches/build-time.sh [RUNS]   (default 2; uses target/build-time)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/build-time}
runs=${1:-2}
build() { cargo build --release --locked -p ferry --bin ferry "$@" >/dev/null 2>&1; }
seconds() {
  local start end
  start=$(date +%s.%N)
  touch src/lib.rs formats/src/lib.rs sandbox/src/lib.rs
  build "$@"
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
# Warm the dependencies once for both feature sets.
build --no-default-features
build
for run in $(seq "$runs"); do
  echo "run $run: product only $(seconds --no-default-features) s, with simulators $(seconds) s"
done

#!/usr/bin/env bash
# The scale curve of issue 12: cold bundle, verify and apply time and peak
# RSS at 1/4, 1/2, 1 and 2 times the full set, one run each, so that the
# growth is visible (it should be linear in bytes and flat in memory). The
# bundle set is run.sh's (20 hops x 5 assets of 10 MiB, scaled in bytes);
# the apply set is 10 hops x 2000 objects, scaled in objects, applied to a
# fresh `ferry sandbox kube` with no installer delay.
#
#   bash benches/scale.sh                               # the table on stdout
#   BENCH_OUT=benches/SCALE.md bash benches/scale.sh    # what run.sh appends to BENCHMARKS.md
#
# Environment: BENCH_PORT (default 18780), BENCH_SCALES (default "0.25 0.5 1 2").
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=benches/lib.sh
source "$root/benches/lib.sh"
port=${BENCH_PORT:-18780}
out=${BENCH_OUT:-/dev/stdout}
scales=${BENCH_SCALES:-0.25 0.5 1 2}

need curl curl
need /usr/bin/time time

cargo build --release --locked
ferry=$root/target/release/ferry
work=$(mktemp -d)
pids=()
kube_port=$((port + 1))
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$work/k0/kube.pid" ] && "$root/benches/kube-sim.sh" stop "$ferry" "$kube_port" "$work/k0"
    rm -rf "$work"
}
trap cleanup EXIT
api=http://127.0.0.1:$port
"$ferry" keygen --unencrypted --output "$work/ferry" >/dev/null
mkdir -p "$work/k0"

# timed NAME COMMAND...: runs it once under GNU time; $work/NAME holds "SECONDS KIB"
timed() {
    local name=$1
    shift
    /usr/bin/time -f "%e %M" -o "$work/$name" "$@" >/dev/null 2>"$work/$name.err" ||
        { echo "$name failed:" >&2; cat "$work/$name.err" >&2; exit 1; }
}
secs() { cut -d' ' -f1 "$work/$1"; }
mib() { awk '{ printf "%.1f", $2 / 1024 }' "$work/$1"; }

rows=()
for f in $scales; do
    bytes=$(awk -v f="$f" 'BEGIN { printf "%d", 10 * 1048576 * f }')
    objects=$(awk -v f="$f" 'BEGIN { printf "%d", 2000 * f }')
    payload=$((21 * 5 * bytes))
    sim --synthetic "20,5,$bytes"
    rm -rf "$work/cache" "$work/b.tar.gz"
    timed "bundle$f" "$ferry" --profile "$root/benches/synthetic.toml" bundle --github-api "$api" \
        --cache "$work/cache" --from 1.0.0 --to 1.20.0 --key "$work/ferry.key" --output "$work/b.tar.gz"
    timed "verify$f" "$ferry" verify "$work/b.tar.gz" --pub "$work/ferry.pub"
    sim --synthetic-objects "10,$objects"
    rm -rf "$work/cache" "$work/apply.tar.gz"
    bundle "$root/benches/synthetic-apply.toml" 1.10.0 "$work/apply.tar.gz"
    "$root/benches/kube-sim.sh" restart "$ferry" "$kube_port" "$work/k0"
    timed "apply$f" "$ferry" --profile "$root/benches/synthetic-apply.toml" apply "$work/apply.tar.gz" \
        --pub "$work/ferry.pub" --kubeconfig "$work/k0/kube.kubeconfig" --yes --quiet
    rows+=("$(printf '| %s | %.0f MiB | %s | %s | %s | %.0f | %s | %s | %s | %s |' \
        "$f" "$(awk -v b="$payload" 'BEGIN { print b / 1048576 }')" \
        "$(secs "bundle$f")" "$(mib "bundle$f")" "$(secs "verify$f")" \
        "$(awk -v b="$payload" -v s="$(secs "verify$f")" 'BEGIN { print b / 1e6 / s }')" \
        "$(mib "verify$f")" "$((objects * 10))" "$(secs "apply$f")" "$(mib "apply$f")")")
done
{
    echo "## Scale curve (benches/scale.sh)"
    echo
    echo "Written by \`bash benches/scale.sh\` on $(date -u +%Y-%m-%d) (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)): one run per cell, seconds and peak RSS (MiB)."
    echo
    echo "| scale | payload | cold bundle s | bundle RSS | verify s | verify MB/s | verify RSS | apply objects | apply s | apply RSS |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
} >"$out"

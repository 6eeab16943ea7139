#!/usr/bin/env bash
# The benchmarks of issue 11, over loopback, each against its baseline in
# the same run:
#   a. `ferry verify` of a split bundle's parts in place, against verify of
#      the one file (target: <= 1.1x);
#   b. `ferry apply oci://` of a bundle published to Debian's docker-registry
#      (cold download cache every run), against `ferry apply` of the local
#      file plus fetching the same bytes from the registry with curl, the
#      transfer at loopback speed (target: <= 1.2x);
#   c. one `ferry apply --contexts-from` over 8 simulated clusters (each
#      installer taking BENCH_FLEET_DELAY_MS a hop), against 8 sequential
#      applies of the same clusters (target: <= 0.4x).
#
#   bash benches/across.sh                                # tables on stdout
#   BENCH_OUT=benches/ACROSS.md bash benches/across.sh    # what run.sh appends to BENCHMARKS.md
#
# Environment: BENCH_RUNS (default 3), BENCH_PORT (default 18680),
# BENCH_SCALE (fraction of run.sh's ~1 GiB release set for a.; default 1),
# BENCH_FLEET_DELAY_MS (default 500), BENCH_FLEET_PARALLEL (default 8).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=benches/lib.sh
source "$root/benches/lib.sh"
runs=${BENCH_RUNS:-3}
port=${BENCH_PORT:-18680}
out=${BENCH_OUT:-/dev/stdout}
scale=${BENCH_SCALE:-1}
delay=${BENCH_FLEET_DELAY_MS:-500}
parallel=${BENCH_FLEET_PARALLEL:-8}
fleet=8

need curl curl
need jq jq
need docker-registry docker-registry
need hyperfine hyperfine || true
have_hyperfine=$(command -v hyperfine >/dev/null && echo yes || echo no)

cargo build --release --locked
ferry=$root/target/release/ferry

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for i in $(seq 0 "$fleet"); do
        [ -f "$work/k$i/kube.pid" ] && "$root/benches/kube-sim.sh" stop "$ferry" $((port + 10 + i)) "$work/k$i"
    done
    rm -rf "$work"
}
trap cleanup EXIT

api=http://127.0.0.1:$port
registry=127.0.0.1:$((port + 1))
"$ferry" keygen --unencrypted --output "$work/ferry" >/dev/null
start_registry registry $((port + 1))
# a. verify the parts in place vs the one file
bytes=$(awk -v s="$scale" 'BEGIN { printf "%d", 10 * 1048576 * s }')
sim --synthetic "20,5,$bytes"
bundle "$root/benches/synthetic.toml" 1.20.0 "$work/big.tar.gz"
mkdir -p "$work/parts"
cp "$work/big.tar.gz" "$work/parts/"
big_bytes=$(stat -c %s "$work/big.tar.gz")
"$ferry" split "$work/parts/big.tar.gz" --size $(((big_bytes + 7) / 8)) --key "$work/ferry.key" >/dev/null
rm "$work/parts/big.tar.gz"
part_count=$(find "$work/parts" -name '*.part-*' | wc -l)
measure verify_file true "$ferry verify $work/big.tar.gz --pub $work/ferry.pub"
measure verify_parts true "$ferry verify $work/parts/big.tar.gz.parts --pub $work/ferry.pub"

# b. apply oci:// (cold cache) vs apply of the file + the transfer with curl
apply_profile=$root/benches/synthetic-apply.toml
sim --synthetic-objects 5,2000
bundle "$apply_profile" 1.5.0 "$work/apply.tar.gz"
oci=oci://$registry/ferry/bench:1
"$ferry" publish "$work/apply.tar.gz" "$oci" --key "$work/ferry.key" --part-size 4M \
    --oci-insecure "$registry" >/dev/null 2>&1
manifest=$(curl -fsS -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$registry/v2/ferry/bench/manifests/1")
{
    echo "set -e"
    for digest in $(jq -r '.layers[].digest' <<<"$manifest"); do
        echo "curl -fsS http://$registry/v2/ferry/bench/blobs/$digest >>$work/fetched"
    done
} >"$work/transfer.sh"
apply_bytes=$(stat -c %s "$work/apply.tar.gz")
kube_port=$((port + 10))
mkdir -p "$work/k0"
restart0="$root/benches/kube-sim.sh restart $ferry $kube_port $work/k0"
apply_flags="--pub $work/ferry.pub --kubeconfig $work/k0/kube.kubeconfig --yes --quiet"
measure apply_oci "$restart0 && rm -rf $work/oci-cache" \
    "$ferry --profile $apply_profile apply $oci $apply_flags --oci-insecure $registry --oci-cache $work/oci-cache"
measure apply_file "$restart0 && rm -f $work/fetched" \
    "bash $work/transfer.sh && $ferry --profile $apply_profile apply $work/apply.tar.gz $apply_flags"
"$root/benches/kube-sim.sh" stop "$ferry" "$kube_port" "$work/k0"

# c. a fleet of 8 clusters vs 8 sequential applies
sim --synthetic-objects 3,200
bundle "$apply_profile" 1.3.0 "$work/fleet.tar.gz"
kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=
{
    echo "set -e"
    for i in $(seq 1 "$fleet"); do
        mkdir -p "$work/k$i"
        echo "KUBE_SIM_CONTEXT=c$i KUBE_SIM_DELAY_MS=$delay $root/benches/kube-sim.sh restart $ferry $((kube_port + i)) $work/k$i"
    done
} >"$work/restart-fleet.sh"
seq 1 "$fleet" | sed 's/^/c/' >"$work/fleet.txt"
kubeconfigs=$(seq 1 "$fleet" | sed "s|.*|$work/k&/kube.kubeconfig|" | paste -sd:)
fleet_apply="$ferry --profile $apply_profile apply $work/fleet.tar.gz --pub $work/ferry.pub --yes --quiet"
{
    echo "set -e"
    for i in $(seq 1 "$fleet"); do
        echo "KUBECONFIG=$kubeconfigs $fleet_apply --context c$i"
    done
} >"$work/sequential.sh"
measure fleet "bash $work/restart-fleet.sh" \
    "KUBECONFIG=$kubeconfigs $fleet_apply --contexts-from $work/fleet.txt --parallel $parallel --log-dir $work/logs"
measure sequential "bash $work/restart-fleet.sh" "bash $work/sequential.sh"
for i in $(seq 1 "$fleet"); do "$root/benches/kube-sim.sh" stop "$ferry" $((kube_port + i)) "$work/k$i"; done

# ---- the report ----
t() { cut -d' ' -f"$2" "$work/time.$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v lim="$2" 'BEGIN { print (v <= lim) ? "met" : "**missed**" }'; }
r_parts=$(ratio "$(t verify_parts 1)" "$(t verify_file 1)")
r_oci=$(ratio "$(t apply_oci 1)" "$(t apply_file 1)")
r_fleet=$(ratio "$(t fleet 1)" "$(t sequential 1)")
{
    echo "## Across the gap and the fleet (benches/across.sh)"
    echo
    echo "Written by \`bash benches/across.sh\` on $(date -u +%Y-%m-%d) (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)), $runs runs each, median (min-max) seconds."
    echo
    echo "| bench | ferry | baseline | ratio | target |"
    echo "|---|---|---|---|---|"
    printf '| a. verify of %d parts in place vs the one %s file | %s (%s-%s) | %s (%s-%s) | %s | <= 1.1: %s |\n' \
        "$part_count" "$(awk -v b="$big_bytes" 'BEGIN { printf "%.0f MiB", b / 1048576 }')" \
        "$(t verify_parts 1)" "$(t verify_parts 2)" "$(t verify_parts 3)" \
        "$(t verify_file 1)" "$(t verify_file 2)" "$(t verify_file 3)" "$r_parts" "$(verdict "$r_parts" 1.1)"
    printf '| b. apply oci:// (cold cache) vs curl of the layers + apply of the file (%s, 5 hops x 2000 objects) | %s (%s-%s) | %s (%s-%s) | %s | <= 1.2: %s |\n' \
        "$(awk -v b="$apply_bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }')" \
        "$(t apply_oci 1)" "$(t apply_oci 2)" "$(t apply_oci 3)" \
        "$(t apply_file 1)" "$(t apply_file 2)" "$(t apply_file 3)" "$r_oci" "$(verdict "$r_oci" 1.2)"
    printf '| c. fleet of %d clusters (--parallel %d, 3 hops x 200 objects, installer %d ms a hop) vs %d sequential applies | %s (%s-%s) | %s (%s-%s) | %s | <= 0.4: %s |\n' \
        "$fleet" "$parallel" "$delay" "$fleet" \
        "$(t fleet 1)" "$(t fleet 2)" "$(t fleet 3)" \
        "$(t sequential 1)" "$(t sequential 2)" "$(t sequential 3)" "$r_fleet" "$(verdict "$r_fleet" 0.4)"
    echo
} >"$out"

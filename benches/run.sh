#!/usr/bin/env bash
# ferry benchmarks against the shell pipeline it replaces (issue 5), over loopback
# against `ferry sandbox github --synthetic`. Writes BENCHMARKS.md.
#
#   bash benches/run.sh
#
# Environment:
#   BENCH_SCALE  fraction of the full ~1 GiB set (20 hops x 5 assets x 10 MiB,
#                plus the 5 assets of the base release); default 1, e.g. 0.25
#   BENCH_RUNS   timed runs per bench (median, min, max); default 3
#   BENCH_PORT   loopback port of the simulator; default 18480
#   BENCH_OUT    the markdown file written; default BENCHMARKS.md (with
#                BENCH_ONLY=apply: standard output)
#   BENCH_ONLY   run one part only: `bundle` (bundle, verify, re-bundle) or
#                `apply`; default both, then the scale curve (benches/scale.sh)
#   BENCH_APPLY_HOPS, BENCH_APPLY_OBJECTS
#                the apply bench's size; default 10 hops x 2000 objects
# Needs curl, jq, minisign, kubectl, GNU time (/usr/bin/time); hyperfine is used
# when present.
# As root, missing tools are installed with apt-get.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=benches/lib.sh
source "$root/benches/lib.sh"
scale=${BENCH_SCALE:-1}
runs=${BENCH_RUNS:-3}
port=${BENCH_PORT:-18480}
only=${BENCH_ONLY:-}
case "$only" in "" | bundle | apply) ;; *) echo "BENCH_ONLY is bundle or apply, not $only" >&2; exit 1 ;; esac
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }
if [ "$only" = apply ]; then out=${BENCH_OUT:-/dev/stdout}; else out=${BENCH_OUT:-BENCHMARKS.md}; fi
apply_hops=${BENCH_APPLY_HOPS:-10}
apply_objects=${BENCH_APPLY_OBJECTS:-2000}
kube_port=$((port + 1))
hops=20
assets=5
bytes=$(awk -v s="$scale" 'BEGIN { printf "%d", 10 * 1048576 * s }')
api="http://127.0.0.1:$port"
repo=ferry-bench/synthetic
profile=$root/benches/synthetic.toml

need curl curl
need jq jq
need minisign minisign
need /usr/bin/time time
want apply && need kubectl kubectl
need hyperfine hyperfine || true
have_hyperfine=$(command -v hyperfine >/dev/null && echo yes || echo no)

cargo build --release --locked
ferry=$root/target/release/ferry

work=$(mktemp -d)
sim_pid=
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
    [ -f "$work/kube.pid" ] && "$root/benches/kube-sim.sh" stop "$ferry" "$kube_port" "$work" || true
    rm -rf "$work"
}
trap cleanup EXIT

start_sim() { # start_sim HOPS BYTES | start_sim --synthetic-objects HOPS,OBJECTS
    local set=(--synthetic "$1,$assets,${2:-}")
    [ "$1" = --synthetic-objects ] && set=("$@")
    sim "${set[@]}"
}

"$ferry" keygen --unencrypted --output "$work/ferry" >/dev/null
minisign -G -W -f -p "$work/mini.pub" -s "$work/mini.key" >/dev/null

# Commands, as strings for hyperfine and the bash loop alike. ferry runs under
# GNU time so every run appends its peak RSS (KiB) to $work/rss.NAME.
ferry_bundle() { # ferry_bundle HOPS CACHE OUT
    echo "$ferry --profile $profile bundle --github-api $api --cache $2 --from 1.0.0 --to 1.$1.0 --key $work/ferry.key --output $3"
}

if want bundle; then
start_sim "$hops" "$bytes"
payload=$(( (hops + 1) * assets * bytes ))

# a. cold bundle (fresh cache every run) vs. the curl/tar/sha256sum/minisign script
measure bundle "rm -rf $work/cache $work/b.tar.gz" "$(rss bundle) $(ferry_bundle "$hops" "$work/cache" "$work/b.tar.gz")"
measure base_bundle "rm -f $work/base.tar.gz $work/base.tar.gz.minisig" \
    "$root/benches/baseline-bundle.sh $api $repo 0 $hops $work/base.tar.gz $work/mini.key"
# b. verify vs. minisign -V + tar xzf + sha256sum -c
measure verify "true" "$(rss verify) $ferry verify $work/b.tar.gz --pub $work/ferry.pub"
measure base_verify "true" "$root/benches/baseline-verify.sh $work/base.tar.gz $work/mini.pub"
# c. warm cache re-bundle vs. the cold bundle
measure rebundle "rm -f $work/b2.tar.gz" "$(rss rebundle) $(ferry_bundle "$hops" "$work/cache" "$work/b2.tar.gz")"
bundle_bytes=$(stat -c %s "$work/b.tar.gz")
base_bundle_bytes=$(stat -c %s "$work/base.tar.gz")

# d. peak RSS when the release set doubles (twice the hops), one run each
start_sim $((hops * 2)) "$bytes"
rm -rf "$work/cache2"
$(rss bundle2) $(ferry_bundle $((hops * 2)) "$work/cache2" "$work/b3.tar.gz") >/dev/null 2>&1
$(rss rebundle2) $(ferry_bundle $((hops * 2)) "$work/cache2" "$work/b4.tar.gz") >/dev/null 2>&1
$(rss verify2) "$ferry" verify "$work/b3.tar.gz" --pub "$work/ferry.pub" >/dev/null 2>&1
kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=

fi

# e. apply: a fresh simulated cluster (Kyma 1.0.0, zero installer delay) per
# run, restarted by --prepare; the restart first appends the previous run's
# server busy time to a stats file (see benches/kube-sim.sh and NOTES.md).
apply_bundle() { # apply_bundle HOPS OBJECTS OUT
    start_sim --synthetic-objects "$1,$2"
    "$ferry" --profile "$apply_profile" bundle --github-api "$api" --cache "$work/apply-cache-$1" \
        --from 1.0.0 --to "1.$1.0" --key "$work/ferry.key" --output "$3" >/dev/null 2>&1
}
kube_sim() { echo "$root/benches/kube-sim.sh $1 $ferry $kube_port $work ${2:-}"; }
ferry_apply() { # ferry_apply BUNDLE
    echo "$ferry --profile $apply_profile apply $1 --pub $work/ferry.pub --kubeconfig $work/kube.kubeconfig --yes --quiet"
}
# overhead NAME: median over runs of (wall time - server busy time) / hops, in ms
overhead() {
    jq -r '.results[0].times[]' "$work/$1.json" >"$work/$1.times"
    jq -r '.busy_seconds' "$work/stats.$1" | paste "$work/$1.times" - |
        awk -v h="$apply_hops" '{ print ($1 - $2) * 1000 / h }' | sort -g |
        awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m }'
}
busy() { jq -r '.busy_seconds' "$work/stats.$1" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'; }
if want apply; then
    apply_profile=$root/benches/synthetic-apply.toml
    apply_bundle "$apply_hops" "$apply_objects" "$work/apply.tar.gz"
    apply_bundle $((apply_hops * 2)) "$apply_objects" "$work/apply2.tar.gz"
    kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; sim_pid=
    mkdir -p "$work/apply-x"
    tar xzf "$work/apply.tar.gz" -C "$work/apply-x"
    if [ "$have_hyperfine" != yes ]; then
        echo "the apply bench needs hyperfine (its per-run times pair with the server's busy times)" >&2
        exit 1
    fi
    rm -f "$work/stats.apply" "$work/stats.base_apply"
    measure apply "$(kube_sim restart "$work/stats.apply")" "$(rss apply) $(ferry_apply "$work/apply.tar.gz")"
    $(kube_sim stop "$work/stats.apply")
    measure base_apply "$(kube_sim restart "$work/stats.base_apply")" \
        "$root/benches/baseline-apply.sh $work/kube.kubeconfig $work/apply-x $work/kubectl-cache"
    $(kube_sim stop "$work/stats.base_apply")
    # peak RSS when the release set doubles (twice the hops), one run
    $(kube_sim restart)
    $(rss apply2) $(ferry_apply "$work/apply2.tar.gz") >/dev/null 2>&1
    $(kube_sim stop)
fi
# f. the scale curve (issue 12), on its own simulators and ports; the report
# below appends what it writes to benches/SCALE.md.
if [ -z "$only" ]; then
    BENCH_OUT="$root/benches/SCALE.md" bash "$root/benches/scale.sh"
fi
# ---- the report ----
t() { cut -d' ' -f"$2" "$work/time.$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v lim="$2" "BEGIN { print (v $3 lim) ? \"met\" : \"**missed**\" }"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.0f MiB", b / 1048576 }'; }
per_hop() { awk -v s="$1" -v h="$apply_hops" 'BEGIN { printf "%.3f", s / h }'; }

rss_names=()
want bundle && rss_names+=(bundle verify rebundle bundle2 verify2 rebundle2)
want apply && rss_names+=(apply apply2)
rss_worst=0
for n in "${rss_names[@]}"; do
    rss_worst=$(awk -v a="$rss_worst" -v b="$(max_rss_mib $n)" 'BEGIN { print (b > a) ? b : a }')
done
flat=met
flat_pairs=()
want bundle && flat_pairs+=(bundle verify rebundle)
want apply && flat_pairs+=(apply)
for n in "${flat_pairs[@]}"; do
    # "flat": at most 25 % (and never past the 64 MiB cap) more when the data doubles
    [ "$(awk -v a="$(max_rss_mib $n)" -v b="$(max_rss_mib ${n}2)" 'BEGIN { print (b <= a * 1.25) ? "y" : "n" }')" = y ] || flat="**missed**"
done
v_rss=$(verdict "$rss_worst" 64 "<=")
if want bundle; then
    r_bundle=$(ratio "$(t bundle 1)" "$(t base_bundle 1)")
    r_verify=$(ratio "$(t verify 1)" "$(t base_verify 1)")
    r_rebundle=$(ratio "$(t rebundle 1)" "$(t bundle 1)")
    verify_mbs=$(awk -v b="$payload" -v s="$(t verify 1)" 'BEGIN { printf "%.0f", b / 1e6 / s }')
    v_verify=$(verdict "$r_verify" 0.8 "<=")
    [ "$(verdict "$verify_mbs" 400 ">=")" = met ] || v_verify="**missed**"
    v_verify12=$(verdict "$r_verify" 0.12 "<=")
    [ "$(verdict "$verify_mbs" 900 ">=")" = met ] || v_verify12="**missed**"
    v_bundle12=$(verdict "$r_bundle" 0.25 "<=")
    [ "$(verdict "$(max_rss_mib bundle)" 64 "<=")" = met ] || v_bundle12="**missed**"
fi
if want apply; then
    r_apply=$(ratio "$(t apply 1)" "$(t base_apply 1)")
    o_apply=$(overhead apply)
    o_base=$(overhead base_apply)
    v_apply=$(verdict "$r_apply" 0.33 "<=")
    [ "$(verdict "$o_apply" 50 "<")" = met ] || v_apply="**missed**"
fi

row() { # row LABEL NAME
    printf '| %s | %s | %s | %s |\n' "$1" "$(t "$2" 1)" "$(t "$2" 2)" "$(t "$2" 3)"
}
{
    echo "# Benchmarks"
    echo
    echo "Written by \`bash benches/run.sh\`${only:+ (BENCH_ONLY=$only)} on $(date -u +%Y-%m-%d) (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)). Everything runs on this machine over loopback against \`ferry sandbox github --synthetic\` and \`ferry sandbox kube\`."
    echo
    echo "## Machine"
    echo
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $(nproc)"
    echo "- Memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "- Kernel: $(uname -sr); timing: $( [ "$have_hyperfine" = yes ] && hyperfine --version || echo 'bash loop with date +%s.%N')"
    want apply && echo "- kubectl: $(kubectl version --client 2>/dev/null | head -1)"
    echo
    echo "## Data"
    echo
    if want bundle; then
        echo "BENCH_SCALE=$scale: releases 1.0.0 to 1.$hops.0, $assets YAML assets of $bytes bytes each; payload $(mib "$payload") in $(( (hops + 1) * assets )) assets (the full-scale set is ~1 GiB). ferry's bundle: $(mib "$bundle_bytes"); the baseline's tar.gz: $(mib "$base_bundle_bytes"). runs per bench: $runs; times in seconds."
        echo
    fi
    if want apply; then
        echo "Apply: a bundle of $apply_hops hops (1.0.0 to 1.$apply_hops.0), each applying $apply_objects objects (Namespaces, ConfigMaps, Services, ServiceAccounts, Roles, RoleBindings; every object changes every hop), the installer Deployment and the Installation, then waiting until installed; a fresh simulated cluster at Kyma 1.0.0 with zero installer delay per run. Baseline: \`kubectl apply --server-side --force-conflicts\` of the same three files per hop (\`benches/baseline-apply.sh\`), then a kubectl poll until the installer finished the hop, as ferry waits. runs: $runs; times in seconds."
        echo
    fi
    echo "## Times"
    echo
    echo "| bench | median | min | max |"
    echo "|---|---|---|---|"
    if want bundle; then
        row "ferry bundle, cold cache" bundle
        row "baseline bundle (curl, sha256sum, tar czf, minisign -S)" base_bundle
        row "ferry verify" verify
        row "baseline verify (minisign -V, tar xzf, sha256sum -c)" base_verify
        row "ferry re-bundle, warm cache" rebundle
    fi
    if want apply; then
        row "ferry apply, $apply_hops hops" apply
        row "baseline apply (kubectl apply --server-side per hop)" base_apply
        echo
        echo "| apply | per hop (median) | server busy per run (median) | client overhead per hop beyond the server's work (median) |"
        echo "|---|---|---|---|"
        echo "| ferry apply | $(per_hop "$(t apply 1)") s | $(busy apply) s | $o_apply ms |"
        echo "| kubectl apply --server-side | $(per_hop "$(t base_apply 1)") s | $(busy base_apply) s | $o_base ms |"
    fi
    echo
    echo "## Peak RSS of ferry (MiB, /usr/bin/time)"
    echo
    echo "| bench | measured | data doubled |"
    echo "|---|---|---|"
    if want bundle; then
        for n in bundle verify rebundle; do
            echo "| $n ($hops hops; doubled: $((hops * 2)) hops) | $(max_rss_mib $n) | $(max_rss_mib ${n}2) |"
        done
    fi
    want apply && echo "| apply ($apply_hops hops of $apply_objects objects; doubled: $((apply_hops * 2)) hops) | $(max_rss_mib apply) | $(max_rss_mib apply2) |"
    echo
    echo "## Targets (issue 5)"
    echo
    echo "| bench | measured | target | result |"
    echo "|---|---|---|---|"
    if want bundle; then
        echo "| bundle | ferry / baseline = $r_bundle | <= 0.5 | $(verdict "$r_bundle" 0.5 "<=") |"
        echo "| verify | ferry / baseline = $r_verify; $verify_mbs MB/s of payload | <= 0.8 and >= 400 MB/s | $v_verify |"
        echo "| re-bundle from cache | warm / cold = $r_rebundle | <= 0.15 | $(verdict "$r_rebundle" 0.15 "<=") |"
    fi
    if want apply; then
        echo "| apply | ferry / kubectl = $r_apply; overhead $o_apply ms per hop | <= 0.33 of kubectl, < 50 ms overhead per hop | $v_apply |"
    else
        echo "| apply | not run (BENCH_ONLY=$only) | <= 0.33 of kubectl, < 50 ms overhead per hop | not run |"
    fi
    echo "| peak RSS | worst $rss_worst MiB | <= 64 MiB in every bench | $v_rss |"
    echo "| peak RSS when the data doubles | see the RSS table | flat (here: at most +25 %) | $flat |"
    echo
    echo "## Targets (issue 12)"
    echo
    echo "| bench | measured | target | result |"
    echo "|---|---|---|---|"
    if want bundle; then
        echo "| verify | ferry / baseline = $r_verify; $verify_mbs MB/s of payload | <= 0.12 and >= 900 MB/s | $v_verify12 |"
        echo "| cold bundle | ferry / baseline = $r_bundle; peak RSS $(max_rss_mib bundle) MiB | <= 0.25, RSS <= 64 MiB | $v_bundle12 |"
    fi
    if want apply; then
        echo "| apply overhead, whole-bundle preflight kept | $o_apply ms per hop of $apply_objects objects | < 50 ms | $(verdict "$o_apply" 50 "<") |"
    fi
    if [ -z "$only" ]; then
        echo "| scale curve | the table below (benches/scale.sh, run by this script) | linear in bytes, flat in memory | see the table |"
    fi
    # The image figures come from benches/images.sh (BENCH_OUT=benches/IMAGES.md),
    # the split, registry and fleet ones from benches/across.sh (benches/ACROSS.md),
    # the scale curve from benches/scale.sh (benches/SCALE.md).
    for part in IMAGES ACROSS SCALE; do
        if [ -z "$only" ] && [ -f "$root/benches/$part.md" ]; then
            echo
            cat "$root/benches/$part.md"
        fi
    done
    if [ -z "$only" ] && [ -f "$root/benches/NOTES.md" ]; then
        echo
        cat "$root/benches/NOTES.md"
    fi
} >"$out"
[ "$out" = /dev/stdout ] || echo "wrote $out" >&2

#!/usr/bin/env bash
# The image benchmarks of issue 9, over loopback, in one run against their
# baselines: `ferry bundle --images` of COUNT generated images that share a
# layer, pulled from Debian's docker-registry, against skopeo copy into an
# OCI layout + sha256sum + tar czf + minisign; `ferry push` of that bundle to
# an empty site registry against skopeo copy of each image; a re-push of the
# unchanged bundle; peak RSS of bundle and push as the images double in size.
#
#   bash benches/images.sh              # tables on stdout
#   BENCH_OUT=benches/IMAGES.md bash benches/images.sh   # what run.sh appends to BENCHMARKS.md
#
# Environment: BENCH_RUNS (default 3), BENCH_PORT (default 18580),
# BENCH_IMAGES COUNT,SHARED_MIB,OWN_MIB (default 10,32,16).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=benches/lib.sh
source "$root/benches/lib.sh"
runs=${BENCH_RUNS:-3}
port=${BENCH_PORT:-18580}
out=${BENCH_OUT:-/dev/stdout}
IFS=, read -r count shared_mib own_mib <<<"${BENCH_IMAGES:-10,32,16}"

need curl curl
need jq jq
need minisign minisign
need /usr/bin/time time
need skopeo skopeo
need docker-registry docker-registry
need hyperfine hyperfine || true
have_hyperfine=$(command -v hyperfine >/dev/null && echo yes || echo no)

cargo build --release --locked
ferry=$root/target/release/ferry

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

api=http://127.0.0.1:$port
upstream=127.0.0.1:$((port + 1))
site=127.0.0.1:$((port + 2))
"$ferry" sandbox github --listen "127.0.0.1:$port" --synthetic-objects 1,10 >"$work/sim.log" 2>&1 &
pids+=($!)
start_registry upstream $((port + 1))
start_registry site $((port + 2))
"$ferry" keygen --unencrypted --output "$work/ferry" >/dev/null
minisign -G -W -f -p "$work/mini.pub" -s "$work/mini.key" >/dev/null

# The images, generated and copied to the upstream registry (untimed), and a
# profile listing them for the one hop of the synthetic release set (whose
# manifests apply to a cluster, so ferry can read them for images).
seed() { # seed COUNT SHARED_MIB OWN_MIB SUFFIX
    local refs=$work/refs$4 layout=$work/layout$4
    "$ferry" sandbox images --layout "$layout" \
        --synthetic "$1,$(($2 * 1048576)),$(($3 * 1048576))" >"$refs"
    if [ -n "$4" ]; then sed -i "s/:1\$/:$4/" "$refs"; fi
    while read -r ref; do
        local generated=${ref%:*}:1
        skopeo copy -q --dest-tls-verify=false "oci:$layout:$generated" "docker://$upstream/${ref#*/}"
    done <"$refs"
    {
        grep -v '^#' benches/synthetic-apply.toml
        printf '\n[[images.extra]]\nminors = ["1.1", "1.1"]\nreason = "benchmark"\nrefs = [\n'
        sed 's/.*/  "&",/' "$refs"
        printf ']\n'
    } >"$work/profile$4.toml"
}
seed "$count" "$shared_mib" "$own_mib" ""
unique_mib=$((shared_mib + count * own_mib))
unshared_mib=$((count * (shared_mib + own_mib)))

# The release set's own installer image is not in the upstream registry (nor
# in the baseline): left out, so both sides carry exactly the generated images.
skipped=eu.gcr.io/kyma-project/kyma-installer:1.1.0
ferry_bundle() { # ferry_bundle CACHE OUT SUFFIX
    echo "$ferry --profile $work/profile$3.toml bundle --github-api $api --cache $1 --from 1.0.0 --to 1.1.0" \
        "--key $work/ferry.key --output $2 --force --images --registry-mirror bench.local=$upstream" \
        "--registry-insecure $upstream --skip-image $skipped"
}
ferry_push() { # ferry_push BUNDLE
    echo "$ferry push $1 --pub $work/ferry.pub --registry $site/site --registry-insecure $site"
}
empty_site="rm -rf $work/site/storage/docker"

# a. bundle, cold cache, vs. the skopeo pipeline
measure bundle "rm -rf $work/cache" "$(rss bundle) $(ferry_bundle "$work/cache" "$work/b.tar.gz" "")"
measure base_bundle "rm -f $work/base.tar.gz*" \
    "$root/benches/baseline-images-bundle.sh $upstream $work/refs $work/base.tar.gz $work/mini.key"
# b. push to an empty site registry, vs. skopeo copy of each image
mkdir -p "$work/x" && tar xzf "$work/b.tar.gz" -C "$work/x"
measure push "$empty_site" "$(rss push) $(ferry_push "$work/b.tar.gz")"
measure base_push "$empty_site" "$root/benches/baseline-images-push.sh $work/x/images $site/site $work/refs"
# c. re-push of the unchanged bundle (everything is there)
$(ferry_push "$work/b.tar.gz") >/dev/null 2>&1
measure repush "true" "$(ferry_push "$work/b.tar.gz")"

# d. peak RSS when every image's own layer doubles
seed "$count" "$shared_mib" $((own_mib * 2)) 2
rm -rf "$work/cache2"
$(rss bundle2) $(ferry_bundle "$work/cache2" "$work/b2.tar.gz" 2) >/dev/null 2>&1
bash -c "$empty_site"
$(rss push2) $(ferry_push "$work/b2.tar.gz") >/dev/null 2>&1

t() { cut -d' ' -f1 "$work/time.$1"; }
span() { awk '{ printf "%s (%s-%s)", $1, $2, $3 }' "$work/time.$1"; }
ratio() { awk -v a="$(t "$1")" -v b="$(t "$2")" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v v="$1" -v max="$2" 'BEGIN { print (v <= max) ? "met" : "**missed**" }'; }
bundle_ratio=$(ratio bundle base_bundle)
push_ratio=$(ratio push base_push)
rss_max=$(cat "$work"/rss.* | sort -n | tail -1 | awk '{ printf "%.1f", $1 / 1024 }')
{
    echo "## Images (benches/images.sh)"
    echo
    echo "$count images of $((shared_mib + own_mib)) MiB, one $shared_mib MiB layer shared by all:"
    echo "$unique_mib MiB of distinct blobs, $unshared_mib MiB if each image kept its own copy."
    echo "Loopback, Debian's docker-registry as upstream and site registry, $runs runs each (median, min-max)."
    echo
    echo "| bench | ferry (s) | baseline (s) | ratio | target |"
    echo "|---|---|---|---|---|"
    echo "| bundle --images, cold cache | $(span bundle) | $(span base_bundle) skopeo copy + sha256sum + tar czf + minisign | $bundle_ratio | <= 0.5, $(verdict "$bundle_ratio" 0.5) |"
    echo "| push to an empty site registry | $(span push) | $(span base_push) skopeo copy per image | $push_ratio | <= 0.5, $(verdict "$push_ratio" 0.5) |"
    echo "| re-push of the unchanged bundle | $(span repush) | | | < 2 s, $(verdict "$(t repush)" 2) |"
    echo
    echo "Peak RSS: bundle $(max_rss_mib bundle) MiB, push $(max_rss_mib push) MiB; with each image's own layer"
    echo "doubled: bundle $(max_rss_mib bundle2) MiB, push $(max_rss_mib push2) MiB (target <= 64 MiB and independent"
    echo "of image size: $(verdict "$rss_max" 64))."
    echo
    echo "Bundle sizes: ferry $(stat -c %s "$work/b.tar.gz") bytes, baseline $(stat -c %s "$work/base.tar.gz") bytes."
} >"$out"

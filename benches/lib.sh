# Shared by the benchmark scripts (sourced): installing tools, timing
# commands with hyperfine or a bash loop, and reading peak RSS. The callers
# set $work (scratch directory), $runs and $have_hyperfine.

need() { # need COMMAND APT_PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing $2" >&2
        apt-get install -y -qq "$2" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }
    fi
    command -v "$1" >/dev/null 2>&1 || { echo "$(basename "$0") needs $1 (apt: $2)" >&2; exit 1; }
}
# Commands, as strings for hyperfine and the bash loop alike. ferry runs under
# GNU time so every run appends its peak RSS (KiB) to $work/rss.NAME.
rss() { echo "/usr/bin/time -f %M -a -o $work/rss.$1"; }
# measure NAME PREPARE COMMAND: sets median/min/max seconds in $work/time.NAME
measure() {
    local name=$1 prepare=$2 cmd=$3
    echo "bench $name: $cmd" >&2
    if [ "$have_hyperfine" = yes ]; then
        hyperfine --runs "$runs" --style none --prepare "$prepare" --export-json "$work/$name.json" "$cmd" >/dev/null
        jq -r '.results[0] | "\(.median) \(.min) \(.max)"' "$work/$name.json" |
            awk '{ printf "%.3f %.3f %.3f\n", $1, $2, $3 }' >"$work/time.$name"
    else
        local times=()
        for _ in $(seq 1 "$runs"); do
            bash -c "$prepare"
            local t0 t1
            t0=$(date +%s.%N)
            bash -c "$cmd" >/dev/null 2>"$work/err" || { echo "bench $name failed:" >&2; cat "$work/err" >&2; exit 1; }
            t1=$(date +%s.%N)
            times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')")
        done
        printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END {
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }' >"$work/time.$name"
    fi
}
max_rss_mib() { sort -n "$work/rss.$1" | tail -1 | awk '{ printf "%.1f", $1 / 1024 }'; }


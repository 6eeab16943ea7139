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
# start_registry NAME PORT: Debian's docker-registry with storage in
# $work/NAME, its pid added to the caller's $pids (killed on exit).
start_registry() {
    mkdir -p "$work/$1/storage"
    cat >"$work/$1/config.yml" <<YAML
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $work/$1/storage}
  delete: {enabled: true}
http: {addr: 127.0.0.1:$2}
YAML
    docker-registry serve "$work/$1/config.yml" >"$work/$1.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do
        curl -fsS "http://127.0.0.1:$2/v2/" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "docker-registry $1 did not start: $(cat "$work/$1.log")" >&2
    exit 1
}
# sim ARGS...: (re)starts `ferry sandbox github` on $port with a release set
# (ARGS: --synthetic or --synthetic-objects ...); its pid is $sim_pid (and
# in $pids). bundle PROFILE TO OUT: ferry bundle 1.0.0..TO from it, cache
# $work/cache. The caller sets $ferry, $port, $api and $work.
sim() { # sim ARGS...: (re)start the GitHub simulator with a release set
    [ -n "${sim_pid:-}" ] && { kill "$sim_pid"; wait "$sim_pid" 2>/dev/null || true; }
    "$ferry" sandbox github --listen "127.0.0.1:$port" "$@" >"$work/sim.log" 2>&1 &
    sim_pid=$!
    pids+=("$sim_pid")
    for _ in $(seq 1 300); do
        curl -fsS "$api/rate_limit" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "simulator did not start: $(cat "$work/sim.log")" >&2
    exit 1
}
bundle() { # bundle PROFILE TO OUT
    "$ferry" --profile "$1" bundle --github-api "$api" --cache "$work/cache" \
        --from 1.0.0 --to "$2" --key "$work/ferry.key" --output "$3" >/dev/null 2>&1
}


#!/usr/bin/env bash
# Runs `ferry sandbox kube` for the apply bench: one fresh simulated cluster
# (Kyma 1.0.0 installed, zero installer delay) per timed run.
#
#   benches/kube-sim.sh restart FERRY PORT DIR [STATS]
#   benches/kube-sim.sh stop    FERRY PORT DIR [STATS]
#
# The cluster's kubeconfig is DIR/kube.kubeconfig (context $KUBE_SIM_CONTEXT,
# default ferry-sim), its pid DIR/kube.pid; $KUBE_SIM_DELAY_MS sets the
# installer's delay (default 0).
# Before stopping a running simulator, its busy figures (JSON from
# /ferry-sandbox/stats: requests, busy_seconds, service_seconds) are appended
# as one line to STATS when given, so each timed run's server work is known.
set -euo pipefail

action=$1 ferry=$2 port=$3 dir=$4 stats=${5:-}
pidfile=$dir/kube.pid

if [ -f "$pidfile" ]; then
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        if [ -n "$stats" ]; then
            curl -fsS "http://127.0.0.1:$port/ferry-sandbox/stats" >>"$stats"
            echo >>"$stats"
        fi
        kill "$pid"
        while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
    fi
    rm -f "$pidfile"
fi
[ "$action" = stop ] && exit 0

"$ferry" sandbox kube --listen "127.0.0.1:$port" --kubeconfig "$dir/kube.kubeconfig" \
    --context "${KUBE_SIM_CONTEXT:-ferry-sim}" --kyma-version 1.0.0 \
    --installer-delay-ms "${KUBE_SIM_DELAY_MS:-0}" </dev/null >"$dir/kube.log" 2>&1 &
echo $! >"$pidfile"
for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$port/ferry-sandbox/stats" >/dev/null 2>&1 && exit 0
    sleep 0.02
done
echo "kube simulator did not start: $(cat "$dir/kube.log")" >&2
exit 1

#!/usr/bin/env bash
# The apply baseline: what an operator would script instead of `ferry apply`.
# For every hop of an extracted bundle, in order, one
# `kubectl apply --server-side --force-conflicts` of the same files ferry's
# recipe applies (objects, installer, installation), then, like ferry, a wait
# until the installer has finished that hop: the Installation's state is
# Installed and its `action: install` label is gone (polled with kubectl).
#
#   benches/baseline-apply.sh KUBECONFIG EXTRACTED_BUNDLE_DIR KUBECTL_CACHE_DIR
set -euo pipefail

kubeconfig=$1 dir=$2 cache=$3
k() { kubectl --kubeconfig "$kubeconfig" --cache-dir "$cache" "$@"; }
for hop in $(ls "$dir/hops" | sort -V); do
    assets=$dir/hops/$hop/assets
    k apply --server-side --force-conflicts \
        -f "$assets/objects.yaml" -f "$assets/installer.yaml" -f "$assets/installation.yaml" >/dev/null
    until [ "$(k get installation kyma-installation -n default \
        -o jsonpath='{.status.state}/{.metadata.labels.action}')" = "Installed/" ]; do
        sleep 0.02
    done
done

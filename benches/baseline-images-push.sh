#!/usr/bin/env bash
# Baseline for `ferry push`: skopeo copies every image of an extracted OCI
# layout to the site registry, one after the other.
#   baseline-images-push.sh LAYOUT SITE_HOST/PREFIX REFS_FILE
set -euo pipefail
layout=$1 site=$2 refs=$3
while read -r ref; do
    path=${ref#*/}
    skopeo copy -q --dest-tls-verify=false "oci:$layout:$ref" "docker://$site/$path"
done <"$refs"

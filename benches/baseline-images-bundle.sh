#!/usr/bin/env bash
# Baseline for `ferry bundle --images`: what an operator scripts with stock
# tools. Copies every image from the registry into one OCI layout with skopeo,
# lists checksums, tars and gzips it, and signs the tarball.
#   baseline-images-bundle.sh REGISTRY_HOST REFS_FILE OUT.tar.gz MINISIGN_KEY
# REFS_FILE holds one `bench.local/PATH:TAG` per line, served at REGISTRY_HOST/PATH:TAG.
set -euo pipefail
host=$1 refs=$2 out=$3 key=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/images"
while read -r ref; do
    path=${ref#*/}
    skopeo copy -q --src-tls-verify=false "docker://$host/$path" "oci:$dir/images:$ref"
done <"$refs"
(cd "$dir" && find images -type f | sort | xargs sha256sum >SHA256SUMS)
tar -czf "$out" -C "$dir" SHA256SUMS images
minisign -S -s "$key" -m "$out" >/dev/null

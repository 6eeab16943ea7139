#!/usr/bin/env bash
# The pipeline ferry replaces, as an operator would script it with common tools:
# list the releases, curl each asset of releases FROM..TO (minors of 1.x) through
# the API URL, sha256sum everything, tar czf, minisign -S the tarball.
# usage: baseline-bundle.sh API OWNER/REPO FROM_MINOR TO_MINOR OUT.tar.gz SECRET_KEY
set -euo pipefail
api=$1 repo=$2 from=$3 to=$4 out=$5 key=$6
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -fsS "$api/repos/$repo/releases?per_page=100" >"$tmp/releases.json"
jq -r --argjson from "$from" --argjson to "$to" '
  .[] | select(.draft | not) | .tag_name as $t
  | ($t | split(".") | map(tonumber? // -1)) as $v
  | select($v[0] == 1 and $v[1] >= $from and $v[1] <= $to)
  | .assets[] | "\($t) \(.name) \(.url)"' "$tmp/releases.json" >"$tmp/list"
mkdir -p "$tmp/payload"
while read -r tag name url; do
    mkdir -p "$tmp/payload/$tag"
    curl -fsSL -H 'Accept: application/octet-stream' -o "$tmp/payload/$tag/$name" "$url"
done <"$tmp/list"
(cd "$tmp/payload" && find . -type f -print0 | sort -z | xargs -0 sha256sum >../SHA256SUMS)
mv "$tmp/SHA256SUMS" "$tmp/payload/SHA256SUMS"
tar czf "$out" -C "$tmp/payload" .
minisign -S -s "$key" -m "$out" -x "$out.minisig" >/dev/null

#!/usr/bin/env bash
# The check ferry verify replaces: minisign -V of the tarball, tar xzf, sha256sum -c.
# usage: baseline-verify.sh BUNDLE.tar.gz PUBLIC_KEY
set -euo pipefail
bundle=$1 pub=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
minisign -V -q -p "$pub" -m "$bundle" -x "$bundle.minisig"
tar xzf "$bundle" -C "$tmp"
(cd "$tmp" && sha256sum -c --quiet SHA256SUMS)

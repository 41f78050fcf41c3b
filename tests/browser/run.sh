#!/usr/bin/env bash
# Browser test tier: installs what it needs (Debian chromium, a Java runtime, the pinned npm
# packages), builds the edition under the sub-path /repo/ and runs run.mjs on it; then builds
# it again with its person index divided by letter (persons_split = 10) and runs the page
# checks (vnu, axe, loading, weight, small screens) on that build too; then the same checks,
# keyboard and sidenotes included, on the English/Spanish edition (examples/edition-en-es).
#
#   tests/browser/run.sh [extra run.mjs options, e.g. --skip lighthouse]
#
# Env: APPARAT_SHOTS (screenshot folder, default tests/browser/shots/), CHROME_PATH,
#      APPARAT_SITE (test an already built folder instead of building one).
# Exit status: that of the first run.mjs pass that failed (every pass runs), or 1 when setup fails.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"

say() { echo "browser-tier: $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else say "not root: cannot run $*"; return 1; fi
}

# ---- system packages (Debian): chromium, a headless JRE for vnu
missing=()
[ -x "$CHROME_PATH" ] || missing+=(chromium)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -x "$CHROME_PATH" ] || { say "no Chromium at $CHROME_PATH"; exit 1; }
command -v java >/dev/null 2>&1 || { say "no java"; exit 1; }

# ---- node >= 20
command -v node >/dev/null 2>&1 || { say "node (>= 20) is required"; exit 1; }
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then say "node >= 20 is required (found $(node --version))"; exit 1; fi

# ---- pinned npm packages (package-lock.json); vnu-jar's postinstall never needs to fetch a JRE
# since java is present.
( cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >/dev/null )

# ---- build the edition under a sub-path, as GitHub Pages serves a project site
if [ -n "${APPARAT_SITE:-}" ]; then
  SITE="$APPARAT_SITE"
else
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/apparat-browser.XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
  SITE="$WORK/site"
  ( cd "$ROOT" && cargo run --quiet --release -- build --output "$SITE" --base-url http://127.0.0.1/repo/ --quiet )
fi

# every pass runs even when an earlier one fails; the exit status is the first failure's
status=0
node "$HERE/run.mjs" "$SITE" --base-path /repo/ "$@" || status=$?

# ---- the same edition with its person index divided by letter, as a large edition
# has it (persons_split): the letter pages and the overview get the same checks
if [ -z "${APPARAT_SITE:-}" ]; then
  SPLIT="$WORK/split"
  mkdir -p "$SPLIT/src"
  for d in content templates static sources; do
    if [ -d "$ROOT/$d" ]; then cp -r "$ROOT/$d" "$SPLIT/src/"; fi
  done
  # a top-level key goes before any [table] of site.toml
  { echo 'persons_split = 10'; cat "$ROOT/site.toml"; } > "$SPLIT/src/site.toml"
  ( cd "$ROOT" && cargo run --quiet --release -- build --root "$SPLIT/src" --output "$SPLIT/site" \
      --base-url http://127.0.0.1/repo/ --quiet )
  [ -f "$SPLIT/site/personnes/m/index.html" ] || { say "the divided index was not built"; exit 1; }
  say "the edition with its person index divided by letter"
  split_status=0
  APPARAT_SHOTS="$SPLIT/shots" node "$HERE/run.mjs" "$SPLIT/site" --base-path /repo/ \
    --skip lighthouse,keyboard,shots || split_status=$?
  [ "$status" -ne 0 ] || status=$split_status
fi
# ---- the second edition, in English and Spanish with no French
# (examples/edition-en-es): the same page checks, keyboard and sidenotes on its
# first letter; Lighthouse on its home page and its first letter on a quiet machine
# (≥ 95/100/100/100), not the runs under load (they would add minutes to CI, and the
# pages share the bundled edition's theme and script); no search pass (its queries
# are the bundled edition's: "Luis", "mariategui")
if [ -z "${APPARAT_SITE:-}" ]; then
  ENES="$WORK/en-es"
  ( cd "$ROOT" && cargo run --quiet --release -- build --root examples/edition-en-es --output "$ENES/site" \
      --base-url http://127.0.0.1/repo/ --quiet )
  say "the English/Spanish edition (examples/edition-en-es)"
  enes_status=0
  APPARAT_SHOTS="$ENES/shots" APPARAT_ARTICLE=letters/press/ APPARAT_LH_LOADED=0 \
    node "$HERE/run.mjs" "$ENES/site" --base-path /repo/ --skip shots,search || enes_status=$?
  [ "$status" -ne 0 ] || status=$enes_status
fi
[ "$status" -eq 0 ] || say "a pass failed (exit $status): see above"
exit "$status"

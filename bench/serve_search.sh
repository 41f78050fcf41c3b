#!/usr/bin/env bash
# serve's search index after a save: starts `apparat serve` on an edition,
# asks for the search index's entry file (which makes the index), adds a word
# to one text, asks again, twice, and prints each wait and serve's timing
# lines (`search index (N shards made, M kept)`), then the peak RSS.
#
#   bench/serve_search.sh EDITION TEXT      # TEXT: a content file to edit
#   e.g. bench/serve_search.sh /tmp/apparat-bench/c10000 content/textes/t00001.md
#
# The text is restored at the end. APPARAT=/path/to/apparat measures another
# binary; PORT (default 18555).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
EDITION=${1:?edition folder}
TEXT=${2:?content file to edit, relative to the edition}
PORT=${PORT:-18555}
if [ -z "${APPARAT:-}" ]; then
  (cd "$ROOT" && cargo build --release --quiet --bin apparat)
  APPARAT=$ROOT/target/release/apparat
fi
LOG=$(mktemp)
BACKUP=$(mktemp)
cp "$EDITION/$TEXT" "$BACKUP"
APPARAT_TIMINGS=1 "$APPARAT" serve --root "$EDITION" --port "$PORT" > "$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; cp "$BACKUP" "$EDITION/$TEXT"; rm -f "$LOG" "$BACKUP"' EXIT
for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 1; done
ask() {
  local t0 t1
  t0=$(date +%s%N)
  curl -s -o /dev/null "http://127.0.0.1:$PORT/pagefind/pagefind-entry.json"
  t1=$(date +%s%N)
  echo "$1: $(((t1 - t0) / 1000000)) ms"
}
ask "first search"
ask "again"
for word in mot autre; do
  echo " $word" >> "$EDITION/$TEXT"
  sleep 3
  ask "after a save"
done
grep -E "search index|^built" "$LOG" | tail -6
grep VmHWM "/proc/$PID/status"

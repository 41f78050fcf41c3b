#!/usr/bin/env bash
# One huge page (issue 11): `check` and `build` of an edition whose one text
# has N notes (examples/one_page.rs), release build. For each N: wall time and
# peak RSS from `/usr/bin/time -v`, median of RUNS runs, and the page's size.
#
#   bench/one_page.sh                 # N = 1000 10000 50000
#   bench/one_page.sh 2000 20000      # chosen sizes
#
# Environment:
#   BENCH_DIR=/tmp/apparat-one-page   editions, outputs, results
#   RUNS=3                            runs per measure
#   APPARAT=/path/to/apparat          measure this binary instead of this tree's
#                                     (e.g. a build of an earlier commit)
# Results: $BENCH_DIR/results.md (a Markdown table).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-/tmp/apparat-one-page}
RUNS=${RUNS:-3}
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(1000 10000 50000)
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

mkdir -p "$WORK"
(cd "$ROOT" && cargo build --release --quiet --bin apparat --example one_page)
TARGET=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
BIN=${APPARAT:-$TARGET/release/apparat}
GEN=$TARGET/release/examples/one_page

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# run N COMMAND: prints "seconds kB" (medians over RUNS runs)
run() {
  local dir=$1 cmd=$2 times=() rss=() i log
  log=$(mktemp)
  for ((i = 0; i < RUNS; i++)); do
    rm -rf "$dir/public" "$dir/.public.apparat.json"
    sync
    /usr/bin/time -v "$BIN" "$cmd" --root "$dir" >/dev/null 2>"$log" || { cat "$log" >&2; exit 1; }
    times+=("$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (k = 1; k <= n; k++) s = s * 60 + p[k]; print s }' "$log")")
    rss+=("$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$log")")
  done
  rm -f "$log"
  echo "$(printf '%s\n' "${times[@]}" | median) $(printf '%s\n' "${rss[@]}" | median)"
}

{
  echo "binary: $BIN"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (working tree may differ)"
  echo "cpu: $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| notes | page | check | check peak RSS | build | build peak RSS | build RSS / page |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} > "$WORK/results.md"
for n in "${SIZES[@]}"; do
  dir="$WORK/n$n"
  [ -f "$dir/content/texte.md" ] || "$GEN" "$n" "$dir" >/dev/null
  bytes=$(stat -c %s "$dir/content/texte.md")
  read -r ct cr < <(run "$dir" check)
  read -r bt br < <(run "$dir" build)
  echo "| $n | $((bytes / 1000)) kB | ${ct} s | $((cr / 1024)) MB | ${bt} s | $((br / 1024)) MB | $(awk -v r="$br" -v b="$bytes" 'BEGIN { printf "%.1f×", r * 1024 / b }') |" | tee -a "$WORK/results.md"
done
echo "results: $WORK/results.md" >&2

#!/usr/bin/env bash
# What the atomic swap costs a rebuild (issue 11): two apparat binaries side
# by side on the same generated corpus, runs interleaved (A, B, A, B, …) so
# that both see the same machine load:
#   nothing — a rebuild over the binary's previous output, no source changed;
#   one     — a rebuild after one word was added to one text.
# Wall time (median of RUNS) and peak RSS (median, /usr/bin/time).
#
#   bench/swap.sh BEFORE_BIN AFTER_BIN [N …]     # default N = 1000 10000
#
# Environment: BENCH_DIR (default /tmp/apparat-swap), RUNS (default 5).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-/tmp/apparat-swap}
RUNS=${RUNS:-5}
A=$1 B=$2
shift 2
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(1000 10000)
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
(cd "$ROOT" && cargo build --release --quiet --example gen_corpus)
TARGET=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
mkdir -p "$WORK/out"
RES="$WORK/results.tsv"
: > "$RES"
run() { # label n state
  local bin=$1 label=$2 n=$3 state=$4
  sync
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f %M -o "$WORK/rss" "$bin" build -q --root "$WORK/c$n/apparat" --output "$WORK/out/$label-$n" >/dev/null
  t1=$(date +%s%N)
  printf '%s\t%s\t%s\t%s\t%s\n' "$n" "$label" "$state" "$(( (t1 - t0) / 1000000 ))" "$(cat "$WORK/rss")" >> "$RES"
}
for n in "${SIZES[@]}"; do
  rm -rf "$WORK/c$n" "$WORK/out/"*"-$n" "$WORK/out/".*"-$n".apparat*
  "$TARGET/release/examples/gen_corpus" "$n" "$WORK/c$n" >/dev/null
  # the first text of the corpus (not a pipe into head: pipefail)
  text="$WORK/c$n/apparat/content/textes/t00001.md"
  [ -f "$text" ] || { echo "no $text" >&2; exit 1; }
  for label in before after; do
    bin=$A; [ $label = after ] && bin=$B
    "$bin" build -q --root "$WORK/c$n/apparat" --output "$WORK/out/$label-$n" >/dev/null
  done
  for r in $(seq "$RUNS"); do
    echo "== N=$n round $r" >&2
    printf '\nUn mot de plus, %s.\n' "$r" >> "$text"
    run "$A" before "$n" one; run "$B" after "$n" one
    run "$A" before "$n" nothing; run "$B" after "$n" nothing
  done
done
python3 - "$RES" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    n, label, state, ms, rss = line.split()
    rows[(int(n), state, label)].append((int(ms), int(rss)))
print("| N | rebuild | before | after | after / before | peak RSS before / after |")
print("|---|---|---|---|---|---|")
for n in sorted({k[0] for k in rows}):
    for state in ("nothing", "one"):
        b, a = rows[(n, state, "before")], rows[(n, state, "after")]
        mb, ma = statistics.median(x[0] for x in b), statistics.median(x[0] for x in a)
        rb, ra = statistics.median(x[1] for x in b), statistics.median(x[1] for x in a)
        print(f"| {n} | {state} changed | {mb/1000:.2f} s | {ma/1000:.2f} s | {ma/mb:.2f} | {rb/1024:.0f} / {ra/1024:.0f} MB |")
PY

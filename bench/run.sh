#!/usr/bin/env bash
# The benchmark of issue 7, in one command: apparat's full build, Hugo on the
# plain-Markdown version of the same texts, and the floor (pulldown-cmark
# parse + render + write, rayon), for each corpus size, in both output states:
#   fresh   — the output folder does not exist (moved aside into $BENCH_DIR/trash,
#             then `sync`, before each run; the trash is emptied at the end);
#   rebuild — over the output of the previous run (`sync` before each run);
#   change  — the same, with a word added to one text before each run (the
#             tool's own copy of t00001.md; `sync` after the edit).
# Wall time: median of hyperfine runs; peak RSS: median of /usr/bin/time's
# "maximum resident set size" over the same runs.
#
#   bench/run.sh                 # N = 100 1000 10000
#   bench/run.sh 100 1000        # chosen sizes
#
# Environment:
#   BENCH_DIR=/tmp/apparat-bench  corpora, outputs, results (several GB at N=10000)
#   RUNS=5                        runs per measure (Hugo and the floor: always RUNS)
#   RUNS_MID=3                    runs for apparat at 1000 <= N < 10000
#   RUNS_BIG=3                    runs for apparat at N >= 10000
#   SETTLE=3                      seconds to wait after moving an output aside
#                                 (fresh state), so that the disk has settled
#   SERVE_EDITS=11                edits of each kind for the serve measure (0: none)
#   EXTRA="label=/path/to/apparat[@MAXN] …"  more apparat binaries measured side by
#                                 side (e.g. a build of an earlier commit), up to N = MAXN
#   NAV=editorial|builtin         templates of the generated edition (see bench/corpus.rs)
# Results: $BENCH_DIR/results/*.json and the table $BENCH_DIR/results/table.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-/tmp/apparat-bench}
RUNS=${RUNS:-5}
RUNS_MID=${RUNS_MID:-3}
RUNS_BIG=${RUNS_BIG:-3}
SETTLE=${SETTLE:-3}
SERVE_EDITS=${SERVE_EDITS:-11}
NAV=${NAV:-editorial}
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(100 1000 10000)

need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  echo "installing $2 (Debian)" >&2
  apt-get update -qq && apt-get install -y -qq "$2" >/dev/null
}
need hyperfine hyperfine
need hugo hugo
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

# Fresh runs start on a disk where nothing was just deleted, as on the fresh
# machine of a CI deploy: ext4 allocates an inode slowly near inodes freed in
# the last minutes (`recently_deleted`, checked block by block), so a run
# right after `rm -rf` of the previous output paid for that deletion (at
# N = 10,000, apparat's system time went from 7 s to 28-43 s). Outputs are
# moved aside instead and deleted at the end (a corpus made again is written
# in place, see bench/corpus.rs); a run that starts within the kernel's window
# (300 s) after a deletion waits for the rest of it.
if [ -d "$WORK/trash" ]; then
  rm -rf "$WORK/trash"
  date +%s > "$WORK/deleted-at"
fi
if [ -f "$WORK/deleted-at" ]; then
  wait=$(( $(cat "$WORK/deleted-at") + 300 - $(date +%s) ))
  if [ "$wait" -gt 0 ]; then
    echo "waiting $wait s: outputs were deleted less than 300 s ago (see the comment above)" >&2
    sleep "$wait"
  fi
fi
mkdir -p "$WORK/bin" "$WORK/results" "$WORK/out" "$WORK/trash"
(cd "$ROOT" && cargo build --release --quiet --bin apparat --example gen_corpus --example floor --example serve_latency)
TARGET=$(cd "$ROOT" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
# copies, so that a rebuild of the tree during the run changes nothing
cp "$TARGET/release/apparat" "$WORK/bin/apparat"
cp "$TARGET/release/examples/gen_corpus" "$WORK/bin/gen_corpus"
cp "$TARGET/release/examples/floor" "$WORK/bin/floor"
cp "$TARGET/release/examples/serve_latency" "$WORK/bin/serve_latency"

{
  echo "date: $(date -u +%FT%TZ)"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (working tree may differ)"
  echo "cpu: $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "hugo: $(hugo version | cut -d' ' -f2)"
  echo "hyperfine: $(hyperfine --version | cut -d' ' -f2)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$WORK/results/env.txt"

# measure NAME N STATE RUNS COMMAND
measure() {
  local name=$1 n=$2 state=$3 runs=$4 cmd=$5 out=$6
  local tag="$n-$name-$state"
  local rss="$WORK/results/$tag.rss"
  rm -f "$rss"
  local text=$7
  local prepare="sync"
  [ "$state" = fresh ] &&
    prepare="if [ -e '$out' ]; then mv '$out' \"\$(mktemp -d '$WORK/trash/XXXXXX')/\"; fi && sync && sleep $SETTLE"
  [ "$state" = change ] &&
    prepare="echo ' mot' >> '$text' && sync"
  if [ "$state" != fresh ] && [ ! -d "$out" ]; then
    eval "$cmd" >/dev/null 2>&1
  fi
  echo "== N=$n $name $state ($runs runs)" >&2
  hyperfine --style basic --runs "$runs" --prepare "$prepare" \
    --export-json "$WORK/results/$tag.json" \
    "/usr/bin/time -f %M -a -o '$rss' $cmd" >&2
}

for n in "${SIZES[@]}"; do
  rm -f "$WORK/results/$n"-*
  C="$WORK/c$n"
  navflag=""
  [ "$NAV" = builtin ] && navflag="--builtin-nav"
  "$WORK/bin/gen_corpus" "$n" "$C" $navflag >/dev/null
  big=$RUNS
  [ "$n" -ge 1000 ] && big=$RUNS_MID
  [ "$n" -ge 10000 ] && big=$RUNS_BIG
  for state in fresh rebuild change; do
    measure apparat "$n" "$state" "$big" \
      "'$WORK/bin/apparat' build -q --root '$C/apparat' --output '$WORK/out/apparat-$n'" \
      "$WORK/out/apparat-$n" "$C/apparat/content/textes/t00001.md"
    for extra in ${EXTRA:-}; do
      label=${extra%%=*}
      bin=${extra#*=}
      max=
      case "$bin" in *@*) max=${bin##*@}; bin=${bin%@*} ;; esac
      [ -n "$max" ] && [ "$n" -gt "$max" ] && continue
      measure "$label" "$n" "$state" "$big" \
        "'$bin' build -q --root '$C/apparat' --output '$WORK/out/$label-$n'" \
        "$WORK/out/$label-$n" "$C/apparat/content/textes/t00001.md"
    done
    measure hugo "$n" "$state" "$RUNS" \
      "hugo --quiet --source '$C/plain' --destination '$WORK/out/hugo-$n'" \
      "$WORK/out/hugo-$n" "$C/plain/content/textes/t00001.md"
    measure floor "$n" "$state" "$RUNS" \
      "'$WORK/bin/floor' '$C/apparat/content' '$WORK/out/floor-$n'" \
      "$WORK/out/floor-$n" "$C/apparat/content/textes/t00001.md"
  done
  for o in "$WORK"/out/*-"$n"; do
    [ -e "$o" ] && mv "$o" "$(mktemp -d "$WORK/trash/XXXXXX")/"
  done
done
# serve: save → reload on the largest corpus (a copy: the edits are restored,
# but a run interrupted midway must not change the corpus)
if [ "$SERVE_EDITS" -gt 0 ]; then
  n=${SIZES[${#SIZES[@]}-1]}
  rm -rf "$WORK/serve-$n"
  cp -r "$WORK/c$n/apparat" "$WORK/serve-$n"
  echo "== N=$n serve: save → reload ($SERVE_EDITS edits of each kind)" >&2
  "$WORK/bin/serve_latency" "$WORK/bin/apparat" "$WORK/serve-$n" "$SERVE_EDITS" \
    | tee "$WORK/results/serve-$n.txt" | grep -E "^(edit|save|first)" >&2
  rm -rf "$WORK/serve-$n"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$WORK/results/env.txt"
rm -rf "$WORK/trash"
date +%s > "$WORK/deleted-at"

python3 - "$WORK/results" <<'EOF'
import json, os, statistics, sys
d = sys.argv[1]
rows = {}
for f in sorted(os.listdir(d)):
    if not f.endswith(".json"):
        continue
    n, rest = f[:-5].split("-", 1)
    name, state = rest.rsplit("-", 1)
    try:
        r = json.load(open(os.path.join(d, f)))["results"][0]
    except (ValueError, KeyError, IndexError):
        continue  # a measure still running, or interrupted
    rss = [int(l) for l in open(os.path.join(d, f[:-5] + ".rss")) if l.strip().isdigit()]
    rows[(int(n), name, state)] = (statistics.median(r["times"]), len(r["times"]),
                                   statistics.median(rss) / 1024 if rss else float("nan"))
names = sorted({k[1] for k in rows}, key=lambda s: (s != "apparat", s in ("hugo", "floor"), s))
out = ["| N | tool | state | runs | wall (median) | ms per text | peak RSS (median) |",
       "|---:|---|---|---:|---:|---:|---:|"]
for n in sorted({k[0] for k in rows}):
    for state in ("fresh", "rebuild", "change"):
        for name in names:
            if (n, name, state) not in rows:
                continue
            t, runs, rss = rows[(n, name, state)]
            out.append(f"| {n} | {name} | {state} | {runs} | {t:.2f} s | {1000 * t / n:.2f} | {rss:.0f} MB |")
table = "\n".join(out)
open(os.path.join(d, "table.md"), "w").write(table + "\n")
print(table)
EOF

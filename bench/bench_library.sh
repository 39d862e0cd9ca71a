#!/bin/sh
# bench/bench_library.sh: the stage-I library's two schedules side by side on
# LeNet-5/MNIST (DESIGN.md 11): compute spent (fine-tuning epochs, seconds) and the
# accuracy of every member (validation split, and test recorded), from the zoo model.
#
#   bench/bench_library.sh [BUILD_DIR]      (default build-rel; needs BUILD_DIR/emomc)
# Environment (defaults in brackets):
#   GRID     keep grid hi:lo:step [0.8:0.2:0.2]
#   LIMIT    fine-tune on the first LIMIT training images [5000; 0 = all 55000]
#   STEPS    geometric steps of EMOMC's schedule (and the single pass's step ratio) [32]
#   THREADS  worker threads [2]
#   OUT      folder for the two libraries [a fresh temporary folder]
# The two builds run one after the other in one invocation. Per member, seconds are
# wall time (on a shared machine they swing with the load); the last lines give each
# build's wall and CPU (user+sys) seconds, and epochs are exact. One run each (a build
# is minutes to hours), so the seconds are not medians of repeats; the epoch ratio is
# the machine-independent measure of compute. (Both builds also evaluate every member
# on the validation and test splits, the same work for both.)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-rel}
EMOMC=$BUILD/emomc
[ -x "$EMOMC" ] || { echo "bench_library: $EMOMC not found (build it first)" >&2; exit 2; }
GRID=${GRID:-0.8:0.2:0.2}
LIMIT=${LIMIT:-5000}
STEPS=${STEPS:-32}
THREADS=${THREADS:-2}
OUT=${OUT:-$(mktemp -d /tmp/bench_library.XXXXXX)}
mkdir -p "$OUT"
W=$ROOT/models/lenet5-mnist.emw
LIMIT_FLAG=""
[ "$LIMIT" -gt 0 ] && LIMIT_FLAG="--limit $LIMIT"
echo "bench_library: LeNet-5/MNIST from $W, grid $GRID, $STEPS steps, train limit ${LIMIT:-all}, $THREADS threads, out $OUT"
for s in single emomc; do
    /usr/bin/time -f "%e %U %S" -o "$OUT/$s.time" \
        "$EMOMC" library --model lenet5 --weights "$W" --data mnist --keep "$GRID" --steps "$STEPS" \
        --schedule $s --threads "$THREADS" $LIMIT_FLAG --out "$OUT/$s" --resume --quiet
done
# Side by side: keep, then per schedule val %, test %, epochs, seconds.
awk -F, 'FNR == 1 { f++; next }
         { k = $1; keep[k] = 1; val[f, k] = $3; test[f, k] = $4; ep[f, k] = $5; sec[f, k] = $6
           E[f] += $5; S[f] += $6 }
         END {
           printf "%-6s | %-34s | %-34s\n", "", "single pass", "emomc restart"
           printf "%-6s | %8s %8s %7s %8s | %8s %8s %7s %8s\n", "keep", "val%", "test%", "epochs", "s", "val%", "test%", "epochs", "s"
           n = 0; for (k in keep) ks[++n] = k
           for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (ks[j] + 0 > ks[i] + 0) { t = ks[i]; ks[i] = ks[j]; ks[j] = t }
           for (i = 1; i <= n; i++) { k = ks[i]
             printf "%-6s | %8.2f %8.2f %7d %8.1f | %8.2f %8.2f %7d %8.1f\n", k, 100 * val[1, k], 100 * test[1, k], ep[1, k], sec[1, k], 100 * val[2, k], 100 * test[2, k], ep[2, k], sec[2, k] }
           printf "%-6s | %8s %8s %7d %8.1f | %8s %8s %7d %8.1f\n", "total", "", "", E[1], S[1], "", "", E[2], S[2]
           printf "compute ratio emomc/single: %.2fx epochs, %.2fx seconds\n", E[2] / E[1], S[2] / S[1]
         }' "$OUT/single/index.csv" "$OUT/emomc/index.csv"
read -r w1 u1 s1 < "$OUT/single.time"
read -r w2 u2 s2 < "$OUT/emomc.time"
awk -v w1="$w1" -v c1="$(echo "$u1 + $s1" | bc)" -v w2="$w2" -v c2="$(echo "$u2 + $s2" | bc)" 'BEGIN {
    printf "whole builds: single %.1f s wall %.1f s cpu; emomc %.1f s wall %.1f s cpu; cpu ratio %.2fx\n", w1, c1, w2, c2, c2 / c1 }'

#!/bin/sh
# bench/bench_sbo_emomc.sh: the surrogate loop against NSGA-II on LeNet-5 emomc-energy
# (issue 13): hypervolume of the non-dominated feasible set after N true
# evaluations, both algorithms run with the same seeds in one invocation, medians
# over the seeds side by side (bench/hv_at.py computes them from evaluations.csv).
#
#   bench/bench_sbo_emomc.sh [BUILD_DIR]        (default build; needs BUILD_DIR/emomc)
# Environment (defaults in brackets):
#   SEEDS        seeds [1 2 3]
#   EVAL_IMAGES  search images per accuracy (test-halves protocol) [1000; 0 = all 5000]
#   NSGA_POP, NSGA_GENS   NSGA-II population and generations [40 120]
#   SBO_BUDGET   sbo's true evaluations [100]
#   SBO_VARIANT  sbo settings [models=gp+knn+rf,inner_gens=50]
#   SBO_POP      sbo's inner population [40]
#   CHECKPOINTS  N at which both are compared [50 100]
#   THREADS      inference threads [1]
#   OUT          folder for the runs [a fresh temporary folder]
# The hypervolume reference is accuracy 0 and 1.1 x the largest energy any run
# evaluated; accuracy is the search accuracy (first half of the test file).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
EMOMC=$BUILD/emomc
[ -x "$EMOMC" ] || { echo "bench_sbo_emomc: $EMOMC not found (build it first)" >&2; exit 2; }
SEEDS=${SEEDS:-1 2 3}
EVAL_IMAGES=${EVAL_IMAGES:-1000}
NSGA_POP=${NSGA_POP:-40}
NSGA_GENS=${NSGA_GENS:-120}
SBO_BUDGET=${SBO_BUDGET:-100}
SBO_VARIANT=${SBO_VARIANT:-models=gp+knn+rf,inner_gens=50}
SBO_POP=${SBO_POP:-40}
CHECKPOINTS=${CHECKPOINTS:-50 100}
THREADS=${THREADS:-1}
OUT=${OUT:-$(mktemp -d /tmp/bench_sbo.XXXXXX)}
export OPENBLAS_NUM_THREADS=1
mkdir -p "$OUT"
COMMON="--problem emomc-energy --model lenet5 --weights $ROOT/models/lenet5-mnist.emw
  --library $ROOT/models/lenet5-mnist-library --hw vu9p --data mnist --protocol test-halves
  --eval-images $EVAL_IMAGES --threads $THREADS --store $OUT/store.sqlite --quiet"
echo "runs in $OUT (shared store: an accuracy measured by one run is reused by the others)"
RUNS=""
for s in $SEEDS; do
  t0=$(date +%s)
  # shellcheck disable=SC2086
  "$EMOMC" optimize $COMMON --algorithm nsga2 --pop "$NSGA_POP" --gens "$NSGA_GENS" \
      --seed "$s" --out "$OUT/nsga2-$s"
  t1=$(date +%s)
  # shellcheck disable=SC2086
  "$EMOMC" optimize $COMMON --algorithm sbo --budget "$SBO_BUDGET" --pop "$SBO_POP" \
      --variant "$SBO_VARIANT" --seed "$s" --out "$OUT/sbo-$s"
  t2=$(date +%s)
  echo "seed $s: nsga2 $((t1 - t0)) s, sbo $((t2 - t1)) s (wall)"
  RUNS="$RUNS nsga2:$OUT/nsga2-$s/evaluations.csv sbo:$OUT/sbo-$s/evaluations.csv"
done
# shellcheck disable=SC2086
python3 "$ROOT/bench/hv_at.py" --at $CHECKPOINTS --final $RUNS

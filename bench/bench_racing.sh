#!/bin/sh
# bench/bench_racing.sh: racing (docs/search.md) against full evaluation on emomc-energy
# (LeNet-5/MNIST, or ResNet-20/CIFAR-10 with MODEL=resnet20), the same seeds side by side in one invocation: images inferred (what
# the archived accuracies are on, from search.json), raced candidates, inference
# seconds (medians over the seeds), and the largest accuracy change on kept
# candidates against the non-racing run of the same genotype (must be 0; with random
# search both runs evaluate the same genotypes, with NSGA-II the common ones).
#
#   bench/bench_racing.sh [BUILD_DIR]          (default build; needs BUILD_DIR/emomc)
# Environment (defaults in brackets):
#   MODEL        [lenet5] or resnet20
#   ALGORITHMS   [random nsga2]     SEEDS [1 2 3]
#   POP, GENS    [40 30]            EVAL_IMAGES [0 = all 5000 search images]
#   THREADS [1]  OUT [a fresh temporary folder]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
EMOMC=$BUILD/emomc
[ -x "$EMOMC" ] || { echo "bench_racing: $EMOMC not found (build it first)" >&2; exit 2; }
ALGORITHMS=${ALGORITHMS:-random nsga2}
SEEDS=${SEEDS:-1 2 3}
POP=${POP:-40}
GENS=${GENS:-30}
EVAL_IMAGES=${EVAL_IMAGES:-0}
THREADS=${THREADS:-1}
OUT=${OUT:-$(mktemp -d /tmp/bench_racing.XXXXXX)}
mkdir -p "$OUT"
MODEL=${MODEL:-lenet5}
case $MODEL in
  lenet5)   FILES="--weights $ROOT/models/lenet5-mnist.emw --library $ROOT/models/lenet5-mnist-library --data mnist" ;;
  resnet20) FILES="--weights $ROOT/models/resnet20-cifar10.emw --library $ROOT/models/resnet20-cifar10-library --data cifar10" ;;
  *) echo "bench_racing: MODEL must be lenet5 or resnet20" >&2; exit 2 ;;
esac
COMMON="--problem emomc-energy --model $MODEL $FILES --hw vu9p --protocol test-halves
  --eval-images $EVAL_IMAGES --threads $THREADS --store none --quiet --pop $POP --gens $GENS"
echo "runs in $OUT (no store: every accuracy is measured)"
PAIRS=""
for a in $ALGORITHMS; do
  for s in $SEEDS; do
    # shellcheck disable=SC2086
    "$EMOMC" optimize $COMMON --algorithm "$a" --seed "$s" --out "$OUT/$a-$s-off"
    # shellcheck disable=SC2086
    "$EMOMC" optimize $COMMON --algorithm "$a" --seed "$s" --racing --out "$OUT/$a-$s-on"
    PAIRS="$PAIRS $a:$OUT/$a-$s-off:$OUT/$a-$s-on"
  done
done
# shellcheck disable=SC2086
python3 "$ROOT/bench/racing_compare.py" $PAIRS

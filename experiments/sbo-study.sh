#!/usr/bin/env bash
# experiments/sbo-study.sh: the SBO-CTAEA paper's study on one model: the surrogate
# loop with every (objective metric x constraint metric) in {mse, mape, spearman,
# random}^2 x 5 seeds, budget 100 (50 initial points, 2 infills per iteration), plus
# plain C-TAEA 10x10 and 20x5, on the sbo problem (x1..x7, non-zero rate vs accuracy,
# accuracy >= tau). Runs go to experiments/runs/sbo-MODEL/NAME/ and share one
# evaluation store; finished runs are skipped, interrupted ones resumed.
#
# Usage: experiments/sbo-study.sh lenet5|resnet20 [SEEDS] [BUILD_DIR]
# The statistics (hypervolume per configuration, Friedman, Dunn with Holm):
# experiments/sbo-stats.sh MODEL (emomc stats over these runs).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?model: lenet5 or resnet20}
seeds=${2:-"1 2 3 4 5"} bin=${3:-build}/emomc
. experiments/common.sh
em_model "$model"
root=experiments/runs/sbo-$model
mkdir -p "$root"
em_store "$root/store.sqlite"
common=(--problem sbo --model "$model" --weights "$weights" --data "$data" --protocol val
        --eval-images "$images" --tau "$tau" --store "$root/store.sqlite" --quiet)
run() { em_run "$root/$1" "${@:2}"; } # NAME FLAGS...
metrics="mse mape spearman random"
for seed in $seeds; do
  for mo in $metrics; do
    for mc in $metrics; do
      run "sbo-$mo-$mc-s$seed" --algorithm sbo --budget 100 --sbo-initial 50 --sbo-infill 2 \
        --variant "metric_obj=$mo,metric_con=$mc" --seed "$seed"
    done
  done
  run "ctaea-10x10-s$seed" --algorithm ctaea --pop 10 --gens 10 --seed "$seed"
  run "ctaea-20x5-s$seed" --algorithm ctaea --pop 20 --gens 5 --seed "$seed"
done

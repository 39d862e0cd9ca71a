#!/usr/bin/env bash
# experiments/emomc-fronts.sh: EMOMC's seven searches of one model (accuracy vs
# energy under X:Y, CI:CO, FX:FY, X:FX on the emomc2021 target; accuracy vs size
# under normal, CSR, COO) plus the joint 3-objective search, all sharing one
# evaluation store, into experiments/runs/MODEL/NAME/. Resumable: a finished run
# (final.csv) is skipped, an interrupted one resumed from its checkpoint.
#
# Usage: experiments/emomc-fronts.sh lenet5|resnet20 [POP GENS SEED] [BUILD_DIR]
# Protocol val: accuracy on validation images held out from the training file
# (LeNet-5: 2000 of them; ResNet-20: 1000), the final set re-measured on the test set.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?model: lenet5 or resnet20}
pop=${2:-40} gens=${3:-120} seed=${4:-1} bin=${5:-build}/emomc
. experiments/common.sh
em_model "$model"
root=experiments/runs/$model
mkdir -p "$root"
store=$root/store.sqlite   # shared by the eight searches; snapshots in experiments/stores/
em_store "$store"
common=(--model "$model" --weights "$weights" --library "$library" --hw emomc2021 --data "$data"
        --protocol val --eval-images "$images" --bits 2:12 --algorithm nsga2 --pop "$pop"
        --gens "$gens" --seed "$seed" --store "$store" --quiet)
run() { em_run "$root/$1" --problem "$2" "${@:3}"; } # NAME PROBLEM EXTRA...
run energy-xy   emomc-energy --dataflow xy
run energy-cico emomc-energy --dataflow cico
run energy-fxfy emomc-energy --dataflow fxfy
run energy-xfx  emomc-energy --dataflow xfx
run size-normal emomc-size --coding normal
run size-csr    emomc-size --coding csr
run size-coo    emomc-size --coding coo
run joint       emomc-joint

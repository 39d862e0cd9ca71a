#!/usr/bin/env bash
# experiments/algo-compare.sh: NSGA-II, C-TAEA and the surrogate loop (sbo) on one
# EMOMC problem (accuracy vs energy under X:Y on emomc2021), same seeds, and their
# hypervolume after N true evaluations (issue 13's "hypervolume vs true evaluations",
# issue 16's "beyond the papers"). The settings are experiments/emomc-fronts.sh's, so
# its energy-xy run is NSGA-II's seed-1 run (not run twice); all runs share the
# model's evaluation store. Finished runs are skipped, interrupted ones resumed.
#
# Usage: experiments/algo-compare.sh lenet5|resnet20 [SEEDS] [BUILD_DIR]
# Environment: PHASES ["sbo ea stats"]: sbo = the surrogate loop for every seed (cheap,
#   run first); ea = NSGA-II 40x120 and C-TAEA 40x120 for every seed; stats = the
#   table experiments/results/MODEL-algos.md and docs/img/MODEL-algos-hv.png from the
#   runs that exist (groups with fewer seeds than the others are left out of the
#   Friedman test; `emomc stats` says so).
#   SBO_BUDGET [300]  SBO_VARIANT [models=gp+knn+rf,inner_gens=50]  SBO_POP [40]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?model: lenet5 or resnet20}
seeds=${2:-"1 2 3"} build=${3:-build}
bin=$build/emomc
phases=${PHASES:-sbo ea stats}
sbo_budget=${SBO_BUDGET:-300} sbo_variant=${SBO_VARIANT:-models=gp+knn+rf,inner_gens=50}
sbo_pop=${SBO_POP:-40}
. experiments/common.sh
em_model "$model"
root=experiments/runs/$model
mkdir -p "$root/algos"
em_store "$root/store.sqlite"
common=(--problem emomc-energy --dataflow xy --model "$model" --weights "$weights"
        --library "$library" --hw emomc2021 --data "$data" --protocol val
        --eval-images "$images" --bits 2:12 --store "$root/store.sqlite" --quiet)
run() { em_run "$@"; } # DIR FLAGS...
nsga2_dir() { if [ "$1" = 1 ]; then echo "$root/energy-xy"; else echo "$root/algos/nsga2-s$1"; fi; }
for phase in $phases; do
  case $phase in
    sbo) for s in $seeds; do
           run "$root/algos/sbo$sbo_budget-s$s" --algorithm sbo --budget "$sbo_budget" \
             --pop "$sbo_pop" --variant "$sbo_variant" --seed "$s"
         done ;;
    ea)  for s in $seeds; do
           run "$(nsga2_dir "$s")" --algorithm nsga2 --pop 40 --gens 120 --seed "$s"
           run "$root/algos/ctaea-s$s" --algorithm ctaea --pop 40 --gens 120 --seed "$s"
         done ;;
    stats)
      groups=()
      for g in nsga2 ctaea sbo; do
        list=""
        for s in $seeds; do
          case $g in
            nsga2) d=$(nsga2_dir "$s") ;;
            ctaea) d=$root/algos/ctaea-s$s ;;
            sbo)   d=$root/algos/sbo$sbo_budget-s$s ;;
          esac
          [ -f "$d/final.csv" ] && list="$list${list:+,}$d"
        done
        [ -n "$list" ] && groups+=("$g=$list")
      done
      [ ${#groups[@]} -gt 0 ] || { echo "no finished runs yet" >&2; exit 0; }
      mkdir -p experiments/results docs/img
      "$bin" stats --at 50,100,300,1000,2000,4800 --out "experiments/results/$model-algos.md" \
        --csv "experiments/results/$model-algos.csv" --plot "docs/img/$model-algos-hv.png" \
        --title "$model emomc-energy X:Y: hypervolume at the end" "${groups[@]}"
      echo "wrote experiments/results/$model-algos.md" ;;
    *) echo "unknown phase $phase" >&2; exit 2 ;;
  esac
done

#!/usr/bin/env bash
# bench/bench_parallel_eval.sh [BUILD_DIR] [REPEATS] [MODELS]: candidates measured
# per second by a short emomc-energy search (pop 8, gens 2, no store, so every
# candidate is inferred) with one candidate at a time on 2 threads (K=1 x 2) against
# two at once on 1 thread each (K=2 x 1), the two alternated side by side REPEATS
# times (default 3). MODELS: "lenet5 resnet20" (default) or one of them.
# Candidates per second = evaluations / summary.json "seconds" (the search from
# loading its data to its last evaluation; final.csv is measured after it, serially,
# and is not timed). Prints each run, the medians, their ratio (K=2 over K=1), and
# whether every K=2 run left pareto.csv and final.csv identical to K=1's.
# Needs EMOMC_DATA (cifar10) for resnet20.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build}/emomc reps=${2:-3} models=${3:-lenet5 resnet20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(optimize --problem emomc-energy --hw emomc2021 --eval-images 1000 --pop 8 --gens 2
        --seed 7 --store none --quiet)
model_args() {
  case $1 in
    lenet5) echo "--model lenet5 --weights models/lenet5-mnist.emw --library models/lenet5-mnist-library --data data/mnist --protocol test-halves" ;;
    resnet20) echo "--model resnet20 --weights models/resnet20-cifar10.emw --library models/resnet20-cifar10-library --data cifar10 --protocol val" ;;
    *) echo "unknown model $1" >&2; exit 2 ;;
  esac
}
rate() { # evaluations / seconds of a run directory's summary.json
  python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print("%.4f" % (s["evaluations"] / s["seconds"]))' "$1/summary.json"
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
for m in $models; do
  read -r -a margs <<< "$(model_args "$m")"
  r1="" r2="" same=yes
  for r in $(seq "$reps"); do
    "$bin" "${common[@]}" "${margs[@]}" --threads 2 --parallel-candidates 1 --out "$work/$m-k1-$r"
    "$bin" "${common[@]}" "${margs[@]}" --threads 1 --parallel-candidates 2 --out "$work/$m-k2-$r"
    a=$(rate "$work/$m-k1-$r") b=$(rate "$work/$m-k2-$r")
    r1+="$a " r2+="$b "
    for f in pareto.csv final.csv; do
      cmp -s "$work/$m-k1-1/$f" "$work/$m-k1-$r/$f" && cmp -s "$work/$m-k1-1/$f" "$work/$m-k2-$r/$f" || same=no
    done
    printf "%-8s run %d: K=1 x 2 threads %8.3f candidates/s   K=2 x 1 thread %8.3f candidates/s\n" "$m" "$r" "$a" "$b"
  done
  m1=$(echo "$r1" | median) m2=$(echo "$r2" | median)
  printf "%-8s median: K=1 x 2 %8.3f/s  K=2 x 1 %8.3f/s  ratio K=2/K=1 %.3f  results identical: %s\n" \
    "$m" "$m1" "$m2" "$(echo "$m2 / $m1" | bc -l)" "$same"
done

#!/usr/bin/env bash
# bench/bench_mpi.sh [BUILD_DIR] [REPEATS]: the same LeNet-5 search serial, under
# mpirun -np 1 and -np 2, interleaved, REPEATS times each (default 3): prints the
# median wall seconds, the ratio to serial, and whether every front is identical.
# On a 2-core machine no speed-up is expected (each rank uses 1 thread; serial uses
# 2): this measures MPI's overhead and checks the results.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build}/emomc reps=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(optimize --problem emomc-energy --model lenet5 --weights models/lenet5-mnist.emw
      --library models/lenet5-mnist-library --hw emomc2021 --data data/mnist
      --protocol test-halves --eval-images 1000 --pop 16 --gens 10 --seed 3 --store none --quiet)
declare -A times
for r in $(seq "$reps"); do
  for mode in serial np1 np2; do
    case $mode in
      serial) cmd=("$bin" "${args[@]}" --threads 2) ;;
      np1) cmd=(mpirun --oversubscribe --allow-run-as-root -np 1 "$bin" "${args[@]}" --threads 2) ;;
      np2) cmd=(mpirun --oversubscribe --allow-run-as-root -np 2 "$bin" "${args[@]}" --threads 1) ;;
    esac
    t0=$(date +%s.%N)
    "${cmd[@]}" --out "$work/$mode-$r"
    t1=$(date +%s.%N)
    times[$mode]+="$(echo "$t1 - $t0" | bc) "
  done
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ms=$(echo "${times[serial]}" | median)
for mode in serial np1 np2; do
  m=$(echo "${times[$mode]}" | median)
  same=yes
  for r in $(seq "$reps"); do
    cmp -s "$work/serial-1/pareto.csv" "$work/$mode-$r/pareto.csv" &&
      cmp -s "$work/serial-1/final.csv" "$work/$mode-$r/final.csv" || same=no
  done
  printf "%-7s median %7.2f s  ratio to serial %.3f  fronts identical to serial: %s\n" "$mode" "$m" \
    "$(echo "$m / $ms" | bc -l)" "$same"
done

#!/usr/bin/env bash
# tests/test_mpi.sh EMOMC_BIN SOURCE_DIR: a compression search under
# `mpirun -np 3` (loopback, oversubscribed) gives the same pareto.csv and final.csv
# byte for byte as the serial run, with and without an evaluation store, and with
# two candidates at once on each rank (--parallel-candidates 2, -np 2); rank 0
# alone writes the run directory.
set -euo pipefail
bin=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(optimize --problem emomc-energy --model lenet5 --weights "$src/models/lenet5-mnist.emw"
      --library "$src/models/lenet5-mnist-library" --hw emomc2021 --data "$src/data/mnist"
      --protocol test-halves --eval-images 300 --pop 8 --gens 4 --seed 5 --threads 1 --quiet)
mpi=(mpirun --oversubscribe --allow-run-as-root -np 3)
"$bin" "${args[@]}" --store none --out "$work/serial"
"${mpi[@]}" "$bin" "${args[@]}" --store none --out "$work/np3"
"${mpi[@]}" "$bin" "${args[@]}" --out "$work/np3-store"
mpirun --oversubscribe --allow-run-as-root -np 2 "$bin" "${args[@]}" --parallel-candidates 2 \
  --out "$work/np2-k2"
# The store filled by the MPI run serves a serial run completely.
"$bin" "${args[@]}" --store "$work/np3-store/store.sqlite" --out "$work/serial-from-store"
fail=0
for d in np3 np3-store np2-k2 serial-from-store; do
  for f in pareto.csv final.csv; do
    if ! cmp -s "$work/serial/$f" "$work/$d/$f"; then echo "FAIL: $d/$f differs from serial"; fail=1; fi
  done
done
grep -q '"inferences": 0' "$work/serial-from-store/search.json" ||
  { echo "FAIL: the serial run from the MPI store ran inference"; fail=1; }
[ "$(ls "$work" | wc -l)" -eq 5 ] || { echo "FAIL: stray files: $(ls "$work")"; fail=1; }
if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail

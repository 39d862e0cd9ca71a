#!/usr/bin/env bash
# tests/onnx/test_reload_torch.sh EMOMC_BIN: the compressed model taken away loads back
# in PyTorch with the same accuracy (issue 14). A small LeNet-5 search from the zoo
# weights and library on the MNIST test file shipped in data/, its knee and two other
# solutions (the most accurate, the cheapest) exported as ONNX, and the zoo model as
# PyTorch exported it (tests/fixtures/onnx/lenet5.onnx): each is run on all 10000
# test images by `emomc eval` and by tests/onnx/reload_torch.py (a torch.nn.Module
# built from the graph); the correct counts must be equal, with at most 1 image in
# 1000 allowed to differ (float rounding near a tie), which is reported when it
# happens. The knee's count must also match the final accuracy the search recorded.
# First the module alone: the fixtures' PyTorch logits within 1e-5.
# Exit 77 (ctest: skipped) when /usr/bin/python3 has no torch or onnx.
set -euo pipefail
bin=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
if ! "$py" -c 'import torch, onnx, numpy' 2> /dev/null; then
  echo "SKIP: $py has no torch/onnx/numpy (Debian: apt-get install python3-torch python3-onnx)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=$src/data/mnist
cat > "$work/search.yaml" << EOF
problem: emomc-energy
model: lenet5
weights: $src/models/lenet5-mnist.emw
library: $src/models/lenet5-mnist-library
hw: vu9p
data: $data
protocol: test
eval_images: 200
dataflow: xy
keep: [0.2, 0.8]
bits: [2, 8]
algorithm: nsga2
pop: 8
gens: 3
seed: 5
store: none
EOF
"$bin" optimize --config "$work/search.yaml" --out "$work/run" --threads 2 --quiet > /dev/null

# The report's candidate numbers of the most accurate and the cheapest solutions
# (its non-dominated table is sorted by energy: the first row is the cheapest).
"$bin" report "$work/run" > "$work/report.txt"
awk '/^non-dominated set/ {t = 1; getline; next} t && NF == 0 {t = 0} t' "$work/report.txt" \
  > "$work/rows.txt"
cheap=$(awk 'NR == 1 {print $1}' "$work/rows.txt")
best=$(sort -k3,3gr -k4,4gr "$work/rows.txt" | awk 'NR == 1 {print $1}')

fail=0
# The module itself: PyTorch's own logits of the ONNX fixtures (BN, Pad, AveragePool,
# Reshape, MatMul, grouped convs) from tests/fixtures/gen_onnx.py.
for f in lenet5 mobile pools pools17 relu6; do
  "$py" "$src/tests/onnx/reload_torch.py" "$src/tests/fixtures/onnx/$f.onnx" \
    --io "$src/tests/fixtures/onnx/$f.io" || { echo "FAIL: $f.io"; fail=1; }
done
compare() { # compare NAME FILE.onnx: emomc eval and PyTorch on the same images
  local name=$1 model=$2 line e t n
  line=$("$bin" eval --model "$model" --data "$data" --threads 2)
  e=$(echo "$line" | sed -n 's/.*(\([0-9]*\)\/\([0-9]*\)).*/\1/p')
  n=$(echo "$line" | sed -n 's/.*(\([0-9]*\)\/\([0-9]*\)).*/\2/p')
  t=$("$py" "$src/tests/onnx/reload_torch.py" "$model" --data "$data" --quiet)
  local d=$((e > t ? e - t : t - e))
  if [ -z "$e" ] || [ -z "$t" ]; then
    echo "FAIL: $name: no count (emomc: '$line', torch: '$t')"; fail=1
  elif [ $((d * 1000)) -gt "$n" ]; then
    echo "FAIL: $name: emomc $e of $n correct, PyTorch $t"; fail=1
  elif [ "$d" -gt 0 ]; then
    echo "ok: $name: emomc $e of $n correct, PyTorch $t ($d image(s) differ: float rounding)"
  else
    echo "ok: $name: emomc and PyTorch both $e of $n correct"
  fi
  last=$e
}
compare "zoo LeNet-5 (PyTorch export)" "$src/tests/fixtures/onnx/lenet5.onnx"
for pick in knee "$best" "$cheap"; do
  "$bin" export "$work/run" --pick "$pick" --out "$work/p-$pick.onnx" > /dev/null
  compare "search solution $pick" "$work/p-$pick.onnx"
  if [ "$pick" = knee ]; then
    # the knee's final accuracy as the search recorded it (final.csv, all test images)
    rec=$(sed -n 's/^knee point: #[0-9]* (search [0-9.]*%, final \([0-9.]*\)%.*/\1/p' "$work/report.txt")
    got=$(awk -v c="$last" 'BEGIN {printf "%.2f", c / 100}')
    [ "$rec" = "$got" ] || { echo "FAIL: knee: the search recorded $rec %, eval gives $got %"; fail=1; }
  fi
done
if [ $fail -eq 0 ]; then echo "8 passed, 0 failed"; else echo "some failed"; fi
exit $fail

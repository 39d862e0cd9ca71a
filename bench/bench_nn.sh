#!/bin/sh
# bench/bench_nn.sh: runs bench_nn (emomc's engine) and bench_nn_torch.py (PyTorch
# CPU, Debian's python3-torch) one after the other in the same run, with the same
# thread count, and prints images/s side by side with the ratio emomc / PyTorch,
# plus the conv layers' GFLOP/s against the measured sgemm peak.
#
# usage: bench/bench_nn.sh [BUILD_DIR] [THREADS] [REPEATS]
#   BUILD_DIR defaults to ./build (configure it Release or RelWithDebInfo).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
threads=${2:-$(nproc)}
repeats=${3:-5}
bin="$build/bench/bench_nn"
[ -x "$bin" ] || { echo "bench_nn.sh: $bin not built (cmake --build $build --target bench_nn)" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
OPENBLAS_NUM_THREADS=1 "$bin" --threads "$threads" --repeats "$repeats" >"$out"
OMP_NUM_THREADS=$threads /usr/bin/python3 "$here/bench_nn_torch.py" --threads "$threads" \
    --repeats "$repeats" >>"$out"
awk '
/^sgemm_peak/ { peak = $5 }
/^model/ { e[$2 " " $4] = $8; g[$2 " " $4] = $10; order[++n] = $2 " " $4 }
/^torch_model/ { t[$2 " " $4] = $8 }
/^convs/ { cg[$2] = $8; cf[$2] = $10 }
END {
  printf "sgemm peak (%s threads, single-threaded OpenBLAS per thread): %.1f GFLOP/s\n\n", '"$threads"', peak
  printf "%-9s %5s %14s %14s %8s\n", "model", "batch", "emomc img/s", "torch img/s", "ratio"
  for (i = 1; i <= n; i++) {
    k = order[i]; split(k, p, " ")
    printf "%-9s %5s %14.1f %14.1f %8.2f\n", p[1], p[2], e[k], t[k], (t[k] > 0 ? e[k] / t[k] : 0)
  }
  printf "\n%-9s %22s %14s\n", "model", "conv GFLOP/s (b=64)", "of sgemm peak"
  for (m in cg) printf "%-9s %22.2f %13.1f%%\n", m, cg[m], 100 * cf[m]
}' "$out"

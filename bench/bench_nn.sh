#!/bin/sh
# bench/bench_nn.sh: emomc's inference engine (bench_nn) against PyTorch CPU
# (bench_nn_torch.py, Debian's python3-torch) with the same thread count, in one run.
# The two are interleaved: in each of ROUNDS rounds, every (model, batch) is timed by
# emomc and then by PyTorch (each the median of 3 repeats), so load from other jobs
# hits both alike; the table shows the median over rounds and the ratio
# emomc / PyTorch. Training steps at batch 64 (forward, loss, backward) likewise. Then the conv layers' GFLOP/s (each conv alone, batch 64) against
# the OpenBLAS sgemm peak, measured back to back.
#
# usage: bench/bench_nn.sh [BUILD_DIR] [THREADS] [ROUNDS] [MODELS]
#   BUILD_DIR defaults to ./build (configure it Release or RelWithDebInfo).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
threads=${2:-$(nproc)}
rounds=${3:-5}
models=${4:-lenet5,resnet20,vgg16}
bin="$build/bench/bench_nn"
[ -x "$bin" ] || { echo "bench_nn.sh: $bin not built (cmake --build $build --target bench_nn)" >&2; exit 2; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS="$threads"
r=1
while [ "$r" -le "$rounds" ]; do
    for m in $(echo "$models" | tr , ' '); do
        for b in 1 64; do
            "$bin" --threads "$threads" --repeats 3 --seconds 0.5 --models "$m" --batches "$b" \
                --no-convs --no-peak >>"$out"
            /usr/bin/python3 "$here/bench_nn_torch.py" --threads "$threads" --repeats 3 \
                --seconds 0.5 --models "$m" --batches "$b" >>"$out"
        done
        "$bin" --threads "$threads" --repeats 3 --seconds 0.5 --models "$m" --batches 64 \
            --train --no-forward --no-convs --no-peak >>"$out"
        /usr/bin/python3 "$here/bench_nn_torch.py" --threads "$threads" --repeats 3 \
            --seconds 0.5 --models "$m" --batches 64 --train >>"$out"
    done
    r=$((r + 1))
done
"$bin" --threads "$threads" --repeats 5 --models "$models" --no-forward >>"$out"
awk -v threads="$threads" -v rounds="$rounds" '
function med(list,   a, n, i, j, t) {
  n = split(list, a, " ")
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
/^sgemm_peak/ { peak = $5 }
/^model/ { k = $2 " " $4; if (!(k in e)) order[++n] = k; e[k] = e[k] " " $8 }
/^torch_model/ { k = $2 " " $4; t[k] = t[k] " " $8 }
/^train_model/ { k = $2; if (!(k in te)) torder[++tn] = k; te[k] = te[k] " " $8 }
/^torch_train_model/ { k = $2; tt[k] = tt[k] " " $8 }
/^convs/ { cg[$2] = $8; cf[$2] = $10 }
END {
  printf "threads %d, %d interleaved rounds, medians\n\n", threads, rounds
  printf "%-9s %5s %14s %14s %8s\n", "model", "batch", "emomc img/s", "torch img/s", "ratio"
  for (i = 1; i <= n; i++) {
    k = order[i]; split(k, p, " "); x = med(e[k]); y = med(t[k])
    printf "%-9s %5s %14.1f %14.1f %8.2f\n", p[1], p[2], x, y, (y > 0 ? x / y : 0)
  }
  printf "\ntraining steps (forward, loss, backward; no optimizer), batch 64\n"
  printf "%-9s %14s %14s %8s\n", "model", "emomc img/s", "torch img/s", "ratio"
  for (i = 1; i <= tn; i++) {
    k = torder[i]; x = med(te[k]); y = med(tt[k])
    printf "%-9s %14.1f %14.1f %8.2f\n", k, x, y, (y > 0 ? x / y : 0)
  }
  printf "\nsgemm peak (single-threaded OpenBLAS in each of %d threads): %.1f GFLOP/s\n", threads, peak
  printf "%-9s %22s %14s\n", "model", "conv GFLOP/s (b=64)", "of sgemm peak"
  for (m in cg) printf "%-9s %22.2f %13.1f%%\n", m, cg[m], 100 * cf[m]
  printf "(effective rates: direct-convolution FLOPs / time. 3x3 stride-1 layers run by\n"
  printf "Winograd F(2x2,3x3) do 2.25x fewer multiplies, so they can pass the sgemm peak.)\n"
}' "$out"

#!/usr/bin/env bash
# experiments/inference-time.sh: inference time of the compressed models against
# their kept weight fraction (the SBO paper's Fig. 9/11 kind), measured by the nn
# engine: `emomc eval` on every stage-I library member (models/MODEL-library/*.emw,
# keep 0.2..0.8) and on the dense model, REPEATS rounds, with a fixed thread count.
# Each round runs every model once (so a change in machine load hits all models
# alike); per model the median over rounds of
#   - images/s as `emomc eval` reports it (wall clock of the inference), and
#   - CPU seconds of the whole `emomc eval` process (user + sys: loading included,
#     the same for every model), less sensitive to other load on a shared machine.
# The engine computes dense GEMMs: zeros are multiplied like any weight, so no
# speed-up from pruning is expected; this measures it.
#
# Usage: experiments/inference-time.sh lenet5|resnet20 [--limit N] [--threads T]
#        [--repeats R] [--build DIR]
# Writes experiments/results/MODEL-inference-time.csv and
# docs/img/MODEL-inference-time.png (gnuplot).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?model: lenet5 or resnet20}; shift
limit=0 threads=1 repeats=3 build=build
while [ $# -gt 0 ]; do
  case $1 in
    --limit) limit=$2; shift 2 ;; --threads) threads=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;; --build) build=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
. experiments/common.sh
em_model "$model"
lib=$library
bin=$build/emomc
csv=experiments/results/$model-inference-time.csv
png=docs/img/$model-inference-time.png
mkdir -p experiments/results docs/img
lim=() imgs=all; [ "$limit" -gt 0 ] && lim=(--limit "$limit") imgs=$limit
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# The models: "keep file", members by keep, then the dense model (keep 1).
{ tail -n +2 "$lib/index.csv" | sort -t, -k1,1g | awk -F, -v d="$lib" '{print $1, d "/" $2}'
  echo "1 $weights"; } > "$tmp/models"

# One run of one model, appended to $tmp/K.runs as "images_per_s cpu_s accuracy".
run_one() {
  local k=$1 w=$2 line cpu
  line=$(/usr/bin/time -f "cpu %U %S" -o "$tmp/time" "$bin" eval --model "$model" --weights "$w" \
           --data "$data" --threads "$threads" "${lim[@]}")
  cpu=$(awk '/^cpu/ {print $2 + $3}' "$tmp/time")
  echo "$line" | sed -n "s/.*top-1 \([0-9.]*\)%.* \([0-9.]*\) images\/s.*/\2 $cpu \1/p" >> "$tmp/$k.runs"
}
for _ in $(seq "$repeats"); do
  k=0
  while read -r keep w; do run_one $k "$w"; k=$((k + 1)); done < "$tmp/models"
done

med() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
{
  echo "model,weights,keep,images,threads,repeats,median_images_per_s,min_images_per_s,max_images_per_s,median_ms_per_image,median_cpu_s,accuracy_test_pct"
  k=0
  while read -r keep w; do
    r=$tmp/$k.runs
    [ "$(wc -l < "$r")" -eq "$repeats" ] || { echo "eval output not understood for $w" >&2; exit 1; }
    ips=$(cut -d' ' -f1 "$r" | med) cpu=$(cut -d' ' -f2 "$r" | med)
    lo=$(cut -d' ' -f1 "$r" | sort -g | head -1) hi=$(cut -d' ' -f1 "$r" | sort -g | tail -1)
    acc=$(head -1 "$r" | cut -d' ' -f3)
    echo "$model,$(basename "$w"),$keep,$imgs,$threads,$repeats,$ips,$lo,$hi,$(awk -v m="$ips" 'BEGIN{printf "%.4f", 1000/m}'),$cpu,$acc"
    k=$((k + 1))
  done < "$tmp/models"
} > "$tmp/out.csv"
mv "$tmp/out.csv" "$csv"
echo "wrote $csv"

gnuplot <<GP
set terminal pngcairo size 900,540 noenhanced
set output "$tmp/fig.png"
set datafile separator ","
set title "$model: engine inference vs kept weight fraction ($threads thread(s), median of $repeats rounds, $imgs images)"
set xlabel "kept weight fraction (library member's keep; 1 = dense model)"
set ylabel "ms per image (wall, eval's images/s)"
set y2label "CPU seconds of the eval process"
set ytics nomirror
set y2tics
set grid
set key bottom right
set yrange [0:*]
set y2range [0:*]
plot "$csv" every ::1 using 3:10 with linespoints pt 7 lw 1.5 title "ms per image (median)", \
     "$csv" every ::1 using 3:11 axes x1y2 with linespoints pt 6 dt 2 title "CPU s per eval run (median)"
GP
mv "$tmp/fig.png" "$png"
echo "wrote $png"

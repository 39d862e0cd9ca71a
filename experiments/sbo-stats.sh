#!/usr/bin/env bash
# experiments/sbo-stats.sh: the statistics of the SBO study (experiments/sbo-study.sh)
# with `emomc stats`: hypervolume after 50 and 75 true evaluations and at the end (100)
# for the 16 configurations sbo-<obj>-<con> and plain C-TAEA 10x10 and 20x5, then
# the configurations pooled by objective selection metric and by constraint selection
# metric (4 configurations a metric, as the SBO paper does), each with the Friedman
# test (blocks = seeds) and Dunn's post-hoc test (Holm) when the runs pair up.
#
# Usage: experiments/sbo-stats.sh lenet5|resnet20 [BUILD_DIR]   (SBO_RUNS=DIR: the runs' folder)
# Reads the finished runs (those with summary.json) under experiments/runs/sbo-MODEL/;
# writes experiments/results/sbo-MODEL-stats.md (+ .csv) and the box plots
# docs/img/sbo-MODEL-hv.png, -hv-obj.png and -hv-con.png.
#
# Seeds: the seeds that every one of the 18 groups has finished. When there is none
# yet (the study still running), every finished run is used and the report says
# "partial"; groups of different sizes then get no test.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?model: lenet5 or resnet20}
bin=${2:-build}/emomc
root=${SBO_RUNS:-experiments/runs/sbo-$model} # SBO_RUNS: read the runs elsewhere
out=experiments/results/sbo-$model-stats.md
[ -d "$root" ] || { echo "$root: no runs (experiments/sbo-study.sh $model makes them)" >&2; exit 1; }
metrics="mse mape spearman random"
configs=""
for mo in $metrics; do for mc in $metrics; do configs+=" sbo-$mo-$mc"; done; done
configs+=" ctaea-10x10 ctaea-20x5"

finished() { [ -f "$root/$1/summary.json" ] && [ -f "$root/$1/evaluations.csv" ]; }
# The seeds present under root, ascending.
all_seeds=$(ls "$root" | sed -n 's/.*-s\([0-9][0-9]*\)$/\1/p' | sort -n | uniq)
complete=""
for s in $all_seeds; do
  ok=1
  for c in $configs; do if ! finished "$c-s$s"; then ok=0; fi; done
  if [ $ok = 1 ]; then complete+=" $s"; fi
done
if [ -n "$complete" ]; then seeds=$complete mode="complete seeds:$complete"
else seeds=$all_seeds mode="partial: no seed is finished for all 18 groups yet; every finished run is used"
fi

# "NAME=DIR,DIR..." for the runs of configurations $2... over the seeds (seed by seed,
# configurations in the order given: runs of one seed pair up in that order).
group() {
  local name=$1 dirs=() s c
  shift
  for s in $seeds; do
    for c in "$@"; do if finished "$c-s$s"; then dirs+=("$root/$c-s$s"); fi; done
  done
  if [ ${#dirs[@]} -gt 0 ]; then (IFS=,; echo "$name=${dirs[*]}"); fi
}

stats() { # TITLE SHORT_TITLE PLOT GROUP...
  local title=$1 short=$2 plot=$3
  shift 3
  if [ $# -eq 0 ]; then echo "## $title"$'\n\n'"No finished runs."$'\n'; return; fi
  echo "## $title"
  echo
  "$bin" stats --at 50,75 --plot "$plot" --title "SBO study, $model: $short" --csv "$tmp.csv.$plot_n" "$@" | sed 's/^#/###/'
  plot_n=$((plot_n + 1))
}

tmp=$(mktemp "${out%.md}.XXXXXX")
trap 'rm -f "$tmp" "$tmp".csv.*' EXIT
plot_n=0
mkdir -p experiments/results docs/img
by_config=() by_obj=() by_con=()
for c in $configs; do g=$(group "$c" "$c"); if [ -n "$g" ]; then by_config+=("$g"); fi; done
for m in $metrics; do
  obj=() con=()
  for o in $metrics; do obj+=("sbo-$m-$o"); con+=("sbo-$o-$m"); done
  g=$(group "obj-$m" "${obj[@]}"); if [ -n "$g" ]; then by_obj+=("$g"); fi
  g=$(group "con-$m" "${con[@]}"); if [ -n "$g" ]; then by_con+=("$g"); fi
done
{
  echo "# SBO study on $model: hypervolume statistics"
  echo
  echo "Made by \`experiments/sbo-stats.sh $model\` (\`emomc stats\`) from $root; $mode."
  echo "Runs of the pooled groups pair up by (seed, the other metric)."
  echo
  stats "Every configuration (the 16 sbo ones, C-TAEA 10x10 and 20x5) with a finished run" "every configuration" "docs/img/sbo-$model-hv.png" "${by_config[@]}"
  stats "By objective selection metric (sbo-METRIC-*)" "by objective metric" "docs/img/sbo-$model-hv-obj.png" "${by_obj[@]}"
  stats "By constraint selection metric (sbo-*-METRIC)" "by constraint metric" "docs/img/sbo-$model-hv-con.png" "${by_con[@]}"
} > "$tmp"
chmod 644 "$tmp"  # mktemp makes it 0600
mv "$tmp" "$out"
if [ -f "$tmp.csv.0" ]; then mv "$tmp.csv.0" "${out%.md}.csv"; fi
echo "wrote $out, ${out%.md}.csv, docs/img/sbo-$model-hv{,-obj,-con}.png ($mode)"

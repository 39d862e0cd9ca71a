#!/usr/bin/env bash
# experiments/emomc-figures.sh: EMOMC's figures and selection tables for one model,
# from the finished runs of experiments/emomc-fronts.sh (experiments/runs/MODEL/NAME
# with a final.csv; unfinished ones are skipped and listed):
#   docs/img/MODEL-fig5-energy-fronts.png   accuracy-energy fronts of the dataflows (Fig. 5)
#   docs/img/MODEL-fig6-size-fronts.png     accuracy-size fronts of the codings (Fig. 6)
#   docs/img/MODEL-fig7-*-ascore.png        AScore of each front's best pick vs r/tau (Fig. 7)
#   experiments/results/MODEL-fig{5,6}-*.dat  the fronts' data (non-dominated on search accuracy)
#   experiments/results/MODEL-selection.md  per run: the cheapest solution within
#       MAX_LOSS points of the uncompressed search accuracy, with Tables II/III
#   experiments/results/MODEL-joint-vs-separate.md  joint vs separate by hypervolume
# A joint run is drawn as one slice per dataflow (Fig. 5) and per coding (Fig. 6).
# Every choice is made on the search accuracy; the final (test) accuracy is beside it.
#
# Usage: experiments/emomc-figures.sh lenet5|resnet20 [MAX_LOSS] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?model: lenet5 or resnet20}
loss=${2:-0.5} bin=${3:-build}/emomc
root=experiments/runs/$model
res=experiments/results img=docs/img
mkdir -p "$res" "$img"
done_runs() { for n in "$@"; do [ -f "$root/$n/final.csv" ] && echo "$root/$n"; done; true; }
mapfile -t energy < <(done_runs energy-xy energy-cico energy-fxfy energy-xfx)
mapfile -t size < <(done_runs size-normal size-csr size-coo)
mapfile -t joint < <(done_runs joint)
for n in energy-xy energy-cico energy-fxfy energy-xfx size-normal size-csr size-coo joint; do
  [ -f "$root/$n/final.csv" ] || echo "skipped (not finished): $root/$n" >&2
done

# figure NAME AXIS TITLE RUN...: the fronts, their data, the AScore curves.
figure() {
  local name=$1 axis=$2 title=$3; shift 3
  [ $# -gt 0 ] || return 0
  "$bin" plot --compare "$@" --axis "$axis" --title "$title" --out "$img/$model-$name.png" >/dev/null
  mv "$img/$model-$name.dat" "$res/$model-$name.dat"
  local fig7=$img/$model-fig7-${name#fig?-}
  if [ -f "$img/$model-$name-ascore.png" ]; then
    mv "$img/$model-$name-ascore.png" "${fig7%-fronts}-ascore.png"
    echo "${fig7%-fronts}-ascore.png"
  fi
  echo "$img/$model-$name.png"
}
figure fig5-energy-fronts energy "$model: accuracy-energy fronts per dataflow (emomc2021)" \
  "${energy[@]}" "${joint[@]}"
figure fig6-size-fronts size "$model: accuracy-size fronts per coding" "${size[@]}" "${joint[@]}"

# The selection table of every finished run.
sel=$res/$model-selection.md
{
  echo "# $model: selected solutions (cheapest within $loss points of the uncompressed search accuracy)"
  echo
  echo "Made by \`experiments/emomc-figures.sh $model $loss\` with \`emomc report RUN --max-loss $loss\`."
  echo "The choice is made on the search accuracy (validation images held out of the"
  echo "training file); the final accuracy (test set) is printed beside it, never chosen on."
  for dir in "${energy[@]}" "${size[@]}" "${joint[@]}"; do
    echo; echo "## ${dir#"$root"/}"; echo; echo '```'
    "$bin" report "$dir" --max-loss "$loss" | sed -n '/^protocol:/,/^  final/p;/^uncompressed/p;/^cheapest within/,$p'
    echo '```'
  done
} > "$sel.tmp" && mv "$sel.tmp" "$sel"
echo "$sel"

if [ ${#joint[@]} -gt 0 ] && [ $((${#energy[@]} + ${#size[@]})) -gt 0 ]; then
  jv=$res/$model-joint-vs-separate.md
  {
    echo "# $model: the joint 3-objective search against the separate searches"
    echo
    echo "Made by \`emomc report --joint-vs ${joint[0]} ...\` (experiments/emomc-figures.sh)."
    echo; echo '```'
    "$bin" report --joint-vs "${joint[0]}" "${energy[@]}" "${size[@]}"
    echo '```'
  } > "$jv.tmp" && mv "$jv.tmp" "$jv"
  echo "$jv"
fi

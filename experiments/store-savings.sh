#!/usr/bin/env bash
# experiments/store-savings.sh: what the shared evaluation store saves over one model's
# EMOMC searches (experiments/emomc-fronts.sh), counted from the finished runs'
# evaluations.csv, so the count does not depend on how often a run was interrupted.
#
# A search's trajectory is the same with and without the store (the store answers an
# accuracy bit for bit as inference would). Without a store a search runs one search
# inference per distinct genotype it evaluates (its evaluations.csv rows). With the
# shared store it runs one per accuracy key (library member and per-layer bits; the
# joint search's dataflow and coding do not change accuracy) that no search before it
# measured, in emomc-fronts.sh's order. The final set's re-measurement on the test
# images is left out of both counts. Seconds are estimated at the mean seconds per
# inference of the runs (their search.json).
#
# Usage: experiments/store-savings.sh lenet5|resnet20   -> experiments/results/MODEL-store.md
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?model: lenet5 or resnet20}
root=experiments/runs/$model
out=experiments/results/$model-store.md
runs="energy-xy energy-cico energy-fxfy energy-xfx size-normal size-csr size-coo joint"
# json_num FILE KEY: the number after "KEY": (either JSON layout emomc has written).
json_num() { tr -d '\n' < "$1" | sed -n "s/.*\"$2\": *\([-0-9.eE+]*\).*/\1/p"; }
# keys CSV: one line per row, the member and bits_* columns joined by commas.
keys() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "member" || $i ~ /^bits_/) c[++n] = i; next }
           { k = $c[1]; for (j = 2; j <= n; j++) k = k "," $c[j]; print k }' "$1"
}
mkdir -p experiments/results
seen=$(mktemp) rows=""
trap 'rm -f "$seen" "$seen.new"' EXIT
sec=0 inf=0 missing=""
for r in $runs; do
  dir=$root/$r
  if [ ! -f "$dir/final.csv" ]; then missing+=" $r"; continue; fi
  genotypes=$(($(wc -l < "$dir/evaluations.csv") - 1))
  keys "$dir/evaluations.csv" | sort -u > "$seen.new"
  distinct=$(wc -l < "$seen.new")
  new=$(comm -13 "$seen" "$seen.new" | wc -l)
  sort -u "$seen" "$seen.new" -o "$seen"
  rows+="| $r | $genotypes | $distinct | $new |"$'\n'
  sec=$(awk -v a="$sec" -v b="$(json_num "$dir/search.json" seconds_inference)" 'BEGIN { print a + b }')
  inf=$((inf + $(json_num "$dir/search.json" inferences)))
done
{
  echo "# $model: search inferences the evaluation store saves over the EMOMC searches"
  echo
  echo "Made by \`experiments/store-savings.sh $model\` from the finished runs' evaluations.csv,"
  echo "in experiments/emomc-fronts.sh's order (one store shared by all). Without a store a"
  echo "search infers once per distinct genotype; with the shared store, once per accuracy key"
  echo "(member and bits) that no earlier search measured. Final re-measurements left out."
  echo
  echo "| run | search inferences without store (genotypes) | distinct accuracy keys | with the shared store (new keys) |"
  echo "|---|---:|---:|---:|"
  printf "%s" "$rows"
  printf "%s" "$rows" | awk -F'|' -v sec="$sec" -v inf="$inf" '
    { wo += $3; w += $5; n++ }
    END { if (!n) exit
          printf "| **all %d** | %d | | %d |\n\n", n, wo, w
          printf "With the store / without: %.3f of the search inferences.", w / wo
          if (inf > 0) printf " At the runs'"'"' mean %.3f s per inference: %.0f s without, %.0f s with.", sec / inf, wo * sec / inf, w * sec / inf
          printf "\n" }'
  [ -z "$missing" ] || { echo; echo "Not finished yet (left out):$missing."; }
} > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out"

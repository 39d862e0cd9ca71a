#!/usr/bin/env bash
# experiments/baselines.sh: the uncompressed models' energy per dataflow and size per
# coding (docs/results.md, "Baselines"): LeNet-5, MobileNet-v1, VGG-16 (and
# ResNet-20) under emomc2021 at q = 16 and 32, and under the VU9P fpga target at
# 16-bit weights. Writes experiments/results/baselines.csv and baselines.md.
# Estimates only: seconds. Usage: experiments/baselines.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build}/emomc
out=experiments/results
mkdir -p "$out"
csv=$out/baselines.csv
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
echo "model,target,bits,dataflow,coding,energy_mj,size_kb" > "$tmp"
for m in lenet5 mobilenet_v1 vgg16 resnet20; do
  for spec in emomc2021:16 emomc2021:32 vu9p:16; do
    hw=${spec%%:*} q=${spec##*:}
    "$bin" estimate --model "$m" --hw "$hw" --bits "$q" --coding all --format csv |
      awk -F, -v m="$m" -v hw="$hw" -v q="$q" 'NR > 1 && $6 == "total" {
        printf "%s,%s,%s,%s,%s,%.6g,%.6g\n", m, hw, q, $4, $5, $11 * 1e-9, $22 / 8192 }' >> "$tmp"
  done
done
mv "$tmp" "$csv"
trap - EXIT
# Markdown: energy per dataflow (normal coding rows), size per coding (X:Y rows).
{
  echo "| model | target | q | X:Y mJ | CI:CO mJ | FX:FY mJ | X:FX mJ | normal MB | CSR MB | COO MB |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  awk -F, 'NR > 1 {
      k = $1 "," $2 "," $3
      if (!(k in seen)) { seen[k] = 1; order[++n] = k }
      if ($5 == "normal") e[k, $4] = $6
      if ($4 == "X:Y") s[k, $5] = $7 * 1024 / 1e6
    } END {
      for (i = 1; i <= n; i++) {
        k = order[i]; split(k, p, ",")
        printf "| %s | %s | %s | %.4g | %.4g | %.4g | %.4g | %.4g | %.4g | %.4g |\n", p[1], p[2], p[3],
          e[k, "X:Y"], e[k, "CI:CO"], e[k, "FX:FY"], e[k, "X:FX"], s[k, "normal"], s[k, "csr"], s[k, "coo"]
      }
    }' "$csv"
} > "$out/baselines.md"
cat "$out/baselines.md"

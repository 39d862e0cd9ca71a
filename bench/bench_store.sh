#!/bin/sh
# bench/bench_store.sh: the evaluation store on EMOMC's seven searches of one model
# (issue 13): the four accuracy-energy searches (X:Y, CI:CO, FX:FY, X:FX on emomc2021)
# and the three accuracy-size searches (normal, CSR, COO), run once sharing one fresh
# store and once with --store none, search by search side by side in one invocation
# (the order inside each pair alternates). Prints, per search and in total, the true
# evaluations, the inferences actually run and the wall time of both ways, their
# ratios, and whether the two ways wrote identical fronts and archives (they must:
# the store only replaces a measurement by the same stored value).
#
#   bench/bench_store.sh [BUILD_DIR]           (default build; needs BUILD_DIR/emomc)
# Environment (defaults in brackets):
#   MODEL        lenet5 | resnet20 [lenet5]
#   POP, GENS    [20 5]            SEED [1]
#   EVAL_IMAGES  validation images per accuracy [lenet5 2000, resnet20 1000]
#   THREADS      inference threads [2]
#   OUT          folder for the runs [a fresh temporary folder]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
EMOMC=$BUILD/emomc
[ -x "$EMOMC" ] || { echo "bench_store: $EMOMC not found (build it first)" >&2; exit 2; }
MODEL=${MODEL:-lenet5}
POP=${POP:-20}
GENS=${GENS:-5}
SEED=${SEED:-1}
THREADS=${THREADS:-2}
case $MODEL in
  lenet5)   W=models/lenet5-mnist.emw L=models/lenet5-mnist-library D=mnist I=${EVAL_IMAGES:-2000} ;;
  resnet20) W=models/resnet20-cifar10.emw L=models/resnet20-cifar10-library D=cifar10 I=${EVAL_IMAGES:-1000} ;;
  *) echo "bench_store: MODEL must be lenet5 or resnet20" >&2; exit 2 ;;
esac
OUT=${OUT:-$(mktemp -d /tmp/bench_store.XXXXXX)}
mkdir -p "$OUT"
COMMON="--model $MODEL --weights $ROOT/$W --library $ROOT/$L --hw emomc2021 --data $D
  --protocol val --eval-images $I --bits 2:12 --algorithm nsga2 --pop $POP --gens $GENS
  --seed $SEED --threads $THREADS --quiet"
echo "bench_store: $MODEL, pop $POP x $GENS generations, $I validation images, runs in $OUT"
run() { # WAY NAME PROBLEM FLAG
  if [ "$1" = store ]; then st="--store $OUT/store.sqlite"; else st="--store none"; fi
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$EMOMC" optimize --problem "$3" $COMMON $4 $st --out "$OUT/$1/$2"
  t1=$(date +%s.%N)
  echo "$1 $2 $(echo "$t1 - $t0" | bc)" >>"$OUT/times"
}
: >"$OUT/times"
i=0
for s in energy-xy:emomc-energy:"--dataflow xy" energy-cico:emomc-energy:"--dataflow cico" \
         energy-fxfy:emomc-energy:"--dataflow fxfy" energy-xfx:emomc-energy:"--dataflow xfx" \
         size-normal:emomc-size:"--coding normal" size-csr:emomc-size:"--coding csr" \
         size-coo:emomc-size:"--coding coo"; do
  name=${s%%:*} rest=${s#*:} problem=${rest%%:*} flag=${rest#*:}
  if [ $((i % 2)) = 0 ]; then run store "$name" "$problem" "$flag"; run none "$name" "$problem" "$flag"
  else run none "$name" "$problem" "$flag"; run store "$name" "$problem" "$flag"; fi
  i=$((i + 1))
done
python3 - "$OUT" <<'EOF'
import filecmp, json, os, sys
out = sys.argv[1]
times = {}
for line in open(os.path.join(out, "times")):
    way, name, sec = line.split()
    times[(way, name)] = float(sec)
names = sorted({n for _, n in times}, key=lambda n: list(times).index(("store", n)))
print(f"{'search':12} {'evals':>6} {'inf(none)':>9} {'inf(store)':>10} {'s(none)':>8} {'s(store)':>8}  identical")
tot = {"e": 0, "in": 0, "is": 0, "sn": 0.0, "ss": 0.0}
all_same = True
for n in names:
    js = json.load(open(os.path.join(out, "store", n, "search.json")))
    jn = json.load(open(os.path.join(out, "none", n, "search.json")))
    same = all(filecmp.cmp(os.path.join(out, "store", n, f), os.path.join(out, "none", n, f), shallow=False)
               for f in ("front.csv", "archive.csv", "final.csv"))
    all_same &= same
    e, i_n, i_s = js["evaluations"], jn["inferences"], js["inferences"]
    sn, ss = times[("none", n)], times[("store", n)]
    for k, v in (("e", e), ("in", i_n), ("is", i_s), ("sn", sn), ("ss", ss)):
        tot[k] += v
    print(f"{n:12} {e:6d} {i_n:9d} {i_s:10d} {sn:8.1f} {ss:8.1f}  {'yes' if same else 'NO'}")
print(f"{'total':12} {tot['e']:6d} {tot['in']:9d} {tot['is']:10d} {tot['sn']:8.1f} {tot['ss']:8.1f}  {'yes' if all_same else 'NO'}")
print(f"ratio store/none: inferences {tot['is'] / tot['in']:.3f}, wall time {tot['ss'] / tot['sn']:.3f}")
sys.exit(0 if all_same else 1)
EOF

# experiments/common.sh: what the experiment scripts share (sourced, never run): a zoo
# model's files and search settings, and "run a search once, or resume it".

# em_model MODEL: sets weights, library, data, images (search images per accuracy) and
# tau (the sbo problem's accuracy floor) for lenet5 (MNIST) or resnet20 (CIFAR-10).
em_model() {
  case $1 in
    lenet5)   weights=models/lenet5-mnist.emw library=models/lenet5-mnist-library
              data=mnist images=2000 tau=0.95 ;;
    resnet20) weights=models/resnet20-cifar10.emw library=models/resnet20-cifar10-library
              data=cifar10 images=1000 tau=0.80 ;;
    *) echo "unknown model $1 (lenet5 or resnet20)" >&2; exit 2 ;;
  esac
}

# em_run DIR FLAGS...: `$bin optimize "${common[@]}" FLAGS --out DIR`, skipped when DIR
# holds a finished run (final.csv), resumed when it holds a checkpoint; prints the
# seconds it took.
em_run() {
  local dir=$1; shift
  if [ -f "$dir/final.csv" ]; then echo "$dir: done"; return; fi
  local resume=()
  [ -f "$dir/checkpoint" ] && resume=(--resume)
  local t0=$SECONDS
  "$bin" optimize "${common[@]}" "$@" --out "$dir" "${resume[@]}"
  echo "$dir: $((SECONDS - t0)) s"
}

# em_store STORE: makes sure the evaluation store STORE exists: when it does not (a
# fresh clone, another machine) and experiments/stores/NAME.sqlite.gz does (NAME: the
# store's folder under experiments/runs/), it is restored from that snapshot, so a
# rerun with the same seeds finds every accuracy already measured.
# experiments/snapshot-stores.sh writes the snapshots.
em_store() {
  local store=$1 name
  name=$(basename "$(dirname "$store")")
  local snap=experiments/stores/$name.sqlite.gz
  if [ ! -f "$store" ] && [ -f "$snap" ]; then
    mkdir -p "$(dirname "$store")"
    gunzip -c "$snap" > "$store.tmp" && mv "$store.tmp" "$store"
    echo "restored $store from $snap"
  fi
}

#!/usr/bin/env bash
# experiments/snapshot-stores.sh: a consistent copy of every evaluation store under
# experiments/runs/ (sqlite3 .backup, safe while runs are writing) gzipped into
# experiments/stores/NAME.sqlite.gz, to be committed: the stores hold every accuracy
# the long runs measured (hours of inference) and are small (a few hundred KB), and the
# experiment scripts restore them on a machine that lacks them (experiments/common.sh
# em_store). Usage: experiments/snapshot-stores.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p experiments/stores
for store in experiments/runs/*/store.sqlite; do
  [ -f "$store" ] || continue
  name=$(basename "$(dirname "$store")")
  tmp=$(mktemp /tmp/emomc-store.XXXXXX)
  sqlite3 "$store" ".backup '$tmp'"
  gzip -9 -n -c "$tmp" > "experiments/stores/$name.sqlite.gz.tmp"
  mv "experiments/stores/$name.sqlite.gz.tmp" "experiments/stores/$name.sqlite.gz"
  echo "$name: $(sqlite3 "$tmp" 'select count(*) from accuracy') accuracies, $(wc -c < "experiments/stores/$name.sqlite.gz") bytes"
  rm -f "$tmp"
done

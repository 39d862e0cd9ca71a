#!/bin/sh
# docs/img/make-examples.sh: redraws the example figures of docs/plots.md.
# The figures come from the plots test suite (realistic synthetic LeNet-5-like data,
# seeded); they are then reduced to a 128-colour palette so the PNGs stay small.
# Usage: docs/img/make-examples.sh BUILD_DIR   (a configured and built build dir)
set -e
build=${1:?usage: $0 BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
EMOMC_PLOT_EXAMPLES="$tmp" "$build/tests/test_plots" >/dev/null
for f in "$tmp"/*.png; do
    /usr/bin/python3 - "$f" "$here/$(basename "$f")" <<'PY' || cp "$f" "$here/$(basename "$f")"
import sys
from PIL import Image
im = Image.open(sys.argv[1]).convert("RGB")
im.quantize(colors=128, method=Image.Quantize.MEDIANCUT,
            dither=Image.Dither.NONE).save(sys.argv[2], optimize=True)
PY
done
ls -l "$here"/*.png

#!/usr/bin/env bash
# tests/test_consumer.sh BUILD_DIR: installs the build into a temporary prefix and
# builds tests/consumer/app.c against it twice, with plain
# `cc app.c $(pkg-config --cflags --libs emomc)` and with find_package(emomc) (shared
# and static); each program must run and find the installed data, not the source
# tree's: the shared library finds share/emomc beside itself; a static program
# outside the prefix cannot know where the install went, and is told by EMOMC_HOME.
set -euo pipefail
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
prefix=$work/prefix
libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -1 | xargs dirname)
test -f "$prefix/include/emomc/emomc.h"
if ls "$prefix"/include/emomc/*/*_internal.h > /dev/null 2>&1; then
  echo "FAIL: internal headers installed"; exit 1
fi
for h in "$prefix"/include/emomc/*/*.h; do
  rel=${h#"$prefix"/include/emomc/}
  grep -q "#include \"$rel\"" "$prefix/include/emomc/emomc.h" ||
    { echo "FAIL: emomc.h does not include $rel"; exit 1; }
done
export PKG_CONFIG_PATH=$libdir/pkgconfig
cc -std=c11 -Wall -Werror "$src/tests/consumer/app.c" -o "$work/app_pc" \
  $(pkg-config --cflags --libs emomc)
cmake -S "$src/tests/consumer" -B "$work/cm" -DCMAKE_PREFIX_PATH="$prefix" > "$work/cm.log"
cmake --build "$work/cm" > "$work/cmb.log"
fail=0
for app in "$work/app_pc" "$work/cm/app_shared" "$work/cm/app_static"; do
  home=()
  case $app in *static) home=(EMOMC_HOME="$prefix/share/emomc") ;; esac
  out=$(env -u EMOMC_HOME LD_LIBRARY_PATH="$libdir" "${home[@]}" "$app") ||
    { echo "FAIL: $app"; fail=1; continue; }
  case $out in
    "lenet5 $prefix/share/emomc/models/lenet5.yaml "*" mJ") echo "ok: $(basename "$app"): $out" ;;
    *) echo "FAIL: $(basename "$app"): $out (expected the installed lenet5.yaml)"; fail=1 ;;
  esac
done
if [ $fail -eq 0 ]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail

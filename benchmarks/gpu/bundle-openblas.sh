#!/usr/bin/env bash
# Copies the system's OpenBLAS (as libopenblas.so.0) and every library it links, except the C
# library's own, into DEST: the CPU reference that GPU bundles carry to a machine without it.
# Used by publish-check-backend.sh and publish-gpu-bundle.sh.
#
#   benchmarks/gpu/bundle-openblas.sh DEST
set -euo pipefail
DEST="$1"
mkdir -p "$DEST"
# sed reads all of ldconfig's output: an early-exiting reader would make it die of SIGPIPE under pipefail.
openblas="$(ldconfig -p | awk '/libopenblas\.so\.0 / {print $NF}' | sed -n 1p)"
if [[ -z "$openblas" ]]; then
  printf 'warning: no libopenblas.so.0 here; the target must provide OpenBLAS (or the reference cases are skipped)\n' >&2
  exit 0
fi
cp -L "$openblas" "$DEST/libopenblas.so.0"
ldd "$openblas" | awk '/=> \// {print $3}' | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so.*|libm.so.*|ld-linux*|libpthread.so.*|libdl.so.*) ;;
    *) cp -L "$lib" "$DEST/" ;;
  esac
done

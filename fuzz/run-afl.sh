#!/usr/bin/env bash
# The same targets under afl++ (Debian: apt-get install afl++) with SharpFuzz's instrumentation:
# ./fuzz/run-afl.sh TARGET [SECONDS]. Needs the sharpfuzz tool: dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
set -euo pipefail
cd "$(dirname "$0")/.."
target="$1"; seconds="${2:-600}"
out="artifacts/fuzz-afl/$target"
bin=artifacts/fuzz-afl/bin
# The assemblies that hold the parsers (SharpFuzz rewrites them in place for afl's coverage map); the
# stamp records the list, so adding one re-instruments a fresh copy.
dlls="Engine.Abstractions Engine.Core engine Engine.Datasets.Idx Engine.Datasets.Cifar Engine.Interop.Onnx Google.Protobuf"
if [ "$(cat "$bin/.instrumented" 2>/dev/null)" != "$dlls" ]; then
  rm -rf "$bin"
  dotnet publish fuzz/Engine.Fuzz -c Release -o "$bin" --nologo -v q >/dev/null
  for dll in $dlls; do
    sharpfuzz "$bin/$dll.dll"
  done
  echo "$dlls" > "$bin/.instrumented"
fi
mkdir -p "$out"
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1
timeout "$seconds" afl-fuzz -i "fuzz/corpus/$target" -o "$out" -t 10000 -m none -- \
  dotnet "$bin/Engine.Fuzz.dll" afl "$target" || true
tail -n 20 "$out/default/fuzzer_stats" 2>/dev/null || true
ls "$out/default/crashes" 2>/dev/null || true

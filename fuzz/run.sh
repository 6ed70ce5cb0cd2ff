#!/usr/bin/env bash
# Fuzzes every parser for a bounded time (a benchmark, not CI): ./fuzz/run.sh [SECONDS per target] [TARGET...]
# Random mutation of fuzz/corpus/TARGET/ (see Engine.Fuzz's MutationFuzzer); findings go to
# fuzz/findings/TARGET/ (input .bin and exception .txt), and tests/Engine.Fuzz.Tests replays them in
# the normal suite. ./fuzz/run-afl.sh runs the same targets under afl++ instead.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(model-json config checkpoint idx cifar image pgm npy onnx)
dotnet build fuzz/Engine.Fuzz -c Release --nologo -v q >/dev/null
fuzz=fuzz/Engine.Fuzz/bin/Release/net10.0/Engine.Fuzz.dll
export ENGINE_FUZZ_ROOT="$PWD"
[ -d fuzz/corpus ] || dotnet "$fuzz" seed
status=0
for target in "${targets[@]}"; do
  dotnet "$fuzz" mutate "$target" "$seconds" "${FUZZ_SEED:-1}" || status=1
done
exit $status

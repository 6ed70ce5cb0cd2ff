#!/usr/bin/env bash
# `engine infer` against ONNX Runtime (Microsoft.ML.OnnxRuntime from NuGet) on the same models and
# inputs (issue 13): LeNet-5 at batch 256 (1×28×28) and ResNet-18 at batch 8 (3×224×224), both
# exported by the engine (random weights from --seed 1), the same float32 input for both sides.
#
#   benchmarks/onnx_infer_vs_ort.sh [REPEAT]     (after ./build.sh; REPEAT alternating rounds, default 7)
#
# Per model it prints (1) the forward pass timed in one process, engine and ORT alternating, medians,
# images/s, the engine/ORT ratio and the largest difference of their outputs
# (benchmarks/Engine.Bench.OnnxRuntime), and (2) the wall time of the whole `engine infer` command
# (process start, plugin loading, ONNX parsing, weights, .npy in and out), median of 3, with its
# output checked against ORT's. Files go to artifacts/bench-onnx/. Nothing here is a test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
REPEAT="${1:-7}"
ENGINE=artifacts/engine/engine
WORK=artifacts/bench-onnx
BENCH_OUT="$WORK/bench"
[[ -x "$ENGINE" ]] || { echo "error: $ENGINE is missing; run ./build.sh first" >&2; exit 1; }
mkdir -p "$WORK"

dotnet build benchmarks/Engine.Bench.OnnxRuntime/Engine.Bench.OnnxRuntime.csproj -c Release -o "$BENCH_OUT" --nologo -v q >/dev/null

echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-(unset)}, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)"

# MODEL INPUT(CxHxW) BATCH
run_model() {
  local model=$1 input=$2 batch=$3
  local onnx="$WORK/$model.onnx" x="$WORK/$model-x$batch.npy" y="$WORK/$model-y$batch.npy"
  echo
  echo "== $model, batch $batch, input $input"
  "$ENGINE" export --model "$model" --input "$input" --seed 1 --output "$onnx" >/dev/null
  /usr/bin/python3 - "$x" "$batch" "$input" <<'EOF'
import sys, numpy as np
path, batch, dims = sys.argv[1], int(sys.argv[2]), [int(d) for d in sys.argv[3].split("x")]
np.save(path, np.random.default_rng(13).uniform(-1, 1, size=[batch, *dims]).astype("<f4"))
EOF
  # End to end: the command as users run it (wall seconds, median of 3).
  local times=()
  for _ in 1 2 3; do
    local start end
    start=$(date +%s.%N)
    "$ENGINE" infer --model "$onnx" --input "$x" --output "$y" --batch-size "$batch" >/dev/null
    end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc)")
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
  printf 'cli       engine infer --model %s --input %s --output %s --batch-size %s: %.2f s wall (median of 3: %s)\n' \
    "$onnx" "$x" "$y" "$batch" "$median" "${times[*]}"
  dotnet "$BENCH_OUT/Engine.Bench.OnnxRuntime.dll" --model "$onnx" --input "$x" --plugins artifacts/engine/plugins \
    --repeat "$REPEAT" --warmup 2 --cli-output "$y"
}

run_model lenet5 1x28x28 256
run_model resnet18 3x224x224 8

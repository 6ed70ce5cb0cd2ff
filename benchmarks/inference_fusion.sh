#!/usr/bin/env bash
# Inference fusion (convolution/dense + batch norm + activation as one product and one epilogue pass)
# against the same network layer by layer and against ONNX Runtime, on LeNet-5 (batch 256), VGG-CIFAR
# and CIFAR ResNet-20 (batch 128) and ResNet-18 at 224x224 (batch 16): per model one process of
# benchmarks/Engine.Bench.OnnxRuntime with --unfused 1, the four sides alternating (engine fused, ORT
# 2 threads, ORT default, engine unfused), medians of REPEAT rounds, CPU time of the whole process
# per pass beside the wall time. Weights are the engine's export with --seed 1.
#
#   benchmarks/inference_fusion.sh [MODEL...]          (after ./build.sh; REPEAT=7 by default)
#
# ORT_THREADS=1 (ORT sessions by intra-op threads, comma-separated, 0 = ORT's default; default 2,0) and
# UNFUSED=0 (leave out the unfused side) are for benchmarks/inference_vs_ort.sh; BATCH=N overrides the batch of
# vgg-cifar, resnet20 and resnet18 (a small batch shows the per-pass costs); NO_RESIDUAL=1 adds a side
# with the residual sum + ReLU as their own layers (a backend that declines the residual epilogue); NO_SPLIT=1 a side
# with the inference batch split off (each layer cuts its samples between the threads); PIECES=off|auto|N a side with
# the inference split's pieces set so (ENGINE_SPLIT_PIECES, the engine side keeping the process's setting); PROFILE=N
# prints N passes' per-layer profile of the engine and of ORT (one thread) after the timing; PASSES=N overrides the
# passes per side per round; WARMUP=N the warm-up passes per side (default 2; the engine's kernels are
# JIT-compiled in tiers, and its steady state takes more passes than ORT's native code).
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=artifacts/engine/engine
WORK=artifacts/bench-models
BENCH="$WORK/ort-bench"
REPEAT=${REPEAT:-7}
ORT_THREADS=${ORT_THREADS:-2,0}
UNFUSED=${UNFUSED:-1}
[[ -x "$ENGINE" ]] || { echo "error: $ENGINE is missing; run ./build.sh first" >&2; exit 1; }
mkdir -p "$WORK"
dotnet build benchmarks/Engine.Bench.OnnxRuntime/Engine.Bench.OnnxRuntime.csproj -c Release -o "$BENCH" --nologo -v q >/dev/null
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-(unset)} ENGINE_BATCHED_CONV=${ENGINE_BATCHED_CONV:-(unset)}, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)"

# MODEL INPUT(CxHxW) BATCH PASSES
run_model() {
  local model=$1 input=$2 batch=$3 passes=$4
  local onnx="$WORK/$model.onnx" x="$WORK/$model-x$batch.npy"
  echo
  echo "== $model, batch $batch, input $input"
  "$ENGINE" export --model "$model" --input "$input" --seed 1 --output "$onnx" >/dev/null
  /usr/bin/python3 - "$x" "$batch" "$input" <<'PY'
import sys, numpy as np
path, batch, dims = sys.argv[1], int(sys.argv[2]), [int(d) for d in sys.argv[3].split("x")]
np.save(path, np.random.default_rng(13).uniform(-1, 1, size=[batch, *dims]).astype("<f4"))
PY
  dotnet "$BENCH/Engine.Bench.OnnxRuntime.dll" --model "$onnx" --input "$x" --plugins artifacts/engine/plugins \
    --repeat "$REPEAT" --warmup "${WARMUP:-2}" --passes "${PASSES:-$passes}" --unfused "$UNFUSED" --ort-threads "$ORT_THREADS" \
    --no-residual "${NO_RESIDUAL:-0}" --no-split "${NO_SPLIT:-0}" ${PIECES:+--pieces "$PIECES"} ${PROFILE:+--profile "$PROFILE"}
}

models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(lenet5 vgg-cifar resnet20 resnet18)
for model in "${models[@]}"; do
  case "$model" in
    lenet5) run_model lenet5 1x28x28 256 20 ;;
    vgg-cifar) run_model vgg-cifar 3x32x32 "${BATCH:-128}" 1 ;;
    resnet20) run_model resnet20 3x32x32 "${BATCH:-128}" 1 ;;
    resnet18) run_model resnet18 3x224x224 "${BATCH:-16}" 1 ;;
    *) echo "error: unknown model '$model' (known: lenet5, vgg-cifar, resnet20, resnet18)" >&2; exit 1 ;;
  esac
done

#!/usr/bin/env bash
# Issue 16: inference of CIFAR ResNet-20, VGG-CIFAR (batch 128) and ResNet-18 at 224x224 (batch 16)
# against ONNX Runtime on the same exported model. Per model and round, three processes of
# benchmarks/inference_fusion.sh, each timing its sides alternately:
#   1. one thread each (OPENBLAS_NUM_THREADS=1, ORT intra-op 1): the CPU time per pass, the figure a
#      loaded machine distorts least; the engine with its default paths;
#   2. the same with ENGINE_BATCHED_CONV=off (small output planes one product per sample again), ORT as
#      the anchor between the two processes;
#   3. the engine's default pool against ORT 2 threads and ORT's default.
#
#   benchmarks/inference_vs_ort.sh [MODEL...]     (after ./build.sh; REPEAT=5 ROUNDS=1 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
export REPEAT=${REPEAT:-5}
ROUNDS=${ROUNDS:-1}
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(resnet20 vgg-cifar resnet18)
show() { grep -E "^(engine|ORT|OPENBLAS|env +load)" || true; }
for model in "${models[@]}"; do
  for round in $(seq "$ROUNDS"); do
    for batched in auto off; do
      echo "### $model, round $round: 1 thread, ENGINE_BATCHED_CONV=$batched"
      ENGINE_BATCHED_CONV=$batched OPENBLAS_NUM_THREADS=1 ORT_THREADS=1 UNFUSED=0 benchmarks/inference_fusion.sh "$model" | show
    done
    echo "### $model, round $round: engine's default pool, ORT 2 threads and ORT's default"
    UNFUSED=0 benchmarks/inference_fusion.sh "$model" | show
  done
done

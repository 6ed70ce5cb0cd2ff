#!/usr/bin/env bash
# Inference batch split (Network.SplitInference, ENGINE_INFER_SPLIT) A/B at 2 threads, against ONNX Runtime
# at 2 threads: per model ROUNDS processes of benchmarks/inference_fusion.sh, each timing three sides
# alternately (engine with the split, ORT 2 threads, engine with the split off: every layer cuts its
# samples between the threads), medians of REPEAT rounds, wall and CPU time of the process per pass.
# Then the engine at one thread against ORT at one (the split does not apply there) as the anchor.
#
#   benchmarks/inference_split_ab.sh [MODEL...]     (after ./build.sh; default resnet20 vgg-cifar resnet18)
set -euo pipefail
cd "$(dirname "$0")/.."
export REPEAT=${REPEAT:-7} WARMUP=${WARMUP:-3}
ROUNDS=${ROUNDS:-2}
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(resnet20 vgg-cifar resnet18)
show() { grep -E "^(engine|ORT|split|env +load)" || true; }
for model in "${models[@]}"; do
  for round in $(seq "$ROUNDS"); do
    echo "### $model, round $round, $(date -u +%T) UTC: 2 threads, split on / off alternating in one process"
    NO_SPLIT=1 OPENBLAS_NUM_THREADS=2 ORT_THREADS=2 UNFUSED=0 benchmarks/inference_fusion.sh "$model" | show
  done
  echo "### $model, $(date -u +%T) UTC: 1 thread each"
  OPENBLAS_NUM_THREADS=1 ORT_THREADS=1 UNFUSED=0 benchmarks/inference_fusion.sh "$model" | show
done

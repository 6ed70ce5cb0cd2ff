#!/usr/bin/env bash
# Weight versions A/B (TensorStorage.Version): per model ROUNDS alternations of two processes of
# benchmarks/inference_fusion.sh, each timing the engine against ONNX Runtime at THREADS threads (default 2):
#   new  the defaults: the inference split's copies take only the weights and running statistics written since
#        their last pass (ENGINE_SPLIT_MIRROR), the filter-block repack and Winograd's filter transform are kept
#        per weight tensor while it is unchanged (ENGINE_DERIVED_FILTERS)
#   old  ENGINE_SPLIT_MIRROR=off ENGINE_DERIVED_FILTERS=off: both done on every pass, as before
# Compare each side's engine/ORT ratio (ORT is the anchor within each process); medians of REPEAT rounds.
#
#   benchmarks/weight_versions_ab.sh [MODEL...]     (after ./build.sh; default resnet20 vgg-cifar resnet18)
set -euo pipefail
cd "$(dirname "$0")/.."
export REPEAT=${REPEAT:-5} WARMUP=${WARMUP:-3}
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-2}
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(resnet20 vgg-cifar resnet18)
show() { grep -E "^(engine|ORT|env +load)" || true; }
for model in "${models[@]}"; do
  for round in $(seq "$ROUNDS"); do
    for side in new old; do
      echo "### $model, round $round, $side, $(date -u +%T) UTC, $THREADS thread(s)"
      if [[ $side == old ]]; then
        ENGINE_SPLIT_MIRROR=off ENGINE_DERIVED_FILTERS=off OPENBLAS_NUM_THREADS=$THREADS ORT_THREADS=$THREADS UNFUSED=0 \
          benchmarks/inference_fusion.sh "$model" | show
      else
        OPENBLAS_NUM_THREADS=$THREADS ORT_THREADS=$THREADS UNFUSED=0 benchmarks/inference_fusion.sh "$model" | show
      fi
    done
  done
done

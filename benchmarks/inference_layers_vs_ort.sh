#!/usr/bin/env bash
# Inference layer by layer against ONNX Runtime at one thread each (THREADS=N: N each), by process CPU time: every distinct
# convolution shape of CIFAR ResNet-20 and VGG-CIFAR (batch 128) and ResNet-18 at 224x224 (batch 16) as a
# small model of its own (the convolution + batch norm + ReLU, as a chain of K equal layers where the shape
# repeats, then global average pooling so the output copied out is small), exported to ONNX and timed by
# benchmarks/Engine.Bench.OnnxRuntime with the engine and a one-thread ORT session alternating in one process.
# Where ORT's per-node profile (--profile) reads wall clock, which a loaded machine inflates at random, this
# compares the CPU each side spends on the same layers, so a ratio per shape means something under load.
#
#   benchmarks/inference_layers_vs_ort.sh [CASE...]     (after ./build.sh; cases below, default all)
#
# REPEAT=5 WARMUP=10 PASSES=5 (passes per side per round, so the CPU clock's ticks are small against a round) by default.
# THREADS=N (default 1) sets the engine's pool width (OPENBLAS_NUM_THREADS) and ORT's intra-op threads alike; above one
# thread the wall-clock medians are printed too (their ratio is the one that counts there: CPU time then also measures
# how much each side spends waiting and spinning), and the engine runs its inference batch split as `engine infer` does.
set -euo pipefail
cd "$(dirname "$0")/.."
ENGINE=artifacts/engine/engine
WORK=artifacts/bench-models/layers
BENCH="artifacts/bench-models/ort-bench"
[[ -x "$ENGINE" ]] || { echo "error: $ENGINE is missing; run ./build.sh first" >&2; exit 1; }
mkdir -p "$WORK"
dotnet build benchmarks/Engine.Bench.OnnxRuntime/Engine.Bench.OnnxRuntime.csproj -c Release -o "$BENCH" --nologo -v q >/dev/null
THREADS=${THREADS:-1}
export OPENBLAS_NUM_THREADS=$THREADS
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}, $THREADS thread(s) each, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD), $(date -u +%H:%M:%S) UTC"

# conv FILTERS KERNEL STRIDE PAD -> the JSON of convolution + batch norm + ReLU
conv() { echo "{\"type\":\"conv2d\",\"filters\":$1,\"kernel\":$2,\"stride\":$3,\"padding\":$4},{\"type\":\"batch_norm\"},{\"type\":\"relu\"}"; }

# NAME INPUT(CxHxW) BATCH K LAYER-JSON: the layer K times, then global average pooling
run_case() {
  local name=$1 input=$2 batch=$3 k=$4 layer=$5 layers="" i
  for ((i = 0; i < k; i++)); do layers+="$layer,"; done
  echo "{\"name\":\"$name\",\"layers\":[${layers}{\"type\":\"global_avg_pool\"}]}" >"$WORK/$name.json"
  "$ENGINE" export --model "$WORK/$name.json" --input "$input" --seed 1 --output "$WORK/$name.onnx" >/dev/null
  /usr/bin/python3 - "$WORK/$name-x.npy" "$batch" "$input" <<'PY'
import sys, numpy as np
path, batch, dims = sys.argv[1], int(sys.argv[2]), [int(d) for d in sys.argv[3].split("x")]
np.save(path, np.random.default_rng(13).uniform(-1, 1, size=[batch, *dims]).astype("<f4"))
PY
  local out
  out=$(dotnet "$BENCH/Engine.Bench.OnnxRuntime.dll" --model "$WORK/$name.onnx" --input "$WORK/$name-x.npy" --plugins artifacts/engine/plugins \
    --repeat "${REPEAT:-5}" --warmup "${WARMUP:-10}" --passes "${PASSES:-5}" --unfused 0 --ort-threads "$THREADS")
  local e o ew ow
  e=$(grep '^engine ' <<<"$out" | sed -E 's/.*CPU ([0-9.]+) ms.*/\1/')
  o=$(grep '^ORT [0-9]* thread' <<<"$out" | sed -E 's/.*CPU ([0-9.]+) ms.*/\1/')
  if [[ $THREADS -eq 1 ]]; then
    printf '%-14s %-11s batch %3d x%d  engine CPU %8.2f ms  ORT CPU %8.2f ms  engine/ORT time %.2f\n' "$name" "$input" "$batch" "$k" "$e" "$o" "$(echo "$e / $o" | bc -l)"
  else
    ew=$(grep '^engine ' <<<"$out" | sed -E 's/.*\(([0-9.]+) ms per batch.*/\1/')
    ow=$(grep '^ORT [0-9]* thread' <<<"$out" | sed -E 's/.*\(([0-9.]+) ms per batch.*/\1/')
    printf '%-14s %-11s batch %3d x%d  engine %8.2f ms (CPU %8.2f)  ORT %8.2f ms (CPU %8.2f)  engine/ORT wall %.2f, CPU %.2f\n' "$name" "$input" "$batch" "$k" \
      "$ew" "$e" "$ow" "$o" "$(echo "$ew / $ow" | bc -l)" "$(echo "$e / $o" | bc -l)"
  fi
}

declare -A CASES=(
  [r20-stem]="3x32x32 128 1 $(conv 16 3 1 1)"
  [r20-16x32]="16x32x32 128 3 $(conv 16 3 1 1)"
  [r20-s2-32]="16x32x32 128 1 $(conv 32 3 2 1)"
  [r20-32x16]="32x16x16 128 3 $(conv 32 3 1 1)"
  [r20-s2-64]="32x16x16 128 1 $(conv 64 3 2 1)"
  [r20-64x8]="64x8x8 128 3 $(conv 64 3 1 1)"
  [vgg-stem]="3x32x32 128 1 $(conv 32 3 1 1)"
  [vgg-32x32]="32x32x32 128 1 $(conv 32 3 1 1)"
  [vgg-64a]="32x16x16 128 1 $(conv 64 3 1 1)"
  [vgg-64x16]="64x16x16 128 1 $(conv 64 3 1 1)"
  [vgg-128a]="64x8x8 128 1 $(conv 128 3 1 1)"
  [vgg-128x8]="128x8x8 128 1 $(conv 128 3 1 1)"
  [r18-stem]="3x224x224 16 1 $(conv 64 7 2 3)"
  [r18-64x56]="64x56x56 16 2 $(conv 64 3 1 1)"
  [r18-s2-128]="64x56x56 16 1 $(conv 128 3 2 1)"
  [r18-1x1-128]="64x56x56 16 1 $(conv 128 1 2 0)"
  [r18-128x28]="128x28x28 16 2 $(conv 128 3 1 1)"
  [r18-s2-256]="128x28x28 16 1 $(conv 256 3 2 1)"
  [r18-1x1-256]="128x28x28 16 1 $(conv 256 1 2 0)"
  [r18-256x14]="256x14x14 16 2 $(conv 256 3 1 1)"
  [r18-s2-512]="256x14x14 16 1 $(conv 512 3 2 1)"
  [r18-1x1-512]="256x14x14 16 1 $(conv 512 1 2 0)"
  [r18-512x7]="512x7x7 16 2 $(conv 512 3 1 1)"
)
ORDER=(r20-stem r20-16x32 r20-s2-32 r20-32x16 r20-s2-64 r20-64x8 vgg-stem vgg-32x32 vgg-64a vgg-64x16 vgg-128a vgg-128x8
  r18-stem r18-64x56 r18-s2-128 r18-1x1-128 r18-128x28 r18-s2-256 r18-1x1-256 r18-256x14 r18-s2-512 r18-1x1-512 r18-512x7)
cases=("$@")
[[ ${#cases[@]} -gt 0 ]] || cases=("${ORDER[@]}")
for c in "${cases[@]}"; do
  [[ -n "${CASES[$c]:-}" ]] || { echo "error: unknown case '$c' (known: ${ORDER[*]})" >&2; exit 1; }
  read -r input batch k layer <<<"${CASES[$c]}"
  run_case "$c" "$input" "$batch" "$k" "$layer"
done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at end, $(date -u +%H:%M:%S) UTC"

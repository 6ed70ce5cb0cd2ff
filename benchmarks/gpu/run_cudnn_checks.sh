#!/usr/bin/env bash
# The cuDNN backend's GPU checks (issue 14), in one device call. Run from the repository root on the
# GPU machine with artifacts/gpu-bundle.tar.xz carried (benchmarks/gpu/publish-gpu-bundle.sh makes it):
#
#   OUT=/some/dir bash benchmarks/gpu/run_cudnn_checks.sh [checks|quick|full]
#   (checks: steps 1-3 only; quick: LeNet-5 for 1 epoch; full: everything)
#
# 1. builds native/ there (the shim, with gcc) and the header check against the real CUDA/cuDNN
#    headers, and runs ctest (NVRTC compiles every kernel module for this GPU);
# 2. engine plugins: the cudnn backend available;
# 3. engine check-backend cudnn in strict float32 (--precision strict: cuDNN's heuristics), its
#    convolution cases with measured algorithms, then in TF32 (both include the fused epilogue's
#    cases: cudnnConvolutionBiasActivationForward), then the convolution cases channels last
#    (--cudnn-layout nhwc) in strict and bf16;
# 4. LeNet-5 on MNIST with the demo's settings on the GPU (full: 5 epochs; quick: 1), the GPU
#    checkpoint evaluated on the CPU, resume bit-exact (full), device memory over many steps (full).
# Everything goes to $OUT/cudnn-checks.log; the conformance listings to $OUT/check-backend-cudnn-*.txt.
set -uo pipefail
MODE="${1:-full}"
OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
LOG="$OUT/cudnn-checks.log"
exec > >(tee "$LOG") 2>&1
ROOT="$(pwd)"
WORK=/tmp/ecud
rm -rf "$WORK" && mkdir -p "$WORK"
step() { printf '\n==> %s  [%s, %ds]\n' "$*" "$(date -u +%H:%M:%S)" "$SECONDS"; }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader
NV="$(python3 -c 'import nvidia, os; print([p for p in nvidia.__path__ if os.path.isdir(p + "/cudnn")][0])' 2>/dev/null)"
echo "python nvidia packages: ${NV:-none}"
CUDNN_INCLUDE="${NV:+$NV/cudnn/include}"

step "build native/ with the header check (gcc $(gcc -dumpversion))"
cmake -S native -B "$WORK/native" -DCMAKE_BUILD_TYPE=Release -DECUD_HEADER_CHECK=ON \
  "-DECUD_CUDA_INCLUDE=/usr/local/cuda/include;$CUDNN_INCLUDE${NV:+;$NV/nccl/include}" --log-level=WARNING && cmake --build "$WORK/native" -j 8 2>&1 | grep -v "^\[" 
"$WORK/native/cudnn_shim/engine_cudnn_header_check"
export LD_LIBRARY_PATH="/usr/local/cuda/lib64:/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ctest --test-dir "$WORK/native" --output-on-failure 2>&1 | tail -12

step "unpack the bundle"
tar -C "$WORK" -xJf artifacts/gpu-bundle.tar.xz
B="$WORK/gpu-bundle"
cp "$WORK/native/cudnn_shim/libengine_cudnn_shim.so" "$B/engine/plugins/Engine.Backend.Cudnn/"
export ENGINE_OPENBLAS_LIBRARY="$B/lib/libopenblas.so.0"
export LD_LIBRARY_PATH="$B/lib:$LD_LIBRARY_PATH"
export ENGINE_KERNEL_CACHE="$WORK/kernel-cache"
E="$B/engine/engine"
MNIST="$ROOT/data/mnist"

step "engine plugins (cudnn)"
"$E" plugins | grep -A1 "Engine.Backend.Cudnn"

step "check-backend cudnn, strict float32"
timeout 400 "$E" check-backend cudnn --precision strict --hide-skipped > "$OUT/check-backend-cudnn-strict.txt" 2>&1
echo "exit $?"
grep -E "FAIL|passed, " "$OUT/check-backend-cudnn-strict.txt" | head -60

step "check-backend cudnn, convolution cases in strict float32 with measured algorithms (deterministic plain sums only: no FFT nor Winograd)"
timeout 200 "$E" check-backend cudnn --precision strict --cudnn-algorithms measured --filter convolution --hide-skipped > "$OUT/check-backend-cudnn-strict-measured.txt" 2>&1
echo "exit $?"
grep -E "FAIL|passed, " "$OUT/check-backend-cudnn-strict-measured.txt" | head -30

step "check-backend cudnn, TF32"
timeout 300 "$E" check-backend cudnn --hide-skipped > "$OUT/check-backend-cudnn-tf32.txt" 2>&1
echo "exit $?"
grep -E "FAIL|passed, " "$OUT/check-backend-cudnn-tf32.txt" | head -30

step "check-backend cudnn, convolution and epilogue cases channels last (--cudnn-layout nhwc), strict then bf16"
for P in strict bf16; do
  timeout 200 "$E" check-backend cudnn --precision "$P" --cudnn-layout nhwc --filter convolution --hide-skipped > "$OUT/check-backend-cudnn-nhwc-$P.txt" 2>&1
  echo "exit $?"
  grep -E "FAIL|passed, " "$OUT/check-backend-cudnn-nhwc-$P.txt" | head -20
done

if [[ "$MODE" == checks ]]; then step "done"; sleep 1; exit 0; fi
EPOCHS=5
[[ "$MODE" == quick ]] && EPOCHS=1
step "LeNet-5 on MNIST on the GPU, demo settings, $EPOCHS epoch(s)"
DEMO=(--model lenet5 --dataset mnist --data "$MNIST" --batch-size 64 --lr 0.05 --momentum 0.9 --schedule cosine --seed 1)
timeout 400 "$E" train --device gpu "${DEMO[@]}" --epochs "$EPOCHS" --checkpoint "$WORK/lenet5-gpu.ckpt"
echo "exit $?"

step "the GPU checkpoint evaluated on the CPU, and on the GPU"
timeout 120 "$E" eval --checkpoint "$WORK/lenet5-gpu.ckpt" --device cpu --data "$MNIST" | grep -E "^(backend|loss|top-1|top-5)"
timeout 120 "$E" eval --checkpoint "$WORK/lenet5-gpu.ckpt" --device gpu --data "$MNIST" | grep -E "^(backend|loss|top-1|top-5)"

if [[ "$MODE" == full ]]; then
  # A constant learning rate (no schedule), so that a 1-epoch run ends in the state a 2-epoch run
  # has after its first epoch; strict precision and deterministic algorithms on both sides.
  step "resume on the GPU (strict): 2 epochs straight vs 1 + resume to 2, constant learning rate"
  RES=(--model lenet5 --dataset mnist --data "$MNIST" --batch-size 64 --lr 0.05 --momentum 0.9 --seed 1 --precision strict)
  timeout 200 "$E" train --device gpu "${RES[@]}" --epochs 2 --checkpoint "$WORK/straight.ckpt" | grep "^epoch" > "$WORK/straight.txt"
  timeout 200 "$E" train --device gpu "${RES[@]}" --epochs 1 --checkpoint "$WORK/first.ckpt" > /dev/null
  timeout 200 "$E" train --device gpu "${RES[@]}" --epochs 2 --resume "$WORK/first.ckpt" --checkpoint "$WORK/resumed.ckpt" | grep "^epoch" > "$WORK/resumed.txt"
  cat "$WORK/straight.txt" "$WORK/resumed.txt"
  a="$(grep '^epoch 2/2' "$WORK/straight.txt" | sed 's/  time.*//')"
  b="$(grep '^epoch 2/2' "$WORK/resumed.txt" | sed 's/  time.*//')"
  [[ -n "$a" && "$a" == "$b" ]] && echo "resume: epoch 2 identical (loss, accuracies, lr)" || echo "resume: DIFFERENT"
  for f in straight resumed; do
    # Everything eval prints but the checkpoint's path: loss, top-1, top-5 and the confusion matrix.
    timeout 120 "$E" eval --checkpoint "$WORK/$f.ckpt" --device cpu --data "$MNIST" | grep -v "^checkpoint" > "$WORK/$f-eval.txt"
  done
  grep -E "^(loss|top-1)" "$WORK/straight-eval.txt" "$WORK/resumed-eval.txt"
  cmp -s "$WORK/straight-eval.txt" "$WORK/resumed-eval.txt" && echo "resume: both checkpoints evaluate identically on the CPU" || echo "resume: the checkpoints evaluate DIFFERENTLY"

  step "device memory over 10,000 training steps (bench train)"
  timeout 300 "$E" bench train --device gpu --data "$MNIST" --steps 2000 --repeat 5
fi
step "done"
sleep 1

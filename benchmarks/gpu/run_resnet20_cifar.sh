#!/usr/bin/env bash
# ResNet-20 on CIFAR-10 on the GPU, the ResNet paper's schedule (He et al. 2015, section 4.2):
# SGD momentum 0.9, batch 128, weight decay 1e-4, lr 0.1 divided by 10 at 50% and 75% of the epochs
# (default 182 epochs: milestones 91 and 137), random horizontal flip and 4-pixel-pad random crop,
# per-channel normalisation. The paper reports 91.25% test accuracy (8.75% error); the target
# (issue 9) is at least 91%. Not run yet: written in a session without a GPU.
#
# CIFAR-10 (184 MB as the six .bin files) is larger than the device tool's 64 MiB carry limit, so it
# travels in pieces, compressed (xz with a delta filter of 32 bytes, the image row: 0.69 of the size,
# about 127 MB), over calls to one warm machine. The tool keeps ignored paths of the working tree
# between calls while the machine stays warm, so every piece stays under artifacts/ there:
#
#   here:  benchmarks/gpu/run_resnet20_cifar.sh pack ../shared/data/cifar-10
#          (-> artifacts/cifar-10-xz/*.bin.xz, about 21 MB each; benchmarks/gpu/publish-gpu-bundle.sh
#           -> artifacts/gpu-bundle.tar.xz, about 45 MB)
#   call 1: carry artifacts/cifar-10-xz/data_batch_1.bin.xz, _2, _3, batches.meta.txt, SHA256SUMS
#           command: ls -l artifacts/cifar-10-xz
#   call 2: carry artifacts/cifar-10-xz/data_batch_4.bin.xz, _5, test_batch.bin.xz
#           command: ls -l artifacts/cifar-10-xz
#   call 3: carry artifacts/gpu-bundle.tar.xz (+ a checkpoint to resume, see below)
#           command: OUT=$OUT bash benchmarks/gpu/run_resnet20_cifar.sh train
#   (Do not name the pieces of earlier calls in a later call's carry: a carried path that is absent
#   here is removed there. Raw .bin files would need four calls of two files each.)
#
# Time: one command runs at most 10 minutes and a session has 15 minutes of device time in all, so
# `train` stops itself after TRAIN_SECONDS (default 480; SIGTERM stops between steps and keeps the
# last epoch's checkpoint) and resumes from artifacts/resnet20-gpu/resnet20.ckpt when it exists: a
# later `train` call on the warm machine continues the schedule. The checkpoint (about 2 MB), the
# metrics and the log are copied to $OUT every call, so a later session can carry the checkpoint back
# to artifacts/resnet20-gpu/ and go on. The per-epoch lines give images/s: 182 epochs are 9.1 M
# images, so at N images/s the whole schedule needs 9.1e6 / N seconds of device time.
#
# Environment: EPOCHS (182), TRAIN_SECONDS (480), PRECISION (tf32 | strict; default the backend's).
set -uo pipefail
MODE="${1:-train}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PACKED=artifacts/cifar-10-xz
FILES=(data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin batches.meta.txt)
step() { printf '\n==> %s  [%s, %ds]\n' "$*" "$(date -u +%H:%M:%S)" "$SECONDS"; }

if [[ "$MODE" == pack ]]; then
  SOURCE="${2:?usage: run_resnet20_cifar.sh pack CIFAR10_FOLDER}"
  mkdir -p "$PACKED"
  for f in "${FILES[@]}"; do
    [[ -f "$SOURCE/$f" ]] || { echo "error: $SOURCE/$f is missing" >&2; exit 1; }
    if [[ "$f" == *.txt ]]; then cp "$SOURCE/$f" "$PACKED/$f"; continue; fi
    xz -T0 -c --delta=dist=32 --lzma2=preset=6 "$SOURCE/$f" > "$PACKED/$f.xz"
  done
  (cd "$SOURCE" && sha256sum "${FILES[@]}") > "$PACKED/SHA256SUMS"
  ls -l "$PACKED"
  exit 0
fi
[[ "$MODE" == train ]] || { echo "error: mode '$MODE': use pack (here) or train (on the GPU machine)" >&2; exit 1; }

OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
exec > >(tee -a "$OUT/resnet20-cifar.log") 2>&1
EPOCHS="${EPOCHS:-182}"
TRAIN_SECONDS="${TRAIN_SECONDS:-480}"
RUN=artifacts/resnet20-gpu
DATA=artifacts/cifar-10
WORK=artifacts/ecud # kept between calls like the data (under artifacts/, ignored)
mkdir -p "$RUN" "$DATA"

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader

step "CIFAR-10 into $DATA"
for f in "${FILES[@]}"; do
  if [[ ! -f "$DATA/$f" ]]; then
    if [[ "$f" == *.txt ]]; then
      # batches.meta.txt is optional (class names) and travels with a data call when carried.
      [[ -f "$PACKED/$f" ]] && cp "$PACKED/$f" "$DATA/$f"
    elif [[ -f "$PACKED/$f.xz" ]]; then
      xz -dc "$PACKED/$f.xz" > "$DATA/$f.tmp" && mv "$DATA/$f.tmp" "$DATA/$f"
    else
      echo "error: $PACKED/$f.xz is not on this machine: carry the data pieces first (see the top of this script)" >&2
      exit 1
    fi
  fi
done
ls -l "$DATA"
[[ -f "$PACKED/SHA256SUMS" ]] && (cd "$DATA" && sha256sum -c --quiet --ignore-missing "$ROOT/$PACKED/SHA256SUMS" && echo "checksums match")

step "engine bundle and the cuDNN shim (built once per machine)"
B="$WORK/gpu-bundle"
if [[ ! -x "$B/engine/engine" ]]; then
  mkdir -p "$WORK" && tar -C "$WORK" -xJf artifacts/gpu-bundle.tar.xz || exit 1
fi
if [[ ! -f "$WORK/native/cudnn_shim/libengine_cudnn_shim.so" ]]; then
  NV="$(python3 -c 'import nvidia, os; print([p for p in nvidia.__path__ if os.path.isdir(p + "/cudnn")][0])' 2>/dev/null)"
  cmake -S native -B "$WORK/native" -DCMAKE_BUILD_TYPE=Release "-DECUD_CUDA_INCLUDE=/usr/local/cuda/include;${NV:+$NV/cudnn/include}" --log-level=WARNING \
    && cmake --build "$WORK/native" -j 8 2>&1 | grep -v "^\[" || exit 1
fi
cp "$WORK/native/cudnn_shim/libengine_cudnn_shim.so" "$B/engine/plugins/Engine.Backend.Cudnn/"
export ENGINE_OPENBLAS_LIBRARY="$ROOT/$B/lib/libopenblas.so.0"
export LD_LIBRARY_PATH="$ROOT/$B/lib:/usr/local/cuda/lib64:/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export ENGINE_KERNEL_CACHE="$ROOT/$WORK/kernel-cache"
E="$B/engine/engine"

M1=$((EPOCHS / 2))
M2=$(((3 * EPOCHS + 3) / 4))
ARGS=(--device gpu --model resnet20 --dataset cifar-10 --data "$DATA" --epochs "$EPOCHS" --batch-size 128
  --lr 0.1 --momentum 0.9 --weight-decay 1e-4 --schedule "multistep:milestones=$M1/$M2,gamma=0.1"
  --augment "flip,crop=4,normalize=0.4914/0.4822/0.4465:0.247/0.243/0.261"
  --checkpoint "$RUN/resnet20.ckpt" --metrics "$RUN/metrics.csv" --seed 1 --no-progress)
[[ -n "${PRECISION:-}" ]] && ARGS+=(--precision "$PRECISION")
[[ -f "$RUN/resnet20.ckpt" ]] && ARGS+=(--resume "$RUN/resnet20.ckpt")

step "train: ${ARGS[*]} (stops after ${TRAIN_SECONDS}s; run again to go on)"
timeout --signal=TERM "$TRAIN_SECONDS" "$E" train "${ARGS[@]}"
echo "exit $? (143: stopped by the time limit after the last whole step; the checkpoint holds the last epoch)"
cp "$RUN/resnet20.ckpt" "$RUN/metrics.csv" "$OUT/" 2>/dev/null

step "done"
sleep 1

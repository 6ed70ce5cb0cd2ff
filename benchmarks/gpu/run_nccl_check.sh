#!/usr/bin/env bash
# The NCCL path (issue 17) on the GPU machine, in one device call: one rank, the whole path. Run
# from the repository root with artifacts/gpu-bundle.tar.xz carried (publish-gpu-bundle.sh makes it):
#
#   OUT=/some/dir bash benchmarks/gpu/run_nccl_check.sh
#
# 1. builds native/ there with the header check against the real headers, NCCL's included (nccl.h
#    from PyTorch's nvidia/nccl/include): the prototypes and enum values of src/nccl_decls.h;
# 2. the shim's NCCL tests (ctest -R nccl; the no-library test skips itself there: NCCL is present);
# 3. LeNet-5 on MNIST (6,000 images, 2 epochs, strict float32) on the GPU three ways: alone,
#    `--distributed nccl` on one rank (no MPI launcher: ncclGetUniqueId, ncclCommInitRank, a grouped
#    ncclAllReduce per bucket on the backend's stream, ncclCommDestroy) and, where mpirun exists,
#    `mpirun -np 1 … --distributed nccl` (the group id sent over MPI), and `--nproc 1` (the engine
#    starts the rank itself and makes the group id without MPI). With one rank the sums leave
#    the gradients as they are, so every run must print the same epoch lines and evaluate the same.
# Everything goes to $OUT/nccl-check.log.
set -uo pipefail
OUT="${OUT:-/tmp/out}"
mkdir -p "$OUT"
exec > >(tee "$OUT/nccl-check.log") 2>&1
ROOT="$(pwd)"
WORK=/tmp/ecud-nccl
rm -rf "$WORK" && mkdir -p "$WORK"
step() { printf '\n==> %s  [%s, %ds]\n' "$*" "$(date -u +%H:%M:%S)" "$SECONDS"; }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader
NV="$(python3 -c 'import nvidia, os; print([p for p in nvidia.__path__ if os.path.isdir(p + "/nccl")][0])' 2>/dev/null)"
echo "python nvidia packages: ${NV:-none}"
ls "${NV:-/nonexistent}"/nccl/lib 2>/dev/null

step "build native/ with the header check (CUDA, cuDNN, NCCL headers)"
cmake -S native -B "$WORK/native" -DCMAKE_BUILD_TYPE=Release -DECUD_HEADER_CHECK=ON \
  "-DECUD_CUDA_INCLUDE=/usr/local/cuda/include;${NV:+$NV/cudnn/include;$NV/nccl/include}" --log-level=WARNING &&
  cmake --build "$WORK/native" -j 8 2>&1 | grep -v "^\["
"$WORK/native/cudnn_shim/engine_cudnn_header_check"
export LD_LIBRARY_PATH="/usr/local/cuda/lib64:/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ctest --test-dir "$WORK/native" -R nccl --output-on-failure 2>&1 | tail -8

step "unpack the bundle"
tar -C "$WORK" -xJf artifacts/gpu-bundle.tar.xz
B="$WORK/gpu-bundle"
cp "$WORK/native/cudnn_shim/libengine_cudnn_shim.so" "$B/engine/plugins/Engine.Backend.Cudnn/"
export ENGINE_OPENBLAS_LIBRARY="$B/lib/libopenblas.so.0"
export LD_LIBRARY_PATH="$B/lib:$LD_LIBRARY_PATH"
export ENGINE_KERNEL_CACHE="$WORK/kernel-cache"
# PyTorch's NCCL first (the system's is found after it).
export ENGINE_CUDA_PATH="${NV:+$NV/nccl/lib}"
E="$B/engine/engine"
RUN=(train --device gpu --model lenet5 --dataset mnist --data "$ROOT/data/mnist" --limit 6000 --epochs 2 --batch-size 64
  --lr 0.05 --momentum 0.9 --seed 1 --precision strict --no-progress)

step "LeNet-5 on the GPU alone"
timeout 300 "$E" "${RUN[@]}" --checkpoint "$WORK/alone.ckpt" | tee "$WORK/alone.txt"
echo "exit ${PIPESTATUS[0]}"

step "LeNet-5 on the GPU, --distributed nccl, one rank (no launcher)"
NCCL_DEBUG=WARN timeout 300 "$E" "${RUN[@]}" --distributed nccl --checkpoint "$WORK/nccl.ckpt" | tee "$WORK/nccl.txt"
echo "exit ${PIPESTATUS[0]}"

if command -v mpirun > /dev/null; then
  step "LeNet-5 on the GPU, mpirun -np 1 … --distributed nccl"
  timeout 300 mpirun --allow-run-as-root -np 1 -x ENGINE_CUDA_PATH -x LD_LIBRARY_PATH -x ENGINE_OPENBLAS_LIBRARY -x ENGINE_KERNEL_CACHE \
    "$E" "${RUN[@]}" --distributed nccl --checkpoint "$WORK/mpi1.ckpt" | tee "$WORK/mpi1.txt"
  echo "exit ${PIPESTATUS[0]}"
else
  echo "no mpirun on this machine: the MPI-launched rank is not run"
fi

step "LeNet-5 on the GPU, --distributed nccl --nproc 1 (the engine starts the rank; no MPI)"
# The launcher makes the group id without opening the GPU (ncclGetUniqueId in the parent, which stays
# NCCL's bootstrap root), starts one child with ENGINE_DISTRIBUTED_* and shows its output. With two
# or more GPUs, --nproc 2 puts rank r on GPU r; on one GPU NCCL refuses two ranks on one device.
NCCL_DEBUG=WARN timeout 300 "$E" "${RUN[@]}" --distributed nccl --nproc 1 --checkpoint "$WORK/nproc1.ckpt" | tee "$WORK/nproc1.txt"
echo "exit ${PIPESTATUS[0]}"
nvidia_count="$(nvidia-smi -L | wc -l)"
if (( nvidia_count >= 2 )); then
  step "LeNet-5 on 2 GPUs, --distributed nccl --nproc 2"
  NCCL_DEBUG=WARN timeout 300 "$E" "${RUN[@]}" --distributed nccl --nproc 2 --checkpoint "$WORK/nproc2.ckpt" | tee "$WORK/nproc2.txt"
  echo "exit ${PIPESTATUS[0]}"
fi

step "one rank's epochs against the run alone (time columns dropped)"
for f in nccl mpi1 nproc1; do
  [[ -f "$WORK/$f.txt" ]] || continue
  a="$(grep '^epoch' "$WORK/alone.txt" | sed 's/  time.*//')"
  b="$(grep '^epoch' "$WORK/$f.txt" | sed 's/  time.*//')"
  [[ -n "$a" && "$a" == "$b" ]] && echo "$f: epoch lines identical to the run alone" || { echo "$f: DIFFERENT"; echo "$a"; echo "$b"; }
done
for f in alone nccl; do
  timeout 120 "$E" eval --checkpoint "$WORK/$f.ckpt" --device cpu --data "$ROOT/data/mnist" | grep -v "^checkpoint" > "$WORK/$f-eval.txt"
done
grep -E "^(loss|top-1)" "$WORK/alone-eval.txt" "$WORK/nccl-eval.txt"
cmp -s "$WORK/alone-eval.txt" "$WORK/nccl-eval.txt" && echo "nccl: the checkpoints evaluate identically on the CPU" || echo "nccl: the checkpoints evaluate DIFFERENTLY"
step "done"
sleep 1

#!/usr/bin/env bash
# One device call: the CUDA environment facts for the cuDNN shim, then PyTorch's GPU baselines.
#   run from the repository root on the GPU machine; results land in $OUT (default ./out).
set -uo pipefail
OUT="${OUT:-out}"; mkdir -p "$OUT"
python3 benchmarks/gpu/probe_cuda_environment.py > "$OUT/probe.log" 2>&1; echo "probe exit $?"
grep -E "^(NVIDIA|torch|CUDNN_|CUDART|CUBLAS_VER|NCCL_M|lib)" "$OUT/cuda-environment.txt" | head -40
timeout 300 python3 benchmarks/gpu/torch_gpu_baselines.py 2>&1 | tee "$OUT/torch-gpu-baselines.txt"

#!/usr/bin/env bash
# Every pending GPU check in one device call, most important first, inside a time budget (a session
# has 15 minutes of device time in all). Run from the repository root on the GPU machine with
# artifacts/gpu-bundle.tar.xz carried (benchmarks/gpu/publish-gpu-bundle.sh makes it):
#
#   BUDGET=520 OUT=/some/dir bash benchmarks/gpu/run_pending.sh
#
# 1. run_cudnn_checks.sh quick: the shim built against the real headers, ctest, the conformance kit on
#    cuDNN (strict, TF32, channels last strict and bf16), LeNet-5 for one epoch, its checkpoint on the CPU;
#    (with strict's measured algorithms, plain sums only: the run-5 re-checks of strict and NHWC);
# 2. ONLY=run5 run_gpu_speed.sh: ResNet-50 training with CUDA graphs in bf16, NHWC, a 64 MiB workspace
#    (run 5's capture and error-719 faults; its log is kept as gpu-speed-run5-recheck.log);
# 3. run_nccl_check.sh: --distributed nccl on one rank, alone / no launcher / mpirun / --nproc 1;
# 4. ONLY=waste run_gpu_speed.sh: the PyTorch peers, fused epilogue and fused training forward against
#    off, layouts, measured algorithms against heuristics, GPU idle per step.
# Each step gets what is left of BUDGET seconds; a step cut short keeps what its log already holds.
# mpi_scaling.sh (issue 17) needs mpirun and a framework-dependent engine; whether mpirun exists is printed.
set -uo pipefail
OUT="${OUT:-/tmp/out}"
BUDGET="${BUDGET:-520}"
mkdir -p "$OUT"
left() { echo $((BUDGET - SECONDS)); }
phase() {
  local name="$1"; shift
  local t; t="$(left)"
  if ((t < 20)); then printf '\n#### %s: skipped, %ds left\n' "$name" "$t"; return; fi
  printf '\n#### %s (at %ds, %ds left)\n' "$name" "$SECONDS" "$t"
  timeout --kill-after=5 "$t" "$@" > /dev/null 2>&1
  printf '#### %s: exit %d at %ds\n' "$name" "$?" "$SECONDS"
}

echo "mpirun: $(command -v mpirun || echo none); cores: $(nproc)"
phase "cudnn checks (quick)" bash benchmarks/gpu/run_cudnn_checks.sh quick
phase "run 5 re-check (ONLY=run5)" env ONLY=run5 bash benchmarks/gpu/run_gpu_speed.sh
cp "$OUT/gpu-speed.log" "$OUT/gpu-speed-run5-recheck.log" 2>/dev/null
phase "nccl check" bash benchmarks/gpu/run_nccl_check.sh
phase "gpu speed (ONLY=waste)" env ONLY=waste bash benchmarks/gpu/run_gpu_speed.sh

printf '\n#### summary\n'
grep -hE "^==>|passed, |FAIL|^exit|top-1|identical|DIFFERENT|error|Error" "$OUT/cudnn-checks.log" 2>/dev/null | cut -c1-200 | head -60
grep -hE "^==>|^exit|identical|DIFFERENT|error|Error|Passed|Failed|tests passed" "$OUT/nccl-check.log" 2>/dev/null | cut -c1-200 | head -40
grep -hE "^==>|training|exit|error|Error" "$OUT/gpu-speed-run5-recheck.log" 2>/dev/null | cut -c1-200 | head -30
grep -hE "^==>|training|inference|fusion|gpu idle|error|Error|img|images" "$OUT/gpu-speed.log" 2>/dev/null | cut -c1-160 | head -90

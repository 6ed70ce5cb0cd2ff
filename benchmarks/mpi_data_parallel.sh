#!/usr/bin/env bash
# Data-parallel training over MPI (issue 17) on this machine: LeNet-5 on MNIST, the demo's settings
# (batch 64, lr 0.05, momentum 0.9, seed 1), one process with OPENBLAS_NUM_THREADS=2 (the backend's
# pool of 2) against `mpirun -np 2` ranks of one thread each, alternating.
#
#   benchmarks/mpi_data_parallel.sh throughput [LIMIT] [REPEAT]   (default 12000 images, 3 rounds)
#   benchmarks/mpi_data_parallel.sh epoch                         (one full 60,000-image epoch each)
#
# Prints each run's epoch line (images/s), the ranks' wait for gradient sums per step, the test
# accuracy, and for `epoch` the relative L2 difference of every parameter between the two
# checkpoints (benchmarks/compare_checkpoints.py). Files go to artifacts/bench-mpi/. Not a test.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODE="${1:-throughput}"
ENGINE=artifacts/engine/engine
WORK=artifacts/bench-mpi
[[ -x "$ENGINE" ]] || { echo "error: $ENGINE is missing; run ./build.sh first" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "error: mpirun is missing; apt-get install openmpi-bin libopenmpi-dev" >&2; exit 1; }
mkdir -p "$WORK"
MPI=(mpirun --oversubscribe -x OPENBLAS_NUM_THREADS=1)
[[ "$(id -u)" -ne 0 ]] || MPI+=(--allow-run-as-root)
ARGS=(train --model lenet5 --dataset mnist --data data/mnist --epochs 1 --batch-size 64 --lr 0.05 --momentum 0.9 --seed 1 --no-progress)

echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)"

one() { OPENBLAS_NUM_THREADS=2 "$ENGINE" "${ARGS[@]}" "$@" | grep -E '^(epoch|final)'; }
ranks() { "${MPI[@]}" -np 2 "$ENGINE" "${ARGS[@]}" --distributed mpi "$@" | grep -E '^(epoch|comms|final)'; }

case "$MODE" in
  throughput)
    LIMIT="${2:-12000}"
    for round in $(seq "${3:-3}"); do
      echo "round $round: 1 process, 2 threads";   one --limit "$LIMIT"
      echo "round $round: 2 ranks, 1 thread each"; ranks --limit "$LIMIT"
    done
    ;;
  epoch)
    echo "1 process, 2 threads";   one --checkpoint "$WORK/one.ckpt"
    echo "2 ranks, 1 thread each"; ranks --checkpoint "$WORK/two.ckpt"
    python3 benchmarks/compare_checkpoints.py "$WORK/two.ckpt" "$WORK/one.ckpt"
    ;;
  *) echo "error: unknown mode '$MODE' (throughput or epoch)" >&2; exit 1 ;;
esac

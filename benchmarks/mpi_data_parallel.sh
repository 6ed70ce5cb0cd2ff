#!/usr/bin/env bash
# Data-parallel training over MPI (issue 17) on this machine: LeNet-5 on MNIST, the demo's settings
# (batch 64, lr 0.05, momentum 0.9, seed 1), one process with OPENBLAS_NUM_THREADS=2 (the backend's
# pool of 2) against `mpirun -np 2` ranks of one thread each, alternating.
#
#   benchmarks/mpi_data_parallel.sh throughput [LIMIT] [REPEAT]   (default 12000 images, 3 rounds)
#   benchmarks/mpi_data_parallel.sh epoch                         (one full 60,000-image epoch each)
#   benchmarks/mpi_data_parallel.sh invariant [LIMIT]             (--reduction-shards 8: 1 process, 2 and 4
#                                                                  ranks, SGD (demo settings) and Adam; default 60000)
#   benchmarks/mpi_data_parallel.sh shardcost [LIMIT] [REPEAT]    (1 process, 1 thread: CPU seconds with and
#                                                                  without --reduction-shards 8, alternating)
#   benchmarks/mpi_data_parallel.sh syncbn [LIMIT] [REPEAT] [NP]   (LeNet-5 with 4 batch-norm layers,
#                                                                  benchmarks/lenet5_bn.json, on NP ranks (default 2)
#                                                                  with and without --sync-bn, alternating: the job's
#                                                                  CPU seconds and rank 0's wait per step)
#   benchmarks/mpi_data_parallel.sh overlap [LIMIT] [REPEAT] [NP] (--reduction-shards 8 on NP ranks (default 2), the
#                                                                  last shard's exchanges overlapping its backward in
#                                                                  buckets of BUCKET elements (default 4096: three for
#                                                                  LeNet-5) against all sent after it, alternating; MODEL
#                                                                  (lenet5), DATASET/DATA, BATCH (64) run another model)
# LAUNCHER=mpich runs the ranks under MPICH's mpiexec.mpich instead of Open MPI's mpirun.
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
[[ "${LAUNCHER:-openmpi}" != mpich ]] || MPI=(mpiexec.mpich -genv OPENBLAS_NUM_THREADS 1)
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
  invariant)
    LIMIT="${2:-60000}"
    for opt in ${OPTIMIZERS:-sgd adam}; do
      # SGD: the demo's settings (ARGS); Adam: the tests' (lr 0.002, seed 3).
      RUN=("${ARGS[@]}")
      [[ $opt == sgd ]] || RUN=(train --model lenet5 --dataset mnist --data data/mnist --epochs 1 --batch-size 64 --optimizer adam --lr 0.002 --seed 3 --no-progress)
      SHARDED=(--reduction-shards 8 --limit "$LIMIT")
      # One compute thread, as each rank has: the backend's thread count changes its own summation order.
      echo "$opt: 1 process, 1 thread, --reduction-shards 8"
      OPENBLAS_NUM_THREADS=1 "$ENGINE" "${RUN[@]}" "${SHARDED[@]}" --checkpoint "$WORK/inv-$opt-1.ckpt" | grep -E '^(epoch|final)'
      for np in 2 4; do
        echo "$opt: $np ranks, 1 thread each, --reduction-shards 8"
        "${MPI[@]}" -np "$np" "$ENGINE" "${RUN[@]}" --distributed mpi "${SHARDED[@]}" --checkpoint "$WORK/inv-$opt-$np.ckpt" | grep -E '^(epoch|comms|final)'
        python3 benchmarks/compare_checkpoints.py "$WORK/inv-$opt-$np.ckpt" "$WORK/inv-$opt-1.ckpt" | tail -2
      done
    done
    ;;
  shardcost)
    LIMIT="${2:-12000}"
    for round in $(seq "${3:-3}"); do
      for shards in none 8; do
        EXTRA=(); [[ $shards == none ]] || EXTRA=(--reduction-shards "$shards")
        /usr/bin/time -f "round $round, shards $shards: %U s user, %S s system" env OPENBLAS_NUM_THREADS=1 \
          "$ENGINE" "${ARGS[@]}" --limit "$LIMIT" "${EXTRA[@]}" | grep -E '^epoch'
      done
    done
    ;;
  syncbn)
    LIMIT="${2:-12000}"
    for round in $(seq "${3:-3}"); do
      for sync in off on; do
        EXTRA=(); [[ $sync == off ]] || EXTRA=(--sync-bn)
        # %U/%S: the launcher's children (every rank) included, as they are waited for.
        /usr/bin/time -f "round $round, sync-bn $sync: %U s user, %S s system, %e s wall" "${MPI[@]}" -np "${4:-2}" "$ENGINE" \
          train --model benchmarks/lenet5_bn.json --dataset mnist --data data/mnist --epochs 1 --batch-size 64 --lr 0.05 \
          --momentum 0.9 --seed 1 --no-progress --limit "$LIMIT" --distributed mpi "${EXTRA[@]}" | grep -E '^(epoch|comms)'
      done
    done
    ;;
  overlap)
    LIMIT="${2:-12000}"
    RUN=(train --model "${MODEL:-lenet5}" --dataset "${DATASET:-mnist}" --data "${DATA:-data/mnist}" --epochs 1 --batch-size "${BATCH:-64}"
         --lr 0.05 --momentum 0.9 --seed 1 --no-progress --limit "$LIMIT" --reduction-shards 8 --distributed mpi)
    for round in $(seq "${3:-3}"); do
      for overlap in on off; do
        echo "round $round, overlap $overlap (buckets of ${BUCKET:-4096} elements)"
        /usr/bin/time -f "round $round, overlap $overlap: %U s user, %S s system, %e s wall" \
          env ENGINE_GRADIENT_OVERLAP=$overlap ENGINE_GRADIENT_BUCKET="${BUCKET:-4096}" "${MPI[@]}" \
          -np "${4:-2}" "$ENGINE" "${RUN[@]}" | grep -E '^(epoch|comms)'
      done
    done
    ;;
  *) echo "error: unknown mode '$MODE' (throughput, epoch, invariant, shardcost, syncbn or overlap)" >&2; exit 1 ;;
esac

#!/usr/bin/env bash
# A/B of one pooling switch in `bench layers` by CPU time, the arms alternating in one script (a
# loaded machine drifts between runs): ROUNDS × (off, on), each the least of --repeat passes.
#   benchmarks/pool_flat_ab.sh SWITCH CASE-TEXT [ROUNDS]
#   e.g. benchmarks/pool_flat_ab.sh ENGINE_POOL_FLAT_AVG "avg-pool 3x3 s1" 3
# Prints the case's lines of each run under its arm. Needs ./build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1
switch=$1 only=$2 rounds=${3:-3}
date -u +%H:%M:%S
uptime
for ((i = 0; i < rounds; i++)); do
  for arm in off on; do
    echo "$switch=$arm"
    env "$switch=$arm" artifacts/engine/engine bench layers --repeat 9 --cpu-time --only "$only" | grep -F -- "$only"
  done
done
date -u +%H:%M:%S

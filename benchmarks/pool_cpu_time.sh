#!/usr/bin/env bash
# Pooling (and any other `bench layers` case) in CPU time rather than wall clock, so that a loaded
# machine still gives a figure: each case is run with --repeat LO and --repeat HI, and the difference
# of the process's user+system CPU seconds over (HI - LO) is one forward+backward. The same for
# PyTorch (benchmarks/layers_torch.py, one intra-op thread). The engine's run also times sgemm
# --repeat times, so a run with no case (--only) at each repeat count is subtracted too.
#   benchmarks/pool_cpu_time.sh [CASE-TEXT...]   (default: the five pooling cases)
# Prints per case: engine and PyTorch CPU ms per f+b, GB/s of the least f+b traffic (the bytes
# `bench layers` counts), and PyTorch / engine. Needs ./build.sh and Debian python3-torch.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1
LO=${LO:-3} HI=${HI:-23}
cases=("$@")
((${#cases[@]} > 0)) || cases=("max-pool 2x2 s2" "max-pool 3x3 s2 p1" "max-pool 3x3 s1 p1" "avg-pool 3x3 s1 p1" "avg-pool 3x3 s2 p1" "global avg-pool")
# Least f+b bytes per case, as BenchCommand.Cases counts them.
declare -A bytes=(
  ["max-pool 2x2 s2"]=$((4 * 32 * 64 * 56 * 56 * 35 / 10))
  ["max-pool 3x3 s2 p1"]=$((4 * (3 * 16 * 64 * 112 * 112 + 2 * 16 * 64 * 56 * 56)))
  ["max-pool 3x3 s1 p1"]=$((4 * 5 * 32 * 192 * 28 * 28))
  ["avg-pool 3x3 s1 p1"]=$((4 * 4 * 32 * 192 * 28 * 28))
  ["avg-pool 3x3 s2 p1"]=$((4 * (2 * 16 * 64 * 112 * 112 + 2 * 16 * 64 * 56 * 56)))
  ["global avg-pool"]=$((4 * 32 * 512 * 49 * 2))
)
cpu() { # cpu COMMAND...: user+system seconds of the command
  /usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -n 1 | awk '{print $1 + $2}'
}
engine() { cpu artifacts/engine/engine bench layers --repeat "$1" --only "$2"; }
torch() { cpu /usr/bin/python3 benchmarks/layers_torch.py --threads 1 --repeat "$1" --only "$2"; }
uptime
base_lo=$(engine "$LO" "no such case") base_hi=$(engine "$HI" "no such case")
printf '%-22s %12s %12s %10s %10s %9s\n' case "engine ms" "torch ms" "engine GB/s" "torch GB/s" "vs torch"
for c in "${cases[@]}"; do
  e_lo=$(engine "$LO" "$c") e_hi=$(engine "$HI" "$c") t_lo=$(torch "$LO" "$c") t_hi=$(torch "$HI" "$c")
  awk -v c="$c" -v b="${bytes[$c]:-0}" -v n=$((HI - LO)) -v el="$e_lo" -v eh="$e_hi" -v bl="$base_lo" -v bh="$base_hi" -v tl="$t_lo" -v th="$t_hi" 'BEGIN {
    e = ((eh - bh) - (el - bl)) / n * 1000; t = (th - tl) / n * 1000
    printf "%-22s %12.2f %12.2f %10.2f %10.2f %8.2fx\n", c, e, t, (b > 0 && e > 0 ? b / e / 1e6 : 0), (b > 0 && t > 0 ? b / t / 1e6 : 0), (e > 0 ? t / e : 0) }'
done
uptime

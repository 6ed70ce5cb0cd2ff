#!/usr/bin/env bash
# Data-parallel scaling over MPI (issue 17): images/s of the training loop and rank 0's wait for the
# gradient sums per step (`comms`), for VGG-CIFAR and ResNet-20 on CIFAR-10, at 1, 2, 4 … ranks of
# one compute thread each, beside one process with as many threads. Ready for the 16-core GPU machine
# in one call (default RANKS "1 2 4 8" there; here on 2 cores `RANKS="1 2 4"`: 4 is oversubscribed):
#
#   benchmarks/mpi_scaling.sh                       # RANKS="1 2 4 8" THREADS="1 2 4 8"
#   RANKS="1 2 4" THREADS="1 2" REPEAT=2 benchmarks/mpi_scaling.sh
#
# Environment: MODELS ("vgg-cifar resnet20"), RANKS, THREADS (one process with OPENBLAS_NUM_THREADS=T),
# REPEAT (rounds, alternating; 1), CIFAR (the CIFAR-10 folder: data/cifar-10, else ../shared/data/cifar-10,
# else /work/shared/data/cifar-10; none: random images in its format, generated), LIMIT_VGG (images per run, default 2048), LIMIT_RESNET (4096),
# BATCH (global batch, 128: 16 per rank at 8 ranks), EXTRA (more `engine train` arguments, e.g.
# "--reduction-shards 8"), BIND (mpirun's --bind-to: core, or none). Each run is one epoch of the first
# LIMIT images; the test set is cut to its first 256 images (a folder of links under
# artifacts/bench-mpi/) so that evaluation does not dominate. Prints one line per run and a table
# (speed-up against 1 rank). Not a test; the numbers go into benchmarks/NOTES.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ENGINE=artifacts/engine/engine
WORK=artifacts/bench-mpi
[[ -x "$ENGINE" ]] || { echo "error: $ENGINE is missing; run ./build.sh first" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "error: mpirun is missing; apt-get install openmpi-bin libopenmpi-dev" >&2; exit 1; }
MODELS="${MODELS:-vgg-cifar resnet20}"
RANKS="${RANKS:-1 2 4 8}"
THREADS="${THREADS:-1 2 4 8}"
REPEAT="${REPEAT:-1}"
BATCH="${BATCH:-128}"
BIND="${BIND:-core}"
CIFAR="${CIFAR:-}"
for candidate in data/cifar-10 ../shared/data/cifar-10 /work/shared/data/cifar-10; do
  [[ -n "$CIFAR" ]] || [[ ! -f "$candidate/data_batch_1.bin" ]] || CIFAR="$candidate"
done
if [[ -z "$CIFAR" ]]; then
  # No CIFAR-10 here (the GPU machine's checkout, say): random images in CIFAR-10's format, 1,000 per
  # training file and 256 test images; throughput does not depend on the pixels.
  CIFAR="$WORK/cifar-10-synthetic"
  echo "no CIFAR-10 folder found: timing on random images in $CIFAR"
  mkdir -p "$CIFAR"
  python3 - "$CIFAR" <<'PY'
import os, random, sys
folder = sys.argv[1]
rng = random.Random(1)
def write(name, count):
    with open(os.path.join(folder, name), "wb") as f:
        for i in range(count):
            f.write(bytes([i % 10]) + rng.randbytes(3072))
for k in range(1, 6):
    write(f"data_batch_{k}.bin", 1000)
write("test_batch.bin", 256)
with open(os.path.join(folder, "batches.meta.txt"), "w") as f:
    f.write("\n".join(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]) + "\n")
PY
fi
[[ -f "$CIFAR/data_batch_1.bin" ]] || { echo "error: $CIFAR has no data_batch_1.bin; set CIFAR=FOLDER" >&2; exit 1; }

# The training batches hard-linked (or copied: the loader takes a symbolic link's own size for the
# file's), the test set cut to 256 records of 3,073 bytes.
DATA="$WORK/cifar-10-short-test"
mkdir -p "$DATA"
for f in data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin batches.meta.txt; do
  [[ -f "$DATA/$f" && ! -L "$DATA/$f" ]] || { rm -f "$DATA/$f"; ln "$CIFAR/$f" "$DATA/$f" 2>/dev/null || cp "$CIFAR/$f" "$DATA/$f"; }
done
head -c $((256 * 3073)) "$CIFAR/test_batch.bin" > "$DATA/test_batch.bin"

MPI=(mpirun --oversubscribe -x OPENBLAS_NUM_THREADS=1)
[[ "$(id -u)" -ne 0 ]] || MPI+=(--allow-run-as-root)
bind() { if (($1 > $(nproc))); then echo none; else echo "$BIND"; fi; } # more ranks than cores: Open MPI refuses to bind
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD), batch $BATCH, extra '${EXTRA:-}'"

RESULTS="$WORK/scaling.tsv"
: > "$RESULTS"
run() { # model label command… : records images/s and comms ms/step
  local model="$1" label="$2"; shift 2
  local out rate comms
  out="$("$@" 2>&1)" || { echo "$out" | tail -5; echo "error: $model $label failed" >&2; exit 1; }
  rate="$(echo "$out" | grep -E '^epoch' | grep -oE '[0-9.,]+ images/s' | tr -d , | cut -d' ' -f1 | tail -1 || true)"
  comms="$(echo "$out" | grep -E '^comms' | grep -oE '[0-9.]+ ms/step' | cut -d' ' -f1 | tail -1 || true)" # one process: no comms line
  printf '%s\t%s\t%s\t%s\n' "$model" "$label" "${rate:-?}" "${comms:--}" | tee -a "$RESULTS"
}

for model in $MODELS; do
  limit="${LIMIT_RESNET:-4096}"; [[ $model != vgg-cifar ]] || limit="${LIMIT_VGG:-2048}"
  ARGS=(train --model "$model" --dataset cifar-10 --data "$DATA" --epochs 1 --batch-size "$BATCH" --lr 0.05 --momentum 0.9
        --seed 1 --no-progress --limit "$limit")
  # shellcheck disable=SC2206
  EXTRA_ARGS=(${EXTRA:-})
  for round in $(seq "$REPEAT"); do
    for t in $THREADS; do
      run "$model" "1 process, $t threads" env OPENBLAS_NUM_THREADS="$t" "$ENGINE" "${ARGS[@]}" "${EXTRA_ARGS[@]}"
    done
    for np in $RANKS; do
      run "$model" "$np ranks x 1 thread" "${MPI[@]}" --bind-to "$(bind "$np")" -np "$np" "$ENGINE" "${ARGS[@]}" "${EXTRA_ARGS[@]}" --distributed mpi
    done
  done
done

echo
echo "| model | run | best images/s | comms ms/step | vs 1 rank |"
echo "| --- | --- | ---: | ---: | ---: |"
awk -F'\t' '
  { key = $1 "\t" $2; if (!(key in best) || $3 + 0 > best[key] + 0) { best[key] = $3; comms[key] = $4 } if (!(key in seen)) { seen[key] = 1; order[n++] = key } }
  END {
    for (i = 0; i < n; i++) {
      split(order[i], k, "\t"); one = best[k[1] "\t1 ranks x 1 thread"]
      printf "| %s | %s | %s | %s | %s |\n", k[1], k[2], best[order[i]], comms[order[i]], (one + 0 > 0 ? sprintf("%.2fx", best[order[i]] / one) : "-")
    }
  }' "$RESULTS"

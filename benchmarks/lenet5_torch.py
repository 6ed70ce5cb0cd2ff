#!/usr/bin/env python3
"""LeNet-5 training throughput: PyTorch CPU against `engine bench train`, in one script.

    /usr/bin/python3 benchmarks/lenet5_torch.py [--batch 64] [--steps 200] [--repeat 3]

For each OpenBLAS kernel setting (OPENBLAS_CORETYPE as set in the environment, then unset) it
runs PyTorch and the engine alternately --repeat times (each in a fresh process, so the
environment applies from library load) and prints both training images/s (median of the
alternating runs) and the ratio engine / PyTorch. On a shared machine only the ratio within one
run means something.

PyTorch runs its best CPU setting for this model: 2 intra-op threads with OpenBLAS single-threaded
(OPENBLAS_NUM_THREADS=1), so its two thread pools never compete. Both sides use the same
protocol: 32 real MNIST batches held in memory, a warm-up, then rounds of --steps training steps
(forward, softmax cross-entropy, backward, SGD lr 0.05); the best round of each process is kept.
"""
import argparse
import gzip
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def load_mnist(folder, count):
    import numpy as np
    with gzip.open(os.path.join(folder, "train-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:count]
    with gzip.open(os.path.join(folder, "train-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)[:count]
    return images.astype(np.float32) / 255.0, labels.astype(np.int64)


def torch_worker(args):
    """Runs in a child process (after the environment is set): prints one result line."""
    import torch
    from torch import nn
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    held = 32
    images, labels = load_mnist(args.data, held * args.batch)
    batches = [(torch.from_numpy(images[i * args.batch:(i + 1) * args.batch].copy()),
                torch.from_numpy(labels[i * args.batch:(i + 1) * args.batch].copy())) for i in range(held)]

    def step(i):
        x, t = batches[i % held]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), t)
        loss.backward()
        optimizer.step()
        return loss

    for i in range(max(args.steps // 2, 50)):
        step(i)
    rates, cpu = [], []
    for _ in range(args.rounds):
        start, start_cpu = time.perf_counter(), time.process_time()
        for i in range(args.steps):
            step(i)
        rates.append(args.steps * args.batch / (time.perf_counter() - start))
        cpu.append((time.process_time() - start_cpu) * 1e3 / args.steps)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    print(f"result train_images_per_s={statistics.median(rates):.0f} train_best={max(rates):.0f} train_cpu_ms={min(cpu):.3f}")


def run(command, env):
    out = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{out.stdout}{out.stderr}")
    best = re.search(r"train_best=(\d+)", out.stdout)
    cpu = re.search(r"train_cpu_ms=([\d.]+)", out.stdout)
    if best is None or cpu is None:
        sys.exit(f"no result line from {' '.join(command)}:\n{out.stdout}")
    return float(best.group(1)), float(cpu.group(1)), out.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds inside each process")
    parser.add_argument("--repeat", type=int, default=3, help="alternating torch/engine process pairs per setting")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", default=os.path.join(ROOT, "data", "mnist"))
    parser.add_argument("--engine", default=os.path.join(ROOT, "artifacts", "engine", "engine"))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--verbose", action="store_true", help="print each process's output")
    parser.add_argument("--baseline", default=None, metavar="VAR=VALUE",
                        help="also run the engine with this environment setting in each round (e.g. ENGINE_SMALL_GEMM=off: "
                             "the kernels before issue 16), alternating with the other two")
    parser.add_argument("--as-set-only", action="store_true", help="only OPENBLAS_CORETYPE as set (skip the unset run)")
    args = parser.parse_args()
    if args.worker:
        torch_worker(args)
        return

    coretype = os.environ.get("OPENBLAS_CORETYPE")
    settings = [("OPENBLAS_CORETYPE=" + coretype, coretype)] if coretype else []
    if not (args.as_set_only and coretype):
        settings.append(("OPENBLAS_CORETYPE unset", None))
    torch_cmd = [sys.executable, os.path.abspath(__file__), "--worker", "--batch", str(args.batch),
                 "--steps", str(args.steps), "--rounds", str(args.rounds), "--threads", str(args.threads), "--data", args.data]
    engine_cmd = [args.engine, "bench", "train", "--model", "lenet5", "--batch", str(args.batch),
                  "--steps", str(args.steps), "--repeat", str(args.rounds), "--data", args.data]
    print(f"LeNet-5 training, batch {args.batch}: {args.repeat} alternating process pairs per setting, "
          f"each the best of {args.rounds} rounds of {args.steps} steps; medians of the pairs")
    print("img/s: wall-clock training rate (best round); cpu ms: CPU time per step of all threads (least round),")
    print("which on a busy machine shows the work done even when descheduling spoils the wall clock")
    print(f"{'setting':<28} {'PyTorch img/s':>14} {'engine img/s':>13} {'engine/PyTorch':>15} {'PyTorch cpu ms':>15} {'engine cpu ms':>14}")
    for label, value in settings:
        env = dict(os.environ)
        env.pop("OPENBLAS_CORETYPE", None)
        if value is not None:
            env["OPENBLAS_CORETYPE"] = value
        torch_env = dict(env, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS=str(args.threads))
        engine_env = dict(env, OPENBLAS_NUM_THREADS=str(args.threads))
        torch_rates, engine_rates, ratios, torch_cpu, engine_cpu = [], [], [], [], []
        base_rates, base_cpu = [], []
        for _ in range(args.repeat):
            t, tc, t_out = run(torch_cmd, torch_env)
            e, ec, e_out = run(engine_cmd, engine_env)
            if args.baseline:
                name, _, value = args.baseline.partition("=")
                b, bc, b_out = run(engine_cmd, dict(engine_env, **{name: value}))
                base_rates.append(b)
                base_cpu.append(bc)
                e_out += b_out
            if args.verbose:
                print(t_out + e_out)
            torch_rates.append(t)
            engine_rates.append(e)
            ratios.append(e / t)
            torch_cpu.append(tc)
            engine_cpu.append(ec)
        print(f"{label:<28} {statistics.median(torch_rates):14.0f} {statistics.median(engine_rates):13.0f} "
              f"{statistics.median(ratios):14.2f}x {min(torch_cpu):15.3f} {min(engine_cpu):14.3f}"
              f"   (pairs: {', '.join(f'{r:.2f}' for r in ratios)})")
        if base_rates:
            print(f"{'  engine with ' + args.baseline:<28} {'':>14} {statistics.median(base_rates):13.0f} "
                  f"{statistics.median(base_rates) / statistics.median(torch_rates):14.2f}x {'':>15} {min(base_cpu):14.3f}")


if __name__ == "__main__":
    main()

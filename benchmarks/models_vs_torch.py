#!/usr/bin/env python3
"""Model-level speed and peak memory: the engine against PyTorch (training) and ONNX Runtime
(inference) on VGG-CIFAR (batch 128, 3x32x32), CIFAR ResNet-20 (batch 128) and ResNet-18 at
224x224 (batch 16), in one script.

    /usr/bin/python3 benchmarks/models_vs_torch.py [--repeat 2] [--models vgg-cifar,resnet20,resnet18] [--no-ort]
    /usr/bin/python3 benchmarks/models_vs_torch.py --worker resnet20 --threads 2 --profile   # PyTorch's step per operator

(after ./build.sh; python3-torch from Debian). For each model it runs, alternating --repeat times,
`engine bench train` (synthetic batches, SGD) and the same network in PyTorch, each in a fresh
process under /usr/bin/time, with the same threads (OPENBLAS_NUM_THREADS, else the cores; PyTorch's
intra-op threads set to it, its OpenBLAS at one thread) and OPENBLAS_CORETYPE as set. Per side it
prints training images/s (best in-process round), CPU ms per step (all threads) and the peak
resident set of the process (/usr/bin/time's maximum RSS) and the ratios engine / PyTorch; both hold
the same two input batches. Then inference of the same model at the same batch against ONNX Runtime
(`engine export` to ONNX, benchmarks/Engine.Bench.OnnxRuntime, forward passes alternating in one
process). On a shared machine only ratios within one run mean anything. Nothing here is a test.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ENGINE = os.path.join(ROOT, "artifacts", "engine", "engine")
HELD = 2

# name: (batch, (C, H, W), timed steps per round, warm-up steps)
MODELS = {
    "vgg-cifar": (128, (3, 32, 32), 8, 3),
    "resnet20": (128, (3, 32, 32), 8, 3),
    "resnet18": (16, (3, 224, 224), 4, 2),
}


def torch_model(name):
    from torch import nn

    def conv_bn(cin, cout, stride=1):
        return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)]

    if name == "vgg-cifar":
        layers, cin = [], 3
        for width in (32, 64, 128):
            for _ in range(2):
                layers += conv_bn(cin, width) + [nn.ReLU()]
                cin = width
            layers.append(nn.MaxPool2d(2))
        return nn.Sequential(*layers, nn.Flatten(), nn.Dropout(0.3), nn.Linear(128 * 4 * 4, 10))

    class Basic(nn.Module):
        def __init__(self, cin, cout, stride, shortcut):
            super().__init__()
            self.body = nn.Sequential(*conv_bn(cin, cout, stride), nn.ReLU(), *conv_bn(cout, cout))
            self.shortcut = shortcut
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.relu(self.body(x) + (x if self.shortcut is None else self.shortcut(x)))

    class OptionA(nn.Module):
        """CIFAR ResNet's parameter-free shortcut: stride-2 subsampling, zero channels added."""

        def __init__(self, extra):
            super().__init__()
            self.extra = extra

        def forward(self, x):
            x = x[:, :, ::2, ::2]
            return nn.functional.pad(x, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))

    if name == "resnet20":
        layers, cin = conv_bn(3, 16) + [nn.ReLU()], 16
        for stage, width in enumerate((16, 32, 64)):
            for i in range(3):
                stride = 2 if stage > 0 and i == 0 else 1
                layers.append(Basic(cin, width, stride, OptionA(width - cin) if stride != 1 else None))
                cin = width
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))

    if name == "resnet18":
        layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
        cin = 64
        for stage, width in enumerate((64, 128, 256, 512)):
            for i in range(2):
                stride = 2 if stage > 0 and i == 0 else 1
                projection = None
                if stride != 1 or cin != width:
                    projection = nn.Sequential(nn.Conv2d(cin, width, 1, stride, bias=False), nn.BatchNorm2d(width))
                layers.append(Basic(cin, width, stride, projection))
                cin = width
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000))
    raise SystemExit(f"error: no PyTorch definition for model '{name}'")


def torch_worker(args):
    """Child process: the engine's bench protocol in PyTorch; prints one result line."""
    import time
    import resource
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    batch, shape, steps, warmup = MODELS[args.worker]
    model = torch_model(args.worker)
    classes = 1000 if args.worker == "resnet18" else 10
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = torch.nn.CrossEntropyLoss()
    batches = [(torch.rand(batch, *shape), torch.randint(0, classes, (batch,))) for _ in range(HELD)]

    def step(i):
        x, t = batches[i % HELD]
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), t).backward()
        optimizer.step()

    model.train()
    for i in range(warmup):
        step(i)
    if args.profile:
        # Where PyTorch's step goes, per operator (self CPU time summed over all threads' ops).
        with torch.autograd.profiler.profile() as prof:
            for i in range(steps):
                step(i)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
        return
    rates, cpu = [], []
    for _ in range(args.rounds):
        wall, process = time.perf_counter(), time.process_time()
        for i in range(steps):
            step(i)
        cpu.append((time.process_time() - process) * 1e3 / steps)
        rates.append(steps * batch / (time.perf_counter() - wall))
    model.eval()
    with torch.no_grad():
        model(batches[0][0])
        wall = time.perf_counter()
        for i in range(max(2, steps // 2)):
            model(batches[i % HELD][0])
        inference = max(2, steps // 2) * batch / (time.perf_counter() - wall)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"result train_best={max(rates):.1f} train_cpu_ms={min(cpu):.1f} inference_images_per_s={inference:.1f} peak_rss_mib={peak:.0f}")


def timed(command, env):
    """Runs a command under /usr/bin/time; returns (stdout, peak RSS MiB, user+sys s, wall s)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as times:
        run = subprocess.run(["/usr/bin/time", "-o", times.name, "-f", "%M %U %S %e"] + command,
                             env=env, capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"error: {' '.join(command)} failed ({run.returncode}):\n{run.stdout}{run.stderr}")
        kib, user, system, wall = times.read().split()[-4:]
    return run.stdout, int(kib) / 1024, float(user) + float(system), float(wall)


def field(text, key):
    match = re.search(rf"{key}=([0-9.]+)", text)
    if match is None:
        raise SystemExit(f"error: no {key}= in:\n{text}")
    return float(match.group(1))


def train(name, args, threads):
    batch, shape, steps, warmup = MODELS[name]
    env = dict(os.environ)
    engine_env = dict(env, OPENBLAS_NUM_THREADS=str(threads))
    torch_env = dict(env, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS=str(threads))
    sides = {"engine": [], "torch": []}
    for _ in range(args.repeat):
        out, rss, cpu, wall = timed([ENGINE, "bench", "train", "--model", name, "--dataset", "synthetic",
                                     "--input", "x".join(map(str, shape)), "--batch", str(batch),
                                     "--inference-batch", str(batch), "--steps", str(steps), "--repeat", str(args.rounds),
                                     "--warmup", str(warmup), "--held", str(HELD)], engine_env)
        sides["engine"].append((field(out, "train_best"), field(out, "train_cpu_ms"), field(out, "inference_images_per_s"), rss))
        out, rss, cpu, wall = timed([sys.executable, os.path.abspath(__file__), "--worker", name,
                                     "--threads", str(threads), "--rounds", str(args.rounds)], torch_env)
        sides["torch"].append((field(out, "train_best"), field(out, "train_cpu_ms"), field(out, "inference_images_per_s"), rss))
    e = [statistics.median(v) for v in zip(*sides["engine"])]
    t = [statistics.median(v) for v in zip(*sides["torch"])]
    print(f"\n== {name}, batch {batch}, input {'x'.join(map(str, shape))}, {threads} threads (medians of {args.repeat} alternating processes)")
    print(f"{'':8} {'train img/s':>12} {'CPU ms/step':>12} {'infer img/s':>12} {'peak RSS MiB':>13}")
    print(f"{'engine':8} {e[0]:12.1f} {e[1]:12.1f} {e[2]:12.1f} {e[3]:13.0f}")
    print(f"{'torch':8} {t[0]:12.1f} {t[1]:12.1f} {t[2]:12.1f} {t[3]:13.0f}")
    print(f"ratio    engine/torch training {e[0] / t[0]:.2f}x by wall, {t[1] / e[1]:.2f}x by CPU time; "
          f"peak memory engine/torch {e[3] / t[3]:.2f}")


def infer_vs_ort(name, args):
    batch, shape, _, _ = MODELS[name]
    work = os.path.join(ROOT, "artifacts", "bench-models")
    bench = os.path.join(work, "ort-bench")
    os.makedirs(work, exist_ok=True)
    # Built every time (incremental, seconds): a build left from an older commit cannot load today's plugins.
    subprocess.run(["dotnet", "build", os.path.join(HERE, "Engine.Bench.OnnxRuntime", "Engine.Bench.OnnxRuntime.csproj"),
                    "-c", "Release", "-o", bench, "--nologo", "-v", "q"], check=True, stdout=subprocess.DEVNULL)
    onnx, x = os.path.join(work, f"{name}.onnx"), os.path.join(work, f"{name}-x{batch}.npy")
    subprocess.run([ENGINE, "export", "--model", name, "--input", "x".join(map(str, shape)), "--seed", "1", "--output", onnx],
                   check=True, stdout=subprocess.DEVNULL)
    import numpy as np
    np.save(x, np.random.default_rng(13).uniform(-1, 1, size=[batch, *shape]).astype("<f4"))
    print(f"\n== {name} inference, batch {batch}: engine vs ONNX Runtime (one process, alternating)")
    run = subprocess.run(["dotnet", os.path.join(bench, "Engine.Bench.OnnxRuntime.dll"), "--model", onnx, "--input", x,
                          "--plugins", os.path.join(ROOT, "artifacts", "engine", "plugins"), "--repeat", str(max(3, args.repeat * 2)),
                          # 20 warm-up passes: the engine's kernels are JIT-compiled in tiers and reach their
                          # steady speed only after some passes (ResNet-20: 236 ms a batch after 2, 142 after 20).
                          "--warmup", "20"], capture_output=True, text=True)
    print(run.stdout.rstrip() or run.stderr.rstrip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2, help="alternating process pairs per model")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds inside each process (best kept)")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--no-ort", action="store_true", help="skip inference against ONNX Runtime")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true",
                        help="with --worker MODEL: print PyTorch's per-operator time of the timed steps instead of rates")
    args = parser.parse_args()
    if args.worker:
        torch_worker(args)
        return
    if not os.access(ENGINE, os.X_OK):
        raise SystemExit(f"error: {ENGINE} is missing; run ./build.sh first")
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS") or os.cpu_count())
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, {threads} threads, load average {load}, commit {commit}")
    for name in args.models.split(","):
        if name not in MODELS:
            raise SystemExit(f"error: --models: unknown model '{name}' (known: {', '.join(MODELS)})")
        train(name, args, threads)
        if not args.no_ort:
            infer_vs_ort(name, args)


if __name__ == "__main__":
    main()

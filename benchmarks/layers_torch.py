#!/usr/bin/env python3
"""PyTorch CPU reference for `engine bench layers`: the same shapes, the same kind of timing
(median of N after a warm-up, forward then backward of input and weights).

Run beside the engine under the same OpenBLAS settings, e.g.
    OMP_NUM_THREADS=2 python3 benchmarks/layers_torch.py --repeat 5
    artifacts/engine/engine bench layers --repeat 5
Debian's python3-torch (1.13) is installable with apt; it uses its own kernels (oneDNN) for
convolutions, not OpenBLAS.
"""
import argparse
import statistics
import time

import torch

CASES = [
    ("conv (64,1,28,28)->6@5x5 s1 p2", (64, 1, 28, 28), lambda: torch.nn.Conv2d(1, 6, 5, 1, 2)),
    ("conv (64,6,14,14)->16@5x5 s1 p0", (64, 6, 14, 14), lambda: torch.nn.Conv2d(6, 16, 5, 1, 0)),
    ("conv (32,3,32,32)->32@3x3 s1 p1", (32, 3, 32, 32), lambda: torch.nn.Conv2d(3, 32, 3, 1, 1)),
    ("conv (32,64,56,56)->64@3x3 s1 p1", (32, 64, 56, 56), lambda: torch.nn.Conv2d(64, 64, 3, 1, 1)),
    ("conv (8,3,224,224)->64@7x7 s2 p3", (8, 3, 224, 224), lambda: torch.nn.Conv2d(3, 64, 7, 2, 3)),
    ("conv (16,128,28,28)->128@3x3 s1 p1", (16, 128, 28, 28), lambda: torch.nn.Conv2d(128, 128, 3, 1, 1)),
    ("max-pool 2x2 s2 (32,64,56,56)", (32, 64, 56, 56), lambda: torch.nn.MaxPool2d(2)),
    ("max-pool 3x3 s2 p1 (16,64,112,112)", (16, 64, 112, 112), lambda: torch.nn.MaxPool2d(3, 2, 1)),
    ("max-pool 3x3 s1 p1 (32,192,28,28)", (32, 192, 28, 28), lambda: torch.nn.MaxPool2d(3, 1, 1)),
    ("avg-pool 3x3 s1 p1 (32,192,28,28)", (32, 192, 28, 28), lambda: torch.nn.AvgPool2d(3, 1, 1, count_include_pad=False)),
    ("avg-pool 3x3 s2 p1 (16,64,112,112)", (16, 64, 112, 112), lambda: torch.nn.AvgPool2d(3, 2, 1, count_include_pad=False)),
    ("global avg-pool (32,512,7,7)", (32, 512, 7, 7), lambda: torch.nn.AdaptiveAvgPool2d(1)),
    ("batch norm (32,64,56,56)", (32, 64, 56, 56), lambda: torch.nn.BatchNorm2d(64)),
    ("relu (32,64,56,56)", (32, 64, 56, 56), lambda: torch.nn.ReLU()),
    ("dense (128,512)->1000", (128, 512), lambda: torch.nn.Linear(512, 1000)),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", default=None, help="run only the cases whose name contains this text")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time by the process's CPU clock and keep the least (for a loaded machine; one thread)")
    parser.add_argument("--tsv", action="store_true", help="print name<TAB>fwd ms<TAB>bwd ms lines (read by `engine bench layers --compare-torch`)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    if not args.tsv:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
              f"{'least process CPU time' if args.cpu_time else 'median'} of {args.repeat} after a warm-up")
        print(f"{'case':<38} {'fwd ms':>9} {'bwd ms':>9}")
    for name, shape, make in CASES:
        if args.only is not None and args.only.lower() not in name.lower():
            continue
        layer = make()
        x = torch.randn(*shape, requires_grad=True)
        y = layer(x)
        dy = torch.randn_like(y)
        y.backward(dy)
        fwd, bwd = [], []
        clock = time.process_time if args.cpu_time else time.perf_counter
        pick = min if args.cpu_time else statistics.median
        for _ in range(args.repeat):
            t = clock()
            y = layer(x)
            fwd.append((clock() - t) * 1e3)
            t = clock()
            y.backward(dy)
            bwd.append((clock() - t) * 1e3)
        if args.tsv:
            print(f"{name}\t{pick(fwd):.4f}\t{pick(bwd):.4f}", flush=True)
        else:
            print(f"{name:<38} {pick(fwd):9.2f} {pick(bwd):9.2f}")


if __name__ == "__main__":
    main()

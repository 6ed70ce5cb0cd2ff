#!/usr/bin/env python3
"""PyTorch's training throughput on the lent GPU: the peer figures of the GPU speed issue (15).

    python3 benchmarks/gpu/torch_gpu_baselines.py [--quick]

Same protocol for every row: synthetic inputs drawn at random once (several batches rotated, never
zeros), SGD momentum 0.9, softmax cross-entropy; warm-up steps, then timed rounds with CUDA events;
the median round is reported as images/s. Rows: LeNet-5 (the engine's 28×28 pad-2 layout, batch 64)
eager and with the whole step captured as a CUDA graph; ResNet-50 (torchvision, 3×224×224, batch 64)
in float32 (cuDNN's TF32 convolutions as PyTorch defaults), bf16 autocast, and bf16 channels-last.
"""
import argparse
import json
import os
import statistics
import sys

import torch
from torch import nn

OUT = os.environ.get("OUT", "out")


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def batches(count, batch, shape, classes, channels_last=False):
    g = torch.Generator(device="cuda").manual_seed(1)
    out = []
    for _ in range(count):
        x = torch.randn((batch, *shape), device="cuda", generator=g)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        t = torch.randint(0, classes, (batch,), device="cuda", generator=g)
        out.append((x, t))
    return out


def time_rounds(step, rounds, steps, batch):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    rates = []
    for _ in range(rounds):
        start.record()
        for i in range(steps):
            step(i)
        end.record()
        end.synchronize()
        rates.append(steps * batch / (start.elapsed_time(end) / 1000))
    return statistics.median(rates), min(rates), max(rates)


def eager(model, data, bf16=False, fp16=False):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    # fp16: autocast with GradScaler (dynamic loss scaling, 2^16 at first), what --precision fp16 does.
    scaler = torch.cuda.amp.GradScaler(enabled=fp16)
    dtype = torch.float16 if fp16 else torch.bfloat16

    def step(i):
        x, t = data[i % len(data)]
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=dtype, enabled=bf16 or fp16):
            loss = loss_fn(model(x), t)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    return step


def graphed(model, data):
    """The whole training step captured once and replayed (static input buffers)."""
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    sx, st = data[0][0].clone(), data[0][1].clone()
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            opt.zero_grad(set_to_none=True)
            loss_fn(model(sx), st).backward()
            opt.step()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        loss = loss_fn(model(sx), st)
        loss.backward()
        opt.step()

    def step(i):
        x, t = data[i % len(data)]
        sx.copy_(x)
        st.copy_(t)
        graph.replay()
    return step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.backends.cudnn.benchmark = True
    rows = []
    name = torch.cuda.get_device_name()
    print(f"device {name}, torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}")

    def run(label, model_fn, shape, classes, batch, maker, steps, rounds=7, warm=30, channels_last=False, **kw):
        torch.manual_seed(1)
        model = model_fn().cuda()
        if channels_last:
            model = model.to(memory_format=torch.channels_last)
        data = batches(8, batch, shape, classes, channels_last)
        step = maker(model, data, **kw)
        for i in range(warm):
            step(i)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        median, low, high = time_rounds(step, rounds, steps, batch)
        peak = torch.cuda.max_memory_allocated() / 2**20
        rows.append({"model": label, "batch": batch, "images_per_s": round(median), "min": round(low), "max": round(high), "peak_mib": round(peak)})
        print(f"{label:42} batch {batch:4}  {median:10.0f} images/s  (rounds {low:.0f}–{high:.0f})  peak {peak:.0f} MiB", flush=True)

    lenet_steps = 200 if args.quick else 500
    run("lenet5 fp32 eager", lenet5, (1, 28, 28), 10, 64, eager, lenet_steps)
    run("lenet5 fp32 cuda-graph", lenet5, (1, 28, 28), 10, 64, graphed, lenet_steps)
    run("lenet5 fp32 eager batch 256", lenet5, (1, 28, 28), 10, 256, eager, lenet_steps)
    run("lenet5 bf16 autocast eager batch 256", lenet5, (1, 28, 28), 10, 256, eager, lenet_steps, bf16=True)
    try:
        import torchvision
        resnet50 = lambda: torchvision.models.resnet50(num_classes=1000)  # noqa: E731
        r_steps = 10 if args.quick else 20
        run("resnet50 fp32 (tf32 convs) eager", resnet50, (3, 224, 224), 1000, 64, eager, r_steps, rounds=5, warm=5)
        run("resnet50 bf16 autocast eager", resnet50, (3, 224, 224), 1000, 64, eager, r_steps, rounds=5, warm=5, bf16=True)
        run("resnet50 fp16 autocast + GradScaler eager", resnet50, (3, 224, 224), 1000, 64, eager, r_steps, rounds=5, warm=5, fp16=True)
        run("resnet50 bf16 autocast channels-last", resnet50, (3, 224, 224), 1000, 64, eager, r_steps, rounds=5, warm=5, bf16=True, channels_last=True)
        torch.backends.cudnn.allow_tf32 = False
        run("resnet50 fp32 strict (no tf32) eager", resnet50, (3, 224, 224), 1000, 64, eager, r_steps, rounds=5, warm=5)
    except Exception as e:  # noqa: BLE001 - report what could not run and keep the rest
        print("resnet50 skipped:", e)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "torch-gpu-baselines.json"), "w") as f:
        json.dump({"device": name, "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())

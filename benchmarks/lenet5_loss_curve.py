#!/usr/bin/python3
"""First-epoch loss curve of LeNet-5: the engine beside PyTorch, same initial weights, same batch order.

PyTorch initialises LeNet-5; this script writes those weights into an engine checkpoint (format in
Engine.Core.Checkpoint's docs), trains one epoch with the engine from them (`--weights`,
`--log-steps`), and trains the same epoch in PyTorch visiting the examples in the engine's order
(EpochOrder: a Fisher-Yates shuffle driven by CounterRandom, re-implemented below). It prints the
mean loss of each tenth of the epoch for both, the largest difference of the running-mean curves,
and both test accuracies.

    /usr/bin/python3 benchmarks/lenet5_loss_curve.py [--lr 0.05] [--momentum 0.9] [--batch 64] [--seed 1]

Run from the repository root after ./build.sh (uses artifacts/engine/engine and data/mnist).
"""
import argparse, csv, gzip, json, os, struct, subprocess, sys, tempfile

import numpy as np
import torch
import torch.nn as nn

MASK = (1 << 64) - 1


def counter_hash(seed, counter):
    # CounterRandom.Hash: SplitMix64's finaliser over seed·golden + counter + constant.
    z = (seed * 0x9E3779B97F4A7C15 + counter + 0x632BE59BD9B4E019) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def derive(seed, stream):
    return counter_hash(seed ^ 0xD1B54A32D192ED03, stream)


def epoch_order(n, seed, epoch):
    order = list(range(n))
    stream = derive(seed, epoch)
    for i in range(n - 1, 0, -1):
        j = counter_hash(stream, i) % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def read_idx(path):
    data = gzip.open(path).read()
    offset = 16 if data[3] == 3 else 8
    return np.frombuffer(data, np.uint8, offset=offset)


def write_checkpoint(path, tensors):
    # "ENGCKPT\0", uint32 version, uint32 header length, JSON header, raw little-endian float32 data.
    entries, blobs, offset = [], [], 0
    for name, value in tensors.items():
        raw = value.detach().numpy().astype('<f4').tobytes()
        entries.append({"name": "params/" + name, "dtype": "float32", "shape": list(value.shape), "offset": offset, "length": len(raw)})
        blobs.append(raw)
        offset += len(raw)
    header = json.dumps({"metadata": {"source": "benchmarks/lenet5_loss_curve.py"}, "data_length": offset, "entries": entries}).encode()
    with open(path, "wb") as f:
        f.write(b"ENGCKPT\0" + struct.pack("<II", 1, len(header)) + header + b"".join(blobs))


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", default="artifacts/engine/engine")
    parser.add_argument("--data", default="data/mnist")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    model = lenet5()
    names = ["conv1", "conv2", "fc1", "fc2", "classifier"]
    layers = [m for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
    tensors = {}
    for name, layer in zip(names, layers):
        tensors[name + ".weight"] = layer.weight
        tensors[name + ".bias"] = layer.bias

    work = tempfile.mkdtemp(prefix="lenet5-curve-")
    init, steps = os.path.join(work, "init.ckpt"), os.path.join(work, "steps.csv")
    write_checkpoint(init, tensors)
    engine = subprocess.run([args.engine, "train", "--model", "lenet5", "--data", args.data, "--epochs", "1",
                             "--batch-size", str(args.batch), "--lr", str(args.lr), "--momentum", str(args.momentum),
                             "--seed", str(args.seed), "--weights", init, "--log-steps", steps, "--no-progress"],
                            capture_output=True, text=True)
    if engine.returncode != 0:
        sys.exit("engine failed:\n" + engine.stdout + engine.stderr)
    engine_accuracy = float(engine.stdout.strip().split("\n")[-1].split()[-1])
    rows = list(csv.DictReader(open(steps)))
    engine_running = [float(r["running_loss"]) for r in rows]

    x_train = torch.tensor(read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz")).reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
    y_train = torch.tensor(read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    x_test = torch.tensor(read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz")).reshape(-1, 1, 28, 28) / 255.0, dtype=torch.float32)
    y_test = torch.tensor(read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    order = torch.tensor(epoch_order(len(y_train), args.seed, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    torch_losses, sizes = [], []
    for start in range(0, len(order), args.batch):
        batch = order[start:start + args.batch]
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x_train[batch]), y_train[batch])
        loss.backward()
        optimizer.step()
        torch_losses.append(loss.item())
        sizes.append(len(batch))
    with torch.no_grad():
        torch_accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()

    # Per-step losses of the engine from its running means.
    engine_losses, seen, previous = [], 0, 0.0
    for running, n in zip(engine_running, sizes):
        engine_losses.append((running * (seen + n) - previous * seen) / n)
        seen += n
        previous = running
    torch_running = np.cumsum(np.array(torch_losses) * sizes) / np.cumsum(sizes)

    print(f"LeNet-5, MNIST, 1 epoch, batch {args.batch}, SGD lr {args.lr} momentum {args.momentum}, same initial weights and batch order")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, torch {torch.__version__}")
    print("tenth of epoch   engine loss   pytorch loss")
    steps_total = len(sizes)
    for t in range(10):
        a, b = steps_total * t // 10, steps_total * (t + 1) // 10
        print(f"{t + 1:>14}   {np.mean(engine_losses[a:b]):11.4f}   {np.mean(torch_losses[a:b]):12.4f}")
    print(f"first step loss: engine {engine_losses[0]:.6f}, pytorch {torch_losses[0]:.6f}")
    print(f"largest difference of the running-mean loss curves: {np.max(np.abs(np.array(engine_running) - torch_running)):.4f}")
    print(f"test accuracy after the epoch: engine {engine_accuracy:.4f}, pytorch {torch_accuracy:.4f}")


if __name__ == "__main__":
    main()

"""Relative L2 difference ||a - b|| / ||b|| of every parameter of two engine checkpoints (A B).

Reads the checkpoint layout documented in src/Engine.Core/Training/Checkpoint.cs with the standard
library only; prints one line per parameter, the difference over all parameters together, and
whether every entry (parameters, optimiser state, counters) is bit-identical.
"""
import json
import math
import struct
import sys

SIZES = {"float32": (4, "f"), "float64": (8, "d"), "int64": (8, "q")}


def read(path):
    data = open(path, "rb").read()
    assert data[:8] == b"ENGCKPT\0", f"{path} is not an engine checkpoint"
    _, length = struct.unpack_from("<II", data, 8)
    header = json.loads(data[16:16 + length])
    base = 16 + length
    entries = {}
    for e in header["entries"]:
        size, code = SIZES[e["dtype"]]
        entries[e["name"]] = struct.unpack_from("<%d%s" % (e["length"] // size, code), data, base + e["offset"])
    return entries


def main(a_path, b_path):
    a, b = read(a_path), read(b_path)
    total_difference = total_norm = 0.0
    for name in a:
        if not name.startswith("params/"):
            continue
        difference = sum((x - y) ** 2 for x, y in zip(a[name], b[name]))
        norm = sum(y * y for y in b[name])
        total_difference += difference
        total_norm += norm
        print(f"{name:32s} {math.sqrt(difference / norm):.2e}")
    print(f"{'all parameters':32s} {math.sqrt(total_difference / total_norm):.2e}")
    same = a.keys() == b.keys() and all(struct.pack("<%dd" % len(a[n]), *a[n]) == struct.pack("<%dd" % len(b[n]), *b[n]) for n in a)
    print(f"{'bit-identical (every entry)':32s} {'yes' if same else 'no'}")


if __name__ == "__main__":
    main(*sys.argv[1:3])

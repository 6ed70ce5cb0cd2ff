#!/usr/bin/python3
"""Writes the small ONNX operator graphs of the 'onnx' fuzz target's seed corpus (fuzz/corpus/onnx/).

Each graph is a valid model the engine imports, a few hundred bytes to a few kB, so that mutations
reach the importer's operator mapping instead of dying in the protobuf parser. Needs python3-onnx.
Run: /usr/bin/python3 fuzz/onnx-seeds.py (Debian's python, which has the onnx package) (the PyTorch fixtures are copied by 'engine-fuzz seed').
"""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "onnx")
RNG = np.random.default_rng(7)


def weights(name, *shape):
    return numpy_helper.from_array(RNG.standard_normal(shape).astype(np.float32) * 0.1, name)


def model(name, nodes, inits, in_shape, out_shape, opset=13, metadata=None):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", *out_shape])],
        inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="onnx-seeds")
    m.ir_version = 7
    for key, value in (metadata or {}).items():
        entry = m.metadata_props.add()
        entry.key, entry.value = key, value
    save(m, os.path.join(OUT, name + ".onnx"))


def main():
    os.makedirs(OUT, exist_ok=True)
    n = helper.make_node
    # LeNet-5's structure with narrow layers: Conv, Relu, MaxPool, Flatten, Gemm, Softmax.
    model("mini-lenet", [
        n("Conv", ["x", "c1.w", "c1.b"], ["c1"], kernel_shape=[5, 5], pads=[2, 2, 2, 2]),
        n("Relu", ["c1"], ["r1"]),
        n("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        n("Conv", ["p1", "c2.w"], ["c2"], kernel_shape=[3, 3]),
        n("Tanh", ["c2"], ["t2"]),
        n("AveragePool", ["t2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2]),
        n("Flatten", ["p2"], ["f"], axis=1),
        n("Gemm", ["f", "fc.w", "fc.b"], ["g"], transB=1),
        n("Softmax", ["g"], ["y"], axis=1),
    ], [weights("c1.w", 2, 1, 5, 5), weights("c1.b", 2), weights("c2.w", 3, 2, 3, 3), weights("fc.w", 10, 3 * 2 * 2), weights("fc.b", 10)],
        [1, 12, 12], [10], metadata={"class_names": '["a","b","c","d","e","f","g","h","i","j"]', "normalization": '{"mean": [0.5], "std": [0.25]}'})
    # A residual block: BatchNormalization, Add, GlobalAveragePool, Reshape by a constant, MatMul + Add.
    model("residual", [
        n("Conv", ["x", "c.w", "c.b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        n("BatchNormalization", ["c", "bn.s", "bn.b", "bn.m", "bn.v"], ["bn"], epsilon=1e-5),
        n("Add", ["bn", "x"], ["sum"]),
        n("LeakyRelu", ["sum"], ["a"], alpha=0.1),
        n("GlobalAveragePool", ["a"], ["gap"]),
        n("Constant", [], ["shape"], value=numpy_helper.from_array(np.array([-1, 2], dtype=np.int64), "shape")),
        n("Reshape", ["gap", "shape"], ["flat"]),
        n("MatMul", ["flat", "m.w"], ["mm"]),
        n("Add", ["mm", "m.b"], ["y"]),
    ], [weights("c.w", 2, 2, 3, 3), weights("c.b", 2), weights("bn.s", 2), weights("bn.b", 2), weights("bn.m", 2),
        numpy_helper.from_array(np.ones(2, np.float32), "bn.v"), weights("m.w", 2, 3), weights("m.b", 3)],
        [2, 5, 5], [3], opset=11)
    # Branches joined by Concat, Clip (ReLU6), Dropout, LogSoftmax, at the newest opset read.
    model("branches", [
        n("Conv", ["x", "a.w"], ["a"], kernel_shape=[1, 1]),
        n("Conv", ["x", "b.w"], ["b"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=1),
        n("Concat", ["a", "b"], ["cat"], axis=1),
        n("Clip", ["cat", "lo", "hi"], ["clip"]),
        n("GlobalMaxPool", ["clip"], ["gmp"]),
        n("Flatten", ["gmp"], ["f"]),
        n("Dropout", ["f"], ["d"]),
        n("Gemm", ["d", "fc.w"], ["g"], transB=1),
        n("LogSoftmax", ["g"], ["y"], axis=-1),
    ], [weights("a.w", 2, 3, 1, 1), weights("b.w", 2, 3, 3, 3), numpy_helper.from_array(np.array(0, np.float32), "lo"),
        numpy_helper.from_array(np.array(6, np.float32), "hi"), weights("fc.w", 4, 4)],
        [3, 4, 4], [4], opset=21)
    # The oldest opset read, a 1-D convolution, Sigmoid, Elu, PRelu, LRN.
    model("opset9-conv1d", [
        n("Conv", ["x", "w"], ["c"], kernel_shape=[3], strides=[1]),
        n("LRN", ["c"], ["l"], size=3),
        n("Sigmoid", ["l"], ["s"]),
        n("Elu", ["s"], ["e"], alpha=1.0),
        n("PRelu", ["e", "slope"], ["p"]),
        n("Flatten", ["p"], ["y"]),
    ], [weights("w", 4, 2, 3), numpy_helper.from_array(np.full((4, 1), 0.25, np.float32), "slope")],
        [2, 8], [24], opset=9)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Makes tests/Engine.Interop.Onnx.Tests/Fixtures/keras_layout.onnx: the layout a Keras model has after
tf2onnx (channels-last input transposed to NCHW before the first Conv, NCHW transposed back to NHWC
before the flatten, then MatMul + Add), written with the onnx helper API and random weights.

Run once with Debian's onnx (apt-get install -y python3-onnx; /usr/bin/python3 tools/onnx-fixtures/make_layout_fixture.py).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Engine.Interop.Onnx.Tests", "Fixtures")

rng = np.random.default_rng(13)
weights = {
    "conv2d/kernel": rng.uniform(-0.5, 0.5, (4, 3, 3, 3)).astype(np.float32),
    "conv2d/bias": rng.uniform(-0.5, 0.5, (4,)).astype(np.float32),
    "dense/kernel": rng.uniform(-0.2, 0.2, (6 * 6 * 4, 5)).astype(np.float32),
    "dense/bias": rng.uniform(-0.5, 0.5, (5,)).astype(np.float32),
    "flatten/shape": np.array([-1, 6 * 6 * 4], dtype=np.int64),
}
nodes = [
    helper.make_node("Transpose", ["input"], ["nchw"], name="conv2d__6", perm=[0, 3, 1, 2]),
    helper.make_node("Conv", ["nchw", "conv2d/kernel", "conv2d/bias"], ["conv"], name="conv2d", kernel_shape=[3, 3]),
    helper.make_node("Relu", ["conv"], ["relu"], name="conv2d/Relu"),
    helper.make_node("Transpose", ["relu"], ["nhwc"], name="conv2d__9", perm=[0, 2, 3, 1]),
    helper.make_node("Reshape", ["nhwc", "flatten/shape"], ["flat"], name="flatten/Reshape"),
    helper.make_node("MatMul", ["flat", "dense/kernel"], ["matmul"], name="dense/MatMul"),
    helper.make_node("Add", ["matmul", "dense/bias"], ["output"], name="dense/BiasAdd"),
]
graph = helper.make_graph(
    nodes, "keras_layout",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 8, 8, 3])],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 5])],
    [numpy_helper.from_array(v, k) for k, v in weights.items()])
model = helper.make_model(graph, producer_name="make_layout_fixture", opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, os.path.join(OUT, "keras_layout.onnx"))

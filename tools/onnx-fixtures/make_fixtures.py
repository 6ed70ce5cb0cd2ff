#!/usr/bin/env python3
"""Makes the PyTorch-exported ONNX fixtures of tests/Engine.Interop.Onnx.Tests/Fixtures.

Run once with Debian's PyTorch (apt-get install -y python3-torch; /usr/bin/python3 tools/onnx-fixtures/make_fixtures.py).
For each model NAME it writes NAME.onnx (opset 13, dynamic batch), NAME.input.bin (float32 little-endian,
batch 2 x C x H x W) and NAME.logits.bin (PyTorch's outputs on that input, float32, batch 2 x classes).
The models are small on purpose: the fixtures are committed.
"""
import os
import sys

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "Engine.Interop.Onnx.Tests", "Fixtures")


class LeNet5(nn.Module):
    """LeNet-5 as the engine's lenet5: conv 6@5x5 pad 2, max pool, conv 16@5x5, max pool, 120, 84, 10."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.classifier = nn.Linear(84, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.classifier(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.down is None else self.down(x)))


class SmallResNet(nn.Module):
    """A ResNet with batch norm in eval mode: stem, a basic block, a strided block with a projection, global pool."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.layer1 = BasicBlock(8, 8, 1)
        self.layer2 = BasicBlock(8, 16, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.bn(self.stem(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class Inception(nn.Module):
    """GoogLeNet's module: 1x1, 1x1-3x3, 1x1-5x5 and 3x3 max pool-1x1 branches, concatenated."""

    def __init__(self, cin):
        super().__init__()
        self.b1 = nn.Conv2d(cin, 8, 1)
        self.b2 = nn.Sequential(nn.Conv2d(cin, 6, 1), nn.ReLU(), nn.Conv2d(6, 8, 3, padding=1))
        self.b3 = nn.Sequential(nn.Conv2d(cin, 4, 1), nn.ReLU(), nn.Conv2d(4, 4, 5, padding=2))
        self.b4 = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True), nn.Conv2d(cin, 4, 1))

    def forward(self, x):
        return torch.relu(torch.cat([self.b1(x), self.b2(x), self.b3(x), self.b4(x)], 1))


class InceptionNet(nn.Module):
    """Stem with ceil-mode pooling (15x15 -> 8x8, not 7x7), an inception module, average pool, dropout, linear.
    (No LRN: PyTorch exports nn.LocalResponseNorm as a chain of Pad, AveragePool and arithmetic, not as LRN.)"""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 12, 3, padding=1)
        self.pool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.inception = Inception(12)
        self.pool2 = nn.AvgPool2d(2, 2)
        self.dropout = nn.Dropout(0.4)
        self.fc = nn.Linear(24 * 3 * 3, 10)

    def forward(self, x):
        x = self.pool1(torch.relu(self.stem(x)))
        x = self.pool2(self.inception(x))
        return self.fc(self.dropout(torch.flatten(x, 1)))


class Activations(nn.Module):
    """ReLU6 (Clip), LeakyReLU, PReLU, ELU, sigmoid, tanh and average pooling that counts padding, then log-softmax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, stride=2, padding=1)
        self.prelu = nn.PReLU(6, init=0.2)
        self.conv2 = nn.Conv2d(6, 6, 3, padding=1, groups=3)
        self.pool = nn.AvgPool2d(3, 2, padding=1, count_include_pad=True)
        self.fc = nn.Linear(6 * 4 * 4, 10)

    def forward(self, x):
        x = self.prelu(nn.functional.relu6(self.conv(x) * 3))
        x = torch.tanh(torch.sigmoid(nn.functional.elu(nn.functional.leaky_relu(self.conv2(x), 0.1))))
        return torch.log_softmax(self.fc(torch.flatten(self.pool(x), 1)), 1)


def randomise_batch_norm(model, generator):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.2)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=generator) * 0.2)


def export(name, model, shape):
    generator = torch.Generator().manual_seed(1)
    torch.manual_seed(1)
    with torch.no_grad():
        randomise_batch_norm(model, generator)
    model.eval()
    x = torch.rand((2,) + shape, generator=generator) * 2 - 1
    with torch.no_grad():
        logits = model(x)
    path = os.path.join(OUT, name + ".onnx")
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, do_constant_folding=False,
                      # PRESERVE exports the eval-mode model without fusing batch norm into the convolutions.
                      training=torch.onnx.TrainingMode.PRESERVE)
    x.numpy().astype("<f4").tofile(os.path.join(OUT, name + ".input.bin"))
    logits.numpy().astype("<f4").tofile(os.path.join(OUT, name + ".logits.bin"))
    print(f"{path}: {os.path.getsize(path)} bytes, logits {tuple(logits.shape)}")


def main():
    os.makedirs(OUT, exist_ok=True)
    export("lenet5", LeNet5(), (1, 28, 28))
    export("resnet", SmallResNet(), (3, 16, 16))
    export("inception", InceptionNet(), (3, 15, 15))
    export("activations", Activations(), (3, 16, 16))
    return 0


if __name__ == "__main__":
    sys.exit(main())

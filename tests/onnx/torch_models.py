"""PyTorch models exported with torch.onnx.export, for axon's importer.

    torch_models.py OUTDIR

writes, for each model NAME (random weights, batch norm with random
statistics, eval mode): NAME.onnx, NAME.x (a batch of 8 inputs) and
NAME.y (PyTorch's outputs), float32 little-endian, each headed by its
rank and dimensions as int64."""
import sys

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)


class WCNN(nn.Module):
    """The W-CNN: two convolutions with max pooling, two dense layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(64 * 5 * 5, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)  # exports as Shape, Gather, Unsqueeze, Concat, Reshape
        return self.fc2(torch.relu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(x + self.bn2(self.conv2(y)))


class ResCNN(nn.Module):
    """A residual CNN with batch norm: stem, two blocks, a strided
    convolution, average and global pooling, a classifier."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU())
        self.block1 = Block(16)
        self.down = nn.Conv2d(16, 24, 3, stride=2, padding=1)
        self.block2 = Block(24)
        self.pool = nn.AvgPool2d(2)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3), nn.Linear(24, 10),
                                  nn.LeakyReLU(0.1), nn.Linear(10, 5), nn.Softmax(dim=1))

    def forward(self, x):
        x = self.block1(self.stem(x))
        x = self.block2(torch.relu(self.down(x)))
        return self.head(self.pool(x))


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.Sigmoid(),
                         nn.Linear(128, 64), nn.Tanh(), nn.Linear(64, 10), nn.LogSoftmax(dim=1))


def randomize_batch_norm(model):
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.2)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)


def write(path, a):
    a = np.ascontiguousarray(a, dtype=np.float32)
    with open(path, "wb") as f:
        f.write(np.array([a.ndim] + list(a.shape), dtype=np.int64).tobytes())
        f.write(a.tobytes())


def main():
    out = sys.argv[1]
    # (model, input shape, opset, constant folding: off keeps BatchNormalization nodes and the shape arithmetic)
    models = {"mlp": (mlp(), (1, 28, 28), 17, True), "mlp13": (mlp(), (1, 28, 28), 13, True),
              "wcnn": (WCNN(), (1, 28, 28), 17, True), "wcnn_unfolded": (WCNN(), (1, 28, 28), 14, False),
              "rescnn": (ResCNN(), (3, 16, 16), 17, True), "rescnn_bn": (ResCNN(), (3, 16, 16), 13, False)}
    for name, (model, shape, opset, folding) in models.items():
        randomize_batch_norm(model)
        model.eval()
        x = torch.rand((8,) + shape)
        with torch.no_grad():
            y = model(x)
        torch.onnx.export(model, x, "%s/%s.onnx" % (out, name), opset_version=opset, input_names=["x"],
                          output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}},
                          do_constant_folding=folding)
        write("%s/%s.x" % (out, name), x.numpy())
        write("%s/%s.y" % (out, name), y.numpy())
        print("%s: opset %d, input %s, output %s" % (name, opset, tuple(x.shape), tuple(y.shape)))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The demo's recipe in PyTorch, for bench/run.sh: 784-256-128-10 ReLU MLP,
softmax cross-entropy, Adam lr 1e-3, batch 64, on Fashion-MNIST.

    mlp_torch.py [--bf16] THREADS EPOCHS [DATA_DIR]

--bf16: forward passes (training and evaluation) under CPU autocast to
bfloat16, PyTorch's mixed precision (master weights in float32).

Prints one line per epoch: "epoch E seconds S loss L test_acc A", where S
times the training loop alone (data already in memory as float tensors)."""
import contextlib
import gzip
import sys
import time

import numpy as np
import torch


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def arguments(argv):
    """[--bf16] THREADS EPOCHS [DATA_DIR] -> threads, epochs, data, and the
    context the forward passes run in (autocast to bf16, or none)."""
    bf16 = bool(argv) and argv[0] == "--bf16"
    argv = argv[1:] if bf16 else argv
    data = argv[2] if len(argv) > 2 else "/usr/share/datasets/fashion-mnist"
    precision = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if bf16 else contextlib.nullcontext
    return int(argv[0]), int(argv[1]), data, precision


def main():
    threads, epochs, data, precision = arguments(sys.argv[1:])
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    x = torch.from_numpy(idx(f"{data}/train-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    y = torch.from_numpy(idx(f"{data}/train-labels-idx1-ubyte.gz").astype(np.int64))
    tx = torch.from_numpy(idx(f"{data}/t10k-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255)
    ty = torch.from_numpy(idx(f"{data}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(x.shape[0])
        total, start = 0.0, time.perf_counter()
        for i in range(0, x.shape[0], 64):
            idx_b = perm[i:i + 64]
            opt.zero_grad()
            with precision():
                loss = loss_fn(model(x[idx_b]), y[idx_b])
            loss.backward()
            opt.step()
            total += loss.item() * idx_b.shape[0]
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad(), precision():
            acc = (model(tx).argmax(1) == ty).float().mean().item()
        print(f"epoch {epoch} seconds {seconds:.3f} loss {total / x.shape[0]:.4f} test_acc {acc:.4f}",
              flush=True)


if __name__ == "__main__":
    main()

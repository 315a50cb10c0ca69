#!/usr/bin/env python3
"""W-CNN in PyTorch for bench/run_cnn.sh: conv 3x3 1->32, ReLU, max-pool 2,
conv 3x3 32->64, ReLU, max-pool 2, flatten, dense 128, ReLU, dense 10;
softmax cross-entropy, Adam lr 1e-3, batch 64, Fashion-MNIST.

    cnn_torch.py [--bf16] THREADS EPOCHS [DATA_DIR]

--bf16: forward passes (training and inference) under CPU autocast to
bfloat16, PyTorch's mixed precision (master weights in float32).

Per epoch: "epoch E seconds S loss L test_acc A infer_ips I", where S times
the training loop alone and I is test-set images per second in eval mode
at batch 256."""
import sys
import time

import torch

from mlp_torch import arguments, idx


def main():
    threads, epochs, data, precision = arguments(sys.argv[1:])
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    load = lambda name: torch.from_numpy(idx(f"{data}/{name}").copy())
    x = load("train-images-idx3-ubyte.gz").float().div(255).reshape(-1, 1, 28, 28)
    y = load("train-labels-idx1-ubyte.gz").long()
    tx = load("t10k-images-idx3-ubyte.gz").float().div(255).reshape(-1, 1, 28, 28)
    ty = load("t10k-labels-idx1-ubyte.gz").long()
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(x.shape[0])
        total, start = 0.0, time.perf_counter()
        for i in range(0, x.shape[0], 64):
            b = perm[i:i + 64]
            opt.zero_grad()
            with precision():
                loss = loss_fn(model(x[b]), y[b])
            loss.backward()
            opt.step()
            total += loss.item() * b.shape[0]
        seconds = time.perf_counter() - start
        model.eval()
        correct, start = 0, time.perf_counter()
        with torch.no_grad(), precision():
            for i in range(0, tx.shape[0], 256):
                correct += (model(tx[i:i + 256]).argmax(1) == ty[i:i + 256]).sum().item()
        ips = tx.shape[0] / (time.perf_counter() - start)
        print(f"epoch {epoch} seconds {seconds:.3f} loss {total / x.shape[0]:.4f} "
              f"test_acc {correct / tx.shape[0]:.4f} infer_ips {ips:.0f}", flush=True)


if __name__ == "__main__":
    main()

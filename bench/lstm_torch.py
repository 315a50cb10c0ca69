#!/usr/bin/env python3
"""bench_lstm's model and step in PyTorch, for bench/lstm.sh: embedding 64,
2-layer LSTM of 256 units (batch_first), a linear layer to the vocabulary
at every step, cross-entropy over every step, Adam; batch 32 windows of
64 characters from a text file.

    lstm_torch.py THREADS STEPS [TEXT]

Prints "step_ms M loss L", M the median milliseconds of a training step
after 3 warm-up steps."""
import sys
import time

import torch

N, T, E, H = 32, 64, 64, 256


def main():
    threads, steps = int(sys.argv[1]), int(sys.argv[2])
    path = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/common-licenses/GPL-3"
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    text = open(path, "rb").read()
    vocab = {b: i for i, b in enumerate(dict.fromkeys(text))}
    data = torch.tensor([vocab[b] for b in text])
    embed = torch.nn.Embedding(len(vocab), E)
    lstm = torch.nn.LSTM(E, H, num_layers=2, batch_first=True)
    head = torch.nn.Linear(H, len(vocab))
    params = list(embed.parameters()) + list(lstm.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    times = []
    for k in range(steps + 3):
        starts = torch.randint(0, len(data) - T - 1, (N,))
        chars = torch.stack([data[s:s + T] for s in starts])
        nxt = torch.stack([data[s + 1:s + T + 1] for s in starts])
        t0 = time.perf_counter()
        opt.zero_grad()
        out, _ = lstm(embed(chars))
        loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, len(vocab)), nxt.reshape(-1))
        loss.backward()
        opt.step()
        times.append(1e3 * (time.perf_counter() - t0))
    times = sorted(times[3:])
    print(f"step_ms {times[len(times) // 2]:.2f} loss {loss.item():.4f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bench_latency's W-MLP in PyTorch: batch-1 inference latency
(torch.inference_mode), for bench/latency.sh.

    latency_torch.py THREADS [RUNS]

Prints "latency_us U", the median over RUNS (default 20000) after 1000
warm-up runs."""
import sys
import time

import torch


def main():
    threads, runs = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    torch.set_num_threads(threads)
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 128),
                                torch.nn.ReLU(), torch.nn.Linear(128, 10)).eval()
    x = torch.rand(1, 784)
    times = []
    with torch.inference_mode():
        for k in range(runs + 1000):
            t0 = time.perf_counter()
            model(x)
            if k >= 1000:
                times.append(1e6 * (time.perf_counter() - t0))
    times.sort()
    print(f"latency_us {times[len(times) // 2]:.2f}")


if __name__ == "__main__":
    main()

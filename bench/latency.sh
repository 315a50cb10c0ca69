#!/usr/bin/env bash
# Batch-1 inference latency of the W-MLP (784-256-128-10), axon
# (bench/latency.c) against PyTorch (latency_torch.py), side by side in
# one run, for 1 and 2 threads: the median microseconds of one sample in,
# ten scores out.
#   bench/latency.sh [BUILD_DIR] [RUNS]
set -euo pipefail
build=${1:-build}
runs=${2:-20000}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3 # Debian's python3-torch lives here, not in a venv
echo "W-MLP 784-256-128-10 at batch 1: median of $runs runs"
printf '%-8s %12s %12s %12s\n' threads torch_us axon_us axon/torch
for t in 1 2; do
  torch_us=$(OMP_NUM_THREADS=$t "$python" "$here/latency_torch.py" "$t" "$runs" | awk '{print $2}')
  axon_us=$("$build/bench_latency" "$t" "$runs" | awk '{print $2}')
  printf '%-8s %12.2f %12.2f %12.3f\n' "$t" "$torch_us" "$axon_us" "$(awk "BEGIN {print $axon_us / $torch_us}")"
done

#!/usr/bin/env bash
# axon vs PyTorch on a character-level LSTM language model's training step
# (embedding 64, 2-layer LSTM of 256 units, batch 32 x 64 characters,
# cross-entropy at every step, Adam; bench/lstm_step.c, lstm_torch.py),
# side by side in one run, for 1 and 2 threads.
#   bench/lstm.sh [BUILD_DIR] [STEPS] [TEXT]
# Reports the median milliseconds per step, axon's time as a fraction of
# PyTorch's, and the GEMM work's rate as a share of one GEMM of the
# layer's size through axon (the limit the step could reach).
set -euo pipefail
build=${1:-build}
steps=${2:-20}
text=${3:-/usr/share/common-licenses/GPL-3}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3 # Debian's python3-torch lives here, not in a venv

echo "char LSTM LM: embed 64, 2 x LSTM 256, batch 32 x 64 steps, Adam; median of $steps steps; text $text"
printf '%-8s %10s %10s %10s %12s %12s\n' threads torch_ms axon_ms axon/torch axon_GFLOP/s share_of_gemm
for t in 1 2; do
  torch_ms=$(OMP_NUM_THREADS=$t "$python" "$here/lstm_torch.py" "$t" "$steps" "$text" | awk '{print $2}')
  read -r axon_ms gflop peak < <("$build/bench_lstm" "$t" "$steps" "$text" | awk '{print $2, $6, $10}')
  printf '%-8s %10.1f %10.1f %10.3f %12.1f %12.2f\n' "$t" "$torch_ms" "$axon_ms" \
    "$(awk "BEGIN {print $axon_ms / $torch_ms}")" "$(awk "BEGIN {print $gflop / $axon_ms * 1e3}")" \
    "$(awk "BEGIN {print $gflop / $axon_ms * 1e3 / $peak}")"
done
echo
echo "one LSTM layer (T 64, N 32, 256 -> 256), forward and backward: axon's lstm op against oneDNN's LSTM primitives"
for t in 1 2; do
  "$build/bench_lstm_onednn" "$t" "$steps"
done

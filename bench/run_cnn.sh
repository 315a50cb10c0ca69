#!/usr/bin/env bash
# axon vs PyTorch on W-CNN (bench/cnn_epoch.c, bench/cnn_torch.py), side by
# side in one run, for 1 and 2 threads.
#   bench/run_cnn.sh [BUILD_DIR] [EPOCHS]
# Reports seconds per training epoch (median over the epochs), the test
# accuracy after the last, inference throughput on the test set at batch
# 256, axon's time as a fraction of PyTorch's, and axon's arithmetic rate
# against OpenBLAS's GEMM peak here (74 GFLOP/s per core with the other
# core busy, the figure the issue gives).
set -euo pipefail
build=${1:-build}
epochs=${2:-1}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
peak_per_core=74

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i+1)}'; }

declare -A secs acc ips gf
for t in 1 2; do
  out=$("$build/bench_cnn" "$t" "$epochs")
  secs[axon,$t]=$(field seconds <<<"$out" | median)
  acc[axon,$t]=$(tail -1 <<<"$out" | field test_acc)
  ips[axon,$t]=$(field infer_ips <<<"$out" | median)
  gf[$t]=$(field gflops <<<"$out" | median)
  out=$(cd "$here" && OMP_NUM_THREADS=$t "$python" cnn_torch.py "$t" "$epochs")
  secs[torch,$t]=$(field seconds <<<"$out" | median)
  acc[torch,$t]=$(tail -1 <<<"$out" | field test_acc)
  ips[torch,$t]=$(field infer_ips <<<"$out" | median)
done
best=$(printf '%s\n' "${secs[torch,1]}" "${secs[torch,2]}" | sort -n | head -1)
echo "W-CNN, Adam, batch 64, Fashion-MNIST; median of $epochs epoch(s); inference at batch 256"
printf '%-8s %8s %9s %9s %10s %10s %10s %10s\n' threads framework s/epoch test_acc vs_torch vs_best img/s infer_x
for t in 1 2; do
  for f in torch axon; do
    printf '%-8s %8s %9.2f %9s %10.3f %10.3f %10.0f %10.2f\n' "$t" "$f" "${secs[$f,$t]}" "${acc[$f,$t]}" \
      "$(awk "BEGIN {print ${secs[$f,$t]} / ${secs[torch,$t]}}")" "$(awk "BEGIN {print ${secs[$f,$t]} / $best}")" \
      "${ips[$f,$t]}" "$(awk "BEGIN {print ${ips[$f,$t]} / ${ips[torch,$t]}}")"
  done
  printf '%-8s axon: %.1f GFLOP/s, %.0f%% of the GEMM peak (%d x %d GFLOP/s)\n' "$t" "${gf[$t]}" \
    "$(awk "BEGIN {print 100 * ${gf[$t]} / ($t * $peak_per_core)}")" "$t" "$peak_per_core"
done
echo "The two convolutions alone, one training pass each: axon's im2col kernel against oneDNN's primitives"
for t in 1 2; do
  "$build/bench_conv_onednn" "$t"
done

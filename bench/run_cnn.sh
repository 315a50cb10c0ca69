#!/usr/bin/env bash
# axon vs PyTorch on W-CNN (bench/cnn_epoch.c, bench/cnn_torch.py), side by
# side in one run, for 1 and 2 threads, against the machine's GEMM limit
# measured in the same run (bench/peak.c).
#   bench/run_cnn.sh [BUILD_DIR] [EPOCHS]
# Reports seconds per training epoch (median over the epochs), the test
# accuracy after the last, inference throughput on the test set at batch
# 256, each time as a fraction of PyTorch's at the same thread count and
# of PyTorch's best, and the epoch's arithmetic rate (the GEMM-shaped work
# of every layer, forward and backward: the same for both) as a share of
# the GEMM limit on that many threads. Where the CPU has bfloat16
# instructions, the same in bf16 (axon's convolutions in bf16, PyTorch
# under CPU autocast), against the bf16 matmul limit and against
# PyTorch's best float32 time.
set -euo pipefail
build=${1:-build}
epochs=${2:-1}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3

. "$here/common.sh"

declare -A peak secs acc ips gf
measure_peaks "$build"

for p in $precisions; do
  flag=$([ "$p" = bf16 ] && echo --bf16 || true)
  for t in 1 2; do
    out=$("$build/bench_cnn" $flag "$t" "$epochs")
    secs[axon,$p,$t]=$(field seconds <<<"$out" | median)
    acc[axon,$p,$t]=$(tail -1 <<<"$out" | field test_acc)
    ips[axon,$p,$t]=$(field infer_ips <<<"$out" | median)
    gf[$p,$t]=$(field gflops <<<"$out" | median)
    out=$(cd "$here" && OMP_NUM_THREADS=$t "$python" cnn_torch.py $flag "$t" "$epochs")
    secs[torch,$p,$t]=$(field seconds <<<"$out" | median)
    acc[torch,$p,$t]=$(tail -1 <<<"$out" | field test_acc)
    ips[torch,$p,$t]=$(field infer_ips <<<"$out" | median)
  done
done
best=$(printf '%s\n' "${secs[torch,f32,1]}" "${secs[torch,f32,2]}" | sort -n | head -1)
echo "W-CNN, Adam, batch 64, Fashion-MNIST; median of $epochs epoch(s); inference at batch 256"
echo "vs_best: over PyTorch's best float32 time; share_of_peak: the epoch's GFLOP/s over the GEMM limit of its precision"
printf '%-5s %-8s %8s %9s %9s %10s %10s %10s %10s %8s %14s\n' prec threads framework s/epoch test_acc vs_torch \
  vs_best img/s infer_x GFLOP/s share_of_peak
for p in $precisions; do
  for t in 1 2; do
    for f in torch axon; do
      # both do the same arithmetic: axon's count, at each one's speed
      rate=$(calc "${gf[$p,$t]} * ${secs[axon,$p,$t]} / ${secs[$f,$p,$t]}")
      printf '%-5s %-8s %8s %9.2f %9s %10.3f %10.3f %10.0f %10.2f %8.1f %13.1f%%\n' "$p" "$t" "$f" "${secs[$f,$p,$t]}" \
        "${acc[$f,$p,$t]}" "$(calc "${secs[$f,$p,$t]} / ${secs[torch,$p,$t]}")" "$(calc "${secs[$f,$p,$t]} / $best")" \
        "${ips[$f,$p,$t]}" "$(calc "${ips[$f,$p,$t]} / ${ips[torch,$p,$t]}")" "$rate" \
        "$(calc "100 * $rate / ${peak[$p,$t]}")"
    done
  done
done
echo "The two convolutions alone, one training pass each: axon's im2col kernel against oneDNN's primitives"
for t in 1 2; do
  "$build/bench_conv_onednn" "$t"
done

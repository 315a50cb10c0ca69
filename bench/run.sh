#!/usr/bin/env bash
# axon vs PyTorch on the demo's recipe (784-256-128-10 MLP, Adam, batch 64,
# Fashion-MNIST), side by side in one run, for 1 and 2 threads.
#   bench/run.sh [BUILD_DIR] [EPOCHS]
# Reports the median seconds per epoch of the training loop (data in
# memory, evaluation not timed), the test accuracy after the last epoch,
# axon's time as a fraction of PyTorch's best, the epoch's arithmetic rate
# (the same work for both) as a share of the machine's GEMM limit on that
# many threads, measured in the same run (bench/peak.c), and each
# process's peak resident memory (GNU time's maximum RSS: data,
# libraries, everything). Where the CPU has bfloat16 instructions, the
# same in bf16 (axon's dense products in bf16, PyTorch under CPU
# autocast), against the bf16 matmul limit and PyTorch's best float32
# time.
set -euo pipefail
build=${1:-build}
epochs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3 # Debian's python3-torch lives here, not in a venv

. "$here/common.sh"

rss_file=$(mktemp)
trap 'rm -f "$rss_file"' EXIT
declare -A secs acc rss peak gf
measure_peaks "$build"
for p in $precisions; do
  flag=$([ "$p" = bf16 ] && echo --bf16 || true)
  for t in 1 2; do
    out=$(/usr/bin/time -f %M -o "$rss_file" "$build/bench_mlp" $flag "$t" "$epochs")
    secs[axon,$p,$t]=$(field seconds <<<"$out" | median)
    gf[$p,$t]=$(field gflops <<<"$out" | median)
    acc[axon,$p,$t]=$(tail -1 <<<"$out" | field test_acc)
    rss[axon,$p,$t]=$(tail -1 "$rss_file")
    out=$(OMP_NUM_THREADS=$t /usr/bin/time -f %M -o "$rss_file" "$python" "$here/mlp_torch.py" $flag "$t" "$epochs")
    secs[torch,$p,$t]=$(field seconds <<<"$out" | median)
    acc[torch,$p,$t]=$(tail -1 <<<"$out" | field test_acc)
    rss[torch,$p,$t]=$(tail -1 "$rss_file")
  done
done
best_torch=$(printf '%s\n' "${secs[torch,f32,1]}" "${secs[torch,f32,2]}" | sort -n | head -1)
echo "MLP 784-256-128-10, Adam, batch 64, Fashion-MNIST; median of $epochs epochs"
echo "vs_torch_best: over PyTorch's best float32 time; share_of_peak: the epoch's GFLOP/s over the GEMM limit of its precision"
printf '%-5s %-8s %8s %10s %10s %10s %16s %9s %14s %10s\n' prec threads framework s/epoch test_acc vs_torch \
  vs_torch_best GFLOP/s share_of_peak peak_MB
for p in $precisions; do
  for t in 1 2; do
    for f in torch axon; do
      rate=$(calc "${gf[$p,$t]} * ${secs[axon,$p,$t]} / ${secs[$f,$p,$t]}")
      printf '%-5s %-8s %8s %10.3f %10s %10.3f %16.3f %9.1f %13.1f%% %10.1f\n' "$p" "$t" "$f" "${secs[$f,$p,$t]}" \
        "${acc[$f,$p,$t]}" "$(calc "${secs[$f,$p,$t]} / ${secs[torch,$p,$t]}")" \
        "$(calc "${secs[$f,$p,$t]} / $best_torch")" "$rate" "$(calc "100 * $rate / ${peak[$p,$t]}")" \
        "$(calc "${rss[$f,$p,$t]} / 1024")"
    done
  done
done

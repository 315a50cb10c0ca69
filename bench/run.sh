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
# libraries, everything).
set -euo pipefail
build=${1:-build}
epochs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3 # Debian's python3-torch lives here, not in a venv

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i+1)}'; }

rss_file=$(mktemp)
trap 'rm -f "$rss_file"' EXIT
declare -A secs acc rss peak gf
for t in 1 2; do
  out=$("$build/bench_peak" "$t")
  echo "$out"
  peak[$t]=$(grep '^peak f32' <<<"$out" | field gflops)
  out=$(/usr/bin/time -f %M -o "$rss_file" "$build/bench_mlp" "$t" "$epochs")
  secs[axon,$t]=$(awk '{print $4}' <<<"$out" | median)
  gf[$t]=$(field gflops <<<"$out" | median)
  acc[axon,$t]=$(tail -1 <<<"$out" | awk '{print $8}')
  rss[axon,$t]=$(tail -1 "$rss_file")
  out=$(OMP_NUM_THREADS=$t /usr/bin/time -f %M -o "$rss_file" "$python" "$here/mlp_torch.py" "$t" "$epochs")
  secs[torch,$t]=$(awk '{print $4}' <<<"$out" | median)
  acc[torch,$t]=$(tail -1 <<<"$out" | awk '{print $8}')
  rss[torch,$t]=$(tail -1 "$rss_file")
done
best_torch=$(printf '%s\n' "${secs[torch,1]}" "${secs[torch,2]}" | sort -n | head -1)
echo "MLP 784-256-128-10, Adam, batch 64, Fashion-MNIST; median of $epochs epochs"
printf '%-8s %8s %10s %10s %10s %16s %9s %14s %10s\n' threads framework s/epoch test_acc vs_torch vs_torch_best \
  GFLOP/s share_of_peak peak_MB
for t in 1 2; do
  for f in torch axon; do
    rate=$(awk "BEGIN {print ${gf[$t]} * ${secs[axon,$t]} / ${secs[$f,$t]}}")
    printf '%-8s %8s %10.3f %10s %10.3f %16.3f %9.1f %13.1f%% %10.1f\n' "$t" "$f" "${secs[$f,$t]}" "${acc[$f,$t]}" \
      "$(awk "BEGIN {print ${secs[$f,$t]} / ${secs[torch,$t]}}")" "$(awk "BEGIN {print ${secs[$f,$t]} / $best_torch}")" \
      "$rate" "$(awk "BEGIN {print 100 * $rate / ${peak[$t]}}")" "$(awk "BEGIN {print ${rss[$f,$t]} / 1024}")"
  done
done

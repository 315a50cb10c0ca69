#!/usr/bin/env bash
# A busy machine: the demo's MLP epoch (bench_mlp / mlp_torch.py, as in
# run.sh) on an idle machine and with another process spinning on one core
# (a shell busy loop pinned to CPU 0 with taskset), for axon's default
# thread setting (auto) and for 1 and 2 threads fixed, beside PyTorch with
# 1 and 2 threads under the same load, in one run.
#   bench/contention.sh [BUILD_DIR] [ROUNDS]
# Each configuration trains one epoch per round, the configurations taking
# turns, so that the machine's own drift (it is shared) falls on all of
# them alike; the table gives the median over the rounds.
# The goal (bench/README.md): under the load, axon's default is within 10%
# of its own 1-thread epoch; idle, it keeps the 2-thread speed.
set -euo pipefail
build=${1:-build}
rounds=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
busy=""
stop_busy() { [ -n "$busy" ] && kill "$busy" 2>/dev/null; wait "$busy" 2>/dev/null || true; busy=""; }
trap stop_busy EXIT

declare -A runs
for load in idle busy; do
  if [ "$load" = busy ]; then
    taskset -c 0 sh -c 'while :; do :; done' &
    busy=$!
    sleep 1
  fi
  for r in $(seq 1 "$rounds"); do
    for t in 0 1 2; do
      runs[$load,axon,$t]+="$("$build/bench_mlp" "$t" 1 | awk '{print $4}') "
    done
    for t in 1 2; do
      runs[$load,torch,$t]+="$(OMP_NUM_THREADS=$t "$python" "$here/mlp_torch.py" "$t" 1 | awk '{print $4}') "
    done
  done
  stop_busy
done
declare -A secs
for key in "${!runs[@]}"; do
  secs[$key]=$(tr ' ' '\n' <<<"${runs[$key]}" | grep . | median)
done

echo "MLP 784-256-128-10, Adam, batch 64, Fashion-MNIST; median of $rounds one-epoch runs; busy: a spinning process on CPU 0"
printf '%-6s %-7s %-8s %9s %16s\n' load framework threads s/epoch vs_axon_1thread
for load in idle busy; do
  for key in axon,0 axon,1 axon,2 torch,1 torch,2; do
    f=${key%,*} t=${key#*,}
    name=$t
    [ "$t" = 0 ] && name=auto
    printf '%-6s %-7s %-8s %9.3f %16.3f\n' "$load" "$f" "$name" "${secs[$load,$key]}" \
      "$(awk "BEGIN {print ${secs[$load,$key]} / ${secs[$load,axon,1]}}")"
  done
done

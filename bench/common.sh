# Sourced by run.sh and run_cnn.sh (bash): the helpers both use, and the
# GEMM limits measured at the start of the run.
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
field() { awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) print $(i+1)}'; }
calc() { awk "BEGIN {print $1}"; }

# measure_peaks BUILD_DIR: prints bench_peak's lines for 1 and 2 threads
# and sets peak[f32,T], peak[bf16,T] (declare -A peak first) and
# precisions ("f32", or "f32 bf16" where the CPU has bf16 kernels)
measure_peaks() {
  local t out
  for t in 1 2; do
    out=$("$1/bench_peak" "$t")
    echo "$out"
    peak[f32,$t]=$(grep '^peak f32' <<<"$out" | field gflops)
    peak[bf16,$t]=$(grep '^peak bf16' <<<"$out" | field gflops)
  done
  precisions=f32
  if [ "$(calc "(${peak[bf16,1]} > 0)")" = 1 ]; then
    precisions="f32 bf16"
  else
    echo "bf16: this CPU has no bfloat16 kernels (bench_peak found none); float32 only"
  fi
}

#!/bin/sh
# The spread of the examples' figures over seeds and GEMM kernels: every
# claim an example checks must hold on any machine, not only for one seed
# on one machine. Runs each learning example for seeds 1..SEEDS under the
# GEMM kernels OpenBLAS picks by itself and under others forced with
# OPENBLAS_CORETYPE (different rounding, the same maths), and prints each
# run's result lines. The README's spreads come from this script.
#   bench/example_spread.sh [BUILD] [SEEDS] [CORES]
#   e.g. bench/example_spread.sh build 5 "default Haswell Sandybridge"
set -u
build="${1:-build}"
seeds="${2:-5}"
cores="${3:-default Haswell Sandybridge}"
for core in $cores; do
  if [ "$core" = default ]; then unset OPENBLAS_CORETYPE; else export OPENBLAS_CORETYPE="$core"; fi
  s=1
  while [ "$s" -le "$seeds" ]; do
    echo "== kernels $core, seed $s"
    "$build/digits" --seed "$s" | grep -E "final|progression|FAILED"
    "$build/overfitting" /tmp --seed "$s" | grep -vE "^wrote"
    "$build/transfer" /tmp --seed "$s" | grep -vE "^pretrained"
    "$build/lottery_ticket" --seed "$s" | grep -vE "nonzero"
    "$build/fashion_mnist" --seed "$s" --quiet | grep "test accuracy"
    s=$((s + 1))
  done
  echo "== kernels $core, the fixed-seed examples"
  for ex in perceptron initialization universality vanishing_gradients; do
    "$build/$ex" /tmp >/dev/null 2>&1 && echo "$ex: ok" || echo "$ex: FAILED"
  done
  "$build/sigmoid_neuron" examples/data/will_i_pass.csv >/dev/null 2>&1 && echo "sigmoid_neuron: ok" || echo "sigmoid_neuron: FAILED"
  "$build/gradient_descent" examples/data/exam_scores.csv >/dev/null 2>&1 && echo "gradient_descent: ok" || echo "gradient_descent: FAILED"
  "$build/optimizers" /tmp >/dev/null 2>&1 && echo "optimizers: ok" || echo "optimizers: FAILED"
done

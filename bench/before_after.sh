#!/bin/sh
# Two builds of axon side by side in one run, alternating so that the
# machine's drift falls on both: the demo's MLP epoch and the W-CNN epoch
# on one thread (bench_mlp, bench_cnn), seconds per epoch and the ratio
# of the medians (new / old; below 1 is faster).
#   bench/before_after.sh OLD_BUILD NEW_BUILD [MLP_ROUNDS=5] [CNN_ROUNDS=2]
set -eu
old=$1 new=$2 mlp_rounds=${3:-5} cnn_rounds=${4:-2}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for w in mlp cnn; do
  rounds=$mlp_rounds
  [ "$w" = cnn ] && rounds=$cnn_rounds
  o="" n=""
  i=0
  while [ "$i" -lt "$rounds" ]; do
    o="$o $("$old/bench_$w" 1 1 | awk '/^epoch/ {print $4}')"
    n="$n $("$new/bench_$w" 1 1 | awk '/^epoch/ {print $4}')"
    i=$((i + 1))
  done
  mo=$(echo "$o" | median) mn=$(echo "$n" | median)
  echo "$w epoch, 1 thread: old$o | new$n | medians $mo s -> $mn s, ratio $(echo "$mn $mo" | awk '{printf "%.3f", $1 / $2}')"
done

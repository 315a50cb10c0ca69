#!/bin/sh
# mpirun -np N axon train against axon train --shards N, byte for byte:
# the W-MLP, the W-CNN and a model with batch norm and dropout on 1, 2 and
# 4 processes (parts of Fashion-MNIST, the last batch short: 4 shards of
# it have rows to spare or none); a distributed run stopped and resumed;
# rank 0 alone printing and writing; a rank that fails before training
# (its data missing) or holds other data: the job ends, the message names
# the rank, nothing waits forever.
#   tests/dist/cli.sh AXON MPIRUN SOURCE_DIR WORK_DIR
set -eu
axon=$1 mpirun=$2 src=$3 work=$4
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
rm -rf "$work" && mkdir -p "$work" && cd "$work"
run() { timeout 600 "$mpirun" --oversubscribe -np "$@"; }
fail() { echo "FAILED: $*"; exit 1; }

# name spec options...: every rank count against its --shards run
same_bytes() {
  name=$1 spec=$2; shift 2
  for np in 1 2 4; do
    "$axon" train "$spec" --data fashion-mnist --threads 1 "$@" --shards $np --out "$name-shards$np.safetensors" \
      > "$name-shards$np.log"
    run $np "$axon" train "$spec" --data fashion-mnist --threads 1 "$@" --out "$name-np$np.safetensors" > "$name-np$np.log"
    cmp "$name-shards$np.safetensors" "$name-np$np.safetensors" ||
      fail "$name: mpirun -np $np and --shards $np trained different model files"
    # the same epoch lines too (the seconds and the file's name aside)
    grep '^epoch' "$name-shards$np.log" | sed 's/  [0-9.]*s  / /' > a.txt
    grep '^epoch' "$name-np$np.log" | sed 's/  [0-9.]*s  / /' > b.txt
    cmp a.txt b.txt || fail "$name: -np $np printed other figures than --shards $np"
    echo "$name: mpirun -np $np gives the bytes of --shards $np ($(tail -2 "$name-np$np.log" | head -1))"
  done
  cmp "$name-shards1.safetensors" "$name-shards2.safetensors" > /dev/null &&
    fail "$name: 1 and 2 shards trained the same bytes (the test would not see a difference)"
  return 0
}
same_bytes mlp "$src/examples/specs/fashion_mlp.spec" --samples 3001 --val-samples 500 --epochs 2
same_bytes cnn "$src/examples/specs/fashion_cnn.spec" --samples 641 --val-samples 200 --epochs 1
same_bytes bn-dropout "$src/tests/dist/bn_dropout.spec" --samples 1001 --val-samples 301 --batch 50 --epochs 2

# stopped after one epoch, resumed for the second: the uninterrupted bytes
common="$src/tests/dist/bn_dropout.spec --data fashion-mnist --samples 1001 --val-samples 301 --batch 50 --threads 1"
run 2 "$axon" train $common --epochs 1 --out resumed.safetensors --state resumed.state > first-half.log
run 2 "$axon" train $common --epochs 2 --out resumed.safetensors --resume resumed.state > second-half.log
cmp resumed.safetensors bn-dropout-shards2.safetensors || fail "a resumed 2-process run differs from an uninterrupted one"
grep -q "resuming after epoch 1 of 2" second-half.log || fail "the resumed run did not say so"
echo "resume: a 2-process run stopped after epoch 1 and resumed gives the uninterrupted bytes"

# rank 0 alone prints and writes (a run folder too)
run 4 "$axon" train $common --epochs 2 --out once.safetensors --logdir runs/once --checkpoint-every 1 > once.log
[ "$(grep -c '^epoch' once.log)" = 2 ] || fail "4 processes printed $(grep -c '^epoch' once.log) epoch lines, not 2"
[ "$(grep -c '^saved the model' once.log)" = 1 ] || fail "4 processes said more than once that they saved"
[ "$(grep -c '^checkpoint' once.log)" = 1 ] || fail "the checkpoint after epoch 1 was not saved once"
[ "$(wc -l < runs/once/epochs.jsonl)" = 2 ] || fail "the run folder's epochs.jsonl has $(wc -l < runs/once/epochs.jsonl) lines"
cmp once.safetensors bn-dropout-shards4.safetensors || fail "the logged 4-process run trained other bytes"
echo "writes: 4 processes printed 2 epoch lines, one checkpoint, one model file, one run folder"

# a rank that cannot read its data: the job ends at once, naming it
start=$(date +%s)
rc=0
run 2 sh -c 'd=fashion-mnist; [ "$OMPI_COMM_WORLD_RANK" = 1 ] && d=csv:missing.csv; exec "$0" train "$1" --data $d --samples 500 --threads 1 --out failed.safetensors' \
  "$axon" "$src/examples/specs/fashion_mlp.spec" > failed.log 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "a rank without its data: the job succeeded"
grep -q "rank 1 of 2: missing.csv: cannot open" failed.log || { cat failed.log; fail "the message does not name rank 1"; }
[ ! -e failed.safetensors ] || fail "a failed job wrote a model file"
echo "failure: rank 1 without its data ended the job in $(( $(date +%s) - start )) s: $(grep 'rank 1 of 2' failed.log)"
# other data on one rank: refused on every rank before training
rc=0
run 2 sh -c 'n=500; [ "$OMPI_COMM_WORLD_RANK" = 1 ] && n=600; exec "$0" train "$1" --data fashion-mnist --samples $n --threads 1 --out differ.safetensors' \
  "$axon" "$src/examples/specs/fashion_mlp.spec" > differ.log 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "ranks with different data: the job succeeded"
grep -q "rank 1 of 2 has training samples 600 where rank 0 has 500" differ.log || { cat differ.log; fail "no message naming rank 1's data"; }
echo "mismatch: $(grep 'rank 1 of 2 has' differ.log | head -1)"
# --shards with a communicator of several is refused
rc=0
run 2 "$axon" train $common --epochs 1 --shards 2 --out both.safetensors > both.log 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q "give one of the two" both.log || fail "--shards under mpirun -np 2 was not refused"
if grep -q "Sanitizer\|runtime error" ./*.log; then grep -l "Sanitizer\|runtime error" ./*.log; fail "a sanitizer report"; fi
echo "all ranks agree"

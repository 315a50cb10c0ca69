#!/bin/sh
# The board end to end: train three runs with --logdir (a finished MNIST
# MLP, a 100-epoch table, one still training), serve them with axon board,
# write a report, and check both in headless chromium (board_test.js).
#   tests/board/run.sh AXON SOURCE_DIR WORK_DIR
# Screenshots land in WORK_DIR/shots. Fails on any failed check, any
# sanitizer report and any non-zero exit of the board.
set -eu
axon=$1 src=$2 work=$3
playwright="${AXON_DATA:-${HOME:-/tmp}/.cache/axon}/playwright-core-1.64.1/package"
[ -f "$playwright/package.json" ] || { echo "board: playwright-core missing (scripts/install-deps.sh test fetches it)"; exit 1; }
[ -x /usr/bin/chromium ] || { echo "board: /usr/bin/chromium missing (Debian's chromium)"; exit 1; }
rm -rf "$work" && mkdir -p "$work/runs" "$work/shots"
cd "$work"
mlp="$src/tests/board/small_mlp.spec"
table="$src/examples/specs/will_i_pass.spec"
"$axon" train "$mlp" --data mnist --epochs 3 --threads 1 --out first.safetensors --logdir runs/first \
  --log-steps 5 --histogram-steps 25 > first.log
"$axon" train "$table" --data "csv:$src/examples/data/will_i_pass.csv:targets=passed" --standardize --optimizer sgd --lr 0.5 \
  --batch 24 --epochs 100 --out hundred.safetensors --logdir runs/hundred --log-steps 1 --histogram-steps 10 > hundred.log
# the live run trains on while the browser watches; it is stopped at the end
"$axon" train "$mlp" --data fashion-mnist --epochs 100000 --threads 1 --out live.safetensors --logdir runs/live --log-steps 5 \
  --histogram-steps 50 > live.log 2>&1 &
trainer=$!
"$axon" board runs --port 0 > board.out 2> board.err &
board=$!
stop() { kill "$trainer" 2>/dev/null || true; kill "$board" 2>/dev/null || true; }
trap stop EXIT
port=""
for i in $(seq 100); do
  port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' board.out)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "board: the board did not start"; cat board.err; exit 1; }
for i in $(seq 300); do [ -s runs/live/epochs.jsonl ] && break; sleep 0.1; done
"$axon" report runs/first runs/hundred -o report.html
rc=0
PLAYWRIGHT_CORE="$playwright" node "$src/tests/board/board_test.js" "$port" runs report.html shots \
  "$mlp:first" "$table:hundred" "$mlp:live" || rc=1
kill "$trainer" 2>/dev/null || true
kill "$board"
wait "$board" || { echo "board: axon board exited with $?"; rc=1; }
trap - EXIT
if grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" board.err live.log > /dev/null 2>&1; then
  echo "board: a sanitizer report"; cat board.err; rc=1
fi
exit $rc

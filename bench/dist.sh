#!/usr/bin/env bash
# Data-parallel training on this machine: the W-MLP and the W-CNN
# (Fashion-MNIST, Adam, batch 64) trained by one process with 1 and 2
# threads and by mpirun -np 1, 2 and 4 with one thread per process, side
# by side in one run. Reports the seconds of the last epoch (training and
# the sharded evaluation), the speed-up over one process with 2 threads,
# and, from rank 0's statistics, what a step spends after its backward
# pass waiting for the gradients' sums and on the other sums (loss and
# counts, batch norm's buffers): the communication the overlap with
# backward did not hide.
#   bench/dist.sh [BUILD_DIR] [EPOCHS] [SAMPLES]
set -euo pipefail
build=${1:-build}
epochs=${2:-2}
samples=${3:-60000}
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
axon=$build/axon
[ -x "$axon" ] || { echo "dist: $axon is missing (make build)"; exit 1; }
command -v mpirun > /dev/null || { echo "dist: mpirun is missing (Debian's openmpi-bin)"; exit 1; }

# one run: the last epoch's seconds, then the exposed communication per step in ms (or -)
measure() {
  local spec=$1 threads=$2; shift 2
  local json
  json=$("$@" "$axon" train "$spec" --data fashion-mnist --samples "$samples" --epochs "$epochs" --threads "$threads" \
    --json --force --out "$work/model.safetensors" | tail -1)
  /usr/bin/python3 - "$json" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
last = r["history"][-1]["seconds"]
p = r.get("parallel")
exposed = "-" if not p else "%.3f %.3f %.3f %d" % (p["wait_ms"], p["other_sums_ms"], p["backward_ms"], p["buckets"])
print("%.3f %s" % (last, exposed))
PY
}

printf '%-6s %-22s %9s %9s %16s %12s %9s %8s\n' model run s/epoch speed-up backward_ms/step exposed_ms share buckets
for model in mlp cnn; do
  spec=$here/../examples/specs/fashion_$model.spec
  declare -A res=()
  res[t2]=$(measure "$spec" 2 | awk '{print $1}')
  res[t1]=$(measure "$spec" 1 | awk '{print $1}')
  for np in 1 2 4; do
    res[np$np]=$(measure "$spec" 1 mpirun --oversubscribe -np $np)
  done
  base=${res[t2]}
  printf '%-6s %-22s %9.3f %9.2f %16s %12s %9s %8s\n' "$model" "1 process, 2 threads" "$base" 1 - - - -
  printf '%-6s %-22s %9.3f %9.2f %16s %12s %9s %8s\n' "$model" "1 process, 1 thread" "${res[t1]}" \
    "$(awk "BEGIN {print $base / ${res[t1]}}")" - - - -
  for np in 1 2 4; do
    read -r secs wait other back buckets <<<"${res[np$np]}"
    if [ "$wait" = "-" ]; then
      printf '%-6s %-22s %9.3f %9.2f %16s %12s %9s %8s\n' "$model" "mpirun -np $np" "$secs" \
        "$(awk "BEGIN {print $base / $secs}")" - - - -
    else
      steps=$(( (samples + 63) / 64 ))
      printf '%-6s %-22s %9.3f %9.2f %16.3f %12.3f %8.1f%% %8s\n' "$model" "mpirun -np $np" "$secs" \
        "$(awk "BEGIN {print $base / $secs}")" "$back" "$(awk "BEGIN {print $wait + $other}")" \
        "$(awk "BEGIN {print 100 * ($wait + $other) / ($secs * 1000 / $steps)}")" "$buckets"
    fi
  done
done
echo "exposed: per step, after backward, waiting for the gradients' sums plus the other sums; share: of the"
echo "epoch's time per step (evaluation included). 4 processes share 2 cores here: oversubscribed."

#!/bin/sh
# ONNX both ways (ctest onnx):
#   run.sh AXON ONNX_RUN SOURCE_DIR
# 1. PyTorch models exported by torch.onnx.export (torch_models.py: an MLP
#    at opsets 17 and 13, the W-CNN with and without constant folding, a
#    residual CNN with batch norm) import into axon and give PyTorch's
#    outputs to 1e-5;
# 2. axon models (trained by axon train: the demo MLP, the W-CNN, a model of
#    many ops) exported by axon export pass onnx.checker and strict shape
#    inference and run in ONNX Runtime with axon's outputs to 1e-5;
# 3. files axon cannot read are refused with the node, op type and
#    attribute (bad_models.py), a malformed one with the byte offset;
# 4. the round trip: torch -> ONNX -> axon (fine-tuned one epoch) -> ONNX
#    -> ONNX Runtime agrees with axon.
set -eu
AXON=$1 RUN=$2 SRC=$3
HERE=$SRC/tests/onnx
ORT="${AXON_DATA:-${HOME:-/tmp}/.cache/axon}/onnxruntime-node-1.20.1"
"$SRC/scripts/fetch-onnxruntime.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/axon-onnx.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
PY=/usr/bin/python3

$PY "$HERE/torch_models.py" . 2>&1 | grep -v -i warn
for m in mlp mlp13 wcnn wcnn_unfolded rescnn rescnn_bn; do
    "$RUN" run $m.onnx $m.x $m.axon.y
    $PY "$HERE/check.py" compare "torch $m -> axon" $m.axon.y $m.y
done

# files to refuse, each with its message
mkdir bad
$PY "$HERE/bad_models.py" bad
for f in bad/*.onnx; do
    want=$(cat "${f%.onnx}.expect")
    if "$AXON" info "$f" > out.txt 2>&1; then
        echo "onnx: $f was read"; exit 1
    fi
    grep -qF "$want" out.txt || { echo "onnx: $f: expected '$want', got:"; cat out.txt; exit 1; }
    echo "refused $f: $(cat out.txt)"
done

cat > many.spec <<'SPEC'
input image 1 28 28
conv2d c1 filters=8 kernel=3 padding=1 stride=2
batchnorm bn1
relu r1
conv2d c2 filters=8 kernel=3 padding=1 groups=2 dilation=1 activation=relu
add res inputs=r1,c2
avgpool p1 size=2 padding=1
maxpool p2 size=2 stride=1
prelu pr
flatten f
dense fc1 units=32 activation=gelu
layernorm ln axis=1
dense fc2 units=24 activation=swish
maxout mo units=12 k=2
dense fc3 units=16 activation=elu
dropout d rate=0.3
dense fc4 units=10 activation=softplus
dense out units=10
softmax prob
loss categorical_cross_entropy
SPEC
cp "$SRC/examples/specs/fashion_mlp.spec" mlp.spec
cp "$SRC/examples/specs/fashion_cnn.spec" cnn.spec
$PY "$HERE/check.py" reshape wcnn.x mlp.x 8 28 28 # the demo MLP's input is [N, 28, 28]
cp wcnn.x cnn.x
cp wcnn.x many.x
for m in mlp cnn many; do
    "$AXON" train $m.spec --data mnist --epochs 1 --out $m.safetensors --force > /dev/null
    "$AXON" export $m.safetensors $m.onnx
    $PY "$HERE/check.py" valid $m.onnx
    "$RUN" run $m.safetensors $m.x $m.axon.y
    node "$HERE/ort_run.js" "$ORT" $m.onnx $m.x $m.ort.y
    $PY "$HERE/check.py" compare "axon $m -> ONNX Runtime" $m.ort.y $m.axon.y
    "$RUN" run $m.onnx $m.x $m.back.y
    $PY "$HERE/check.py" compare "axon $m -> ONNX -> axon" $m.back.y $m.axon.y
done

"$RUN" finetune wcnn.onnx tuned.onnx wcnn.x tuned.axon.y
$PY "$HERE/check.py" valid tuned.onnx
node "$HERE/ort_run.js" "$ORT" tuned.onnx wcnn.x tuned.ort.y
$PY "$HERE/check.py" compare "torch -> axon, fine-tuned -> ONNX Runtime" tuned.ort.y tuned.axon.y
echo "onnx: passed"

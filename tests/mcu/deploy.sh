#!/bin/sh
# From training to an emulated microcontroller, checked at each step:
#   deploy.sh AXON SOURCE_DIR SPEC DATA EPOCHS SAMPLES FLOAT_SAMPLES
# 1. train SPEC on DATA; 2. quantize it (calibrated on the training split)
# and require the int8 accuracy on the test split within 1 point of the
# float one; 3. export int8 C with SAMPLES check samples, and require the
# numpy reference (reference.py) to give the host kernels' outputs bit for
# bit (and to notice a flipped byte); 4. build the C with the host's gcc
# (-std=c99 -pedantic -Werror) and require the host's bytes; 5. build it for
# a Cortex-M4 (soft float: any float operation would link a helper, and
# none may) and run it under qemu-system-arm (mps2-an386, semihosting):
# the same bytes; 6. export the float model and run it on a Cortex-M4F
# under qemu (FLOAT_SAMPLES samples): axon's float outputs within 1e-4.
set -eu
AXON=$1 SRC=$2 SPEC=$3 DATA=$4 EPOCHS=$5 SAMPLES=$6 FLOAT_SAMPLES=$7
MCU=$SRC/tests/mcu
WORK=$(mktemp -d "${TMPDIR:-/tmp}/axon-deploy.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
cp "$MCU/harness.c" "$MCU/startup_m4.c" "$MCU/mps2_an386.ld" .
QEMU="qemu-system-arm -M mps2-an386 -cpu cortex-m4 -nographic -monitor none -serial none -semihosting-config enable=on,target=native"
# qemu writes the semihosting output to stderr; it exits 1 when the harness reports mismatches
run_qemu() {
    status=0
    timeout 600 $QEMU -kernel "$1" > qemu.log 2>&1 || status=$?
    cat qemu.log
    [ "$status" -eq 0 ] && grep -q "mismatches 0," qemu.log
}
M4="arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os -std=c99 -Wall -Werror -DAXON_SEMIHOSTING -nostartfiles -T $WORK/mps2_an386.ld"

"$AXON" train "$SPEC" --data "$DATA" --epochs "$EPOCHS" --seed 1 --threads 1 --out model.safetensors --force > train.log
"$AXON" quantize model.safetensors --calibrate "$DATA" -o model.q.safetensors --eval "$DATA" --threads 1 | tee quantize.log
/usr/bin/python3 - <<'PY'
import re, sys
m = re.search(r"float ([0-9.]+), int8 ([0-9.]+)", open("quantize.log").read())
f, q = float(m.group(1)), float(m.group(2))
print("deploy: float %.4f, int8 %.4f" % (f, q))
sys.exit(0 if abs(q - f) <= 0.01 else 1)
PY

mkdir int8 float
"$AXON" export-c model.q.safetensors -o int8/model.c --check-data "$DATA" --check-out int8/check.bin --check-samples "$SAMPLES"
/usr/bin/python3 "$MCU/reference.py" model.q.safetensors int8/check.bin
# the reference must notice one expected output changed
/usr/bin/python3 - <<'PY'
b = bytearray(open("int8/check.bin", "rb").read())
b[-1] = (b[-1] + 1) % 256
open("flipped.bin", "wb").write(b)
PY
if /usr/bin/python3 "$MCU/reference.py" model.q.safetensors flipped.bin > /dev/null; then
    echo "deploy: the reference did not notice a changed output"; exit 1
fi

cd int8
gcc -std=c99 -pedantic -Wall -Wextra -Werror -O2 -I. ../harness.c model.c -o host
./host
$M4 -mfloat-abi=soft -I. ../startup_m4.c ../harness.c model.c -o m4.elf -Wl,-Map=m4.map
if grep -E "__aeabi_(f|d|i2f|i2d|l2f|l2d|ui2f|ui2d)[a-z0-9]*$" m4.map | grep -v "^ *\*" > floats.txt && [ -s floats.txt ]; then
    echo "deploy: the int8 model links floating-point helpers:"; cat floats.txt; exit 1
fi
arm-none-eabi-size m4.elf
run_qemu m4.elf
cd ..

"$AXON" export-c model.safetensors -o float/model.c --check-data "$DATA" --check-out float/check.bin --check-samples "$FLOAT_SAMPLES"
cd float
gcc -std=c99 -pedantic -Wall -Wextra -Werror -O2 -I. ../harness.c model.c -o host -lm
./host
$M4 -mfloat-abi=hard -mfpu=fpv4-sp-d16 -I. ../startup_m4.c ../harness.c model.c -o m4f.elf -lm
arm-none-eabi-size m4f.elf
run_qemu m4f.elf
echo "deploy: passed"

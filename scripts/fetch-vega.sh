#!/bin/sh
# Fetch the time series the examples forecast, from the npm package
# `vega-datasets` (Mauna Loa's monthly CO2, 1958-2020), into axon's data
# cache, once. The cache is $AXON_DATA, or ~/.cache/axon.
#   scripts/fetch-vega.sh
exec "$(dirname "$0")/fetch-npm.sh" vega-datasets vega-datasets@2.8.0 co2-concentration.csv \
  package/data/co2-concentration.csv

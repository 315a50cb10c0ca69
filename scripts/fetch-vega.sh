#!/bin/sh
# Fetch the tables the examples use, from the npm package `vega-datasets`,
# into axon's data cache, once: Mauna Loa's monthly CO2 (1958-2020), and
# the Auto MPG cars (cars.json, 406 cars of 1970-82) written as cars.csv:
# mpg, cylinders, displacement, horsepower, weight, acceleration, year,
# usa, europe, japan (the origin one-hot) and origin (0 USA, 1 Europe,
# 2 Japan), the 14 cars with a missing value left out (392 remain, the
# usual clean set). The cache is $AXON_DATA, or ~/.cache/axon.
#   scripts/fetch-vega.sh
set -eu
dir="${AXON_DATA:-${HOME:-/tmp}/.cache/axon}/vega-datasets"
[ -f "$dir/cars.csv" ] && exit 0
"$(dirname "$0")/fetch-npm.sh" vega-datasets vega-datasets@2.8.0 cars.json \
  package/data/co2-concentration.csv package/data/cars.json
node -e '
const fs = require("fs");
const cars = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const num = ["Miles_per_Gallon", "Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration"];
const origins = ["USA", "Europe", "Japan"];
let csv = "mpg,cylinders,displacement,horsepower,weight,acceleration,year,usa,europe,japan,origin\n";
for (const c of cars) {
  const o = origins.indexOf(c.Origin);
  if (num.some(k => typeof c[k] !== "number") || o < 0 || !/^\d{4}/.test(c.Year)) continue;
  const onehot = origins.map((_, i) => (i === o ? 1 : 0));
  csv += [...num.map(k => c[k]), parseInt(c.Year.slice(0, 4), 10), ...onehot, o].join(",") + "\n";
}
fs.writeFileSync(process.argv[2] + ".tmp", csv);
fs.renameSync(process.argv[2] + ".tmp", process.argv[2]);
' "$dir/cars.json" "$dir/cars.csv"
echo "wrote $dir/cars.csv"

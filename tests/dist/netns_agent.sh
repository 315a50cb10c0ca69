#!/bin/sh
# Open MPI's launch agent for tests/dist/netns.sh, in place of ssh: called
# as `agent [options] HOST COMMAND...`, it runs COMMAND in the network
# namespace that $AXON_NETNS_HOSTS (lines "ADDRESS NAMESPACE") gives HOST.
while [ $# -gt 0 ]; do
  case "$1" in -*) shift ;; *) break ;; esac
done
host=$1
shift
ns=$(awk -v h="$host" '$1 == h { print $2 }' "$AXON_NETNS_HOSTS")
[ -n "$ns" ] || { echo "netns_agent: no namespace for host $host" >&2; exit 1; }
exec ip netns exec "$ns" sh -c "$*"

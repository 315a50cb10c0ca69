#!/bin/sh
# Two hosts, really: two network namespaces joined by a veth pair
# (10.213.0.1 and 10.213.0.2, nothing else), Open MPI between them over
# TCP alone (btl tcp,self on that subnet), its daemon started on the
# second host by a launch agent that enters that host's namespace
# (netns_agent.sh, in place of ssh). Checks that the two ranks ran in
# different namespaces with their own addresses, then that training the
# W-MLP across the two hosts gives the bytes of --shards 2. Root only.
#   tests/dist/netns.sh AXON MPIRUN SOURCE_DIR WORK_DIR
set -eu
axon=$1 mpirun=$2 src=$3 work=$4
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
rm -rf "$work" && mkdir -p "$work" && cd "$work"
fail() { echo "FAILED: $*"; exit 1; }
# names of our own, unique to this run, so that two runs never meet
tag=$$
h1=axon-h1-$tag h2=axon-h2-$tag v1=axv1-$tag v2=axv2-$tag
v1=$(echo "$v1" | cut -c1-15) v2=$(echo "$v2" | cut -c1-15) # interface names: at most 15 bytes
cleanup() { ip netns del "$h1" 2>/dev/null || true; ip netns del "$h2" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$h1" || fail "cannot make a network namespace (needs root and CAP_SYS_ADMIN)"
ip netns add "$h2"
ip link add "$v1" type veth peer name "$v2"
ip link set "$v1" netns "$h1"
ip link set "$v2" netns "$h2"
ip -n "$h1" addr add 10.213.0.1/24 dev "$v1"
ip -n "$h2" addr add 10.213.0.2/24 dev "$v2"
for h in "$h1" "$h2"; do ip -n "$h" link set lo up; done
ip -n "$h1" link set "$v1" up
ip -n "$h2" link set "$v2" up
# the agent maps each host's address to its namespace
printf '10.213.0.1 %s\n10.213.0.2 %s\n' "$h1" "$h2" > hosts
export AXON_NETNS_HOSTS="$work/hosts"
mpi() {
  timeout 300 ip netns exec "$h1" "$mpirun" --mca plm_rsh_agent "$src/tests/dist/netns_agent.sh" \
    --mca btl tcp,self --mca btl_tcp_if_include 10.213.0.0/24 --mca oob_tcp_if_include 10.213.0.0/24 \
    -x AXON_NETNS_HOSTS --host 10.213.0.1,10.213.0.2 -np 2 "$@"
}
# where each rank runs: its network namespace and its address
mpi sh -c 'echo "rank $OMPI_COMM_WORLD_RANK $(readlink /proc/self/ns/net) $(ip -4 -o addr show | grep -o "10\.213\.0\.[0-9]*")"' \
  | sort > where.txt
cat where.txt
[ "$(wc -l < where.txt)" = 2 ] || fail "not two ranks"
grep -q "^rank 0 .* 10.213.0.1$" where.txt && grep -q "^rank 1 .* 10.213.0.2$" where.txt ||
  fail "the ranks did not run on 10.213.0.1 and 10.213.0.2"
[ "$(cut -d' ' -f3 where.txt | sort -u | wc -l)" = 2 ] || fail "both ranks ran in one network namespace"
common="$src/examples/specs/fashion_mlp.spec --data fashion-mnist --samples 2001 --val-samples 500 --epochs 2 --threads 1"
mpi "$axon" train $common --out two-hosts.safetensors > two-hosts.log
"$axon" train $common --shards 2 --out shards.safetensors > shards.log
cmp two-hosts.safetensors shards.safetensors || fail "two hosts over TCP and --shards 2 trained different bytes"
echo "two hosts: $(tail -2 two-hosts.log | head -1)"
echo "two hosts over TCP give the bytes of --shards 2: all ranks agree"

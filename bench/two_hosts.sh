# shellcheck shell=bash
# Two VM Hosts on this machine for the benches that need more than one (the
# set-up of tests/cli/test_hpvmmigrate.sh, without its test harness): host A
# is the caller's own network namespace (run it under `unshare -n`), host B a
# named one joined to it by a veth pair. Each host has its own sshd (keys
# made here) whose SetEnv gives it its own HPVM_ROOT; the storage is shared
# (the same files). Source it, then:
#
#   two_hosts_up DIR ROOT_A ROOT_B   keys and configurations in DIR; "ssh"
#                                    on PATH reaches the hosts as hosta and
#                                    hostb (what hpvmmigrate -h takes)
#   on_b CMD...                      CMD as host B runs it (its namespace,
#                                    HPVM_ROOT=ROOT_B)
#   two_hosts_down                   the sshds (the pids started here) and
#                                    B's namespace go; call it from a trap
#
# TWO_HOSTS_NS is B's namespace, TWO_HOSTS_ROOT_B its root.

# shellcheck source=tests/cli/ssh_pair.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tests/cli/ssh_pair.sh"

TWO_HOSTS_NS=hpvm-two-$$
TWO_HOSTS_ROOT_B=
_two_hosts_pids=()
_two_hosts_made_ns=

two_hosts_up() {
  local dir=$1 root_a=$2 root_b=$3
  TWO_HOSTS_ROOT_B=$root_b
  [[ -x /usr/sbin/sshd ]] && command -v ssh-keygen >/dev/null ||
    { echo "two_hosts: openssh-server is not installed (run scripts/bootstrap)" >&2; return 1; }
  ip netns add "$TWO_HOSTS_NS" || return 1
  _two_hosts_made_ns=1
  ip link set lo up
  ip link add two0 type veth peer name two1 netns "$TWO_HOSTS_NS"
  ip addr add 10.253.0.1/24 dev two0
  ip link set two0 up
  ip -n "$TWO_HOSTS_NS" addr add 10.253.0.2/24 dev two1
  ip -n "$TWO_HOSTS_NS" link set two1 up
  ip -n "$TWO_HOSTS_NS" link set lo up

  ssh_pair_config "$dir" 10.253.0.1 10.253.0.2 "$root_a" "$root_b"
  /usr/sbin/sshd -D -e -f "$dir/sshd_a" 2>"$dir/sshd_a.log" &
  _two_hosts_pids+=($!)
  # ip netns exec execs: $! is sshd's pid.
  ip netns exec "$TWO_HOSTS_NS" /usr/sbin/sshd -D -e -f "$dir/sshd_b" 2>"$dir/sshd_b.log" &
  _two_hosts_pids+=($!)
  ssh_pair_wait "$dir"
}

on_b() { ip netns exec "$TWO_HOSTS_NS" env HPVM_ROOT="$TWO_HOSTS_ROOT_B" "$@"; }

two_hosts_down() {
  local pid
  for pid in "${_two_hosts_pids[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  _two_hosts_pids=()
  [[ -n $_two_hosts_made_ns ]] && ip netns del "$TWO_HOSTS_NS" 2>/dev/null
  _two_hosts_made_ns=
  return 0
}

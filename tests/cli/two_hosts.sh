# shellcheck shell=bash
# Two VM Hosts on this machine, for the suites that migrate guests between
# them; sourced after lib.sh by a suite already in a network namespace of its
# own (HPVM_RUNTIME_NETNS). Host A is that namespace, host B a second one
# joined to it by a veth pair (10.251.0.1 and .2); each has its own
# HPVM_ROOT ($ROOT_A, $ROOT_B) and its own sshd (keys made here; sshd's SetEnv
# gives each host its root). "hosta" and "hostb" are their names for the ssh
# that hpvmmigrate runs (first on PATH: it reads only the suite's ssh
# configuration); "hostdown" is B's address where nothing listens. Shared
# storage is the same files; B's sshd runs in a mount namespace of its own
# with a tmpfs over $S/local, so files there are local to one host.
#
#   two_hosts_missing   prints why the machine cannot have the two hosts
#                       (status 0), or nothing (status 1)
#   two_hosts_up        makes them; the namespaces go at exit, after the
#                       tracked processes (sshds, QEMUs)
#   two_hosts_netns NS  one more network namespace, deleted at exit too
#   on_b CMD...         CMD as host B runs it (its namespaces, host name and root)
#   in_b_files CMD...   CMD in the mount namespace of B's sshd
#   both_states         both hosts' database dumps and run directories
#   log_b               the number of lines of B's command log

# shellcheck source=tests/cli/ssh_pair.sh
source "$(dirname "${BASH_SOURCE[0]}")/ssh_pair.sh"

two_hosts_missing() {
  if [[ -z ${HPVM_RUNTIME_NETNS:-} || $(id -u) -ne 0 ]]; then
    echo "needs root and a private network namespace (unshare -n)."
  elif [[ ! -x /usr/sbin/sshd ]] || ! command -v ssh-keygen >/dev/null; then
    echo "openssh-server is not installed (scripts/bootstrap installs it)."
  else
    return 1
  fi
}

_two_hosts_netns=()
_two_hosts_cleanup() {
  local ns
  for ns in "${_two_hosts_netns[@]}"; do
    ip netns del "$ns" 2>/dev/null
  done
}

two_hosts_netns() {
  ip netns add "$1" || return 1
  _two_hosts_netns+=("$1")
  ip -n "$1" link set lo up
}

two_hosts_up() {
  K=$(new_tmpdir) # keys, ssh and sshd configurations
  NS=hpvm-mig-$$
  # The sshds (tracked pids) go first, then the namespaces.
  trap '_cleanup; _two_hosts_cleanup' EXIT
  if ! two_hosts_netns "$NS" 2>"$K/netns.err"; then
    if [[ $_checks -eq 0 ]]; then
      echo "SKIP: cannot create a network namespace: $(cat "$K/netns.err")"
      exit 77
    fi
    skip "cannot create a network namespace: $(cat "$K/netns.err")"
    finish
  fi
  ip link set lo up
  ip link add mig0 type veth peer name mig1 netns "$NS"
  ip addr add 10.251.0.1/24 dev mig0
  ip link set mig0 up
  ip -n "$NS" addr add 10.251.0.2/24 dev mig1
  ip -n "$NS" link set mig1 up

  ROOT_A=$(new_tmpdir)
  ROOT_B=$(new_tmpdir)
  HOST_A=$(hostname)
  HOST_B=hpvm-mig-b # B's own host name (a UTS namespace): hpvmstatus -m tells them apart
  mkdir -p "$S/local"

  ssh_pair_config "$K" 10.251.0.1 10.251.0.2 "$ROOT_A" "$ROOT_B"
  /usr/sbin/sshd -D -e -f "$K/sshd_a" 2>"$K/sshd_a.log" &
  track_pid $!
  # ip netns exec, unshare and sh all exec: $! is sshd's pid.
  ip netns exec "$NS" unshare -m -u --propagation private \
    sh -c 'mount -t tmpfs tmpfs "$1" && hostname "$3" && exec /usr/sbin/sshd -D -e -f "$2"' \
    sh "$S/local" "$K/sshd_b" "$HOST_B" 2>"$K/sshd_b.log" &
  SSHD_B=$!
  track_pid "$SSHD_B"

  # Both sshds answer within 5 s, or the suite stops here.
  ssh_pair_wait "$K" || exit 1
}

on_b() { nsenter -t "$SSHD_B" -u -- ip netns exec "$NS" env HPVM_ROOT="$ROOT_B" "$@"; }
in_b_files() { nsenter -t "$SSHD_B" -m -- "$@"; }
both_states() {
  use_root "$ROOT_B"
  state_dump
  use_root "$ROOT_A"
  state_dump
}
log_b() { grep -c '' "$ROOT_B/common/command.log" 2>/dev/null || echo 0; }

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

TWO_HOSTS_NS=hpvm-two-$$
TWO_HOSTS_ROOT_B=
_two_hosts_pids=()
_two_hosts_made_ns=
_two_hosts_made_run_sshd=

two_hosts_up() {
  local dir=$1 root_a=$2 root_b=$3 h addr root
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

  ssh-keygen -q -t ed25519 -N '' -C two-hosts -f "$dir/id"
  cp "$dir/id.pub" "$dir/authorized_keys"
  for h in a b; do
    ssh-keygen -q -t ed25519 -N '' -C "host-$h" -f "$dir/host_$h"
  done
  {
    echo "10.253.0.1 $(cut -d' ' -f1,2 "$dir/host_a.pub")"
    echo "10.253.0.2 $(cut -d' ' -f1,2 "$dir/host_b.pub")"
  } >"$dir/known_hosts"
  cat >"$dir/ssh_config" <<EOF
Host hosta
  HostName 10.253.0.1
Host hostb
  HostName 10.253.0.2
Host *
  IdentityFile $dir/id
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  LogLevel ERROR
EOF
  # hpvmmigrate runs "ssh" from PATH: this one reads only these hosts' configuration.
  mkdir -p "$dir/bin"
  printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$dir/ssh_config" >"$dir/bin/ssh"
  chmod +x "$dir/bin/ssh"
  export PATH="$dir/bin:$PATH"
  for h in a b; do
    if [[ $h == a ]]; then addr=10.253.0.1 root=$root_a; else addr=10.253.0.2 root=$root_b; fi
    cat >"$dir/sshd_$h" <<EOF
ListenAddress $addr
Port 22
HostKey $dir/host_$h
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
LogLevel ERROR
SetEnv HPVM_ROOT=$root
EOF
  done
  if [[ ! -d /run/sshd ]]; then
    mkdir -m 0755 /run/sshd && _two_hosts_made_run_sshd=1
  fi
  /usr/sbin/sshd -D -e -f "$dir/sshd_a" 2>"$dir/sshd_a.log" &
  _two_hosts_pids+=($!)
  # ip netns exec execs: $! is sshd's pid.
  ip netns exec "$TWO_HOSTS_NS" /usr/sbin/sshd -D -e -f "$dir/sshd_b" 2>"$dir/sshd_b.log" &
  _two_hosts_pids+=($!)
  # Both sshds answer within 5 s.
  for h in hosta hostb; do
    for _ in $(seq 50); do
      ssh -o BatchMode=yes -l root "$h" true 2>/dev/null && continue 2
      sleep 0.1
    done
    echo "two_hosts: sshd on $h did not answer within 5 s:" >&2
    cat "$dir/sshd_a.log" "$dir/sshd_b.log" >&2
    return 1
  done
}

on_b() { ip netns exec "$TWO_HOSTS_NS" env HPVM_ROOT="$TWO_HOSTS_ROOT_B" "$@"; }

two_hosts_down() {
  local pid
  for pid in "${_two_hosts_pids[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  _two_hosts_pids=()
  [[ -n $_two_hosts_made_ns ]] && ip netns del "$TWO_HOSTS_NS" 2>/dev/null
  [[ -n $_two_hosts_made_run_sshd ]] && rmdir /run/sshd 2>/dev/null
  _two_hosts_made_ns=
  _two_hosts_made_run_sshd=
  return 0
}

# shellcheck shell=bash
# The SSH side of two VM Hosts on one machine, shared by tests/cli/two_hosts.sh
# and bench/two_hosts.sh: keys, known hosts, the client configuration (hosts
# "hosta", "hostb", and "hostdown": B's address where nothing listens) and one
# sshd configuration per host, whose SetEnv gives that host its HPVM_ROOT.
#
#   ssh_pair_config DIR ADDR_A ADDR_B ROOT_A ROOT_B
#       writes them into DIR and puts DIR/bin first on PATH: its "ssh" (what
#       hpvmmigrate runs) reads only this configuration; the sshds are
#       started by the caller with -f DIR/sshd_a and -f DIR/sshd_b
#   ssh_pair_wait DIR
#       both sshds answer within 5 s (status 1 and their logs otherwise)

ssh_pair_config() {
  local dir=$1 addr_a=$2 addr_b=$3 root_a=$4 root_b=$5 h addr root
  ssh-keygen -q -t ed25519 -N '' -C hpvm-ssh-pair -f "$dir/id"
  cp "$dir/id.pub" "$dir/authorized_keys"
  for h in a b; do
    ssh-keygen -q -t ed25519 -N '' -C "host-$h" -f "$dir/host_$h"
  done
  {
    echo "$addr_a $(cut -d' ' -f1,2 "$dir/host_a.pub")"
    echo "$addr_b $(cut -d' ' -f1,2 "$dir/host_b.pub")"
  } >"$dir/known_hosts"
  cat >"$dir/ssh_config" <<EOF
Host hosta
  HostName $addr_a
Host hostb
  HostName $addr_b
Host hostdown
  HostName $addr_b
  Port 2222
Host *
  IdentityFile $dir/id
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  LogLevel ERROR
EOF
  mkdir -p "$dir/bin"
  printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$dir/ssh_config" >"$dir/bin/ssh"
  chmod +x "$dir/bin/ssh"
  export PATH="$dir/bin:$PATH"
  for h in a b; do
    if [[ $h == a ]]; then addr=$addr_a root=$root_a; else addr=$addr_b root=$root_b; fi
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
  # sshd's privilege-separation directory (Debian's openssh-server makes it
  # at boot). It stays: suites running at the same time share it, and an
  # sshd whose /run/sshd went away resets every connection.
  mkdir -p -m 0755 /run/sshd
}

ssh_pair_wait() {
  local dir=$1 h
  for h in hosta hostb; do
    for _ in $(seq 50); do
      ssh -o BatchMode=yes -l root "$h" true 2>/dev/null && continue 2
      sleep 0.1
    done
    echo "sshd on $h did not answer within 5 s:" >&2
    cat "$dir/sshd_a.log" "$dir/sshd_b.log" >&2
    return 1
  done
}

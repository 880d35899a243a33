#!/usr/bin/env bash
# hpvmmigrate between two VM Hosts on this machine: host A is this suite's own
# network namespace, host B a second one joined to it by a veth pair; each
# has its own HPVM_ROOT and its own sshd (keys made here; sshd's SetEnv gives
# each host its root), and B its own host name (a UTS namespace). Shared storage is the same files; B's sshd runs in a
# mount namespace of its own with a tmpfs over $S/local, so files there are
# local to one host. Every refusal leaves both databases as they were.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
if [[ -z ${HPVM_RUNTIME_NETNS:-} || $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root and a private network namespace (unshare -n)."
  exit 77
fi
if [[ ! -x /usr/sbin/sshd ]] || ! command -v ssh-keygen >/dev/null; then
  echo "SKIP: openssh-server is not installed (scripts/bootstrap installs it)."
  exit 77
fi

K=$(new_tmpdir) # keys, ssh and sshd configurations
NS=hpvm-mig-$$
if ! ip netns add "$NS" 2>"$K/netns.err"; then
  echo "SKIP: cannot create a network namespace: $(cat "$K/netns.err")"
  exit 77
fi
made_run_sshd=
# The sshds (tracked pids) go first, then the namespace.
trap '_cleanup; ip netns del "$NS" 2>/dev/null; [[ -n $made_run_sshd ]] && rmdir /run/sshd' EXIT

ip link set lo up
ip link add mig0 type veth peer name mig1 netns "$NS"
ip addr add 10.251.0.1/24 dev mig0
ip link set mig0 up
ip -n "$NS" addr add 10.251.0.2/24 dev mig1
ip -n "$NS" link set mig1 up
ip -n "$NS" link set lo up

ROOT_A=$(new_tmpdir)
ROOT_B=$(new_tmpdir)
HOST_A=$(hostname)
HOST_B=hpvm-mig-b
mkdir -p "$S/local"

ssh-keygen -q -t ed25519 -N '' -C migrate-test -f "$K/id"
cp "$K/id.pub" "$K/authorized_keys"
for h in a b; do
  ssh-keygen -q -t ed25519 -N '' -C "host-$h" -f "$K/host_$h"
done
{
  echo "10.251.0.1 $(cut -d' ' -f1,2 "$K/host_a.pub")"
  echo "10.251.0.2 $(cut -d' ' -f1,2 "$K/host_b.pub")"
} >"$K/known_hosts"
cat >"$K/ssh_config" <<EOF
Host hosta
  HostName 10.251.0.1
Host hostb
  HostName 10.251.0.2
Host hostdown
  HostName 10.251.0.2
  Port 2222
Host *
  IdentityFile $K/id
  IdentitiesOnly yes
  UserKnownHostsFile $K/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  LogLevel ERROR
EOF
# hpvmmigrate runs "ssh" from PATH: this one reads only the suite's configuration.
mkdir "$K/bin"
printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$K/ssh_config" >"$K/bin/ssh"
chmod +x "$K/bin/ssh"
export PATH="$K/bin:$PATH"
for h in a b; do
  if [[ $h == a ]]; then addr=10.251.0.1 root=$ROOT_A; else addr=10.251.0.2 root=$ROOT_B; fi
  cat >"$K/sshd_$h" <<EOF
ListenAddress $addr
Port 22
HostKey $K/host_$h
AuthorizedKeysFile $K/authorized_keys
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
  mkdir -m 0755 /run/sshd && made_run_sshd=1
fi
/usr/sbin/sshd -D -e -f "$K/sshd_a" 2>"$K/sshd_a.log" &
track_pid $!
# ip netns exec, unshare and sh all exec: $! is sshd's pid.
ip netns exec "$NS" unshare -m -u --propagation private \
  sh -c 'mount -t tmpfs tmpfs "$1" && hostname "$3" && exec /usr/sbin/sshd -D -e -f "$2"' \
  sh "$S/local" "$K/sshd_b" "$HOST_B" 2>"$K/sshd_b.log" &
SSHD_B=$!
track_pid "$SSHD_B"

# Both sshds answer within 5 s, or the suite stops here.
for h in hosta hostb; do
  for _ in $(seq 50); do
    ssh -o BatchMode=yes -l root "$h" true 2>/dev/null && continue 2
    sleep 0.1
  done
  echo "sshd on $h did not answer within 5 s:" >&2
  cat "$K/sshd_a.log" "$K/sshd_b.log" >&2
  exit 1
done

# A QEMU that exited may linger as a zombie until its parent reaps it.
alive() { readlink "/proc/$1/exe" >/dev/null 2>&1; }
# on_b CMD...: CMD as host B runs it (its namespaces, host name and root).
on_b() { nsenter -t "$SSHD_B" -u -- ip netns exec "$NS" env HPVM_ROOT="$ROOT_B" "$@"; }
# in_b_files CMD...: CMD in the mount namespace of B's sshd (B's local files).
in_b_files() { nsenter -t "$SSHD_B" -m -- "$@"; }
# Both hosts' states: database dumps and run directories.
both_states() {
  use_root "$ROOT_B"
  state_dump
  use_root "$ROOT_A"
  state_dump
}
log_b() { grep -c '' "$ROOT_B/common/command.log" 2>/dev/null || echo 0; }

# mig_refused GUEST "problem"... -- ARGS: hpvmmigrate ARGS on A exits 1 with
# exactly these problems and the summary, prints nothing on stdout, leaves
# both hosts' databases and run directories as they were, and logs FAILURE.
mig_refused() {
  local guest=$1 before lines=()
  shift
  while [[ $1 != -- ]]; do
    lines+=("hpvmmigrate: ERROR ($guest): $1")
    shift
  done
  shift
  lines+=("hpvmmigrate: Unable to migrate the guest.")
  both_states >"$K/before"
  before=$(log_lines)
  run hpvmmigrate "$@"
  assert_exit 1
  assert_stderr "$(printf '%s\n' "${lines[@]}")"
  assert_stdout ""
  both_states >"$K/after"
  if cmp -s "$K/before" "$K/after"; then
    pass
  else
    fail "$LAST: a host's database or run directories changed" "$(diff -u "$K/before" "$K/after" | tail -n +3)"
  fi
  expect_logged "$before" "FAILURE(1)" "hpvmmigrate "
}

section "set-up: vswitches and guests"
use_root "$ROOT_A"
truncate -s 16M "$S/disk1.img" "$S/shared.img" "$S/r.img" "$S/local/l1.img" "$S/local/d1.img"
in_b_files truncate -s 16M "$S/local/d1.img" # the same path, another file
for sw in sw1 sw2 sw3; do
  expect_ok hpvmnet -c -S "$sw"
  expect_ok hpvmnet -b -S "$sw"
done
for sw in sw1 sw3; do
  expect_ok on_b hpvmnet -c -S "$sw"
done
expect_ok on_b hpvmnet -b -S sw1 # sw3 stays down on B
expect_ok hpvmcreate -P g1 -O linux -r 64M -a "disk:avio_stor::file:$S/disk1.img" \
  -a network:avio_lan::vswitch:sw1
expect_ok hpvmcreate -P gl -a "disk:avio_stor::file:$S/local/l1.img"
expect_ok hpvmcreate -P gd -a "disk:avio_stor::file:$S/local/d1.img"
expect_ok hpvmcreate -P gs -a "disk:avio_stor::file:$S/shared.img"
expect_ok hpvmdevmgmt -m "gdev:$S/shared.img:attr:SHARE=YES"
expect_ok hpvmcreate -P gn -a network:avio_lan::vswitch:sw2
expect_ok hpvmcreate -P gh -a network:avio_lan::vswitch:sw3
expect_ok hpvmcreate -P gr -a "disk:avio_stor::file:$S/r.img"
expect_ok on_b hpvmdevmgmt -a "rdev:$S/r.img"
UUID=$(uuid_of g1)

section "refusals: both databases unchanged"
mig_refused g1 "SSH execution error. Make sure ssh is setup right on both source and target systems." \
  "ssh: connect to host 10.251.0.2 port 2222: Connection refused" -- -P g1 -h hostdown
mig_refused gl "Target VM Host error - Device does not exist. ($S/local/l1.img)" \
  "See HPVM command log file on target VM Host for more detail." -- -P gl -h hostb
mig_refused gd "Target VM Host error - Device is a different file here: its device and inode differ. ($S/local/d1.img)" \
  "See HPVM command log file on target VM Host for more detail." -- -P gd -h hostb
mig_refused gs "Device $S/shared.img is shared.  Guest with shared storage devices cannot be migrated." \
  -- -P gs -h hostb
mig_refused gn "Target VM Host error - vswitch validation failed. (sw2 does not exist)" \
  "See HPVM command log file on target VM Host for more detail." -- -P gn -h hostb
mig_refused gh "Target VM Host error - vswitch validation failed. (sw3 is not booted)" \
  "See HPVM command log file on target VM Host for more detail." -- -P gh -h hostb
before_b=$(log_b)
mig_refused gr "Target VM Host error - Backing store '$S/r.img' is restricted: it is an rdev entry; the host uses it." \
  "See HPVM command log file on target VM Host for more detail." -- -P gr -h hostb
check "the target logged its refusal" \
  grep -qE "FAILURE\(1\) .*hpvmmigrate --receive\$" <(tail -n +$((before_b + 1)) "$ROOT_B/common/command.log")
expect_ok on_b hpvmcreate -P g1
mig_refused g1 "Target VM Host error - A guest named 'g1' already exists." \
  "See HPVM command log file on target VM Host for more detail." -- -P g1 -h hostb
expect_ok on_b hpvmremove -P g1 -Q
mig_refused g1 "Invalid guest name 'a/b' may contain only letters, digits, '_', '.' and '-'." \
  -- -P g1 -h hostb -N a/b
if command -v qemu-system-x86_64 >/dev/null; then
  fake_qemu QPID g1
  mig_refused g1 "The guest is running; migrate it online with -o, or stop it with hpvmstop first." \
    -- -P g1 -h hostb
  kill "$QPID"
  while alive "$QPID"; do sleep 0.05; done
  rm -f "$HPVM_ROOT/uuids/$UUID/qemu.pid" # what the stand-in leaves
else
  skip "qemu-system-x86_64 is not installed: a running guest's refusal not tested"
fi

section "not enough memory on the target; -F forces it (-s: nothing moves)"
expect_ok hpvmcreate -P gm -r 1000G
both_states >"$K/before"
run hpvmmigrate -P gm -h hostb
assert_exit 1
assert_stderr_has "^hpvmmigrate: ERROR \(gm\): Target VM Host error - The guest needs 1024064 MB of memory \(1024000 MB and 64 MB overhead\); the VM Host has [0-9]+ MB available\.$"
run hpvmmigrate -P gm -h hostb -s -F
assert_exit 0
assert_stdout "hpvmmigrate: The guest can be migrated to 'hostb' as 'gm'."
assert_stderr_has "^hpvmmigrate: WARNING \(gm\): Forced: The guest needs 1024064 MB"
both_states >"$K/after"
check "a check changed nothing on either host" cmp -s "$K/before" "$K/after"

section "-s checks only"
both_states >"$K/before"
expect_stdout "hpvmmigrate: The guest can be migrated to 'hostb' as 'g1'." hpvmmigrate -P g1 -h hostb -s
both_states >"$K/after"
check "a check changed nothing on either host" cmp -s "$K/before" "$K/after"

section "offline migration A -> B"
run hpvmstatus -P g1 -d
cp "$OUT" "$K/devices_a"
before=$(log_lines)
expect_stdout "hpvmmigrate: Guest migrated successfully." hpvmmigrate -P g1 -h hostb
expect_logged "$before" SUCCESS "hpvmmigrate -P g1 -h hostb\$"
use_root "$ROOT_B"
expect_sql "SELECT name, uuid, vm_number, runnable, modifiable, visible FROM guests" "g1|$UUID|1|1|1|1"
use_root "$ROOT_A"
expect_sql "SELECT runnable, modifiable, visible FROM guests WHERE name = 'g1'" "0|0|0"
run on_b hpvmstatus -P g1 -d
check "the devices (addresses, MACs, vswitch) are the same on B" cmp -s "$K/devices_a" "$OUT"
expect_sql "SELECT vswitch_port FROM network_devices WHERE guest_id = (SELECT id FROM guests WHERE name = 'g1')" \
  "$(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT vswitch_port FROM network_devices")"
run hpvmstatus -P g1 -V
assert_stdout_has "^Runnable status : Disabled$"
assert_stdout_has "migrated_to"
run on_b hpvmstatus -P g1 -V
assert_stdout_has "^Runnable status : Enabled$"
refused hpvmstart g1 "The guest was migrated to the VM Host 'hostb' and belongs to it now; this copy is not runnable (hpvmmigrate on 'hostb' brings the guest back)." --
mig_refused g1 "The guest was migrated to the VM Host 'hostb' already; migrate it from there." -- -P g1 -h hostb
run hpvmdevmgmt -l all
check "A released the guest's device-database entries" bash -c "! grep -q ':g1' '$OUT'"
run on_b hpvmdevmgmt -l all
check "B holds the guest's device-database entries" grep -qE "^$S/disk1.img:CONFIG=gdev.*:g1:\$" "$OUT"

section "and back B -> A (the copy A kept is replaced)"
expect_stdout "hpvmmigrate: Guest migrated successfully." on_b hpvmmigrate -P g1 -h hosta
expect_sql "SELECT name, uuid, runnable, modifiable, visible FROM guests WHERE uuid = '$UUID'" "g1|$UUID|1|1|1"
run hpvmstatus -P g1 -d
check "the devices are as they were" cmp -s "$K/devices_a" "$OUT"
use_root "$ROOT_B"
expect_sql "SELECT name, runnable FROM guests" "g1|0"
use_root "$ROOT_A"

section "the UUID already there (B's copy made runnable by hand)"
expect_ok on_b hpvmmodify -P g1 -x modify_status=enabled
expect_ok on_b hpvmmodify -P g1 -x runnable_status=enabled
mig_refused g1 "Target VM Host error - A guest with the UUID $UUID already exists: 'g1'." \
  "See HPVM command log file on target VM Host for more detail." -- -P g1 -h hostb
expect_ok on_b hpvmremove -P g1 -Q

section "-N: another name on the target; -p: by number"
expect_ok hpvmmigrate -p "$(sql "SELECT vm_number FROM guests WHERE name = 'g1'")" -h hostb -N g1b -q
use_root "$ROOT_B"
expect_sql "SELECT name, uuid FROM guests" "g1b|$UUID"
use_root "$ROOT_A"

section "-m: each host lists the other, as target and as source"
check "B has its own host name" test "$(on_b hostname)" = "$HOST_B"
# servers HOST GUESTS [NAME ROLE COUNT]...: hpvmstatus -m's table.
servers() {
  echo "[Multi Server Environment]"
  echo "Server Name          Role    State #VMs  Running Migrations"
  echo "==================== ======= ===== ===== ======= =========="
  printf '%-20s %-7s %-5s %5s %7s %10s\n' "$1" Local Up "$2" 0 -
  shift 2
  while [[ $# -gt 0 ]]; do
    printf '%-20s %-7s %-5s %5s %7s %10s\n' "$1" "$2" - - - "$3"
    shift 3
  done
}
# A sent g1 to hostb twice (-P, then -p with -N) and got it back once; the
# checks (-s) and refusals do not count.
expect_stdout "$(servers "$HOST_A" "$(sql "SELECT count(*) FROM guests")" hostb Target 2 "$HOST_B" Source 1)" \
  hpvmstatus -m
expect_masked() { # SED EXPECTED CMD...: stdout with SED applied is EXPECTED
  local expr=$1 text=$2
  shift 2
  run "$@"
  assert_exit 0
  check "$* (masked)" test "$(sed -E "$expr" "$OUT")" = "$text"
}
expect_masked 's/:[0-9]{8}T[0-9]{6}Z$/:TIME/' "$HOST_A:Local:Up:$(sql "SELECT count(*) FROM guests"):0::
hostb:Target::::2:TIME
$HOST_B:Source::::1:TIME" hpvmstatus -m -M
last_time() { grep -E " SUCCESS hpvmmigrate $1" "$ROOT_A/common/command.log" | tail -1 | cut -d' ' -f1 | tr -d ':-'; }
check "-M's times are those of the last records" test "$(cut -d: -f7 "$OUT" | tail -2 | tr '\n' ' ')" = \
  "$(last_time '-p .* -h hostb') $(last_time "--receive # from $HOST_B\$") "
expect_stdout "$(servers "$HOST_B" "$(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT count(*) FROM guests")" "$HOST_A" Source 2 hosta Target 1)" \
  on_b hpvmstatus -m
run on_b hpvmstatus -m -J
assert_exit 0
check "-m -J on B" test "$(python3 -c 'import json, sys
for s in json.load(open(sys.argv[1]))["servers"]:
    print(s["name"], s["role"], s["state"], s["guests"], s["running"], s["migrations"], s["last_migration"] is not None)' "$OUT")" = \
  "$HOST_B Local Up $(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT count(*) FROM guests") 0 None False
$HOST_A Source None None None 2 True
hosta Target None None None 1 True"

section "the target's side reads only a definition"
feed "not a definition"
run hpvmmigrate --receive
assert_exit 1
assert_stdout_has '^\{"ok":false,"problems":\["Target VM Host error - the guest.s definition cannot be read: '
expect_stderr 2 - hpvmmigrate -P g1 <<'EOF'
hpvmmigrate: ERROR: Name the target VM Host with -h.
Run 'hpvmmigrate --help' for usage.
EOF
expect_stderr 2 - hpvmmigrate -P g1 -h 'a;b' <<'EOF'
hpvmmigrate: ERROR: Invalid target: the target host name may hold only letters, digits, '.', '-', ':' and '_'.
Run 'hpvmmigrate --help' for usage.
EOF

# ------------------------------------------------------------------ online
if ! command -v qemu-system-x86_64 >/dev/null || [[ ! -e /dev/net/tun ]]; then
  skip "qemu-system-x86_64 or /dev/net/tun is missing: online migration not tested"
  finish
fi
QMP="python3 $HPVM_SOURCE/tests/runtime/qmp.py"
qemu_of() { cat "$1/uuids/$UG/qemu.pid" 2>/dev/null; }
qmp_of() { $QMP "$1/uuids/$UG/qmp.sock" "${@:2}"; }
# b_clean: B is as before the migration: only the copy it kept when the guest
# left it (not runnable), and no QEMU for the guest (waits up to 15 s: the
# target cleans up after its source went away).
b_clean() {
  local i pid
  for i in $(seq 150); do
    pid=$(qemu_of "$ROOT_B")
    if [[ $(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT name, runnable, modifiable, visible FROM guests WHERE uuid = '$UG'") == "go|0|0|0" ]] &&
      ! { [[ -n $pid ]] && alive "$pid" && grep -qa -- "$UG" "/proc/$pid/cmdline"; }; then
      return 0
    fi
    sleep 0.1
  done
  sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT name, runnable, modifiable, visible FROM guests WHERE uuid = '$UG'"
  echo "B's QEMU: ${pid:-none}"
  return 1
}
# wait_migrating: B's QEMU is up, waiting for the stream (10 s at most); the
# stream starts at once after. (A's monitor is hpvmmigrate's meanwhile: QMP
# takes one client at a time.)
wait_migrating() {
  local i pid
  for i in $(seq 100); do
    pid=$(qemu_of "$ROOT_B")
    if [[ -n $pid ]] && alive "$pid"; then
      sleep 0.3
      return 0
    fi
    sleep 0.1
  done
  return 1
}
a_runs() { [[ $(qmp_of "$ROOT_A" status) == running ]]; }

section "online: a running guest moves there and back"
expect_ok hpvmcreate -P go -r 64M
UG=$(uuid_of go)
run hpvmstart -P go
assert_exit 0
PA=$(qemu_of "$ROOT_A")
track_pid "$PA"
run hpvmmigrate -o -P go -h hostb
assert_exit 0
assert_stdout_has '^hpvmmigrate: Guest migrated successfully\.$'
assert_stdout_has '^hpvmmigrate: Downtime [0-9]+ ms, total time [0-9]+ ms\.$'
check "the command log has the times" grep -qE \
  " SUCCESS hpvmmigrate -o -P go -h hostb # Downtime [0-9]+ ms, total time [0-9]+ ms\.\$" "$ROOT_A/common/command.log"
PB=$(qemu_of "$ROOT_B")
[[ -n $PB ]] && track_pid "$PB"
check "the source's QEMU is gone" bash -c "! readlink /proc/$PA/exe >/dev/null 2>&1"
check "B's QEMU has the guest's UUID" grep -qa -- "$UG" "/proc/$PB/cmdline"
check "and runs it" test "$(qmp_of "$ROOT_B" status)" = running
expect_sql "SELECT runnable, modifiable, visible FROM guests WHERE uuid = '$UG'" "0|0|0"
run hpvmstatus
assert_stdout_has '^go +[0-9]+ UNKNOWN +Off'
run on_b hpvmstatus
assert_stdout_has '^go +[0-9]+ UNKNOWN +On'
run on_b hpvmmigrate -o -P go -h hosta
assert_exit 0
assert_stdout_has '^hpvmmigrate: Guest migrated successfully\.$'
PA=$(qemu_of "$ROOT_A")
[[ -n $PA ]] && track_pid "$PA"
check "B's QEMU is gone" bash -c "! readlink /proc/$PB/exe >/dev/null 2>&1"
check "A runs the guest again" a_runs
expect_sql "SELECT runnable FROM guests WHERE uuid = '$UG'" "1"

section "online: refused when the guest says so, or is not running"
expect_ok hpvmmodify -P go -x online_migration=disabled
mig_refused go "Online migration is disabled for the guest (hpvmmodify -x online_migration=enabled allows it)." \
  -- -o -P go -h hostb
expect_ok hpvmmodify -P go -x online_migration=enabled
mig_refused gl "The guest is not running; migrate it without -o." -- -o -P gl -h hostb

# A slow stream leaves time to kill things: the idle firmware-only guest sends
# about 600 KB (zero pages cost a few bytes each), so about 6 s.
qmp_of "$ROOT_A" bandwidth 100000

section "online: the target's QEMU killed midway"
hpvmmigrate -o -P go -h hostb >"$K/mig.out" 2>"$K/mig.err" &
MPID=$!
track_pid "$MPID"
check "the migration started" wait_migrating
PB=$(qemu_of "$ROOT_B")
[[ -n $PB ]] && kill -9 "$PB"
wait "$MPID"
check "hpvmmigrate failed (exit 1)" test $? -eq 1
check "it says the guest runs on the source as before" grep -q "The guest runs on this host as before\.\$" "$K/mig.err"
check "the guest runs on A" a_runs
check "nothing is left on B" b_clean
expect_sql "SELECT runnable FROM guests WHERE uuid = '$UG'" "1"

section "online: the source's hpvmmigrate killed midway"
hpvmmigrate -o -P go -h hostb >"$K/mig.out" 2>"$K/mig.err" &
MPID=$!
track_pid "$MPID"
check "the migration started" wait_migrating
for pid in $(pgrep -P "$MPID"); do track_pid "$pid"; done # its ssh
{
  kill -9 "$MPID"
  wait "$MPID"
} 2>/dev/null # no "Killed" from the shell
check "nothing is left on B" b_clean
check "the guest runs on A" a_runs
expect_sql "SELECT runnable FROM guests WHERE uuid = '$UG'" "1"

section "online: the target's hpvmmigrate killed midway"
hpvmmigrate -o -P go -h hostb >"$K/mig.out" 2>"$K/mig.err" &
MPID=$!
track_pid "$MPID"
check "the migration started" wait_migrating
RPID=$(pgrep -f -- "hpvmmigrate --receive\$")
check "the target's hpvmmigrate found" test -n "$RPID"
[[ -n $RPID ]] && kill -9 $RPID
wait "$MPID"
check "hpvmmigrate failed (exit 1)" test $? -eq 1
check "it says the guest runs on the source as before" grep -q "The guest runs on this host as before\.\$" "$K/mig.err"
check "the guest runs on A" a_runs
check "nothing is left on B" b_clean
qmp_of "$ROOT_A" bandwidth 1073741824

finish

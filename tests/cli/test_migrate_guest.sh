#!/usr/bin/env bash
# hpvmmigrate -o with the real test guest (scripts/guest-image), from host A
# to host B and back (the two hosts of tests/cli/two_hosts.sh):
#  - a counter process in the guest keeps counting across both moves: the
#    same process, its count going on;
#  - a TCP connection to the guest from a third network namespace (C)
#    survives both: the counter streams its numbers over it to C, which
#    receives them all, in order, and C's lines reach the guest. Both hosts'
#    vswitches are uplinked to one bridge in C, so the guest keeps its
#    address; QEMU's announce after the migration (and the guest's own
#    traffic) tell C's bridge where the guest is now;
#  - what the guest wrote to its data disk (and flushed) before each move is
#    in the host's backing file after it, and the guest reads it back from
#    the disk on the other host, its page cache dropped.
# Left out of CI's sanitizer pass (.ci/run), like test_guest: it tests QEMU
# and the guest, not the suite's memory safety; test_hpvmmigrate's
# firmware-only migrations run the same code under the sanitizers.
#
# Guest commands are in single quotes: they expand in the guest.
# shellcheck disable=SC2016
# shellcheck source=tests/cli/guest_netns.sh
source "$(dirname "$0")/guest_netns.sh"
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/runtime_lib.sh
source "$(dirname "$0")/runtime_lib.sh"
# shellcheck source=tests/cli/guest_lib.sh
source "$(dirname "$0")/guest_lib.sh"
# shellcheck source=tests/cli/two_hosts.sh
source "$(dirname "$0")/two_hosts.sh"
if why=$(two_hosts_missing); then
  echo "SKIP: $why"
  exit 77
fi

# Under TCG on a loaded machine a boot takes tens of seconds.
BOOT_SECS=240
suite_start=$(date +%s)

guest_image
cp --sparse=always -- "$GUEST_IMAGE" "$S/root.img"
sized_file "$S/data.img" 16M
two_hosts_up

section "set-up: C's bridge, both hosts' vswitches uplinked to it"
NC=hpvm-migc-$$
check "C's network namespace" two_hosts_netns "$NC"
expect_ok ip -n "$NC" link add br0 type bridge
expect_ok ip -n "$NC" addr add 192.0.2.1/24 dev br0
expect_ok ip -n "$NC" link set br0 up
expect_ok ip link add upa0 type veth peer name upa1 netns "$NC"
expect_ok ip -n "$NS" link add upb0 type veth peer name upb1 netns "$NC"
expect_ok ip -n "$NC" link set upa1 master br0 up
expect_ok ip -n "$NC" link set upb1 master br0 up
use_root "$ROOT_A"
expect_ok hpvmnet -c -S sw1 -n upa0
expect_ok hpvmnet -b -S sw1
expect_ok on_b hpvmnet -c -S sw1 -n upb0
expect_ok on_b hpvmnet -b -S sw1
expect_ok hpvmcreate -P gm -O linux -r 128M -a "disk:avio_stor:0,1,0:file:$S/root.img" \
  -a "disk:avio_stor:0,1,1:file:$S/data.img" -a network:avio_lan:0,5,0x02aabbcc0a01:vswitch:sw1
UG=$(uuid_of gm)

section "boot on A"
run hpvmstart -P gm
assert_exit 0
started gm
console_open gm
if console_wait gm "$BOOT_SECS" '^HPVM-GUEST-READY$' && console_sync gm; then
  pass
else
  fail "gm did not boot to HPVM-GUEST-READY and its prompt within $BOOT_SECS s ($GRC)" "$(console_tail gm 30)"
  finish
fi
echo "    booted after $(($(date +%s) - suite_start)) s ($(accel))"
#  data      the data disk (target 1)
#  waitfor   runs its command every 0.1 s until it succeeds (at most 300 times)
expect_guest gm "" 'data() { echo /dev/$(ls /sys/class/scsi_disk/0:0:1:0/device/block); }'
expect_guest gm "" 'waitfor() { i=0; until eval "$1" >/dev/null 2>&1; do i=$((i + 1)); [ $i -lt 300 ] || return 1; sleep 0.1; done; }'
expect_guest gm "02:aa:bb:cc:0a:01" 'cat /sys/class/net/eth0/address'
expect_guest gm "" 'ip addr add 192.0.2.10/24 dev eth0'
check_guest "the guest reaches C" gm "ping -c 2 -w 30 -q 192.0.2.1" 40

section "a counter in the guest streams over a TCP connection from C"
# The counter (its pid in /tmp/counter.pid) writes each number to
# /tmp/count and to the connection; the lines C sends go to /tmp/received.
# The listener takes one connection: a new one could not be accepted.
gsh gm '(sh -c "echo \$\$ >/tmp/counter.pid; i=0; while :; do i=\$((i+1)); echo \$i >/tmp/count; echo \$i; sleep 0.2; done" | nc -l -p 5001 >/tmp/received 2>/dev/null &)'
expect_guest gm "" 'waitfor "pidof nc"'
# C's end: the lines it receives go into a file; each line written to the
# fifo is sent, "end" half-closes the connection and waits for the guest's
# end. The fifo is opened for each line, so no process this suite starts
# later can keep it open by inheriting it.
cat >"$K/tcp_peer.py" <<'EOF'
import socket, sys, threading, time
host, port, received, fifo = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
deadline = time.monotonic() + 30
while True:
    try:
        s = socket.create_connection((host, port), timeout=5)
        break
    except OSError as e:
        if time.monotonic() > deadline:
            sys.exit(f"no connection within 30 s: {e}")
        time.sleep(0.2)
s.settimeout(None)
ended = threading.Event()
def receive():
    with open(received, "w") as out:
        for line in s.makefile("r"):
            out.write(line)
            out.flush()
    ended.set()
threading.Thread(target=receive, daemon=True).start()
done = False
while not done:
    with open(fifo) as lines:
        for line in lines:
            if line == "end\n":
                done = True
                break
            s.sendall(line.encode())
s.shutdown(socket.SHUT_WR)
if not ended.wait(30):
    sys.exit("the guest did not close the connection within 30 s")
EOF
mkfifo "$K/tcp.in"
ip netns exec "$NC" python3 "$K/tcp_peer.py" 192.0.2.10 5001 "$K/count" "$K/tcp.in" >"$K/tcp.log" 2>&1 &
TCP_PID=$!
track_pid "$TCP_PID"
# tcp_send LINE...: C sends the LINEs (10 s at most for C's end to take them;
# one write, as C's end may not have the fifo open again for a second).
tcp_send() { timeout 10 sh -c 'f=$1; shift; printf "%s\n" "$@" >"$f"' sh "$K/tcp.in" "$@"; }
last_count() { tail -n 1 "$K/count" 2>/dev/null; }
# count_passes N: the count C receives goes beyond N within 60 s.
count_passes() {
  local i c
  for ((i = 0; i < 600; i++)); do
    c=$(last_count)
    [[ $c =~ ^[0-9]+$ ]] && ((c > $1)) && return 0
    kill -0 "$TCP_PID" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}
check "C sends a line" tcp_send before
check "C receives the count" count_passes 3
gsh gm 'cat /tmp/counter.pid'
counter_pid=$GOUT
check "the counter's pid is known ($counter_pid)" test -n "$counter_pid"

# move FROM TO: hpvmmigrate -o of gm from host FROM to host TO (a or b),
# checked: success, the times printed, only TO's QEMU runs the guest, the
# counter process and the connection go on, the console attached on TO.
move() {
  local from=$1 to=$2 before_pid after_pid count guest_count
  before_pid=$(cat "$(run_dir gm)/qemu.pid")
  gsh gm 'cat /tmp/count'
  guest_count=$GOUT
  console_close gm
  if [[ $from == a ]]; then
    run hpvmmigrate -o -P gm -h hostb
  else
    run on_b hpvmmigrate -o -P gm -h hosta
  fi
  assert_exit 0
  assert_stdout_has '^hpvmmigrate: Guest migrated successfully\.$'
  assert_stdout_has '^hpvmmigrate: Downtime [0-9]+ ms, total time [0-9]+ ms\.$'
  echo "    $from -> $to: $(grep -o 'Downtime.*' "$OUT")"
  count=$(last_count)
  if [[ $to == b ]]; then use_root "$ROOT_B"; else use_root "$ROOT_A"; fi
  after_pid=$(cat "$(run_dir gm)/qemu.pid")
  [[ -n $after_pid ]] && track_pid "$after_pid"
  check "$from's QEMU is gone" bash -c "! readlink /proc/$before_pid/exe >/dev/null 2>&1"
  check "$to's QEMU has the guest's UUID" grep -qa -- "$UG" "/proc/$after_pid/cmdline"
  check "and runs it" test "$(qmp gm status)" = running
  check "C receives the count after the move (beyond $count): the connection lives" count_passes "$count"
  check "C's bridge has the guest's MAC on $to's uplink" bash -c \
    "ip netns exec '$NC' bridge fdb show br br0 | grep -q '^02:aa:bb:cc:0a:01 dev up${to}1 '"
  console_open gm
  if console_sync gm; then pass; else fail "no prompt on $to's console ($GRC)" "$(console_tail gm 30)"; fi
  expect_guest gm "$counter_pid" 'cat /tmp/counter.pid'
  check_guest "the counter process still runs" gm 'kill -0 $(cat /tmp/counter.pid)'
  gsh gm 'cat /tmp/count'
  check "the counter went on ($guest_count before the move, $GOUT now)" test "$GOUT" -gt "$guest_count"
}

# write_proof NAME SECTOR: a line written to the data disk at SECTOR and
# flushed; PROOF holds it.
write_proof() {
  PROOF="hpvm-migrate-$1 $(date +%s%N)"
  expect_guest gm "" "echo '$PROOF' | dd of=\$(data) bs=512 seek=$2 conv=fsync 2>/dev/null"
}
# check_proof SECTOR: the host's backing file holds PROOF at SECTOR, and the
# guest reads it from the disk (its page cache dropped).
check_proof() {
  check "the host's backing file holds '$PROOF'" \
    test "$(dd if="$S/data.img" bs=512 skip="$1" count=1 status=none | head -n 1)" = "$PROOF"
  expect_guest gm "$PROOF" "echo 3 >/proc/sys/vm/drop_caches; dd if=\$(data) bs=512 skip=$1 count=1 2>/dev/null | head -n 1"
}

section "A -> B with hpvmmigrate -o"
write_proof a 2048
move a b
check_proof 2048
check "C sends a line" tcp_send there

section "B -> A"
write_proof b 4096
move b a
check_proof 4096
check "A's copy of the guest is the runnable one again" test "$(sql "SELECT runnable FROM guests WHERE name = 'gm'")" = 1

section "the connection ends cleanly: every number arrived, in order"
check "C sends a line and half-closes" tcp_send back end
expect_guest gm "before there back" 'waitfor "! pidof nc" && echo $(cat /tmp/received)'
for ((i = 0; i < 300; i++)); do kill -0 "$TCP_PID" 2>/dev/null || break; sleep 0.1; done
wait "$TCP_PID"
tcp_rc=$?
check "C's end closed without error (exit $tcp_rc): $(cat "$K/tcp.log")" test "$tcp_rc" = 0
n=$(wc -l <"$K/count")
check "C received 1 to $n, each once, in order" cmp -s <(seq 1 "$n") <(head -n "$n" "$K/count")

section "stop"
console_close gm
expect_ok hpvmstop -P gm -Q
echo "    the suite took $(($(date +%s) - suite_start)) s"
finish

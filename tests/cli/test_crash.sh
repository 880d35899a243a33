#!/usr/bin/env bash
# Crash safety (hpvmmodify(1M), ONLINE CHANGES): hpvmmodify killed with
# SIGKILL in the middle of a hot-add on a real QEMU guest, at the points where
# the guest and the configuration part: before device_add (a block node or
# netdev that no device uses is left in QEMU) and after it (the guest has a
# device the configuration never got). Each time the database is as before,
# hpvmstatus shows the difference, and a hot-add or hpvmmodify -R brings the
# two back in line. The kill comes from tests/runtime/qmp_interpose.py, which
# relays the command's QMP connection to QEMU and kills the command (the peer
# of that connection) at the chosen command.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/runtime_lib.sh
source "$(dirname "$0")/runtime_lib.sh"
INTERPOSE="python3 $HPVM_SOURCE/tests/runtime/qmp_interpose.py"

for d in d1 d2 d3; do sized_file "$S/$d.img" 8M; done
expect_ok hpvmnet -c -S vsw1
expect_ok hpvmnet -b -S vsw1
expect_ok hpvmcreate -P g1 -r 256M -a "disk:avio_stor:0,1,0:file:$S/d1.img"
run hpvmstart -P g1
assert_exit 0
started g1
runtime_state() { hpvmstatus -P g1 | sed -n '/^\[Runtime State\]/,$p'; }

# killed_during WHEN COMMAND hpvmmodify ARGS...: runs the command with its QMP
# connection interposed; it is killed WHEN (before|after) it sends COMMAND.
killed_during() {
  local when=$1 command=$2 sock interposer i
  shift 2
  sock="$(run_dir g1)/qmp.sock"
  mv "$sock" "$sock.qemu"
  : >"$S/interpose.out" # emptied before the background job starts: no stale "listening"
  # Bounded, so a command that never connects cannot hang the suite.
  timeout 60 $INTERPOSE "$sock" "$sock.qemu" "$when" "$command" >>"$S/interpose.out" 2>&1 &
  interposer=$!
  track_pid "$interposer"
  for ((i = 0; i < 300; i++)); do grep -q listening "$S/interpose.out" && break; sleep 0.1; done
  if grep -q listening "$S/interpose.out"; then pass; else fail "the interposer listens" "$(cat "$S/interpose.out")"; fi
  run "$@"
  wait "$interposer"
  rm -f "$sock"
  mv "$sock.qemu" "$sock"
  check "the interposer killed the command" grep -q "^killed " "$S/interpose.out"
}

section "killed before device_add of a disk: a block node no device uses"
db_snapshot
before=$(log_lines)
killed_during before device_add hpvmmodify -P g1 -a "disk:avio_stor:0,1,5:file:$S/d2.img"
assert_exit 137
expect_db_unchanged
check "the killed command logged nothing" test "$(log_lines)" -eq "$before"
expect_stdout "[Runtime State]
QEMU state : running
Difference : block node hpvm-b0s1t5 : left by an interrupted command, used by no device
Repair : hpvmmodify -P g1 -R brings the running guest in line with its configuration" runtime_state
# The same hot-add again takes the leftover node's place.
expect_ok hpvmmodify -P g1 -a "disk:avio_stor:0,1,5:file:$S/d2.img"
expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img
hpvm.tgt.b0s1t5 $S/d2.img" block
expect_stdout "[Runtime State]
QEMU state : running
Devices : as configured" runtime_state

section "killed before device_add of a vNIC: a netdev no vNIC uses; -R removes it and its tap"
db_snapshot
killed_during before device_add hpvmmodify -P g1 -a network:avio_lan:0,6,0x02aabbccdd06:vswitch:vsw1
assert_exit 137
expect_db_unchanged
expect_stdout "[Runtime State]
QEMU state : running
Difference : netdev hpvm.net.b0s6 : left by an interrupted command, used by no vNIC
Repair : hpvmmodify -P g1 -R brings the running guest in line with its configuration" runtime_state
run hpvmmodify -P g1 -R
assert_exit 0
assert_stdout "hpvmmodify: remove the unused netdev 'hpvm.net.b0s6'"
expect_db_unchanged
check "the dead command's tap hpv1n06 is gone" bash -c "! ip link show hpv1n06 2>/dev/null"
expect_stdout "[Runtime State]
QEMU state : running
Devices : as configured" runtime_state

section "killed after device_add: the guest has a disk the configuration never got"
db_snapshot
killed_during after device_add hpvmmodify -P g1 -a "disk:avio_stor:0,1,6:file:$S/d3.img"
assert_exit 137
expect_db_unchanged
expect_stdout "[Runtime State]
QEMU state : running
Difference : hpvm.tgt.b0s1t6 ($S/d3.img) : in the running guest, not configured
Repair : hpvmmodify -P g1 -R brings the running guest in line with its configuration" runtime_state
run hpvmmodify -P g1 -R
assert_exit 0
assert_stdout "hpvmmodify: remove disk 0,1,6"
expect_db_unchanged
expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img
hpvm.tgt.b0s1t5 $S/d2.img" block
expect_stdout "[Runtime State]
QEMU state : running
Devices : as configured" runtime_state

section "killed after device_add of a vNIC: -R asks the guest to let go, a stop completes it"
db_snapshot
killed_during after device_add hpvmmodify -P g1 -a network:lan:0,7,0x02aabbccdd07:vswitch:vsw1
assert_exit 137
expect_db_unchanged
run runtime_state
assert_stdout_has "^Difference : hpvm.nic.b0s7 : in the running guest, not configured$"
# No guest OS answers the ACPI eject request: the removal stays pending.
run hpvmmodify -P g1 -R
assert_exit 0
assert_stdout "hpvmmodify: remove lan 0,7: removal pending"
expect_sql "SELECT count(*) FROM network_devices" 0
expect_stdout "[Runtime State]
QEMU state : running
Pending : lan vNIC 0,7 : removal pending" runtime_state
check "the dead command's tap hpv1n07 is still QEMU's" bash -c "ip link show hpv1n07 >/dev/null 2>&1"
run hpvmstop -Q -P g1
assert_exit 0
assert_stderr ""
check "the tap hpv1n07 left with the guest" bash -c "! ip link show hpv1n07 2>/dev/null"
finish

#!/usr/bin/env bash
# A command that fails at its commit or is killed leaves the host as the
# database says. With $HPVM_ROOT full (a small tmpfs, in a private mount
# namespace) the commit fails after the host was changed: hpvmmodify's
# hot-adds, hpvmnet -h, -b and -u undo what they did and exit 1. Commands killed
# at a known point (tests/runtime/qmp_interpose.py on the QMP connection, or
# strace's signal injection at a system call) leave taps, adapters, run
# directories and clone targets that hpvmstatus reports and hpvmmodify -R,
# hpvmnet -r, a restart, the next hpvmcreate, hpvmclone, hpvmremove or
# hpvmdevmgmt -S remove. Real QEMU guests (firmware only) in a private
# network namespace.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n -m true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n -m --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/runtime_lib.sh
source "$(dirname "$0")/runtime_lib.sh"
INTERPOSE="python3 $HPVM_SOURCE/tests/runtime/qmp_interpose.py"
if ! command -v strace >/dev/null; then
  echo "strace is not installed (scripts/bootstrap installs it): the kills at a system call need it." >&2
  exit 1
fi

# The database on a tmpfs of its own, so it can be filled.
mount -t tmpfs -o size=16m,mode=0700 hpvmroot "$HPVM_ROOT"
track_mount "$HPVM_ROOT"
fill_root() {
  dd if=/dev/zero of="$HPVM_ROOT/fill" bs=64k 2>/dev/null
  head -c 65536 /dev/zero >>"$HPVM_ROOT/fill" 2>/dev/null
  return 0
}
unfill_root() { rm -f "$HPVM_ROOT/fill"; }
# The message of every change a full $HPVM_ROOT keeps from being written.
full="The file system holding '$HPVM_ROOT' is full (No space left on device): the configuration database cannot be changed. Free some space there and try again; nothing was changed."

for d in d1 d2 d3 d4 d5; do sized_file "$S/$d.img" 8M; done
expect_ok hpvmnet -c -S vsw1
expect_ok hpvmnet -b -S vsw1
expect_ok hpvmnet -c -S vsw2
expect_ok hpvmcreate -P g1 -r 256M -a "disk:avio_stor:0,1,0:file:$S/d1.img" \
  -a network:avio_lan:0,5,0x02aabbccdd05:vswitch:vsw1
run hpvmstart -P g1
assert_exit 0
started g1
pci_ids() { qmp g1 pci | awk '{ print $NF }' | grep '^hpvm\.\(hba\|nic\)' | sort; }
runtime_state() { hpvmstatus -P g1 | sed -n '/^\[Runtime State\]/,$p'; }
master_of() { ip -d -j link show "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[0].get("master", ""))'; }
no_link() { ! ip link show "$1" >/dev/null 2>&1; }

section "the database cannot commit: a hot-added disk is unplugged again"
db_snapshot
fill_root
run hpvmmodify -P g1 -a "disk:avio_stor:0,1,1:file:$S/d2.img"
assert_exit 1
# The first write to fail is the guest's configuration file, drafted before the commit.
assert_stderr "hpvmmodify: ERROR (g1): $full The running guest was changed back.
hpvmmodify: Unable to modify the guest."
expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img" block
expect_db_unchanged

section "the database cannot commit: a hot-added vNIC is asked to leave again, its tap removed"
# No guest OS answers the ACPI eject request: the vNIC cannot leave at once,
# and the error says so.
run hpvmmodify -P g1 -a network:avio_lan:0,6,0x02aabbccdd06:vswitch:vsw1
assert_exit 1
assert_stderr "hpvmmodify: ERROR (g1): $full The running guest was not entirely changed back; hpvmmodify -P g1 -R brings it in line with the configuration, which is unchanged:
hpvmmodify: ERROR (g1): The guest has not released the new vNIC 'hpvm.nic.b0s6'; its removal is pending.
hpvmmodify: Unable to modify the guest."
check "the tap hpv1n06 is gone" no_link hpv1n06
# The run directory got an (empty: the disk is full) pending-removals record.
db_snapshot

section "the database cannot commit: hpvmnet -h boots its bridge again"
run hpvmnet -h -Q -S vsw1
assert_exit 1
assert_stderr "hpvmnet: ERROR (vsw1): $full The host was put back as it was."
# vsw1 is vswitch number 2 (localnet is 1).
expect_stdout "hpvsw2" master_of hpv1n05

section "the database cannot commit: hpvmnet -b deletes the bridge it made"
run hpvmnet -b -S vsw2
assert_exit 1
assert_stderr "hpvmnet: ERROR (vsw2): $full The host was put back as it was."
check "no bridge hpvsw3" no_link hpvsw3

section "the database cannot commit: hpvmnet -u puts the bridge's VLANs back"
run hpvmnet -S vsw1 -u portid:9:vlanid:20
assert_exit 1
assert_stderr "hpvmnet: ERROR (vsw1): $full The host was put back as it was."
expect_stdout "hpvsw2" master_of hpv1n05
check "no bridge hpvsw2v20 (VLAN 20's, made and deleted again)" no_link hpvsw2v20
unfill_root
expect_db_unchanged

section "a nearly full database file system: SQLite's commit fails, said the same way"
# With a few pages free the configuration file's draft is written, and
# SQLite's write-ahead log cannot grow at the commit (SQLITE_FULL).
for free in 8K 16K; do
  fill_root
  truncate -s -"$free" "$HPVM_ROOT/fill"
  run hpvmmodify -P g1 -a "disk:avio_stor:0,1,1:file:$S/d2.img"
  assert_exit 1
  assert_stderr "hpvmmodify: ERROR (g1): $full The running guest was changed back.
hpvmmodify: Unable to modify the guest."
  expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img" block
  expect_db_unchanged
  unfill_root
done
# The full disk kept the removal from being recorded: hpvmstatus names the
# vNIC and the repair, and -R asks the guest again and records it.
expect_stdout "[Runtime State]
QEMU state : running
Difference : hpvm.nic.b0s6 : in the running guest, not configured
Repair : hpvmmodify -P g1 -R brings the running guest in line with its configuration" runtime_state
run hpvmmodify -P g1 -R
assert_exit 0
assert_stdout "hpvmmodify: remove avio_lan 0,6: removal pending"
expect_stdout "[Runtime State]
QEMU state : running
Pending : avio_lan vNIC 0,6 : removal pending" runtime_state

# killed_during WHEN COMMAND CMD ARGS...: runs the command with g1's QMP
# connection interposed; it is killed WHEN (before|after) it sends COMMAND.
killed_during() {
  local when=$1 command=$2 sock interposer i
  shift 2
  sock="$(run_dir g1)/qmp.sock"
  mv "$sock" "$sock.qemu"
  : >"$S/interpose.out"
  timeout 60 $INTERPOSE "$sock" "$sock.qemu" "$when" "$command" >>"$S/interpose.out" 2>&1 &
  interposer=$!
  track_pid "$interposer"
  for ((i = 0; i < 300; i++)); do grep -q listening "$S/interpose.out" && break; sleep 0.1; done
  run "$@"
  wait "$interposer"
  rm -f "$sock"
  mv "$sock.qemu" "$sock"
  check "the interposer killed the command" grep -q "^killed " "$S/interpose.out"
  assert_exit 137
}

section "a vNIC hot-add killed before netdev_add leaves its tap: shown, -R removes it"
db_snapshot
killed_during before netdev_add hpvmmodify -P g1 -a network:avio_lan:0,7,0x02aabbccdd07:vswitch:vsw1
expect_db_unchanged
expect_stdout "hpvsw2" master_of hpv1n07
expect_stdout "[Runtime State]
QEMU state : running
Difference : tap hpv1n07 : left by an interrupted command, used by no vNIC
Pending : avio_lan vNIC 0,6 : removal pending
Repair : hpvmmodify -P g1 -R brings the running guest in line with its configuration" runtime_state
run hpvmmodify -P g1 -R
assert_exit 0
assert_stdout "hpvmmodify: remove the unused tap 'hpv1n07'"
check "the tap hpv1n07 is gone" no_link hpv1n07
expect_db_unchanged

section "... hpvmnet -r removes it too"
killed_during before netdev_add hpvmmodify -P g1 -a network:avio_lan:0,7,0x02aabbccdd07:vswitch:vsw1
run hpvmnet -r
assert_exit 0
assert_stderr "hpvmnet: WARNING: Removed the tap hpv1n07 of guest 'g1', left by an interrupted command (no vNIC of the guest uses it)."
check "the tap hpv1n07 is gone" no_link hpv1n07
expect_stdout "hpvsw2" master_of hpv1n05

section "a multi-statement modify killed halfway: hpvmstatus says what is missing and how to repair"
expect_ok hpvmmodify -P g1 -a "disk:avio_stor:0,1,1:file:$S/d2.img"
db_snapshot
# Killed once the disk 0,1,1 is gone and the new adapter 2,2 is plugged,
# before the new disk's block node.
killed_during before blockdev-add hpvmmodify -P g1 -d "disk:avio_stor:0,1,1:file:$S/d2.img" \
  -a "disk:avio_stor:2,2,0:file:$S/d3.img"
expect_db_unchanged
for ((i = 0; i < 50; i++)); do qmp g1 pci | grep -q hpvm.hba.b2s2 && break; sleep 0.1; done
expect_stdout "[Runtime State]
QEMU state : running
Difference : disk:avio_stor:0,1,1:file:$S/d2.img : configured, not in the running guest
Difference : hpvm.hba.b2s2 : in the running guest, not configured
Pending : avio_lan vNIC 0,6 : removal pending
Repair : hpvmmodify -P g1 -R brings the running guest in line with its configuration" runtime_state
run hpvmmodify -P g1 -R
assert_exit 0
assert_stdout "hpvmmodify: add disk 0,1,1
hpvmmodify: remove the avio_stor adapter 2,2: removal pending"
expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img
hpvm.tgt.b0s1t1 $S/d2.img" block
expect_stdout "[Runtime State]
QEMU state : running
Pending : avio_stor adapter 2,2 : removal pending
Pending : avio_lan vNIC 0,6 : removal pending" runtime_state

section "a tap deleted under the running guest: reported; -R cannot tell QEMU's tap files apart"
# QEMU still holds the file of hpv1n06 (deleted with the vNIC 0,6 whose
# removal is pending) too: two detached tap files, and which is 0,5's is
# unknown (test_online reconnects the one there is).
ip link del hpv1n05
cut_off="network:avio_lan:0,5,0x02AABBCCDD05:vswitch:vsw1 : cut off, QEMU no longer holds its tap hpv1n05 (deleted on the host)"
expect_stdout "[Runtime State]
QEMU state : running
Difference : $cut_off
Pending : avio_stor adapter 2,2 : removal pending
Pending : avio_lan vNIC 0,6 : removal pending
Repair : hpvmmodify -P g1 -R brings the running guest in line with its configuration" runtime_state
run hpvmmodify -P g1 -R
assert_exit 0
assert_stdout "hpvmmodify: network:avio_lan:0,5,0x02AABBCCDD05:vswitch:vsw1 : cut off and not reconnected: QEMU (pid $(cat "$(run_dir g1)/qemu.pid")) holds 2 tap files no tap is attached to, and which is this vNIC's cannot be told; a restart reconnects it"
check "-R left no tap hpv1n05" no_link hpv1n05
run hpvmnet -r
assert_exit 0
assert_stderr "hpvmnet: WARNING: The tap hpv1n05 of the running guest 'g1' (vNIC at bus 0 device 5) was deleted on the host: its vNIC is cut off; hpvmmodify -P g1 -R reconnects it."
check "hpvmnet -r made no tap hpv1n05 (QEMU would not hold it)" no_link hpv1n05
expect_stdout "[Runtime State]
QEMU state : running
Difference : $cut_off
Pending : avio_stor adapter 2,2 : removal pending
Pending : avio_lan vNIC 0,6 : removal pending
Repair : hpvmmodify -P g1 -R brings the running guest in line with its configuration" runtime_state

section "a restart removes a leftover tap and reconnects the vNIC"
killed_during before netdev_add hpvmmodify -P g1 -a network:avio_lan:0,7,0x02aabbccdd07:vswitch:vsw1
run hpvmstop -Q -P g1
assert_exit 0
check "the leftover tap hpv1n07 went with the guest" no_link hpv1n07
run hpvmstart -P g1
assert_exit 0
started g1
expect_stdout "hpvsw2" master_of hpv1n05
expect_stdout "[Runtime State]
QEMU state : running
Devices : as configured" runtime_state

section "a killed hpvmcreate leaves its run directory: the next create removes it"
# Killed just after it made guests/g2, before its commit: strace holds the
# command for 30 s after the symlink() so that the kill comes at that point.
strace -f -o /dev/null -e trace=symlink -e inject=symlink:delay_exit=30000000 \
  hpvmcreate -P g2 -r 128M >/dev/null 2>&1 &
tracer=$!
track_pid "$tracer"
for ((i = 0; i < 300; i++)); do [[ -L $HPVM_ROOT/guests/g2 ]] && break; sleep 0.1; done
creator=$(pgrep -P "$tracer")
kill -KILL "$creator"
wait "$tracer" 2>/dev/null
expect_sql "SELECT count(*) FROM guests WHERE name = 'g2'" 0
check "the killed create left guests/g2" test -L "$HPVM_ROOT/guests/g2"
left=$(readlink "$HPVM_ROOT/guests/g2")
check "... and its run directory" test -d "$HPVM_ROOT/guests/${left}"
expect_ok hpvmcreate -P g3 -r 128M
check "guests/g2 is gone" test ! -e "$HPVM_ROOT/guests/g2" -a ! -L "$HPVM_ROOT/guests/g2"
check "its run directory is gone" test ! -e "$HPVM_ROOT/guests/$left"
expect_stdout "$(printf '%s\n' "$(uuid_of g1)" "$(uuid_of g3)" | sort)" bash -c "ls '$HPVM_ROOT/uuids' | sort"

section "a killed hpvmclone -b leaves its target file: the next clone removes it"
printf 'data' | dd of="$S/d5.img" conv=notrunc 2>/dev/null
expect_ok hpvmcreate -P src -r 128M -a "disk:avio_stor:0,1,0:file:$S/d5.img"
db_snapshot
run strace -f -o "$S/strace.out" -e trace=copy_file_range -e inject=copy_file_range:signal=KILL \
  hpvmclone -P src -N c1 -b "disk:avio_stor:0,1,0:file:$S/c1.img"
assert_exit 137
expect_db_unchanged
check "the killed clone left $S/c1.img" test -f "$S/c1.img"
killed=$(sed -n 's/^\([0-9]*\) *+++ killed by SIGKILL.*/\1/p' "$S/strace.out")
run hpvmclone -P src -N c1 -b "disk:avio_stor:0,1,0:file:$S/c1.img"
assert_exit 0
assert_stderr "hpvmclone: WARNING (src): Removed '$S/c1.img': hpvmclone -b (pid $killed) made it and was killed before it finished."
expect_sql "SELECT count(*) FROM guests WHERE name = 'c1'" 1
check "the copy is whole" cmp "$S/d5.img" "$S/c1.img"
# A file of that name hpvmclone did not make stays a conflict.
sized_file "$S/c2.img" 1M
refused hpvmclone src "Backing store '$S/c2.img' already exists; -b copies into a new file (or an existing disk or logical volume)." \
  "disk:avio_stor:0,1,0:file:$S/d5.img would share its backing store with the guest 'src': give the clone its own with -b, -m or -d, mark the backing store SHARE=YES with hpvmdevmgmt, or force with -F." \
  -- -N c2 -b "disk:avio_stor:0,1,0:file:$S/c2.img"

section "hpvmclone -b killed after its commit: its record stays, the next clone keeps the disk"
# Killed at its second unlink (the first makes way for guests/c3, before
# the commit), the removal of its record of the files it made
# (common/created.<pid>) after the commit: the clone is configured with its
# copy, and the record names that copy as made by a run that died. The next
# clone leaves the copy alone (it is a guest's).
run strace -f -o "$S/strace.out" -e trace=unlink,unlinkat,rmdir -e inject=unlink,unlinkat,rmdir:signal=KILL:when=2 \
  hpvmclone -P src -N c3 -b "disk:avio_stor:0,1,0:file:$S/c3.img"
assert_exit 137
killed=$(sed -n 's/^\([0-9]*\) *+++ killed by SIGKILL.*/\1/p' "$S/strace.out")
check "the kill came at the record's removal" grep -q "^$killed .*unlink(\".*/common/created\.$killed\")" "$S/strace.out"
expect_sql "SELECT s.location FROM storage_devices s JOIN guests g ON g.id = s.guest_id WHERE g.name = 'c3'" "$S/c3.img"
check "the killed clone's record is left" test -f "$HPVM_ROOT/common/created.$killed"
run hpvmclone -P src -N c4 -b "disk:avio_stor:0,1,0:file:$S/c4.img"
assert_exit 0
assert_stderr ""
check "c3's copy is kept, whole" cmp "$S/d5.img" "$S/c3.img"
check "the record is gone" test ! -e "$HPVM_ROOT/common/created.$killed"
expect_sql "SELECT count(*) FROM guests WHERE name IN ('c3', 'c4')" 2

section "a killed hpvmremove leaves its run directory: the next remove takes it"
expect_ok hpvmcreate -P g4 -r 128M
expect_ok hpvmcreate -P g5 -r 128M
uuid4=$(uuid_of g4)
# Killed at its second unlink, the first after its commit (the first takes
# vmm_config.current, before it): the guest is gone, its guests/ link and
# run directory stay.
run strace -f -o /dev/null -e trace=unlink,unlinkat,rmdir -e inject=unlink,unlinkat,rmdir:signal=KILL:when=2 hpvmremove -P g4 -Q
assert_exit 137
expect_sql "SELECT count(*) FROM guests WHERE name = 'g4'" 0
check "the killed remove left uuids/$uuid4" test -d "$HPVM_ROOT/uuids/$uuid4"
expect_ok hpvmremove -P g5 -Q
check "the next remove took uuids/$uuid4" test ! -e "$HPVM_ROOT/uuids/$uuid4"
check "... and guests/g4" test ! -L "$HPVM_ROOT/guests/g4"

section "a killed hpvmnet -b leaves its bridge: hpvmnet says so, -r removes it"
db_snapshot
# Killed at its fourth netlink request (the one after the bridge's
# RTM_NEWLINK), long before its commit.
run strace -f -o /dev/null -e trace=sendmsg -e inject=sendmsg:signal=KILL:when=4 hpvmnet -b -S vsw2
assert_exit 137
expect_db_unchanged
check "the killed hpvmnet -b left hpvsw3" ip link show hpvsw3
leftover="The bridge hpvsw3 of the vswitch 'vsw2' exists, but the vswitch is recorded down: an interrupted hpvmnet -b left it. hpvmnet -b -S vsw2 boots the vswitch, hpvmnet -r removes the bridge."
run hpvmnet -S vsw2
assert_exit 0
assert_stderr "hpvmnet: WARNING (vsw2): $leftover"
assert_stdout_has "^vsw2 +3 +Down "
# A -b killed later, after making a port VLAN's bridge, leaves that too.
ip link add hpvsw3v30 type bridge
run hpvmnet -S vsw2
assert_exit 0
assert_stderr "hpvmnet: WARNING (vsw2): The bridge hpvsw3 (and its VLAN bridge hpvsw3v30) of the vswitch 'vsw2' exists, but the vswitch is recorded down: an interrupted hpvmnet -b left it. hpvmnet -b -S vsw2 boots the vswitch, hpvmnet -r removes the bridge."
run hpvmnet -r
assert_exit 0
assert_stderr "hpvmnet: WARNING: Removed the bridge hpvsw3 (and its VLAN bridge hpvsw3v30) of the vswitch 'vsw2', which is recorded down: an interrupted hpvmnet -b left it."
check "no bridge hpvsw3" no_link hpvsw3
check "no bridge hpvsw3v30" no_link hpvsw3v30
expect_db_unchanged
expect_ok hpvmnet -b -S vsw2
check "hpvmnet -b made hpvsw3 again" ip link show hpvsw3
expect_ok hpvmnet -h -Q -S vsw2

section "a killed hpvmdevmgmt -S leaves no file that looks finished: the next -S removes its part"
# Killed at the fsync after the zeros were written, before the rename.
run strace -f -o /dev/null -e trace=fsync -e inject=fsync:signal=KILL hpvmdevmgmt -S 4M "$S/sized.img"
assert_exit 137
check "no $S/sized.img" test ! -e "$S/sized.img"
check "one partial file" test "$(find "$S" -maxdepth 1 -name 'sized.img.hpvm-partial.*' | wc -l)" = 1
expect_ok hpvmdevmgmt -S 4M "$S/sized.img"
check "sized.img is 4 MiB" test "$(stat -c %s "$S/sized.img")" = 4194304
check "the partial file is gone" test -z "$(find "$S" -maxdepth 1 -name 'sized.img.hpvm-partial.*')"
finish

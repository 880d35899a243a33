#!/usr/bin/env bash
# The runtime: real QEMU guests with no operating system (firmware only).
# hpvmstart/hpvmstop/hpvmconsole, the QEMU topology checked through QMP
# (query-pci, query-block, qom-get), hot-add/hot-remove and batch rollback
# through libavio's API (tests/runtime/hpvm-hotplug), the runtime lock, live
# state in hpvmstatus, and recovery after QEMU is killed.
# Runs in its own network namespace so the guests' taps stay private.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/runtime_lib.sh
source "$(dirname "$0")/runtime_lib.sh"
if ! command -v socat >/dev/null; then
  echo "socat is not installed (scripts/bootstrap installs it): the console held by another program needs it." >&2
  exit 1
fi

sized_file "$S/d1.img" 8M
sized_file "$S/d2.img" 8M
sized_file "$S/d3.img" 8M
sized_file "$S/d4.img" 8M
sized_file "$S/cd.iso" 1M
sized_file "$S/cd2.iso" 1M

section "start: progress lines and the topology QEMU really has"
# The vNICs' vswitch: a local switch, booted (a bridge in this namespace).
expect_ok hpvmnet -c -S vsw1
expect_ok hpvmnet -b -S vsw1
expect_ok hpvmcreate -P g1 -O linux -r 256M -a disk:avio_stor:0,1,0:file:"$S/d1.img" \
  -a disk:scsi:1,2,14:file:"$S/d2.img" -a dvd:avio_stor:0,1,3:null: \
  -a dvd:avio_stor:0,1,4:file:"$S/cd.iso" \
  -a network:avio_lan:0,5,0x02aabbccdd01:vswitch:vsw1 -a network:lan:2,0,0x02aabbccdd02:vswitch:vsw1
before=$(log_lines)
run hpvmstart -P g1
assert_exit 0
started g1
pid=$(cat "$(run_dir g1)/qemu.pid")
assert_stdout "Checked the resources of guest 'g1'
Allocating guest memory: 256MB
Creating the virtual machine: 1 vCPU, 4 storage devices, 2 vNICs, $(accel) (qemu-system-x86_64)
Daemonizing.... (QEMU pid $pid)
hpvmstart: Successful start initiation of guest 'g1'"
assert_stderr ""
expect_logged "$before" SUCCESS "hpvmstart -P g1"
expect_stdout "running" qmp g1 status
# Bridges hpvm.bus0-7 sit in root slots 16-23; HPVM slot = bridge slot.
# query-pci sees behind a bridge once the firmware has numbered its bus.
for ((i = 0; i < 100; i++)); do
  [[ $(qmp g1 pci | wc -l) -ge 4 ]] && break
  sleep 0.1
done
expect_stdout "16 hpvm.bus0 1 hpvm.hba.b0s1
16 hpvm.bus0 5 hpvm.nic.b0s5
17 hpvm.bus1 2 hpvm.hba.b1s2
18 hpvm.bus2 0 hpvm.nic.b2s0" bash -c "$QMP $(run_dir g1)/qmp.sock pci | sort -n"
expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img
hpvm.tgt.b0s1t3 -
hpvm.tgt.b0s1t4 $S/cd.iso
hpvm.tgt.b1s2t14 $S/d2.img" bash -c "$QMP $(run_dir g1)/qmp.sock block | sort"
expect_stdout '"virtio-scsi-pci"' qmp g1 get /machine/peripheral/hpvm.hba.b0s1 type
expect_stdout '"megasas"' qmp g1 get /machine/peripheral/hpvm.hba.b1s2 type
expect_stdout '14' qmp g1 get /machine/peripheral/hpvm.tgt.b1s2t14 scsi-id
expect_stdout '"scsi-cd"' qmp g1 get /machine/peripheral/hpvm.tgt.b0s1t4 type
expect_stdout '"02:aa:bb:cc:dd:01"' qmp g1 get /machine/peripheral/hpvm.nic.b0s5 mac
expect_stdout '"e1000"' qmp g1 get /machine/peripheral/hpvm.nic.b2s0 type
expect_stdout '"hpvm.net.b2s0"' qmp g1 get /machine/peripheral/hpvm.nic.b2s0 netdev
link_exists() { ip link show "$1" >/dev/null 2>&1; }
check "QEMU opened the tap hpv1n05" link_exists hpv1n05
check "QEMU opened the tap hpv1n20" link_exists hpv1n20
# (/sys shows the host's namespace here: ask ip.)
bridge_of() { ip -o link show "$1" | sed -n 's/.* master \([^ ]*\) .*/\1/p'; }
check "tap hpv1n05 is a port of vsw1's bridge hpvsw2" test "$(bridge_of hpv1n05)" = hpvsw2
check "tap hpv1n20 is a port of vsw1's bridge hpvsw2" test "$(bridge_of hpv1n20)" = hpvsw2
check "the running index lists g1" test -e "$HPVM_ROOT/running/$(sql "SELECT uuid FROM guests WHERE name = 'g1'")"
check "the QEMU process runs as pid $pid" alive "$pid"

section "hpvmstatus shows the live state"
expect_stdout "g1                       1 LINUX   On             1     4     2  256 MB        0" \
  bash -c "hpvmstatus | tail -1"
run hpvmstatus -P g1
assert_exit 0
assert_stdout_has "^g1                       1 LINUX   On$"
expect_stdout "[Runtime State]
QEMU state : running
Devices : as configured" bash -c "hpvmstatus -P g1 | sed -n '/^\[Runtime State\]/,\$p'"
expect_stdout "QEMU state : running" bash -c "hpvmstatus -V -P g1 | grep '^QEMU state'"
run hpvmstatus -M -P g1
assert_stdout_has ":On:"

section "start refusals: running, shared backing, memory, runnable status"
refuse 1 "hpvmstart: ERROR (g1): The guest 'g1' is already running." hpvmstart -P g1
expect_ok hpvmdevmgmt -m "gdev:$S/d1.img:attr:SHARE=YES"
expect_ok hpvmcreate -P g2 -r 256M -a disk:avio_stor::file:"$S/d1.img"
# hpvmstart checks again, for a database that predates the rules or was
# edited by hand: SHARE=NO behind hpvmdevmgmt's back.
sqlite3 "$DB" "UPDATE devdb_attributes SET value = 'NO' WHERE name = 'SHARE'
  AND entry_id = (SELECT id FROM devdb_entries WHERE name = '$S/d1.img')"
refuse 1 "hpvmstart: ERROR (g2): disk 0,0,0: the backing store '$S/d1.img' is in use by the running guest 'g1' and is not shared (SHARE=NO).
hpvmstart: Unable to start the guest." hpvmstart -P g2
expect_ok hpvmcreate -P big -r 4096G
avail=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo)
run hpvmstart -P big
assert_exit 1
assert_stderr_has "^hpvmstart: ERROR \(big\): The guest needs 4194368 MB of memory \(4194304 MB and 64 MB overhead\); the VM Host has [0-9]+ MB available\.$"
assert_stderr_has "^hpvmstart: Unable to start the guest\.$"
expect_ok hpvmcreate -P off -x runnable_status=disabled
refuse 1 "hpvmstart: ERROR (off): The guest's runnable status is disabled (hpvmmodify -x runnable_status=enabled).
hpvmstart: Unable to start the guest." hpvmstart -P off
missing=$S/missing.img
sized_file "$missing" 1M
expect_ok hpvmcreate -P gone -r 256M -a disk:avio_stor::file:"$missing"
rm -f "$missing"
run hpvmstart -P gone
assert_exit 1
assert_stderr_has "^hpvmstart: ERROR \(gone\): disk 0,0,0: .*$missing"
expect_exit 1 test -e "$(run_dir gone)/qemu.pid"

section "hot-add and hot-remove through the batch API"
expect_stdout "add disk 0,1,5: done" "$HOTPLUG" g1 "+disk:avio_stor:0,1,5:file:$S/d3.img"
expect_stdout "hpvm.tgt.b0s1t5 $S/d3.img" bash -c "$QMP $(run_dir g1)/qmp.sock block | grep b0s1t5"
# The database does not know it (hpvmmodify would have stored it): hpvmstatus says so.
expect_stdout "Difference : hpvm.tgt.b0s1t5 ($S/d3.img) : in the running guest, not configured" \
  bash -c "hpvmstatus -P g1 | grep '^Difference'"
expect_stdout "remove disk 0,1,5: done" "$HOTPLUG" g1 "-disk:avio_stor:0,1,5:file:$S/d3.img"
expect_stdout "" bash -c "$QMP $(run_dir g1)/qmp.sock block | grep b0s1t5 || true"
# A new avio_stor adapter in a free slot (HPVM 4.x could not do this).
expect_stdout "add disk 3,3,7: done" "$HOTPLUG" g1 "+disk:avio_stor:3,3,7:file:$S/d3.img"
expect_stdout "19 hpvm.bus3 3 hpvm.hba.b3s3" bash -c "$QMP $(run_dir g1)/qmp.sock pci | grep b3s3"
# DVD media: insert into the empty drive, then eject.
expect_stdout "change the backing store of dvd 0,1,3: done" "$HOTPLUG" g1 "~dvd:avio_stor:0,1,3:null:=$S/cd2.iso"
expect_stdout "hpvm.tgt.b0s1t3 $S/cd2.iso" bash -c "$QMP $(run_dir g1)/qmp.sock block | grep b0s1t3"
expect_stdout "change the backing store of dvd 0,1,3: done" "$HOTPLUG" g1 "~dvd:avio_stor:0,1,3:file:$S/cd2.iso="
expect_stdout "hpvm.tgt.b0s1t3 -" bash -c "$QMP $(run_dir g1)/qmp.sock block | grep b0s1t3"
# A vNIC: hot-added at once; removing it needs the guest OS (none here), so it stays pending.
expect_stdout "add avio_lan 4,1: done" "$HOTPLUG" g1 "+network:avio_lan:4,1,0x02aabbccdd03:vswitch:vsw1"
expect_stdout '"02:aa:bb:cc:dd:03"' qmp g1 get /machine/peripheral/hpvm.nic.b4s1 mac
expect_stdout "remove avio_lan 4,1: removal pending" "$HOTPLUG" -t 300 g1 "-network:avio_lan:4,1,0x02aabbccdd03:vswitch:vsw1"
expect_stdout "Pending : avio_lan vNIC 4,1 : removal pending" bash -c "hpvmstatus -P g1 | grep '^Pending'"

section "a failed batch is undone"
expect_stderr 1 "hpvm-hotplug: ERROR: Change 3 (add disk 0,1,7) failed: Could not open '$S/nothere.img': No such file or directory" \
  "$HOTPLUG" g1 "+disk:avio_stor:0,1,6:file:$S/d4.img" "~dvd:avio_stor:0,1,3:null:=$S/cd2.iso" \
  "+disk:avio_stor:0,1,7:file:$S/nothere.img"
expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img
hpvm.tgt.b0s1t3 -
hpvm.tgt.b0s1t4 $S/cd.iso
hpvm.tgt.b1s2t14 $S/d2.img
hpvm.tgt.b3s3t7 $S/d3.img" bash -c "$QMP $(run_dir g1)/qmp.sock block | sort"
expect_stderr 1 "hpvm-hotplug: ERROR: Change 2 (add disk 0,1,0) failed: Duplicate nodes with node-name='hpvm-b0s1t0'" \
  "$HOTPLUG" -t 300 g1 "-disk:avio_stor:3,3,7:file:$S/d3.img" "+disk:avio_stor:0,1,0:file:$S/d3.img"
# The adapter's removal was requested before the failure: the guest may still eject it.
expect_stdout "hpvm.tgt.b3s3t7 $S/d3.img" bash -c "$QMP $(run_dir g1)/qmp.sock block | grep b3s3"

section "resync: the running guest brought back in line with the database"
# As if a command had died half-way: a configured disk removed, a DVD changed.
expect_stdout "remove disk 0,1,0: done
change the backing store of dvd 0,1,4: done" "$HOTPLUG" g1 "-disk:avio_stor:0,1,0:file:$S/d1.img" \
  "~dvd:avio_stor:0,1,4:file:$S/cd.iso=$S/cd2.iso"
expect_stdout "Difference : dvd:avio_stor:0,1,4:file:$S/cd.iso : running with '$S/cd2.iso'
Difference : disk:avio_stor:0,1,0:file:$S/d1.img : configured, not in the running guest
Difference : hpvm.tgt.b3s3t7 ($S/d3.img) : in the running guest, not configured
Pending : avio_stor adapter 3,3 : removal pending
Pending : avio_lan vNIC 4,1 : removal pending" bash -c "hpvmstatus -P g1 | grep -E '^(Difference|Pending)'"
expect_stdout "add disk 0,1,0
change the backing store of dvd 0,1,4
remove disk 3,3,7: removal pending" "$HOTPLUG" -t 300 g1 --resync
expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img
hpvm.tgt.b0s1t3 -
hpvm.tgt.b0s1t4 $S/cd.iso
hpvm.tgt.b1s2t14 $S/d2.img" bash -c "$QMP $(run_dir g1)/qmp.sock block | sort"

section "the runtime lock"
exec {lock_fd}<"$(run_dir g1)"
flock -x "$lock_fd"
start=$(date +%s%N)
refuse 1 "hpvmstop: ERROR (g1): Another command is starting, stopping or changing this guest; nothing was done. Try again." \
  hpvmstop -q -P g1
waited=$((($(date +%s%N) - start) / 1000000))
check "the second command waited about 3 s (waited $waited ms)" test "$waited" -ge 2900 -a "$waited" -lt 8000
exec {lock_fd}>&-

section "hpvmconsole"
expect_ok hpvmconsole -P g1
refuse 1 "hpvmconsole: ERROR (g2): The guest 'g2' is not running." hpvmconsole -P g2
check "the console log exists" test -f "$(run_dir g1)/console.log"

section "a second hpvmconsole on a held console: refused within 3 s, naming the holder"
# The holder's input stays open (a pipe from sleep): it relays until killed.
sleep 60 | hpvmconsole -P g1 >/dev/null 2>&1 &
holder=$!
track_pid "$holder"
for ((i = 0; i < 100; i++)); do
  [[ $(cat "$(run_dir g1)/console.holder" 2>/dev/null) == "$holder root" ]] && break
  sleep 0.1
done
expect_stdout "$holder root" cat "$(run_dir g1)/console.holder"
start=$(date +%s%N)
refuse 1 "hpvmconsole: ERROR (g1): The guest's console is in use by hpvmconsole (pid $holder, user root) and was not free within 3 s. Try again once it detaches (Ctrl-B)." \
  hpvmconsole -P g1
waited=$((($(date +%s%N) - start) / 1000000))
check "the second hpvmconsole waited about 3 s (waited $waited ms)" test "$waited" -ge 2900 -a "$waited" -lt 8000
kill "$holder"
wait "$holder" 2>/dev/null
expect_ok hpvmconsole -P g1

section "a console another program holds (socat): refused within 3 s, naming it"
# socat (reading the console only) holds QEMU's console connection until
# killed; hpvmconsole's own connection waits behind it in QEMU's listen queue.
sock="$(run_dir g1)/console.sock"
socat -u UNIX-CONNECT:"$sock" STDOUT >/dev/null 2>&1 &
holder=$!
track_pid "$holder"
for ((i = 0; i < 100; i++)); do
  ls -l "/proc/$holder/fd" 2>/dev/null | grep -q 'socket:' && break
  sleep 0.1
done
start=$(date +%s%N)
refuse 1 "hpvmconsole: ERROR (g1): The guest's console is in use by socat (pid $holder, user root; command line: socat -u UNIX-CONNECT:$sock STDOUT) and was not free within 3 s. Try again once that program lets go of it." \
  hpvmconsole -P g1
waited=$((($(date +%s%N) - start) / 1000000))
check "hpvmconsole waited about 3 s (waited $waited ms)" test "$waited" -ge 2900 -a "$waited" -lt 8000
kill "$holder"
wait "$holder" 2>/dev/null
expect_ok hpvmconsole -P g1

section "hpvmconsole relays both ways and detaches with Ctrl-B"
# A guest that boots a one-sector program echoing its serial port.
python3 "$HPVM_SOURCE/tests/runtime/echo_boot.py" "$S/echo.img"
expect_ok hpvmcreate -P echo -r 64M -a "disk:avio_stor::file:$S/echo.img"
run hpvmstart -P echo
assert_exit 0
started echo
# Firmware under nested KVM can take many seconds to reach the boot sector.
for ((i = 0; i < 600; i++)); do
  grep -q "hpvm-echo ready" "$(run_dir echo)/console.log" 2>/dev/null && break
  sleep 0.1
done
check "the guest's boot program wrote to its console (console.log)" \
  grep -q "hpvm-echo ready" "$(run_dir echo)/console.log"
run python3 "$HPVM_SOURCE/tests/runtime/console_drive.py" hpvm-ping hpvmconsole -P echo
assert_exit 0
assert_stdout "[echo] Console. (Use Ctrl-B to detach.)
hpvm-ping
exit 0"
expect_stdout "running" qmp echo status
expect_ok hpvmstop -Q -P echo

section "hpvmstop: confirmation, graceful with timeout, hard"
feed "n"
run hpvmstop -P g1
assert_exit 1
assert_stdout_raw "hpvmstop: Stop the virtual machine 'g1'? [n]: 
"
assert_stderr "hpvmstop: ERROR (g1): The guest was not stopped."
check "still running" alive "$pid"
before=$(log_lines)
expect_stderr 0 "hpvmstop: WARNING (g1): The guest did not power off within 1 seconds; it was stopped hard." \
  hpvmstop -g -t 1 -F -P g1
expect_logged "$before" SUCCESS "hpvmstop -g -t 1 -F -P g1"
expect_exit 1 alive "$pid"
expect_stdout "console.log
qemu.log
vmm_config.current" ls "$(run_dir g1)"
expect_exit 1 link_exists hpv1n05
refuse 1 "hpvmstop: ERROR (g1): The guest 'g1' is not running." hpvmstop -q -P g1

section "QEMU killed under a running guest"
expect_exit 0 hpvmstart -P g1
started g1
pid=$(cat "$(run_dir g1)/qemu.pid")
kill -KILL "$pid"
while alive "$pid"; do sleep 0.05; done
expect_stdout "g1                       1 LINUX   Off            1     4     2  256 MB        0" \
  bash -c "hpvmstatus | grep '^g1 '"
expect_stdout "[Runtime State]
QEMU state : not running (QEMU exited without cleaning up; run 'hpvmstop -P g1' to remove its stale run files)" \
  bash -c "hpvmstatus -P g1 | sed -n '/^\[Runtime State\]/,\$p'"
expect_stderr 0 "hpvmstop: WARNING (g1): The guest's QEMU process had already exited; its stale run files were removed." \
  hpvmstop -q -P g1
expect_stdout "" bash -c "hpvmstatus -P g1 | sed -n '/^\[Runtime State\]/,\$p'"
# Killed again: hpvmstart itself cleans up and starts.
expect_exit 0 hpvmstart -P g1
started g1
pid=$(cat "$(run_dir g1)/qemu.pid")
kill -KILL "$pid"
while alive "$pid"; do sleep 0.05; done
run hpvmstart -P g1
assert_exit 0
started g1
assert_stderr "hpvmstart: WARNING (g1): The guest's previous QEMU process had exited without cleaning up; its stale run files were removed."
expect_stdout "running" qmp g1 status
expect_ok hpvmstop -Q -P g1
refuse 1 "hpvmremove: ERROR (nosuch): The guest 'nosuch' does not exist." hpvmremove -Q -P nosuch

section "localnet needs no hpvmnet -b: its bridge comes with the first guest on it"
expect_ok hpvmcreate -P g9 -O linux -r 256M -a network:lan:0,1,0x02aabbccdd09:vswitch:localnet
T9=hpv$(sql "SELECT vm_number FROM guests WHERE name = 'g9'")n01
check "localnet has no bridge yet" test -z "$(ip -br link show hpvsw1 2>/dev/null)"
run hpvmstart -P g9
assert_exit 0
started g9
assert_stderr ""
# (ip, not /sys: unshare -n leaves the host's /sys/class/net mounted.)
check "localnet's bridge hpvsw1 is up" bash -c "ip -o -d link show hpvsw1 | grep -q ',UP.* bridge '"
check "$T9 is a port of hpvsw1" bash -c "ip -o link show $T9 | grep -q ' master hpvsw1 '"
expect_ok hpvmstop -Q -P g9
expect_ok hpvmnet -h -Q -S localnet

finish

#!/usr/bin/env bash
# hpvmmodify on a running guest (hpvmmodify(1M), ONLINE CHANGES): hot-add and
# hot-remove of AVIO storage and vNICs checked through QMP, a new avio_stor
# adapter hot-plugged, changes that wait for the next start, and a
# multi-statement modify whose second hot-add fails: the first is undone and
# nothing is committed.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/runtime_lib.sh
source "$(dirname "$0")/runtime_lib.sh"

for d in d1 d2 d3 d4 locked; do sized_file "$S/$d.img" 8M; done
expect_ok hpvmnet -c -S vsw1
expect_ok hpvmnet -b -S vsw1

section "the host interfaces a vNIC's MAC is checked against are this namespace's"
# unshare -n leaves /sys/class/net showing the host's namespace: the check
# asks netlink, so it sees the interface made here.
ip link add hx0 type veth peer name hx1
ip link set hx0 address 02:aa:bb:cc:dd:77
db_snapshot
run hpvmcreate -P g9 -a network:avio_lan:,,0x02aabbccdd77:vswitch:vsw1
assert_exit 1
assert_stderr "hpvmcreate: ERROR (g9): Unable to add 'network:avio_lan:,,0x02aabbccdd77:vswitch:vsw1': MAC address 0x02AABBCCDD77 belongs to the host interface 'hx0'.
hpvmcreate: Unable to create the guest."
expect_db_unchanged
ip link del hx0
expect_ok hpvmcreate -P g1 -r 256M -a "disk:avio_stor:0,1,0:file:$S/d1.img" \
  -a network:avio_lan:0,5,0x02aabbccdd01:vswitch:vsw1
run hpvmstart -P g1
assert_exit 0
started g1
runtime_state() { hpvmstatus -P g1 | sed -n '/^\[Runtime State\]/,$p'; }

section "hot-add a disk to the running guest"
before=$(log_lines)
expect_ok hpvmmodify -P g1 -a "disk:avio_stor::file:$S/d2.img"
expect_logged "$before" SUCCESS "hpvmmodify -P g1 -a"
expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img
hpvm.tgt.b0s1t1 $S/d2.img" block
expect_sql "SELECT bus || ',' || slot || ',' || target FROM storage_devices WHERE location = '$S/d2.img'" "0,1,1"
expect_stdout "[Runtime State]
QEMU state : running
Devices : as configured" bash -c "hpvmstatus -P g1 | sed -n '/^\[Runtime State\]/,\$p'"

section "a new avio_stor adapter is hot-plugged (HPVM 4.x could not)"
expect_ok hpvmmodify -P g1 -a "disk:avio_stor:3,3,0:file:$S/d3.img"
for ((i = 0; i < 50; i++)); do qmp g1 pci | grep -q hpvm.hba.b3s3 && break; sleep 0.1; done
run qmp g1 pci
assert_stdout_has "^19 hpvm.bus3 3 hpvm.hba.b3s3$"
expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img
hpvm.tgt.b0s1t1 $S/d2.img
hpvm.tgt.b3s3t0 $S/d3.img" block

section "a failed hot-add undoes the ones before it and commits nothing"
# QEMU locks image files: one held by another process cannot be opened.
qemu-system-x86_64 -M q35 -nodefaults -display none -monitor none -serial none -S \
  -drive "file=$S/locked.img,format=raw,if=virtio" </dev/null >"$S/holder.log" 2>&1 &
holder=$!
track_pid "$holder"
# The holder has the lock once its virtio disk is realized.
sleep 1
check "the lock holder runs" alive "$holder"
db_snapshot
before=$(log_lines)
run hpvmmodify -P g1 -a "disk:avio_stor:0,1,5:file:$S/d4.img" -a "disk:avio_stor:0,1,6:file:$S/locked.img"
assert_exit 1
assert_stderr_has "^hpvmmodify: ERROR \(g1\): The running guest refused 'add disk 0,1,6': .*\. Nothing was changed\.$"
assert_stderr_has "^hpvmmodify: Unable to modify the guest\.$"
expect_db_unchanged
expect_logged "$before" "FAILURE(1)" "hpvmmodify -P g1"
expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img
hpvm.tgt.b0s1t1 $S/d2.img
hpvm.tgt.b3s3t0 $S/d3.img" block
kill "$holder"
wait "$holder" 2>/dev/null

section "hot-remove a SCSI target: immediate"
expect_ok hpvmmodify -P g1 -d "disk:avio_stor:0,1,1:file:$S/d2.img"
expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img
hpvm.tgt.b3s3t0 $S/d3.img" block
expect_sql "SELECT count(*) FROM storage_devices WHERE location = '$S/d2.img'" 0

section "crash recovery: hpvmmodify -R brings the running guest back in line"
# As if a command had died halfway: a target removed and another added
# behind the configuration's back.
"$HOTPLUG" g1 "+disk:avio_stor:0,1,9:file:$S/d4.img" >/dev/null
"$HOTPLUG" g1 "-disk:avio_stor:0,1,0:file:$S/d1.img" >/dev/null
run hpvmstatus -P g1
assert_stdout_has "^Difference : disk:avio_stor:0,1,0:file:$S/d1.img : configured, not in the running guest$"
db_snapshot
run hpvmmodify -P g1 -R
assert_exit 0
assert_stdout_has "^hpvmmodify: add disk 0,1,0"
assert_stdout_has "^hpvmmodify: remove .*0,1,9"
expect_db_unchanged
expect_stdout "hpvm.tgt.b0s1t0 $S/d1.img
hpvm.tgt.b3s3t0 $S/d3.img" block
expect_stdout "[Runtime State]
QEMU state : running
Devices : as configured" bash -c "hpvmstatus -P g1 | sed -n '/^\[Runtime State\]/,\$p'"
refuse 2 "hpvmmodify: ERROR (g1): -R takes no other option than -P.
Run 'hpvmmodify --help' for usage." hpvmmodify -P g1 -R -c 2

section "hot-add a vNIC: its tap joins the vswitch's bridge"
expect_ok hpvmmodify -P g1 -a network:lan:1,0,0x02aabbccdd02:vswitch:vsw1
expect_stdout '"e1000"' qmp g1 get /machine/peripheral/hpvm.nic.b1s0 type
expect_stdout '"02:aa:bb:cc:dd:02"' qmp g1 get /machine/peripheral/hpvm.nic.b1s0 mac
check "tap hpv1n10 is a port of hpvsw2" bash -c "ip -o link show hpv1n10 | grep -q ' master hpvsw2 '"

section "changes that wait for the next start are announced and shown"
run hpvmmodify -P g1 -c 2 -r 512M
assert_exit 0
assert_stderr "hpvmmodify: WARNING (g1): The vCPU count 2 takes effect at the guest's next start.
hpvmmodify: WARNING (g1): The memory size 512 MB takes effect at the guest's next start."
expect_stdout "[Runtime State]
QEMU state : running
Difference : vCPUs : 2 configured, 1 running (at the next start)
Difference : Memory : 512 MB configured, 256 MB running (at the next start)" \
  bash -c "hpvmstatus -P g1 | sed -n '/^\[Runtime State\]/,\$p'"

section "an adapter switch and a vNIC model change wait for the next start and are shown"
run hpvmmodify -P g1 -m hba:scsi:0,1 -m network:lan:0,5,0x02aabbccdd01:vswitch:vsw1
assert_exit 0
assert_stderr_has "^hpvmmodify: WARNING \(g1\): The adapter switch of 'disk:avio_stor:0,1,0:file:$S/d1.img' to scsi takes effect at the guest's next start\.$"
expect_stdout "[Runtime State]
QEMU state : running
Difference : vCPUs : 2 configured, 1 running (at the next start)
Difference : Memory : 512 MB configured, 256 MB running (at the next start)
Difference : scsi adapter 0,1 : running as avio_stor (at the next start)
Difference : network:lan:0,5,0x02AABBCCDD01:vswitch:vsw1 : running as avio_lan (at the next start)" runtime_state

section "removing a PCI device the guest does not release: pending, still configured"
port=$(sql "SELECT vswitch_port FROM network_devices WHERE mac = $((0x02aabbccdd02))")
check "the vNIC holds a vswitch port" test -n "$port"
# No guest OS answers the ACPI eject request.
run hpvmmodify -P g1 -d network:lan:1,0,0x02aabbccdd02:vswitch:vsw1
assert_exit 0
assert_stderr "hpvmmodify: WARNING (g1): The guest has not released the device of 'remove lan 1,0': its removal is pending and it stays configured until the guest lets go (hpvmstatus shows it)."
expect_sql "SELECT count(*) FROM network_devices WHERE mac = $((0x02aabbccdd02))" 1
expect_sql "SELECT vswitch_port FROM network_devices WHERE mac = $((0x02aabbccdd02))" "$port"
run runtime_state
assert_stdout_has "^Pending : network:lan:1,0,0x02AABBCCDD02:vswitch:vsw1 : removal pending$"
# Asked again, the guest is not asked twice: still pending.
run hpvmmodify -P g1 -d network:lan:1,0,0x02aabbccdd02:vswitch:vsw1
assert_exit 0
assert_stderr "hpvmmodify: WARNING (g1): The guest has not released the device of 'remove lan 1,0': its removal is pending and it stays configured until the guest lets go (hpvmstatus shows it)."

section "a stop completes the pending removal; the next start applies the pending changes"
run hpvmstop -Q -P g1
assert_exit 0
assert_stderr "hpvmstop: WARNING (g1): The pending removal of 'network:lan:1,0,0x02AABBCCDD02:vswitch:vsw1' is complete: it is removed from the configuration."
expect_sql "SELECT count(*) FROM network_devices WHERE mac = $((0x02aabbccdd02))" 0
check "the hot-added vNIC's tap is gone" bash -c "! ip link show hpv1n10 2>/dev/null"
run hpvmstart -P g1
assert_exit 0
started g1
expect_stdout '"megasas"' qmp g1 get /machine/peripheral/hpvm.hba.b0s1 type
expect_stdout '"e1000"' qmp g1 get /machine/peripheral/hpvm.nic.b0s5 type
expect_stdout "[Runtime State]
QEMU state : running
Devices : as configured" runtime_state

section "a tap deleted under the running guest: hpvmnet -r makes no tap, hpvmmodify -R reconnects"
# hpv1n05 is g1's vNIC 0,5 on vsw1, whose bridge is hpvsw2 (localnet is 1).
link_json() { ip -d -j link show "$1" 2>/dev/null | python3 -c "import json, sys; print(json.load(sys.stdin)[0]$2)"; }
no_tap() { ! ip link show hpv1n05 >/dev/null 2>&1; }
qemu_holds_tap() { grep -qx $'iff:\thpv1n05' /proc/"$(cat "$(run_dir g1)/qemu.pid")"/fdinfo/*; }
ip link del hpv1n05
db_snapshot
cut_off="Difference : network:lan:0,5,0x02AABBCCDD01:vswitch:vsw1 : cut off, QEMU no longer holds its tap hpv1n05 (deleted on the host)"
expect_stdout "[Runtime State]
QEMU state : running
$cut_off
Repair : hpvmmodify -P g1 -R brings the running guest in line with its configuration" runtime_state
# The Repair line is in every form.
run hpvmstatus -M -P g1
assert_exit 0
check "-M field 10 stays On" test "$(cut -d: -f11 "$OUT")" = On
check "-M keeps 21 fields" test "$(awk -F: '{ print NF }' "$OUT")" = 21
assert_stdout_has ":512MB;64MB;repair=hpvmmodify -P g1 -R$"
run hpvmstatus -X -P g1
assert_exit 0
assert_stdout_has "^        <difference>network:lan:0,5,0x02AABBCCDD01:vswitch:vsw1 : cut off, QEMU no longer holds its tap hpv1n05 \(deleted on the host\)</difference>$"
assert_stdout_has "^        <repair>hpvmmodify -P g1 -R</repair>$"
if command -v xmllint >/dev/null; then
  check "-X with a runtime section validates" xmllint --noout --schema "$HPVM_SOURCE/share/xml/hpvmstatus.xsd" "$OUT"
fi
run hpvmstatus -J -P g1
assert_exit 0
check "-J: the difference and the repair" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["guests"][0]["runtime"]
assert r["qemu_state"] == "running" and r["unknown"] is None, r
assert r["differences"] == [sys.argv[2][len("Difference : "):]], r
assert r["repair"] == "hpvmmodify -P g1 -R", r' "$OUT" "$cut_off"
# A tap QEMU does not hold would carry nothing: -r makes none, and says so.
run hpvmnet -r
assert_exit 0
assert_stderr "hpvmnet: WARNING: The tap hpv1n05 of the running guest 'g1' (vNIC at bus 0 device 5) was deleted on the host: its vNIC is cut off; hpvmmodify -P g1 -R reconnects it."
check "hpvmnet -r made no tap hpv1n05" no_tap
run hpvmmodify -P g1 -R
assert_exit 0
assert_stdout "hpvmmodify: reconnect lan 0,5 through a new tap hpv1n05 on hpvsw2"
expect_stdout "hpvsw2" link_json hpv1n05 '.get("master", "")'
expect_stdout '"02:aa:bb:cc:dd:01"' qmp g1 get /machine/peripheral/hpvm.nic.b0s5 mac
check "QEMU's own tap file is attached to the new tap" qemu_holds_tap
check "the new tap has a carrier" bash -c "! ip link show hpv1n05 | grep -q NO-CARRIER"
expect_stdout "[Runtime State]
QEMU state : running
Devices : as configured" runtime_state
run hpvmstatus -M -P g1
check "-M: no repair once repaired" test "$(cut -d: -f21 "$OUT")" = "512MB;64MB"
expect_db_unchanged

section "removing a device the guest no longer has: the configuration follows"
"$HOTPLUG" g1 "-disk:scsi:3,3,0:file:$S/d3.img" >/dev/null 2>&1 ||
  "$HOTPLUG" g1 "-disk:avio_stor:3,3,0:file:$S/d3.img" >/dev/null
run hpvmmodify -P g1 -d "disk:avio_stor:3,3,0:file:$S/d3.img"
assert_exit 0
# The adapter left empty is a PCI device: no guest OS lets go of it.
assert_stderr "hpvmmodify: WARNING (g1): The guest has not released the adapter left empty by 'remove disk 3,3,0': its removal is pending (hpvmstatus shows it)."
expect_sql "SELECT count(*) FROM storage_devices WHERE location = '$S/d3.img'" 0
expect_stdout "[Runtime State]
QEMU state : running
Pending : avio_stor adapter 3,3 : removal pending" runtime_state

expect_ok hpvmstop -Q -P g1
finish

#!/usr/bin/env bash
# Real guests: the test guest of scripts/guest-image (Linux, busybox) booted
# by hpvmstart and checked from the inside, through hpvmconsole on a pty
# (tests/runtime/guest_console.py):
#  - g1 (AVIO root disk, SCSI data disk, an avio_lan and a lan vNIC) sees each
#    disk with its size, driver and SCSI address (target = configured
#    target), each vNIC with its MAC and driver, at the PCI address
#    hpvmresources(5) documents;
#  - hpvminfo in the guest, with the VM Host's name;
#  - g2 (root disk on scsi, a lan vNIC) and g1 ping each other and move data
#    on one vswitch; port VLANs (hpvmnet -u, a bridge per VLAN) isolate
#    them until they are on one VLAN again;
#  - hot-add and hot-remove (hpvmmodify) of an avio_stor disk, whose blocks
#    the guest writes and the host reads back, and of an avio_lan vNIC on
#    vsw2, whose uplink (-n) is one end of a veth pair: ping and iperf3 to
#    the address on the other end;
#  - hpvmconvert: g2 boots again from the same root disk on virtio-scsi, its
#    /data file intact and its MAC kept; undone, on megasas and e1000 again;
#  - hpvmstop -g powers a guest off through ACPI within seconds.
# Four boots (g1 and g2 together, then g2 twice). Runs in its own network
# namespace so the guests' taps and bridges stay private.
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

# Under TCG on a loaded machine a boot takes tens of seconds.
BOOT_SECS=240
suite_start=$(date +%s)
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

guest_image
image=$GUEST_IMAGE
cp --sparse=always -- "$image" "$S/root1.img"
cp --sparse=always -- "$image" "$S/root2.img"
root_sectors=$(($(stat -c %s "$image") / 512))
sized_file "$S/data1.img" 64M
sized_file "$S/hot.img" 32M

section "boot: g1 with AVIO and emulated disks and vNICs, g2 on scsi and lan"
expect_ok hpvmnet -c -S vsw1
expect_ok hpvmnet -b -S vsw1
bridge=hpvsw$(hpvmnet | awk '$1 == "vsw1" { print $2 }')
# vsw2 is uplinked (-n) to one end of a veth pair whose other end has an
# address in this namespace: a guest on vsw2 reaches it through the uplink.
# The links go with the namespace.
expect_ok ip link add hvup0 type veth peer name hvup1
expect_ok ip addr add 198.51.100.1/24 dev hvup1
expect_ok ip link set hvup1 up
expect_ok hpvmnet -c -S vsw2 -n hvup0
expect_ok hpvmnet -b -S vsw2
bridge2=hpvsw$(hpvmnet | awk '$1 == "vsw2" { print $2 }')
expect_ok hpvmcreate -P g1 -O linux -r 256M -a "disk:avio_stor:0,1,0:file:$S/root1.img" \
  -a "disk:scsi:1,2,3:file:$S/data1.img" \
  -a network:avio_lan:0,5,0x02aabbccdd01:vswitch:vsw1:portid:1 \
  -a network:lan:2,0,0x02aabbccdd02:vswitch:vsw1
expect_ok hpvmcreate -P g2 -O linux -r 256M -a "disk:scsi:0,1,0:file:$S/root2.img" \
  -a network:lan:0,2,0x02aabbccdd21:vswitch:vsw1:portid:2

# Helpers typed into a guest's shell after each boot (one line each):
#  drv DIR      the driver bound to the device DIR;
#  pcid PATH    the PCI function PATH is on, as ROOT-PORT/FUNCTION;
#  disks        per SCSI disk: H:C:T:L, size in sectors, the SCSI host's
#               driver, the PCI function of its HBA, the HBA's PCI driver;
#  nics         per NIC: MAC, driver, PCI function, its PCI driver;
#  ifof MAC     the interface with that MAC;
#  waitfor CMD  runs CMD every 0.1 s until it succeeds (at most 300 times).
GUEST_HELPERS=(
  'drv() { basename $(readlink $1/driver); }'
  'pcid() { p=$(readlink -f $1); until [ -e $p/config ]; do p=${p%/*}; done; echo ${p#/sys/devices/pci0000:00/}; }'
  'disks() { for s in /sys/class/scsi_disk/*; do d=$(readlink -f $s/device); p=$(pcid $d); echo ${s##*/} $(cat $d/block/*/size) $(drv $d/../../..) $p $(drv /sys/devices/pci0000:00/$p); done; }'
  'nics() { for n in /sys/class/net/eth*; do d=$(readlink -f $n/device); p=$(pcid $d); echo $(cat $n/address) $(drv $d) $p $(drv /sys/devices/pci0000:00/$p); done | sort; }'
  'ifof() { grep -l "^$1\$" /sys/class/net/*/address | cut -d/ -f5; }'
  'waitfor() { i=0; until eval "$1" >/dev/null 2>&1; do i=$((i + 1)); [ $i -lt 300 ] || return 1; sleep 0.1; done; }'
)
define_helpers() {
  local helper
  for helper in "${GUEST_HELPERS[@]}"; do
    expect_guest "$1" "" "$helper"
  done
}

# boot GUEST: hpvmstart, attach the console driver, wait for the guest's
# ready line and its shell; sets BOOT_MS.
boot() {
  local guest=$1 start
  start=$(date +%s%N)
  run hpvmstart -P "$guest"
  assert_exit 0
  assert_stderr ""
  started "$guest"
  console_open "$guest"
  if console_wait "$guest" "$BOOT_SECS" '^HPVM-GUEST-READY$' && console_sync "$guest"; then
    pass
  else
    fail "$guest did not boot to HPVM-GUEST-READY and its prompt within $BOOT_SECS s ($GRC)" "$(console_tail "$guest" 30)"
    finish
  fi
  BOOT_MS=$(ms_since "$start")
  echo "    $guest booted in $BOOT_MS ms ($(accel))"
  define_helpers "$guest"
}

boot g1
boot g2

section "g1 sees its disks and vNICs where the configuration puts them"
# Bus B is the PCI bridge in root slot 0x10+B, which the firmware numbers
# PCI bus B+1; slot D is device D behind it. virtio-scsi puts target T at
# channel 0, megaraid_sas its logical drives at channel 2; LUN 0.
expect_guest g1 "0:0:0:0 $root_sectors virtio_scsi 0000:00:10.0/0000:01:01.0 virtio-pci
1:2:3:0 131072 megaraid_sas 0000:00:11.0/0000:02:02.0 megaraid_sas" disks
expect_guest g1 "02:aa:bb:cc:dd:01 virtio_net 0000:00:10.0/0000:01:05.0 virtio-pci
02:aa:bb:cc:dd:02 e1000 0000:00:12.0/0000:03:00.0 e1000" nics
# /data is on partition 3 of the AVIO disk at target 0 (asked by its SCSI
# address: the kernel's sdX names follow the order the two HBAs finish
# probing, which varies from boot to boot).
expect_guest g1 "0:0:0:0 3 ext4" 'set -- $(grep " /data " /proc/mounts | cut -d" " -f1,3); echo $(ls /sys/class/block/${1#/dev/}/../device/scsi_disk) ${1##*[a-z]} $2'

section "g2 boots from its root disk on the emulated SCSI adapter (megasas)"
expect_guest g2 "0:2:0:0 $root_sectors megaraid_sas 0000:00:10.0/0000:01:01.0 megaraid_sas" disks
expect_guest g2 "02:aa:bb:cc:dd:21 e1000 0000:00:10.0/0000:01:02.0 e1000" nics
proof="hpvm-proof $(date +%s%N)"
expect_guest g2 "" "echo '$proof' >/data/proof && sync"

section "hpvminfo inside the guest names the VM Host"
expect_guest g1 "hpvminfo: Running inside an HPVM guest." hpvminfo
# The suite runs in its own network namespace, not its own UTS namespace:
# hpvmstart gave the guest this host's name.
expect_guest g1 "hpvminfo: Running inside an HPVM guest.
Hostname: $(hostname)" "hpvminfo -V"

section "network between two guests on one vswitch"
# Only the vNICs under test carry addresses; g1's e1000 goes down so that
# it cannot answer for g1's address.
expect_guest g1 "" 'ip link set dev $(ifof 02:aa:bb:cc:dd:02) down'
expect_guest g1 "" 'ip addr add 192.0.2.11/24 dev $(ifof 02:aa:bb:cc:dd:01)'
expect_guest g2 "" 'ip addr add 192.0.2.12/24 dev $(ifof 02:aa:bb:cc:dd:21)'
check_guest "g1 pings g2" g1 "ping -c 2 -w 30 -q 192.0.2.12" 40
check_guest "g2 pings g1" g2 "ping -c 2 -w 30 -q 192.0.2.11" 40
# 512 KiB of random data from g2 to g1 over TCP (busybox nc), checksummed.
# busybox nc ends when its peer half-closes: the listener's input must stay
# open (a sleep), else its end reaches the sender as an early EOF. In a
# subshell: no job, so no "Done" notice in a later command's output.
gsh g1 '(sleep 600 | nc -l -p 5001 >/tmp/received 2>/dev/null &)'
expect_guest g2 "" 'dd if=/dev/urandom of=/tmp/sent bs=1024 count=512 2>/dev/null'
gsh g2 'md5sum </tmp/sent | cut -d" " -f1'
sent_sum=$GOUT
check_guest "g2 sends 512 KiB to g1 with nc" g2 "nc -w 30 192.0.2.11 5001 </tmp/sent" 60
expect_guest g1 "" 'waitfor "! pidof nc"'
expect_guest g1 "524288 $sent_sum" 'echo $(wc -c </tmp/received) $(md5sum </tmp/received | cut -d" " -f1)'
# iperf3 both ways in one second each: the guests move data at all.
gsh g1 'iperf3 -s -D -1 >/dev/null 2>&1'
expect_guest g1 "" 'waitfor "pidof iperf3"'
check_guest "iperf3 from g2 to g1" g2 "iperf3 -c 192.0.2.11 -t 1 -f m >/tmp/iperf 2>&1" 60
check_guest "iperf3 reports a receiver rate" g2 "grep -q 'receiver\$' /tmp/iperf"

section "port VLANs on the vswitch (hpvmnet -u): a bridge per VLAN keeps guests apart"
# g1's avio_lan is port 1, g2's lan port 2.
tap1=hpv$(sql "SELECT vm_number FROM guests WHERE name = 'g1'")n05
tap2=hpv$(sql "SELECT vm_number FROM guests WHERE name = 'g2'")n02
master_of() { ip -j link show "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0].get("master", ""))'; }
expect_ok hpvmnet -S vsw1 -u portid:1:vlanid:10
expect_ok hpvmnet -S vsw1 -u portid:2:vlanid:20
check "the taps are on VLAN 10's and VLAN 20's bridges" \
  test "$(master_of "$tap1") $(master_of "$tap2")" = "${bridge}v10 ${bridge}v20"
gsh g1 "ping -c 2 -w 5 -q 192.0.2.12" 15
check "VLANs 10 and 20: g1 does not reach g2 (exit $GRC)" test "$GRC" = 1
expect_ok hpvmnet -S vsw1 -u portid:2:vlanid:10
check "both taps are on ${bridge}v10; VLAN 20's bridge is gone" \
  test "$(master_of "$tap1") $(master_of "$tap2") $(ip -br link show "${bridge}v20" 2>/dev/null)" = "${bridge}v10 ${bridge}v10 "
# hpvmstatus and hpvmnet -r follow the same rule: a tap on the wrong bridge
# is reported, and -r moves it back to its VLAN's.
run hpvmstatus -P g1
check "hpvmstatus -P g1 finds its tap on VLAN 10's bridge" bash -c '! grep -q "running on the bridge" "$1"' _ "$OUT"
expect_ok ip link set "$tap1" master "$bridge"
run hpvmstatus -P g1
assert_stdout_has "running on the bridge $bridge, not on vswitch 'vsw1' \\(${bridge}v10\\)"
expect_ok hpvmnet -r -S vsw1
check "hpvmnet -r puts $tap1 back on ${bridge}v10" test "$(master_of "$tap1")" = "${bridge}v10"
check_guest "both on VLAN 10: g1 reaches g2 again" g1 "ping -c 2 -w 30 -q 192.0.2.12" 40
expect_ok hpvmnet -S vsw1 -u portid:1:vlanid:none
expect_ok hpvmnet -S vsw1 -u portid:2:vlanid:none
check "no VLANs: both taps are on $bridge, and no VLAN bridge is left" \
  test "$(master_of "$tap1") $(master_of "$tap2") $(ip -br link show | awk -v b="$bridge" 'index($1, b "v") == 1')" = "$bridge $bridge "
check_guest "no VLANs again: g1 reaches g2" g1 "ping -c 2 -w 30 -q 192.0.2.12" 40

section "g2 stops gracefully and is converted to AVIO; it boots meanwhile"
start=$(date +%s%N)
expect_ok hpvmstop -P g2 -g -Q
check "g2 powered off through ACPI within 30 s ($(ms_since "$start") ms)" test "$(ms_since "$start")" -lt 30000
console_close g2
check "hpvmconsole on g2 ended with status 1 when the guest stopped (got $GRC)" test "$GRC" = 1
run hpvmconvert -P g2 -C
assert_exit 0
assert_stderr ""
expect_stdout "disk:avio_stor:0,1,0:file:$S/root2.img
network:avio_lan:0,2,0x02AABBCCDD21:vswitch:vsw1:portid:2" bash -c "hpvmstatus -P g2 -d | grep -E '^(disk|network):'"
# The boot goes on while g1's hot-plug checks run.
run hpvmstart -P g2
assert_exit 0
started g2
console_open g2
g2_start=$(date +%s%N)

section "hot-add and hot-remove an avio_stor disk while g1 runs"
# From the command's start to the disk in the guest (virtio-scsi tells the
# guest at once): within seconds, even under TCG on a loaded machine.
start=$(date +%s%N)
expect_ok hpvmmodify -P g1 -a "disk:avio_stor::file:$S/hot.img"
check_guest "the new disk appears at 0:0:1:0" g1 'waitfor "ls /sys/class/scsi_disk/0:0:1:0/device/block"'
appear_ms=$(ms_since "$start")
echo "    the hot-added disk was in the guest $appear_ms ms after hpvmmodify started"
check "the hot-added disk appeared within 10 s ($appear_ms ms)" test "$appear_ms" -lt 10000
expect_stdout "disk:avio_stor:0,1,0:file:$S/root1.img
disk:avio_stor:0,1,1:file:$S/hot.img
disk:scsi:1,2,3:file:$S/data1.img" bash -c "hpvmstatus -P g1 -d | grep -E '^disk:'"
expect_guest g1 "0:0:0:0 $root_sectors virtio_scsi 0000:00:10.0/0000:01:01.0 virtio-pci
0:0:1:0 65536 virtio_scsi 0000:00:10.0/0000:01:01.0 virtio-pci
1:2:3:0 131072 megaraid_sas 0000:00:11.0/0000:02:02.0 megaraid_sas" disks
# A recognisable pattern at 1 MiB into the disk, read back on the host.
pattern() { for ((i = 1; i <= 2000; i++)); do printf 'HPVM-HOTPLUG-%05d\n' "$i"; done; }
pattern_bytes=$(pattern | wc -c)
expect_guest g1 "" 'i=0; while [ $i -lt 2000 ]; do i=$((i + 1)); printf "HPVM-HOTPLUG-%05d\n" $i; done >/tmp/pattern'
expect_guest g1 "" 'dd if=/tmp/pattern of=/dev/$(ls /sys/class/scsi_disk/0:0:1:0/device/block) bs=1M seek=1 conv=fsync 2>/dev/null'
check "the host's backing file holds the guest's pattern at 1 MiB" \
  cmp -n "$pattern_bytes" <(pattern) <(dd if="$S/hot.img" bs=1M skip=1 count=1 status=none)
expect_ok hpvmmodify -P g1 -d "disk:avio_stor:0,1,1:file:$S/hot.img"
check_guest "the removed disk leaves the guest" g1 'waitfor "! test -e /sys/class/scsi_disk/0:0:1:0"'
expect_guest g1 "0:0:0:0 $root_sectors virtio_scsi 0000:00:10.0/0000:01:01.0 virtio-pci
1:2:3:0 131072 megaraid_sas 0000:00:11.0/0000:02:02.0 megaraid_sas" disks
expect_stdout "disk:avio_stor:0,1,0:file:$S/root1.img
disk:scsi:1,2,3:file:$S/data1.img" bash -c "hpvmstatus -P g1 -d | grep -E '^disk:'"
run hpvmstatus -P g1
check "hpvmstatus -P g1 no longer shows $S/hot.img" bash -c '! grep -qF -- "$1" "$2"' _ "$S/hot.img" "$OUT"

section "hot-add and hot-remove an avio_lan vNIC on the uplinked vsw2 while g1 runs"
expect_ok hpvmmodify -P g1 -a network:avio_lan:3,4,0x02aabbccdd07:vswitch:vsw2
check_guest "the new vNIC appears" g1 'waitfor "ifof 02:aa:bb:cc:dd:07 | grep -q ."'
expect_guest g1 "02:aa:bb:cc:dd:01 virtio_net 0000:00:10.0/0000:01:05.0 virtio-pci
02:aa:bb:cc:dd:02 e1000 0000:00:12.0/0000:03:00.0 e1000
02:aa:bb:cc:dd:07 virtio_net 0000:00:13.0/0000:04:04.0 virtio-pci" nics
check "its tap hpv1n34 is a port of $bridge2" bash -c "ip -o link show hpv1n34 | grep -q ' master $bridge2 '"
check "the uplink hvup0 is a port of $bridge2" bash -c "ip -o link show hvup0 | grep -q ' master $bridge2 '"
expect_guest g1 "" 'ip addr add 198.51.100.7/24 dev $(ifof 02:aa:bb:cc:dd:07)'
check_guest "g1 pings the far end of vsw2's uplink through the new vNIC" g1 "ping -c 2 -w 30 -q 198.51.100.1" 40
# A TCP transfer to a server on the far end (one client, then it exits).
iperf3 -s -1 -B 198.51.100.1 >"$_H/iperf-host" 2>&1 &
track_pid $!
iperf_host=$!
for ((i = 0; i < 50; i++)); do ss -ltn 2>/dev/null | grep -q '198.51.100.1:5201' && break; sleep 0.1; done
check_guest "iperf3 from g1 through the uplink to the host's end" g1 "iperf3 -c 198.51.100.1 -t 1 -f m >/tmp/iperf-up 2>&1" 60
check_guest "iperf3 through the uplink reports a receiver rate" g1 "grep -q 'receiver\$' /tmp/iperf-up"
kill "$iperf_host" 2>/dev/null
wait "$iperf_host" 2>/dev/null
expect_ok hpvmmodify -P g1 -d network:avio_lan:3,4,0x02aabbccdd07:vswitch:vsw2
check_guest "the removed vNIC leaves the guest" g1 'waitfor "! ifof 02:aa:bb:cc:dd:07 | grep -q ."'
expect_guest g1 "02:aa:bb:cc:dd:01 virtio_net 0000:00:10.0/0000:01:05.0 virtio-pci
02:aa:bb:cc:dd:02 e1000 0000:00:12.0/0000:03:00.0 e1000" nics
expect_stdout "network:avio_lan:0,5,0x02AABBCCDD01:vswitch:vsw1:portid:1
network:lan:2,0,0x02AABBCCDD02:vswitch:vsw1" bash -c "hpvmstatus -P g1 -d | grep -E '^network:'"
check "its tap hpv1n34 is gone" bash -c "! ip link show hpv1n34 2>/dev/null"

section "hpvmstop -g powers g1 off through ACPI"
start=$(date +%s%N)
g1_pid=$(cat "$(run_dir g1)/qemu.pid")
expect_ok hpvmstop -P g1 -g -Q
stop_ms=$(ms_since "$start")
echo "    g1 powered off in $stop_ms ms"
check "g1 powered off within 30 s ($stop_ms ms)" test "$stop_ms" -lt 30000
expect_exit 1 alive "$g1_pid"
console_close g1
check "hpvmconsole on g1 ended with status 1 when the guest stopped (got $GRC)" test "$GRC" = 1

section "g2 converted: the same root disk on virtio-scsi, /data intact, same MAC"
if console_wait g2 "$BOOT_SECS" '^HPVM-GUEST-READY$' && console_sync g2; then
  pass
else
  fail "g2 did not boot on virtio-scsi ($GRC)" "$(console_tail g2 30)"
  finish
fi
echo "    g2 booted in $(ms_since "$g2_start") ms"
define_helpers g2
expect_guest g2 "0:0:0:0 $root_sectors virtio_scsi 0000:00:10.0/0000:01:01.0 virtio-pci" disks
expect_guest g2 "02:aa:bb:cc:dd:21 virtio_net 0000:00:10.0/0000:01:02.0 virtio-pci" nics
expect_guest g2 "$proof" "cat /data/proof"
expect_guest g2 "" 'ip addr add 192.0.2.12/24 dev $(ifof 02:aa:bb:cc:dd:21)'
expect_ok ip addr add 192.0.2.1/24 dev "$bridge"
check_guest "g2 pings the vswitch's bridge on virtio-net" g2 "ping -c 2 -w 30 -q 192.0.2.1" 40
expect_ok hpvmstop -P g2 -g -Q
console_close g2

section "the conversion undone: g2 on megasas and e1000 again"
run hpvmconvert -P g2 -U
assert_exit 0
assert_stderr ""
expect_stdout "disk:scsi:0,1,0:file:$S/root2.img
network:lan:0,2,0x02AABBCCDD21:vswitch:vsw1:portid:2" bash -c "hpvmstatus -P g2 -d | grep -E '^(disk|network):'"
boot g2
expect_guest g2 "0:2:0:0 $root_sectors megaraid_sas 0000:00:10.0/0000:01:01.0 megaraid_sas" disks
expect_guest g2 "02:aa:bb:cc:dd:21 e1000 0000:00:10.0/0000:01:02.0 e1000" nics
expect_guest g2 "$proof" "cat /data/proof"
expect_ok hpvmstop -P g2 -g -Q
console_close g2

echo "    the suite took $(($(date +%s) - suite_start)) s"
finish

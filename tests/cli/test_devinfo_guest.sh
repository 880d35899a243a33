#!/usr/bin/env bash
# hpvmdevinfo against the real test guest (scripts/guest-image), whose
# qemu-ga answers on the virtio-serial port hpvmstart gives every guest:
# each disk (by the serial number hpvmstart gives it) and vNIC is named as
# the guest itself names it (checked against the guest's sysfs), a disk
# hot-added while it runs appears, the SCSI address of a disk on the emulated
# scsi adapter stays unknown (qemu-ga misreports megaraid_sas' channel), and
# with the agent killed the guest columns say unknown within the 2 s bound.
# The same guest has dynamic memory: its balloon driver (virtio_balloon)
# gives memory back down to the start target as it loads, and the guest's
# MemTotal and MemAvailable fall when hpvmmodify -x ram_target lowers its
# memory and rise back with ram_target=start. One boot. Runs in its own
# network namespace.
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

BOOT_SECS=240
guest_image
cp --sparse=always -- "$GUEST_IMAGE" "$S/root.img"
sized_file "$S/data.img" 32M
sized_file "$S/emul.img" 16M
sized_file "$S/hot.img" 16M

section "boot g1 with two AVIO disks, one emulated scsi disk, one AVIO vNIC"
expect_ok hpvmnet -c -S vsw1
expect_ok hpvmnet -b -S vsw1
expect_ok hpvmcreate -P g1 -O linux -r 256M -x ram_dyn_type=driver -x ram_dyn_min=128M \
  -x ram_dyn_target_start=224M -a "disk:avio_stor:0,1,0:file:$S/root.img" \
  -a "disk:avio_stor:0,1,3:file:$S/data.img" -a "disk:scsi:1,2,3:file:$S/emul.img" \
  -a network:avio_lan:0,5,0x02aabbccdd01:vswitch:vsw1
run hpvmstart -P g1
assert_exit 0
started g1
console_open g1
if console_wait g1 "$BOOT_SECS" '^HPVM-GUEST-READY$' && console_sync g1; then
  pass
else
  fail "g1 did not boot to HPVM-GUEST-READY and its prompt within $BOOT_SECS s ($GRC)" "$(console_tail g1 30)"
  finish
fi
expect_guest g1 "org.qemu.guest_agent.0" 'cat /sys/class/virtio-ports/*/name'
expect_guest g1 "" 'ip addr add 192.0.2.2/24 dev $(grep -l "^02:aa:bb:cc:dd:01$" /sys/class/net/*/address | cut -d/ -f5)'

# The guest's own names: the block device at a SCSI address, the interface with a MAC.
block_at() { gsh g1 "ls /sys/class/scsi_disk/$1/device/block"; echo "/dev/$GOUT"; }
root_dev=$(block_at 0:0:0:0)
data_dev=$(block_at 0:0:3:0)
# megaraid_sas puts QEMU's disks on channel 2 of its own SCSI host.
emul_dev=$(block_at '*:2:3:0')
gsh g1 'grep -l "^02:aa:bb:cc:dd:01$" /sys/class/net/*/address | cut -d/ -f5'
nic=$GOUT
check "the guest named its disks and vNIC ($root_dev $data_dev $emul_dev $nic)" \
  test "$root_dev" != /dev/ -a "$data_dev" != /dev/ -a "$emul_dev" != /dev/ -a "$root_dev" != "$data_dev" -a -n "$nic"

HEADER="Guest                                                                  Physical
Device  Adaptor    Bus Dev Tgt Guest Device     Guest Address      Storage   Device
======= ========== === === === ================ ================== ========= ========================="
row() { printf '%-7s %-10s %3s %3s %3s %-16s %-18s %-9s %s' "$@" | sed 's/ *$//'; }
table() { # AGENT ROWS
  printf '[Virtual Machine Device Mapping]\nVirtual Machine Name : g1\nState : On\nGuest agent : %s\n\n%s\n%s' "$1" "$HEADER" "$2"
}

section "the agent answers: AVIO disks and the vNIC as the guest names them"
rows="$(row disk avio_stor 0 1 0 "$root_dev" 0.0.0 file "$S/root.img")
$(row disk avio_stor 0 1 3 "$data_dev" 0.3.0 file "$S/data.img")
$(row disk scsi 1 2 3 "$emul_dev" unknown file "$S/emul.img")
$(row network avio_lan 0 5 "" "$nic" 192.0.2.2/24 vswitch vsw1)"
expect_stdout "$(table answered "$rows")" hpvmdevinfo -P g1
expect_stdout "g1:disk:avio_stor:0:1:0:file:$S/root.img:$root_dev:0.0.0
g1:disk:avio_stor:0:1:3:file:$S/data.img:$data_dev:0.3.0
g1:disk:scsi:1:2:3:file:$S/emul.img:$emul_dev:unknown
g1:network:avio_lan:0:5::vswitch:vsw1:$nic:192.0.2.2/24" hpvmdevinfo -M -P g1

section "a disk hot-added to the running guest appears"
expect_ok hpvmmodify -P g1 -a "disk:avio_stor:0,1,7:file:$S/hot.img"
expect_guest g1 "" 'i=0; until [ -e /sys/class/scsi_disk/0:0:7:0/device/block ]; do i=$((i+1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done'
hot_dev=$(block_at 0:0:7:0)
expect_stdout "g1:disk:avio_stor:0:1:7:file:$S/hot.img:$hot_dev:0.7.0" sh -c 'hpvmdevinfo -M -P g1 | grep :0:1:7:'

section "the agent killed: the guest columns unknown within 2 s"
expect_guest g1 "" 'kill $(cat /run/qemu-ga.pid); i=0; while pidof qemu-ga >/dev/null; do i=$((i+1)); [ $i -lt 50 ] || exit 1; sleep 0.1; done'
rows_unknown="$(row disk avio_stor 0 1 0 unknown unknown file "$S/root.img")
$(row disk avio_stor 0 1 3 unknown unknown file "$S/data.img")
$(row disk avio_stor 0 1 7 unknown unknown file "$S/hot.img")
$(row disk scsi 1 2 3 unknown unknown file "$S/emul.img")
$(row network avio_lan 0 5 "" unknown unknown vswitch vsw1)"
start=$(date +%s%N)
expect_stdout "$(table "no answer (the guest agent did not answer guest-sync-delimited within 2000 ms)" "$rows_unknown")" hpvmdevinfo -V -P g1
ms=$((($(date +%s%N) - start) / 1000000))
check "a guest without its agent costs about 2 s (took $ms ms)" test "$ms" -lt 3500

section "the agent started again answers again"
expect_guest g1 "" '/sbin/hpvm-guest-agent'
expect_stdout "g1:disk:avio_stor:0:1:0:file:$S/root.img:$root_dev:0.0.0" sh -c 'hpvmdevinfo -M -P g1 | head -n 1'

section "dynamic memory: the balloon takes memory from the guest and gives it back"
# The start target (224 of 256 MB) was asked at the start; the driver took it as it loaded.
for ((i = 0; i < 100; i++)); do
  [[ $(qmp g1 balloon) == 224 ]] && break
  sleep 0.1
done
expect_stdout "Current memory : 224 MB" sh -c 'hpvmstatus -V -P g1 | grep "^Current memory"'
meminfo() { gsh g1 "grep ^$1: /proc/meminfo"; awk '{ print $2 }' <<<"$GOUT"; }
total_start=$(meminfo MemTotal)
available_start=$(meminfo MemAvailable)
expect_ok hpvmmodify -P g1 -x ram_target=160M
expect_stdout "160" qmp g1 balloon
expect_stdout "Target memory : 160 MB
Current memory : 160 MB" sh -c 'hpvmstatus -V -P g1 | grep -E "^(Target|Current) memory"'
total_low=$(meminfo MemTotal)
available_low=$(meminfo MemAvailable)
# 64 MB went to the balloon: MemTotal says exactly that, MemAvailable nearly.
check "MemTotal fell by 64 MB ($total_start kB -> $total_low kB)" test $((total_start - total_low)) -eq 65536
check "MemAvailable fell by about 64 MB ($available_start kB -> $available_low kB)" \
  test $((available_start - available_low)) -gt 49152
expect_ok hpvmmodify -P g1 -x ram_target=start
expect_stdout "224" qmp g1 balloon
total_back=$(meminfo MemTotal)
available_back=$(meminfo MemAvailable)
check "MemTotal is back ($total_low kB -> $total_back kB)" test "$total_back" -eq "$total_start"
check "MemAvailable rose by about 64 MB ($available_low kB -> $available_back kB)" \
  test $((available_back - available_low)) -gt 49152

section "dynamic memory: the guest's free and available memory, as its balloon driver reports them"
# QEMU asks the driver every 2 s (set at the start); the figures it holds may
# still be those from before the balloon moved back above: within 10 s they
# are the guest's own.
figure() { sed -n "s/^$1 memory : \([0-9]*\) MB\$/\1/p" "$OUT"; }
# The driver's figures are MemFree and MemAvailable of at most 2 s ago; an
# idle guest moves them by a few MB at most.
near() { test -n "$1" && test $(($1 - $2)) -le 16 && test $(($2 - $1)) -le 16; }
for ((i = 0; i < 20; i++)); do
  run hpvmstatus -V -P g1
  free_mb=$(figure Free)
  available_mb=$(figure Available)
  guest_free=$(($(meminfo MemFree) / 1024))
  guest_available=$(($(meminfo MemAvailable) / 1024))
  near "$free_mb" "$guest_free" && near "$available_mb" "$guest_available" && break
  sleep 0.5
done
check "Free memory ($free_mb MB) is the guest's MemFree ($guest_free MB, within 16 MB)" near "$free_mb" "$guest_free"
check "Available memory ($available_mb MB) is the guest's MemAvailable ($guest_available MB, within 16 MB)" \
  near "$available_mb" "$guest_available"
# The block as the real guest fills it, in the suite's log.
sed -n '/^\[Dynamic Memory Information\]$/,/^$/p' "$OUT"

expect_ok hpvmstop -P g1 -g -Q
console_close g1
finish

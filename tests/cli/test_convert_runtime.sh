#!/usr/bin/env bash
# Moving a running guest to AVIO and back (hpvmconvert), proved on real QEMU:
# a guest with a scsi disk, a scsi DVD and a lan vNIC is started, converted,
# restarted, and checked through QMP (virtio devices at the same bus, slot and
# targets, same backing files, same MAC); then the conversion is undone and
# the original devices are checked again.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/runtime_lib.sh
source "$(dirname "$0")/runtime_lib.sh"

sized_file "$S/root.img" 8M
sized_file "$S/cd.iso" 1M
expect_ok hpvmnet -c -S vsw1
expect_ok hpvmnet -b -S vsw1
expect_ok hpvmcreate -P g1 -r 256M -a "disk:scsi:0,1,0:file:$S/root.img" -a "dvd:scsi:0,1,2:file:$S/cd.iso" \
  -a network:lan:0,3,0x02aabbccdd07:vswitch:vsw1

# The devices QEMU runs, as "id type [backing|mac]" lines.
devices() {
  qmp g1 block | sort
  local id
  for id in hpvm.hba.b0s1 hpvm.nic.b0s3; do
    echo "$id $(qmp g1 get "/machine/peripheral/$id" type)"
  done
  echo "hpvm.nic.b0s3 mac $(qmp g1 get /machine/peripheral/hpvm.nic.b0s3 mac)"
  echo "hpvm.tgt.b0s1t0 scsi-id $(qmp g1 get /machine/peripheral/hpvm.tgt.b0s1t0 scsi-id)"
  echo "hpvm.tgt.b0s1t2 scsi-id $(qmp g1 get /machine/peripheral/hpvm.tgt.b0s1t2 scsi-id)"
}
start() {
  run hpvmstart -P g1
  assert_exit 0
  started g1
  for ((i = 0; i < 100; i++)); do [[ $(qmp g1 pci | wc -l) -ge 2 ]] && break; sleep 0.1; done
  run qmp g1 pci
  assert_stdout "16 hpvm.bus0 1 hpvm.hba.b0s1
16 hpvm.bus0 3 hpvm.nic.b0s3"
}
original="hpvm.tgt.b0s1t0 $S/root.img
hpvm.tgt.b0s1t2 $S/cd.iso
hpvm.hba.b0s1 \"megasas\"
hpvm.nic.b0s3 \"e1000\"
hpvm.nic.b0s3 mac \"02:aa:bb:cc:dd:07\"
hpvm.tgt.b0s1t0 scsi-id 0
hpvm.tgt.b0s1t2 scsi-id 2"

section "the guest runs on the emulated adapters"
start
expect_stdout "$original" devices

section "the plan of the running guest says the switch waits for the next start"
expect_stdout - hpvmconvert -P g1 <<EOF
Guest 'g1': 3 device(s) to convert.
  The guest is running: its configuration converts now, and the adapter switch
  stays pending until its next start (hpvmstop, then hpvmstart).
  disk:scsi:0,1,0:file:$S/root.img
    -> disk:avio_stor:0,1,0:file:$S/root.img
     keeps bus 0, slot 1, target 0
     guest sees a virtio-scsi disk instead of one on a MegaRAID SAS (megasas) HBA
  dvd:scsi:0,1,2:file:$S/cd.iso
    -> dvd:avio_stor:0,1,2:file:$S/cd.iso
     keeps bus 0, slot 1, target 2
     guest sees a virtio-scsi CD/DVD drive instead of one on a MegaRAID SAS (megasas) HBA
  network:lan:0,3,0x02AABBCCDD07:vswitch:vsw1
    -> network:avio_lan:0,3,0x02AABBCCDD07:vswitch:vsw1
     keeps bus 0, slot 3, MAC 0x02AABBCCDD07, vswitch vsw1, port 0, VLAN none
     guest sees a virtio-net NIC instead of an Intel e1000: a new interface, same MAC
EOF
run hpvmconvert -P g1 -M
assert_exit 0
check "-M: every device of the running guest is marked pending" \
  bash -c '[[ $(wc -l <"$1") == 3 && $(cut -f8 "$1" | sort -u) == pending ]]' _ "$OUT"
run hpvmconvert -P g1 -J
check "-J: running, pending until the next start" python3 -c '
import json, sys
g = json.load(open(sys.argv[1]))["guests"][0]
assert g["running"] and g["pending_until_next_start"], g' "$OUT"

section "converted while it runs: the change waits for the next start"
run hpvmconvert -P g1 -C
assert_exit 0
assert_stderr "hpvmconvert: WARNING (g1): The guest is running: its new adapters take effect at its next start (hpvmstop, then hpvmstart)."
expect_stdout "$original" devices
expect_ok hpvmstop -Q -P g1

section "restarted: virtio at the same addresses, same backing files and MAC"
start
expect_stdout "hpvm.tgt.b0s1t0 $S/root.img
hpvm.tgt.b0s1t2 $S/cd.iso
hpvm.hba.b0s1 \"virtio-scsi-pci\"
hpvm.nic.b0s3 \"virtio-net-pci\"
hpvm.nic.b0s3 mac \"02:aa:bb:cc:dd:07\"
hpvm.tgt.b0s1t0 scsi-id 0
hpvm.tgt.b0s1t2 scsi-id 2" devices
check "the vNIC's tap is on vsw1's bridge" bash -c "ip -o link show hpv1n03 | grep -q ' master hpvsw2 '"

section "undone, restarted: the original devices again"
run hpvmconvert -P g1 -U
assert_exit 0
expect_ok hpvmstop -Q -P g1
start
expect_stdout "$original" devices
expect_ok hpvmstop -Q -P g1
finish

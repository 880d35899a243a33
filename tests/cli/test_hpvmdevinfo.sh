#!/usr/bin/env bash
# hpvmdevinfo: the table, -M, -J and -V for stopped guests, for a running
# guest whose agent is missing or silent (guest columns unknown, within the
# 2 s bound), and for a scripted agent and monitor (tests/runtime/fake_agent.py)
# whose answers are matched to the configuration; that it only reads. The
# real test guest's agent: test_devinfo_guest.sh.
source "$(dirname "$0")/lib.sh"

FAKE_AGENT="$HPVM_SOURCE/tests/runtime/fake_agent.py"
sized_file "$S/root.img" 1M
sized_file "$S/data.img" 1M
sized_file "$S/g2.img" 1M
expect_ok hpvmnet -c -S vsw1
expect_ok hpvmnet -c -S vsw2
expect_ok hpvmcreate -P g1 -a "disk:avio_stor:0,1,0:file:$S/root.img" \
  -a "disk:scsi:1,2,3:file:$S/data.img" -a dvd:avio_stor:0,1,4:null: \
  -a network:avio_lan:0,5,0x02aabbccdd01:vswitch:vsw1 \
  -a network:lan:2,0,0x02aabbccdd02:vswitch:vsw2
expect_ok hpvmcreate -P g2 -a "disk:avio_stor::file:$S/g2.img"

HEADER="Guest                                                                  Physical
Device  Adaptor    Bus Dev Tgt Guest Device     Guest Address      Storage   Device
======= ========== === === === ================ ================== ========= ========================="

# table GUEST STATE AGENT ROWS: the expected table of one guest.
table() {
  printf '[Virtual Machine Device Mapping]\nVirtual Machine Name : %s\nState : %s\nGuest agent : %s\n\n%s\n%s' \
    "$1" "$2" "$3" "$HEADER" "$4"
}
g1_unknown="disk    avio_stor    0   1   0 unknown          unknown            file      $S/root.img
dvd     avio_stor    0   1   4 unknown          unknown            null
disk    scsi         1   2   3 unknown          unknown            file      $S/data.img
network avio_lan     0   5     unknown          unknown            vswitch   vsw1
network lan          2   0     unknown          unknown            vswitch   vsw2"
g2_unknown="disk    avio_stor    0   0   0 unknown          unknown            file      $S/g2.img"

section "stopped guests: the configuration, guest columns unknown"
db_snapshot
log_before=$(log_lines)
expect_stdout "$(table g1 Off "guest not running" "$g1_unknown")" hpvmdevinfo -P g1
expect_stdout "$(table g1 Off "guest not running" "$g1_unknown")

$(table g2 Off "guest not running" "$g2_unknown")" hpvmdevinfo
expect_stdout "$(table g1 Off "guest not running" "$g1_unknown")" hpvmdevinfo -V -P g1
expect_stdout "g1:disk:avio_stor:0:1:0:file:$S/root.img:unknown:unknown
g1:dvd:avio_stor:0:1:4:null::unknown:unknown
g1:disk:scsi:1:2:3:file:$S/data.img:unknown:unknown
g1:network:avio_lan:0:5::vswitch:vsw1:unknown:unknown
g1:network:lan:2:0::vswitch:vsw2:unknown:unknown
g2:disk:avio_stor:0:0:0:file:$S/g2.img:unknown:unknown" hpvmdevinfo -M
expect_stdout - hpvmdevinfo -J -P g2 <<EOF
{
  "guests": [
    {
      "name": "g2",
      "state": "Off",
      "agent": "guest not running",
      "agent_problem": null,
      "devices": [
        {
          "device": "disk",
          "adapter": "avio_stor",
          "bus": 0,
          "slot": 0,
          "target": 0,
          "storage": "file",
          "host_device": "$S/g2.img",
          "guest_device": null,
          "guest_address": null
        }
      ]
    }
  ]
}
EOF
run hpvmdevinfo --json -P g2
assert_exit 0
check "--json is -J" test "$(cat "$OUT")" = "$(hpvmdevinfo -J -P g2)"
LAST="hpvmdevinfo"
expect_db_unchanged
expect_not_logged "$log_before"

if ! command -v qemu-system-x86_64 >/dev/null; then
  skip "qemu-system-x86_64 is not installed: the running-guest cases need a QEMU process"
  finish
fi
run_dir="$HPVM_ROOT/uuids/$(uuid_of g1)"

section "a running guest without an agent socket: unknown, at once"
fake_qemu pid1 g1
expect_stdout "$(table g1 On "no answer" "$g1_unknown")" hpvmdevinfo -P g1
expect_stdout "$(table g1 On "no answer (Cannot connect to the guest's guest agent socket '$run_dir/agent.sock': No such file or directory.)" "$g1_unknown")" hpvmdevinfo -V -P g1
run hpvmdevinfo -J -P g1
assert_exit 0
check "-J names the agent's problem" grep -qF '"agent_problem": "Cannot connect to the guest'"'"'s guest agent socket' "$OUT"

section "a silent agent: unknown within the 2 s bound"
echo '{"disks": [], "interfaces": [], "files": {}}' >"$S/silent.json"
rm -f -- "$run_dir/agent.sock"
python3 "$FAKE_AGENT" "$run_dir" "$S/silent.json" --silent &
silent_pid=$!
track_pid "$silent_pid"
for ((i = 0; i < 100; i++)); do [[ -S $run_dir/agent.sock ]] && break; sleep 0.05; done
start=$(date +%s%N)
expect_stdout "$(table g1 On "no answer (the guest agent did not answer guest-sync-delimited within 2000 ms)" "$g1_unknown")" hpvmdevinfo -V -P g1
ms=$((($(date +%s%N) - start) / 1000000))
check "a silent agent costs 2 s, not more (took $ms ms)" test "$ms" -ge 1900 -a "$ms" -lt 3500
kill "$silent_pid" 2>/dev/null
wait "$silent_pid" 2>/dev/null

section "an agent that answers: each disk and interface matched to its address"
# As qemu-ga 7.2 answers for virtio-scsi disks: every one at target 0, unit
# 0; a disk is known by the serial number in its VPD page 0x80 (4 header
# bytes, then the serial hpvmstart gave it), or udev's serial when the agent
# has one (/dev/sr0). /dev/sdc (megaraid_sas) has no address but its serial;
# /dev/sdd is no disk of ours; partitions and the loopback interface are
# left out; eth1 has no address.
cat >"$S/answers.json" <<'EOF'
{
  "disks": [
    {"name": "/dev/sda1", "partition": true, "dependencies": ["/dev/sda"]},
    {"name": "/dev/sda", "partition": false, "dependencies": [],
     "address": {"pci-controller": {"domain": 0, "bus": 1, "slot": 1, "function": 0},
                 "bus-type": "scsi", "bus": 0, "target": 0, "unit": 0, "dev": "/dev/sda"}},
    {"name": "/dev/sr0", "partition": false, "dependencies": [],
     "address": {"pci-controller": {"domain": 0, "bus": 1, "slot": 1, "function": 0},
                 "bus-type": "scsi", "bus": 0, "target": 0, "unit": 0,
                 "serial": "0QEMU_QEMU_CD-ROM_hpvm-b0s1t4"}},
    {"name": "/dev/sdc", "partition": false, "dependencies": []},
    {"name": "/dev/sdd", "partition": false, "dependencies": [],
     "address": {"pci-controller": {"domain": 0, "bus": 0, "slot": 8, "function": 0},
                 "bus-type": "scsi", "bus": 0, "target": 0, "unit": 0}}],
  "files": {
    "/sys/block/sda/device/vpd_pg80": "\u0000\u0080\u0000\u000bhpvm-b0s1t0",
    "/sys/block/sdc/device/vpd_pg80": "\u0000\u0080\u0000\u000bhpvm-b1s2t3",
    "/sys/block/sdd/device/vpd_pg80": "\u0000\u0080\u0000\u0004XYZ1"},
  "interfaces": [
    {"name": "lo", "hardware-address": "00:00:00:00:00:00",
     "ip-addresses": [{"ip-address-type": "ipv4", "ip-address": "127.0.0.1", "prefix": 8}]},
    {"name": "eth0", "hardware-address": "02:aa:bb:cc:dd:01",
     "ip-addresses": [{"ip-address-type": "ipv6", "ip-address": "fe80::aa", "prefix": 64},
                      {"ip-address-type": "ipv4", "ip-address": "192.0.2.2", "prefix": 24}]},
    {"name": "eth1", "hardware-address": "02:aa:bb:cc:dd:02"}]
}
EOF
rm -f -- "$run_dir/agent.sock"
python3 "$FAKE_AGENT" "$run_dir" "$S/answers.json" &
track_pid $!
for ((i = 0; i < 100; i++)); do [[ -S $run_dir/agent.sock ]] && break; sleep 0.05; done
g1_seen="disk    avio_stor    0   1   0 /dev/sda         0.0.0              file      $S/root.img
dvd     avio_stor    0   1   4 /dev/sr0         0.4.0              null
disk    scsi         1   2   3 /dev/sdc         unknown            file      $S/data.img
network avio_lan     0   5     eth0             192.0.2.2/24       vswitch   vsw1
network lan          2   0     eth1             none               vswitch   vsw2"
db_snapshot
expect_stdout "$(table g1 On answered "$g1_seen")" hpvmdevinfo -P g1
expect_stdout "$(table g1 On answered "$g1_seen")" hpvmdevinfo -V -P g1
expect_stdout "g1:disk:avio_stor:0:1:0:file:$S/root.img:/dev/sda:0.0.0
g1:dvd:avio_stor:0:1:4:null::/dev/sr0:0.4.0
g1:disk:scsi:1:2:3:file:$S/data.img:/dev/sdc:unknown
g1:network:avio_lan:0:5::vswitch:vsw1:eth0:192.0.2.2/24
g1:network:lan:2:0::vswitch:vsw2:eth1:none" hpvmdevinfo -M -P g1
# HPVM scripts read fields 2, 8 and 9 of disk lines.
expect_stdout "disk $S/root.img /dev/sda
disk $S/data.img /dev/sdc" sh -c "hpvmdevinfo -M -P g1 | awk -F: '/disk/{print \$2, \$8, \$9}'"
run hpvmdevinfo -J -P g1
assert_exit 0
check "-J: answered, no problem, /dev/sda at 0.0.0, eth0 without a target" python3 -c '
import json, sys
g = json.loads(sys.argv[1])["guests"][0]
d = g["devices"][0]
assert g["agent"] == "answered" and g["agent_problem"] is None, g
assert (d["guest_device"], d["guest_address"], d["target"]) == ("/dev/sda", "0.0.0", 0), d
n = g["devices"][3]
assert (n["guest_device"], n["guest_address"], n["target"]) == ("eth0", "192.0.2.2/24", None), n
' "$(cat "$OUT")"
expect_db_unchanged
stop_fake_qemu "$pid1"

section "errors and usage"
refuse 1 "hpvmdevinfo: ERROR (nosuch): The guest 'nosuch' does not exist." hpvmdevinfo -P nosuch
for pair in "-V -M" "-M -J" "-V --json"; do
  # shellcheck disable=SC2086
  run hpvmdevinfo $pair -P g1
  assert_exit 2
  assert_stderr_has "^hpvmdevinfo: ERROR: "
done
refuse 2 "hpvmdevinfo: ERROR: The following argument was not expected: extra
Run 'hpvmdevinfo --help' for usage." hpvmdevinfo extra
run hpvmdevinfo --help
assert_exit 0
assert_stdout_has '^ *-M'

section "an empty HPVM_ROOT: nothing, and nothing created"
new_root
expect_stdout "" hpvmdevinfo
check "hpvmdevinfo created nothing in HPVM_ROOT" test -z "$(ls -A "$HPVM_ROOT")"

finish

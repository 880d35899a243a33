#!/usr/bin/env bash
# hpvmconvert: plans (text, -M, -J), conversion of stopped guests through
# hpvmmodify's checks with every address kept, undo, and refusals that leave
# the database as it was.
source "$(dirname "$0")/lib.sh"

sized_file "$S/d1.img" 1M
sized_file "$S/d2.img" 1M
sized_file "$S/d3.img" 1M
sized_file "$S/d4.img" 1M
sized_file "$S/cd.iso" 4096
hpvmnet -c -S sw1 >/dev/null || { echo "hpvmnet -c -S sw1 failed" >&2; exit 1; }

expect_ok hpvmcreate -P g1 -a "disk:scsi:0,1,0:file:$S/d1.img" -a "dvd:scsi:0,1,3:file:$S/cd.iso" \
  -a network:lan:0,2,0x020000000001:vswitch:sw1:portid:7 -a "disk:avio_stor:1,0,0:file:$S/d2.img" \
  -a network:lan:0,4,0x020000000002:vswitch:sw1
# Port 7 of sw1 is on VLAN 20; the second vNIC holds the port sw1 gave it.
expect_ok hpvmnet -S sw1 -u portid:7:vlanid:20
PORT2=$(sql "SELECT vswitch_port FROM network_devices WHERE mac = $((0x020000000002))")
check "the unpinned vNIC holds a port of sw1" test -n "$PORT2"
expect_ok hpvmcreate -P avio -a "disk:avio_stor::file:$S/d3.img"
G1_BEFORE=$(hpvmstatus -P g1 -d)

section "plan for people (the default): nothing changes"
db_snapshot
expect_stdout - hpvmconvert -P g1 <<EOF
Guest 'g1': 4 device(s) to convert.
  disk:scsi:0,1,0:file:$S/d1.img
    -> disk:avio_stor:0,1,0:file:$S/d1.img
     keeps bus 0, slot 1, target 0
     guest sees a virtio-scsi disk instead of one on a MegaRAID SAS (megasas) HBA
  dvd:scsi:0,1,3:file:$S/cd.iso
    -> dvd:avio_stor:0,1,3:file:$S/cd.iso
     keeps bus 0, slot 1, target 3
     guest sees a virtio-scsi CD/DVD drive instead of one on a MegaRAID SAS (megasas) HBA
  network:lan:0,2,0x020000000001:vswitch:sw1:portid:7
    -> network:avio_lan:0,2,0x020000000001:vswitch:sw1:portid:7
     keeps bus 0, slot 2, MAC 0x020000000001, vswitch sw1, port 7, VLAN 20
     guest sees a virtio-net NIC instead of an Intel e1000: a new interface, same MAC
  network:lan:0,4,0x020000000002:vswitch:sw1
    -> network:avio_lan:0,4,0x020000000002:vswitch:sw1
     keeps bus 0, slot 4, MAC 0x020000000002, vswitch sw1, port $PORT2, VLAN none
     guest sees a virtio-net NIC instead of an Intel e1000: a new interface, same MAC
EOF
expect_db_unchanged
check "a plan is not logged" test "$(grep -c ' hpvmconvert ' "$LOG")" = 0

section "-M and -J plans for scripts; -A covers every guest"
TAB=$'\t'
DISK_SEES="a virtio-scsi disk instead of one on a MegaRAID SAS (megasas) HBA"
DVD_SEES="a virtio-scsi CD/DVD drive instead of one on a MegaRAID SAS (megasas) HBA"
NIC_SEES="a virtio-net NIC instead of an Intel e1000: a new interface, same MAC"
expect_stdout - hpvmconvert -A -M <<EOF
g1${TAB}convert${TAB}disk:scsi:0,1,0:file:$S/d1.img${TAB}disk:avio_stor:0,1,0:file:$S/d1.img${TAB}bus=0;slot=1;target=0${TAB}${DISK_SEES}${TAB}${TAB}
g1${TAB}convert${TAB}dvd:scsi:0,1,3:file:$S/cd.iso${TAB}dvd:avio_stor:0,1,3:file:$S/cd.iso${TAB}bus=0;slot=1;target=3${TAB}${DVD_SEES}${TAB}${TAB}
g1${TAB}convert${TAB}network:lan:0,2,0x020000000001:vswitch:sw1:portid:7${TAB}network:avio_lan:0,2,0x020000000001:vswitch:sw1:portid:7${TAB}bus=0;slot=2;mac=0x020000000001;vswitch=sw1;port=7;vlan=20${TAB}${NIC_SEES}${TAB}${TAB}
g1${TAB}convert${TAB}network:lan:0,4,0x020000000002:vswitch:sw1${TAB}network:avio_lan:0,4,0x020000000002:vswitch:sw1${TAB}bus=0;slot=4;mac=0x020000000002;vswitch=sw1;port=${PORT2};vlan=${TAB}${NIC_SEES}${TAB}${TAB}
EOF
run hpvmconvert -A -J
assert_exit 0
check "-J: g1 converts with one hba switch and two vNIC changes, avio has nothing" python3 - "$OUT" "$PORT2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
port2 = int(sys.argv[2])
g1, avio = d["guests"]
assert g1["name"] == "g1" and not g1["blocked"], g1
assert not g1["running"] and not g1["pending_until_next_start"], g1
assert g1["changes"] == ["hba:avio_stor:0,1", "network:avio_lan:0,2,0x020000000001:vswitch:sw1:portid:7",
                         "network:avio_lan:0,4,0x020000000002:vswitch:sw1"], g1
assert g1["undo"] == ["hba:scsi:0,1", "network:lan:0,2,0x020000000001:vswitch:sw1:portid:7",
                      "network:lan:0,4,0x020000000002:vswitch:sw1"], g1
assert len(g1["devices"]) == 4 and all("after" in x for x in g1["devices"]), g1
kept = [x["kept"] for x in g1["devices"]]
assert kept[0] == {"bus": 0, "slot": 1, "target": 0}, kept
assert kept[1] == {"bus": 0, "slot": 1, "target": 3}, kept
assert kept[2] == {"bus": 0, "slot": 2, "mac": "0x020000000001", "vswitch": "sw1", "port": 7,
                   "port_pinned": True, "vlan": 20}, kept
assert kept[3] == {"bus": 0, "slot": 4, "mac": "0x020000000002", "vswitch": "sw1", "port": port2,
                   "port_pinned": False, "vlan": None}, kept
assert g1["devices"][3]["guest_sees"].startswith("a virtio-net NIC"), g1
assert avio == {"name": "avio", "running": False, "pending_until_next_start": False, "blocked": False,
                "devices": [], "changes": [], "undo": []}, avio
EOF
expect_stdout "Guest 'avio': nothing to convert (no scsi adapter, no lan vNIC)." hpvmconvert -P avio

section "-C converts: same addresses, backing stores, MAC, vswitch and port"
port_before=$(sql "SELECT vswitch_port FROM network_devices WHERE mac = $((0x020000000001))")
before=$(log_lines)
expect_ok hpvmconvert -P g1 -C
expect_logged "$before" SUCCESS "hpvmconvert -P g1 -C\$"
expect_stdout "[Virtual Machine Devices]

[Storage Interface Details]
disk:avio_stor:0,1,0:file:$S/d1.img
dvd:avio_stor:0,1,3:file:$S/cd.iso
disk:avio_stor:1,0,0:file:$S/d2.img

[Network Interface Details]
network:avio_lan:0,2,0x020000000001:vswitch:sw1:portid:7
network:avio_lan:0,4,0x020000000002:vswitch:sw1

[Misc Interface Details]
serial:com1::tty:console" hpvmstatus -P g1 -d
expect_sql "SELECT vswitch_port FROM network_devices WHERE mac = $((0x020000000001))" "$port_before"
expect_sql "SELECT vswitch_port FROM network_devices WHERE mac = $((0x020000000002))" "$PORT2"
expect_sql "SELECT untagged_vlan FROM vswitch_ports WHERE port = 7" 20
expect_sql "SELECT count(*) FROM avio_conversion_undo" 3
expect_sql "SELECT phase, count(*) FROM avio_conversion_devices GROUP BY phase ORDER BY phase" "after|5
before|5"
refuse 1 "hpvmconvert: ERROR (g1): The guest 'g1' has no scsi adapter and no lan vNIC: nothing to convert." \
  hpvmconvert -P g1 -C

section "-U refuses a guest whose devices changed since the conversion, naming each change"
sized_file "$S/d5.img" 1M
sized_file "$S/cd2.iso" 4096
expect_ok hpvmmodify -P g1 -a "disk:avio_stor:0,1,5:file:$S/d5.img" -m "dvd:avio_stor:0,1,3:file:$S/cd2.iso" \
  -d network:avio_lan:0,4,0x020000000002:vswitch:sw1
BY_HAND="hpvmmodify -P g1 -m hba:scsi:0,1 -m network:lan:0,2,0x020000000001:vswitch:sw1:portid:7 -m network:lan:0,4,0x020000000002:vswitch:sw1"
refuse 1 "hpvmconvert: ERROR (g1): 'dvd:avio_stor:0,1,3:file:$S/cd.iso' became 'dvd:avio_stor:0,1,3:file:$S/cd2.iso' after the conversion.
hpvmconvert: ERROR (g1): 'disk:avio_stor:0,1,5:file:$S/d5.img' was added after the conversion.
hpvmconvert: ERROR (g1): 'network:avio_lan:0,4,0x020000000002:vswitch:sw1' was removed after the conversion.
hpvmconvert: ERROR (g1): The guest's devices changed since its conversion: the undo would not restore the configuration it replaced. Put the devices back as the conversion left them, or undo by hand: $BY_HAND
hpvmconvert: Unable to undo the conversion." hpvmconvert -P g1 -U
# Put back as the conversion left it: the undo goes through.
expect_ok hpvmmodify -P g1 -d "disk:avio_stor:0,1,5:file:$S/d5.img" -m "dvd:avio_stor:0,1,3:file:$S/cd.iso" \
  -a network:avio_lan:0,4,0x020000000002:vswitch:sw1

section "-U restores the configuration exactly, once"
expect_ok hpvmconvert -P g1 -U
expect_stdout "$G1_BEFORE" hpvmstatus -P g1 -d
expect_sql "SELECT count(*) FROM avio_conversion_undo" 0
expect_sql "SELECT count(*) FROM avio_conversion_devices" 0
refuse 1 "hpvmconvert: ERROR (g1): The guest 'g1' has no conversion to undo." hpvmconvert -P g1 -U

section "a version 4 database is migrated; its record has no snapshot: -U refuses"
expect_ok hpvmconvert -P g1 -C
sqlite3 "$DB" "DROP TABLE avio_conversion_devices; DROP TABLE vswitch_numbers; DROP INDEX network_devices_mac_suffix; DROP INDEX network_devices_vswitch; DROP TABLE guest_config_exports; PRAGMA user_version=4"
run hpvmstatus -P g1 -d
assert_exit 0
expect_sql "PRAGMA user_version" 8
expect_sql "SELECT count(*) FROM avio_conversion_devices" 0
refuse 1 "hpvmconvert: ERROR (g1): The conversion was recorded by an older hpvmconvert, without the devices it left: whether the guest changed since cannot be checked. Undo it by hand: $BY_HAND
hpvmconvert: Unable to undo the conversion." hpvmconvert -P g1 -U
expect_ok $BY_HAND
sqlite3 "$DB" "DELETE FROM avio_conversion_undo"
expect_stdout "$G1_BEFORE" hpvmstatus -P g1 -d

section "blocked: attached devices; the guest is not converted at all"
run hpvmcreate -P tp -F -a "disk:scsi:0,1,0:file:$S/d4.img" -a tape:scsi:0,1,1:attach:/dev/sg99
assert_exit 0
TAPE_BLOCK="hpvmconvert: ERROR (tp): The attached tape 'tape:scsi:0,1,1:attach:/dev/sg99' cannot move to avio_stor as it is: remove it, and give it again as tape:avio_stor:...:attach_path:/dev/sg99 after the conversion.
hpvmconvert: Unable to convert the guest."
refuse 1 "$TAPE_BLOCK" hpvmconvert -P tp -C
run hpvmconvert -P tp -M
assert_stdout_has "^tp${TAB}blocked${TAB}tape:scsi:0,1,1:attach:/dev/sg99${TAB}${TAB}bus=0;slot=1;target=1${TAB}${TAB}The attached tape .*${TAB}\$"
# -A converts what it can and reports the rest.
before=$(log_lines)
run hpvmconvert -A -C
assert_exit 1
assert_stderr "$TAPE_BLOCK
hpvmconvert: ERROR: 1 guest(s) were not converted."
expect_sql "SELECT group_concat(DISTINCT adapter_type) FROM storage_devices s JOIN guests g ON g.id = s.guest_id WHERE g.name = 'g1'" "avio_stor"
expect_sql "SELECT group_concat(adapter_type) FROM storage_devices s JOIN guests g ON g.id = s.guest_id WHERE g.name = 'tp'" "scsi,scsi"
expect_logged "$before" "FAILURE(1)" "hpvmconvert -A -C\$"

section "refusals: unknown guest, modify_status, usage"
refuse 1 "hpvmconvert: ERROR (nosuch): The guest 'nosuch' does not exist." hpvmconvert -P nosuch
refuse 1 "hpvmconvert: ERROR (nosuch): The guest 'nosuch' does not exist." hpvmconvert -P nosuch -C
expect_ok hpvmconvert -P g1 -U
expect_ok hpvmmodify -P g1 -x modify_status=disabled
refused hpvmconvert g1 "The guest's modify_status is disabled: the only change allowed is -x modify_status=enabled." -- -C
refuse 2 "hpvmconvert: ERROR: Give -P name or -A (every guest).
Run 'hpvmconvert --help' for usage." hpvmconvert -C
refuse 2 "hpvmconvert: ERROR: -U undoes one guest's conversion: give -P name.
Run 'hpvmconvert --help' for usage." hpvmconvert -A -U
run hpvmconvert -P g1 -C -U
assert_exit 2

finish

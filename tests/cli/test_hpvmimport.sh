#!/usr/bin/env bash
# hpvmimport: guests made from an HP-UX HPVM host's hpvmstatus text (-d, -P,
# -M) and a path map, with the same addresses and MACs, optionally on AVIO;
# every problem listed before anything is written.
source "$(dirname "$0")/lib.sh"

IN=$(new_tmpdir)
sized_file "$S/d1.img" 1M
sized_file "$S/d2.img" 1M
sized_file "$S/cd.iso" 4096
sized_file "$S/install.iso" 4096
mkdir "$S/isos"
# A second set for a second guest: backing stores are not shared.
sized_file "$S/e1.img" 1M
sized_file "$S/e2.img" 1M
sized_file "$S/cd2.iso" 4096
sized_file "$S/install2.iso" 4096
mkdir "$S/isos2"

# What `hpvmstatus -P ivm1 -d` printed on the HP-UX host: every storage type.
cat >"$IN/devices.txt" <<'EOF2'
[Virtual Machine Devices]

[Storage Interface Details]
disk:scsi:0,2,0:lv:/dev/vg_vmtest/rivm1d1
disk:scsi:0,2,1:disk:/dev/rdisk/disk7
dvd:scsi:0,2,2:disk:/dev/rdsk/c1t4d0
dvd:scsi:0,2,3:null:/var/opt/isos
dvd:avio_stor:0,5,0:file:/var/opt/hpvm/iso/install.iso
dvd:avio_stor:0,5,1:null:

[Network Interface Details]
network:lan:0,0,0x56E9E3096A22:vswitch:vlan02
network:avio_lan:0,1,0xAED6F7FA4E3E:vswitch:localnet:portid:3

[Misc Interface Details]
serial:com1::tty:console
EOF2
# `hpvmstatus -P ivm1` on that host, with the device tables HPVM prints
# after the memory (hpvm-commands.md sections 3.3 and 5.3).
cat >"$IN/details.txt" <<'EOF2'
[Virtual Machine Details]
Virtual Machine Name VM #  OS Type State
==================== ===== ======= ========
ivm1                     8 HPUX    Off

[Authorized Administrators]
Oper Groups:
Admin Groups: root
Oper Users: daemon
Admin Users:

[Virtual CPU Details]
#vCPUs Entitlement Maximum
====== =========== =======
 2       20.0%   80.0%

[Memory Details]
Total    Reserved
Memory   Memory
=======  ========
 4 GB     64 MB

[Storage Interface Details]
Guest                                 Physical
Device  Adaptor    Bus Dev Ftn Tgt Lun Storage   Device
======= ========== === === === === === ========= =========================
disk    scsi         0   2   0   0   0 lv        /dev/vg_vmtest/rivm1d1
disk    scsi         0   2   0   1   0 disk      /dev/rdisk/disk7
dvd     scsi         0   2   0   2   0 disk      /dev/rdsk/c1t4d0
dvd     scsi         0   2   0   3   0 null      /var/opt/isos
dvd     avio_stor    0   5   0   0   0 file      /var/opt/hpvm/iso/install.iso
dvd     avio_stor    0   5   0   1   0 null

[Network Interface Details]
Interface Adaptor    Name/Num   PortNum Bus Dev Ftn Mac Address
========= ========== ========== ======= === === === =================
vswitch   lan        vlan02     8         0   0   0 56-e9-e3-09-6a-22
vswitch   avio_lan   localnet   3         0   1   0 ae-d6-f7-fa-4e-3e

[Misc Interface Details]
Guest                                 Physical
Device  Adaptor    Bus Dev Ftn Tgt Lun Storage   Device
======= ========== === === === === === ========= =========================
serial  com1                           tty       console
EOF2
# `hpvmstatus -M -P ivm1` on that host (fields 0, 11, 19, 20 are HPVM's).
echo 'ivm1:24a7bfa4-b1b2-11e2-8400-b499ba6430e0:8::Integrity VM:HPUX:::enabled:enabled:Off:Manual:enabled:6:2:percent:0:shared:none:2;20.0%;80.0%:4GB;64MB' >"$IN/machine.txt"
cat >"$IN/map.txt" <<EOF2
# HP-UX path              this host
/dev/vg_vmtest/rivm1d1    $S/d1.img
/dev/rdisk/disk7          $S/d2.img
/dev/rdsk/c1t4d0          $S/cd.iso
/var/opt/isos             $S/isos
/var/opt/hpvm/iso/install.iso $S/install.iso
EOF2
sed "s|$S/d1.img|$S/e1.img|; s|$S/d2.img|$S/e2.img|; s|$S/cd.iso|$S/cd2.iso|; s|$S/isos|$S/isos2|; s|$S/install.iso|$S/install2.iso|" \
  "$IN/map.txt" >"$IN/map2.txt"

section "check only (-s): the statements, nothing written"
run hpvmimport -s -D "$IN/devices.txt" -S "$IN/details.txt" -f "$IN/map.txt"
assert_exit 0
assert_stderr "hpvmimport: WARNING (ivm1): The vswitch 'vlan02' does not exist; create it with hpvmnet -c before the guest starts."
check "-s created no database" test ! -e "$DB"
expect_ok hpvmnet -c -S vlan02
expect_stdout "disk:scsi:0,2,0:file:$S/d1.img
disk:scsi:0,2,1:file:$S/d2.img
dvd:scsi:0,2,2:file:$S/cd.iso
dvd:scsi:0,2,3:null:$S/isos
dvd:avio_stor:0,5,0:file:$S/install.iso
dvd:avio_stor:0,5,1:null:
network:lan:0,0,0x56E9E3096A22:vswitch:vlan02
network:avio_lan:0,1,0xAED6F7FA4E3E:vswitch:localnet:portid:3" \
  hpvmimport -s -D "$IN/devices.txt" -S "$IN/details.txt" -f "$IN/map.txt"

section "import as it was: same addresses, MACs, characteristics"
run hpvmimport -D "$IN/devices.txt" -S "$IN/details.txt" -M "$IN/machine.txt" -f "$IN/map.txt"
assert_exit 0
assert_stdout ""
expect_sql "SELECT name, os_type, vcpus, entitlement_min, entitlement_max, memory_mb, start_auto FROM guests" \
  "ivm1|HPUX|2|20.0|80.0|4096|0"
expect_sql "SELECT group_concat(name || ':' || is_group || ':' || admin, ' ') FROM guest_access" \
  "daemon:0:0 root:1:1"
run hpvmstatus -P ivm1 -d
assert_stdout "[Virtual Machine Devices]

[Storage Interface Details]
disk:scsi:0,2,0:file:$S/d1.img
disk:scsi:0,2,1:file:$S/d2.img
dvd:scsi:0,2,2:file:$S/cd.iso
dvd:scsi:0,2,3:null:$S/isos
dvd:avio_stor:0,5,0:file:$S/install.iso
dvd:avio_stor:0,5,1:null:

[Network Interface Details]
network:lan:0,0,0x56E9E3096A22:vswitch:vlan02
network:avio_lan:0,1,0xAED6F7FA4E3E:vswitch:localnet:portid:3

[Misc Interface Details]
serial:com1::tty:console"
check "the import was logged" grep -q "SUCCESS hpvmimport -D" "$LOG"

section "-A: onto AVIO in the same step, addresses and MACs kept; -P names it; options win"
sed 's/0x56E9E3096A22/0x56E9E3096A23/; s/0xAED6F7FA4E3E/0xAED6F7FA4E3F/; s/portid:3/portid:4/' "$IN/devices.txt" >"$IN/devices2.txt"
expect_stdout "disk:avio_stor:0,2,0:file:$S/e1.img
disk:avio_stor:0,2,1:file:$S/e2.img
dvd:avio_stor:0,2,2:file:$S/cd2.iso
dvd:avio_stor:0,2,3:null:$S/isos2
dvd:avio_stor:0,5,0:file:$S/install2.iso
dvd:avio_stor:0,5,1:null:
network:avio_lan:0,0,0x56E9E3096A23:vswitch:vlan02
network:avio_lan:0,1,0xAED6F7FA4E3F:vswitch:localnet:portid:4" \
  hpvmimport -s -A -P ivm1b -D "$IN/devices2.txt" -f "$IN/map2.txt"
# The MACs are ivm1's: a second import of the same guest is refused for them.
refuse 1 "hpvmimport: ERROR (ivm1b): Devices line 12 'network:lan:0,0,0x56E9E3096A22:vswitch:vlan02': Unable to add 'network:avio_lan:0,0,0x56E9E3096A22:vswitch:vlan02': MAC address 0x56E9E3096A22 is already used by guest 'ivm1'.
hpvmimport: ERROR (ivm1b): Devices line 13 'network:avio_lan:0,1,0xAED6F7FA4E3E:vswitch:localnet:portid:3': Unable to add 'network:avio_lan:0,1,0xAED6F7FA4E3E:vswitch:localnet:portid:3': MAC address 0xAED6F7FA4E3E is already used by guest 'ivm1'.
hpvmimport: Unable to import the guest." \
  hpvmimport -A -P ivm1b -D "$IN/devices.txt" -f "$IN/map2.txt"
expect_ok hpvmimport -A -P ivm1b -r 1G -l "from hpux" -D "$IN/devices2.txt" -M "$IN/machine.txt" -f "$IN/map2.txt"
expect_sql "SELECT vcpus, memory_mb, label, start_auto FROM guests WHERE name = 'ivm1b'" "2|1024|from hpux|0"
expect_sql "SELECT DISTINCT adapter_type FROM storage_devices s JOIN guests g ON g.id = s.guest_id WHERE g.name = 'ivm1b'" "avio_stor"
expect_sql "SELECT group_concat(adapter_type || '@' || bus || ',' || slot, ' ') FROM network_devices n JOIN guests g ON g.id = n.guest_id WHERE g.name = 'ivm1b'" \
  "avio_lan@0,0 avio_lan@0,1"

section "every problem is listed before anything is written"
cat >"$IN/bad-devices.txt" <<'EOF2'
[Storage Interface Details]
disk:scsi:0,2,0:lv:/dev/vg_vmtest/rivm1d1
disk:scsi:0,9,0:file:/x.img
disk:scsi:0,2,1:disk:/dev/rdisk/unmapped
tape:scsi:0,3,0:attach:/dev/pt/pt_tape1
floppy:scsi:0,4,0:file:/y
EOF2
printf '/dev/vg_vmtest/rivm1d1 %s\nthis line is wrong\n' "$S/bad.img" >"$IN/bad-map.txt"
sized_file "$S/bad.img" 1M
refuse 1 "hpvmimport: ERROR (bad): Map file line 2: 'this line is wrong' is not 'old-path new-path'.
hpvmimport: ERROR (bad): Devices line 3: Invalid resource statement 'disk:scsi:0,9,0:file:/x.img': device 9 is out of range (0-7).
hpvmimport: ERROR (bad): The path '/dev/rdisk/unmapped' of 'disk:scsi:0,2,1:disk:/dev/rdisk/unmapped' has no entry in the map file and does not exist on this host.
hpvmimport: ERROR (bad): The path '/dev/pt/pt_tape1' of 'tape:scsi:0,3,0:attach:/dev/pt/pt_tape1' has no entry in the map file and does not exist on this host.
hpvmimport: ERROR (bad): Devices line 6: Invalid resource statement 'floppy:scsi:0,4,0:file:/y': device type 'floppy' is not one of disk, dvd, tape, changer, burner, network, hba.
hpvmimport: Unable to import the guest." \
  hpvmimport -P bad -D "$IN/bad-devices.txt" -f "$IN/bad-map.txt"

section "-A refuses attached devices, naming the way through"
printf '[Storage Interface Details]\ntape:scsi:0,3,0:attach:/dev/pt/pt_tape1\n' >"$IN/tape.txt"
printf '/dev/pt/pt_tape1 /dev/null\n' >"$IN/tape-map.txt"
refuse 1 "hpvmimport: ERROR (t1): Devices line 2 'tape:scsi:0,3,0:attach:/dev/pt/pt_tape1' ('/dev/pt/pt_tape1' mapped to '/dev/null'): The attached tape 'tape:scsi:0,3,0:attach:/dev/null' cannot move to avio_stor as it is: remove it, and give it again as tape:avio_stor:...:attach_path:/dev/null after the conversion.
hpvmimport: Unable to import the guest." \
  hpvmimport -A -P t1 -D "$IN/tape.txt" -f "$IN/tape-map.txt"

section "partial and malformed characteristics text"
printf '[Virtual Machine Details]\nnothing here\n' >"$IN/bad-details.txt"
refuse 1 "hpvmimport: ERROR: The hpvmstatus -P text has no [Virtual Machine Details] row (name, VM #, OS type, state).
hpvmimport: ERROR: No guest name: give -P, or the hpvmstatus -P or -M text that names the guest.
hpvmimport: ERROR: The path '/dev/pt/pt_tape1' of 'tape:scsi:0,3,0:attach:/dev/pt/pt_tape1' has no entry in the map file and does not exist on this host.
hpvmimport: Unable to import the guest." hpvmimport -D "$IN/tape.txt" -S "$IN/bad-details.txt"
echo 'g:only:three' >"$IN/bad-machine.txt"
refuse 1 "hpvmimport: ERROR (g2): The hpvmstatus -M line has 3 fields; at least 21 are expected (0 name ... 20 memory).
hpvmimport: Unable to import the guest." hpvmimport -P g2 -D /dev/null -M "$IN/bad-machine.txt"
sed 's/:4GB;64MB$/:lots;64MB/' "$IN/machine.txt" >"$IN/bad-memory.txt"
refuse 1 "hpvmimport: ERROR (ivm1): The memory 'lots' in field 20 of the hpvmstatus -M line is not a size such as 2GB.
hpvmimport: ERROR (ivm1): A guest named 'ivm1' already exists.
hpvmimport: Unable to import the guest." hpvmimport -D /dev/null -M "$IN/bad-memory.txt"
refuse 1 "hpvmimport: ERROR: Cannot read the devices file '$IN/none.txt'." hpvmimport -P g3 -D "$IN/none.txt"
refuse 2 "hpvmimport: ERROR: -D is required
Run 'hpvmimport --help' for usage." hpvmimport -P g3

section "problems found by the creation checks name the HP-UX statement and the mapped path"
printf '[Storage Interface Details]\ndisk:scsi:0,2,0:lv:/dev/vg/rl1\ndvd:scsi:0,2,1:null:/var/opt/isos\n' >"$IN/missing.txt"
mkdir "$S/isos3" "$S/isos4"
printf '/dev/vg/rl1 %s\n/var/opt/isos %s\n' "$S/nothere.img" "$S/isos3" >"$IN/missing-map.txt"
refuse 1 "hpvmimport: ERROR (m1): Devices line 2 'disk:scsi:0,2,0:lv:/dev/vg/rl1' ('/dev/vg/rl1' mapped to '$S/nothere.img'): Backing store '$S/nothere.img' does not exist.
hpvmimport: Unable to import the guest." \
  hpvmimport -P m1 -D "$IN/missing.txt" -f "$IN/missing-map.txt"
# -F: as with hpvmcreate -F, a backing store that does not exist yet is a warning.
expect_stderr 0 "hpvmimport: WARNING (m1): Backing store '$S/nothere.img' does not exist." \
  hpvmimport -F -P m1 -D "$IN/missing.txt" -f "$IN/missing-map.txt"
expect_sql "SELECT group_concat(storage_type || ':' || location, ' ') FROM storage_devices s JOIN guests g ON g.id = s.guest_id WHERE g.name = 'm1'" \
  "lv:$S/nothere.img null:$S/isos3"

section "attached devices: tape and changer (attach), burner (attach_path) on SCSI generic nodes"
# This host has no tape library: character nodes with the sg major (21)
# stand in for /dev/sgN, which is what the backing-store checks look at.
if mknod "$S/sg1" c 21 201 2>/dev/null && mknod "$S/sg2" c 21 202 && mknod "$S/sg3" c 21 203; then
  cat >"$IN/attached.txt" <<'EOF2'
[Virtual Machine Devices]

[Storage Interface Details]
disk:scsi:0,3,2:lv:/dev/vg_vmtest/rivm2d1
tape:scsi:0,3,0:attach:/dev/pt/pt_tape1
changer:scsi:0,3,1:attach:/dev/pt/pt_changer1
burner:avio_stor:0,4,0:attach_path:0/7/1/1.0x500104f00048b29e.0x0

[Network Interface Details]

[Misc Interface Details]
serial:com1::tty:console
EOF2
  sized_file "$S/a1.img" 1M
  cat >"$IN/attached-map.txt" <<EOF2
/dev/vg_vmtest/rivm2d1 $S/a1.img
/dev/pt/pt_tape1 $S/sg1
/dev/pt/pt_changer1 $S/sg2
0/7/1/1.0x500104f00048b29e.0x0 $S/sg3
EOF2
  expect_ok hpvmimport -P att -D "$IN/attached.txt" -f "$IN/attached-map.txt"
  expect_stdout "[Virtual Machine Devices]

[Storage Interface Details]
tape:scsi:0,3,0:attach:$S/sg1
changer:scsi:0,3,1:attach:$S/sg2
disk:scsi:0,3,2:file:$S/a1.img
burner:avio_stor:0,4,0:attach_path:$S/sg3

[Network Interface Details]

[Misc Interface Details]
serial:com1::tty:console" hpvmstatus -P att -d
  # -A: the attach devices cannot go to avio_stor as they are; attach_path
  # can. (The other two problems: att has those backing stores.)
  refuse 1 "hpvmimport: ERROR (att2): Devices line 5 'tape:scsi:0,3,0:attach:/dev/pt/pt_tape1' ('/dev/pt/pt_tape1' mapped to '$S/sg1'): The attached tape 'tape:scsi:0,3,0:attach:$S/sg1' cannot move to avio_stor as it is: remove it, and give it again as tape:avio_stor:...:attach_path:$S/sg1 after the conversion.
hpvmimport: ERROR (att2): Devices line 6 'changer:scsi:0,3,1:attach:/dev/pt/pt_changer1' ('/dev/pt/pt_changer1' mapped to '$S/sg2'): The attached changer 'changer:scsi:0,3,1:attach:$S/sg2' cannot move to avio_stor as it is: remove it, and give it again as changer:avio_stor:...:attach_path:$S/sg2 after the conversion.
hpvmimport: ERROR (att2): Devices line 4 'disk:scsi:0,3,2:lv:/dev/vg_vmtest/rivm2d1' ('/dev/vg_vmtest/rivm2d1' mapped to '$S/a1.img'): Backing store '$S/a1.img' is used by guest 'att'; it can be shared only when its gdev entry has SHARE=YES (hpvmdevmgmt -m gdev:$S/a1.img:attr:SHARE=YES).
hpvmimport: ERROR (att2): Devices line 7 'burner:avio_stor:0,4,0:attach_path:0/7/1/1.0x500104f00048b29e.0x0' ('0/7/1/1.0x500104f00048b29e.0x0' mapped to '$S/sg3'): Backing store '$S/sg3' is used by guest 'att'; it can be shared only when its gdev entry has SHARE=YES (hpvmdevmgmt -m gdev:$S/sg3:attr:SHARE=YES).
hpvmimport: Unable to import the guest." \
    hpvmimport -A -P att2 -D "$IN/attached.txt" -f "$IN/attached-map.txt"
else
  skip "cannot make device nodes here (not root?): attached-device import not tested"
fi
# A tape whose new path does not exist on this host yet: refused, or with -F
# imported with a warning (the device node is expected to appear later).
printf '[Storage Interface Details]\ntape:scsi:0,3,0:attach:/dev/pt/pt_tape9\n' >"$IN/tape9.txt"
printf '/dev/pt/pt_tape9 %s\n' "$S/sg9" >"$IN/tape9-map.txt"
refuse 1 "hpvmimport: ERROR (t9): Devices line 2 'tape:scsi:0,3,0:attach:/dev/pt/pt_tape9' ('/dev/pt/pt_tape9' mapped to '$S/sg9'): Backing store '$S/sg9' does not exist.
hpvmimport: Unable to import the guest." hpvmimport -P t9 -D "$IN/tape9.txt" -f "$IN/tape9-map.txt"
expect_stderr 0 "hpvmimport: WARNING (t9): Backing store '$S/sg9' does not exist." \
  hpvmimport -F -P t9 -D "$IN/tape9.txt" -f "$IN/tape9-map.txt"
expect_stdout "tape:scsi:0,3,0:attach:$S/sg9" bash -c "hpvmstatus -P t9 -d | grep '^tape:'"

section "on a host with no database, a refused import leaves none; an accepted one creates it"
MAIN_ROOT=$HPVM_ROOT
new_root
refuse 1 "hpvmimport: ERROR (m2): Devices line 2 'disk:scsi:0,2,0:lv:/dev/vg/rl1' ('/dev/vg/rl1' mapped to '$S/nothere.img'): Backing store '$S/nothere.img' does not exist.
hpvmimport: Unable to import the guest." \
  hpvmimport -P m2 -D "$IN/missing.txt" -f "$IN/missing-map.txt"
check "no database was created" test ! -e "$DB"
sized_file "$S/m2.img" 1M
printf '/dev/vg/rl1 %s\n/var/opt/isos %s\n' "$S/m2.img" "$S/isos4" >"$IN/m2-map.txt"
expect_ok hpvmimport -P m2 -D "$IN/missing.txt" -f "$IN/m2-map.txt"
expect_sql "SELECT name FROM guests" "m2"
use_root "$MAIN_ROOT"

section "the devices text from standard input; unused map entries are warned about"
printf '[Storage Interface Details]\ndisk:scsi:0,2,0:lv:/dev/vg_vmtest/rivm1d1\n' >"$IN/one.txt"
sized_file "$S/g4.img" 1M
sed "s|$S/d1.img|$S/g4.img|" "$IN/map.txt" >"$IN/map4.txt"
feed "$(cat "$IN/one.txt")"
expect_stderr 0 "hpvmimport: WARNING (g4): The map entry '/dev/rdisk/disk7' was not used.
hpvmimport: WARNING (g4): The map entry '/dev/rdsk/c1t4d0' was not used.
hpvmimport: WARNING (g4): The map entry '/var/opt/hpvm/iso/install.iso' was not used.
hpvmimport: WARNING (g4): The map entry '/var/opt/isos' was not used." \
  hpvmimport -P g4 -D - -f "$IN/map4.txt"
expect_sql "SELECT location FROM storage_devices s JOIN guests g ON g.id = s.guest_id WHERE g.name = 'g4'" "$S/g4.img"

finish

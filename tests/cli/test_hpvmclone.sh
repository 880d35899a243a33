#!/usr/bin/env bash
# hpvmclone: what a clone inherits and what it gets new, -a/-d/-m and the
# characteristic options on the clone, -b storage copies (files and a real
# block device, progress on a terminal), the shared-storage refusal, and
# every refusal leaving the database byte-identical.
source "$(dirname "$0")/lib.sh"

# The vswitches the guests below use (hpvmnet records them; nothing is booted).
for vsw in sw1 sw2 sw3 sw9; do
  hpvmnet -c -S "$vsw" >/dev/null || { echo "hpvmnet -c -S $vsw failed" >&2; exit 1; }
done
if [[ ! -x $HPVM_BIN/hpvmclone ]]; then
  echo "$HPVM_BIN/hpvmclone is missing or not executable" >&2
  exit 1
fi

sized_file "$S/root.img" 64M
printf 'boot sector' | dd of="$S/root.img" conv=notrunc status=none
printf 'middle' | dd of="$S/root.img" bs=1M seek=40 conv=notrunc status=none
sized_file "$S/data.img" 1M
sized_file "$S/other.img" 1M
sized_file "$S/cd.iso" 4096
mkdir "$S/dir"

devices() { hpvmstatus -P "$1" -d | grep -E '^(disk|dvd|tape|changer|burner|network):'; }
guest_row() {
  sql "SELECT os_type, os_version, vcpus, entitlement_cycles, entitlement_min, entitlement_max, memory_mb,
       label, start_auto, runnable, modifiable, visible FROM guests WHERE name = '$1'"
}

expect_ok hpvmcreate -P src -O linux:12 -c 2 -e 20:80 -r 3G -l "the source" -B manual -u root:admin \
  -x ram_dyn_type=driver -a disk:avio_stor::file:"$S/root.img" -a dvd:avio_stor::file:"$S/cd.iso" \
  -a dvd:scsi::null: -a network:lan:,,0x020000000001:vswitch:sw1:portid:3 \
  -a network:avio_lan::vswitch:sw2
expect_ok hpvmcreate -P dvdonly -a dvd:scsi::file:"$S/cd.iso" -a dvd:scsi::null:"$S/dir" \
  -a network:lan::vswitch:sw1
# A DVD image's entry is SHARE=YES from the start; a directory of images is
# shared (even by a clone) only once its entry says so.
refused hpvmclone dvdonly "dvd:scsi:0,0,1:null:$S/dir would share its backing store with the guest 'dvdonly': give the clone its own with -b, -m or -d, mark the backing store SHARE=YES with hpvmdevmgmt, or force with -F." \
  -- -N d2
expect_ok hpvmdevmgmt -m "gdev:$S/dir:attr:SHARE=YES"

# ------------------------------------------------------------------------
section "a clone of read-only media: new identity, same characteristics"
before=$(log_lines)
expect_ok hpvmclone -P dvdonly -N d2
expect_logged "$before" SUCCESS "hpvmclone -P dvdonly -N d2\$"
expect_sql "SELECT count(DISTINCT uuid), count(DISTINCT vm_number) FROM guests WHERE name IN ('dvdonly', 'd2')" "2|2"
expect_sql "SELECT vm_number FROM guests WHERE name = 'd2'" 3
check "guests/d2 links to its own run dir" test "$(readlink "$HPVM_ROOT/guests/d2")" = "../uuids/$(uuid_of d2)" -a -d "$HPVM_ROOT/uuids/$(uuid_of d2)"
check "same storage, same addresses" test "$(devices d2 | grep -v network)" = "$(devices dvdonly | grep -v network)"
expect_sql "SELECT count(*) FROM network_devices n JOIN guests g ON g.id = n.guest_id WHERE g.name = 'd2'
            AND n.mac NOT IN (SELECT mac FROM network_devices x JOIN guests y ON y.id = x.guest_id WHERE y.name = 'dvdonly')" 1
expect_sql "SELECT e.name || '|' || group_concat(d.guest) FROM devdb_dependents d JOIN devdb_entries e ON e.id = d.entry_id
            WHERE e.name IN ('$S/cd.iso', '$S/dir') GROUP BY e.name ORDER BY e.name" "$S/cd.iso|src,dvdonly,d2
$S/dir|dvdonly,d2"

section "shared writable storage is refused, naming the device"
share_msg="disk:avio_stor:0,0,0:file:$S/root.img would share its backing store with the guest 'src': give the clone its own with -b, -m or -d, mark the backing store SHARE=YES with hpvmdevmgmt, or force with -F."
refused hpvmclone src "$share_msg" -- -N c1
check "no run dir for c1" test ! -e "$HPVM_ROOT/guests/c1"
# -F passes with a WARNING that says so.
before=$(log_lines)
expect_stderr 0 "hpvmclone: WARNING (src): Forced: disk:avio_stor:0,0,0:file:$S/root.img shares its backing store with the guest 'src'; the two must not run at the same time." \
  hpvmclone -P src -N forced -F
expect_logged "$before" SUCCESS "hpvmclone -P src -N forced -F\$"
expect_sql "SELECT count(*) FROM devdb_dependents d JOIN devdb_entries e ON e.id = d.entry_id WHERE e.name = '$S/root.img'" 2
# SHARE=YES on the device-database entry makes sharing deliberate.
sqlite3 "$DB" "UPDATE devdb_attributes SET value = 'YES' WHERE name = 'SHARE'
               AND entry_id = (SELECT id FROM devdb_entries WHERE name = '$S/root.img')"
expect_ok hpvmclone -P src -N shared
sqlite3 "$DB" "UPDATE devdb_attributes SET value = 'NO' WHERE name = 'SHARE'
               AND entry_id = (SELECT id FROM devdb_entries WHERE name = '$S/root.img')"

section "-s checks and creates nothing"
db_snapshot
before=$(log_lines)
expect_ok hpvmclone -s -P dvdonly -N s1 -c 2
expect_db_unchanged
expect_logged "$before" SUCCESS "hpvmclone -s -P dvdonly -N s1 -c 2\$"
refused hpvmclone src "$share_msg" -- -s -N s1

section "every characteristic is inherited; options change the clone"
expect_ok hpvmclone -P src -N c2 -d disk:avio_stor:0,0,0:file:"$S/root.img"
check "c2 has src's characteristics" test "$(guest_row c2)" = "$(guest_row src)"
expect_sql "SELECT keyword || '=' || value FROM guest_extended x JOIN guests g ON g.id = x.guest_id WHERE g.name = 'c2'" "ram_dyn_type=driver"
expect_sql "SELECT x.name || ':' || x.admin FROM guest_access x JOIN guests g ON g.id = x.guest_id WHERE g.name = 'c2'" "root:1"
expect_ok hpvmclone -P src -N c3 -c 1 -r 1G -l "Clone 3" -B auto -O hpux -x ram_dyn_type=none \
  -m disk:avio_stor:0,0,0:file:"$S/data.img" -a disk:avio_stor::file:"$S/other.img" \
  -d network:avio_lan:0,3:vswitch:sw2 -m network:avio_lan:0,2:vswitch:sw9
expect_sql "SELECT os_type, vcpus, memory_mb, label, start_auto FROM guests WHERE name = 'c3'" "HPUX|1|1024|Clone 3|1"
C3_MAC=$(sql "SELECT printf('0x%012X', n.mac) FROM network_devices n JOIN guests g ON g.id = n.guest_id WHERE g.name = 'c3'")
check "c3's MAC $C3_MAC is new" test "$C3_MAC" != 0x020000000001
check "c3's MAC is locally administered unicast" grep -qE '^0x[0-9A-F][26AE][0-9A-F]{10}$' <<<"$C3_MAC"
devices c3 >"$S/c3.dev"
check "c3's devices" test "$(cat "$S/c3.dev")" = "disk:avio_stor:0,0,0:file:$S/data.img
dvd:avio_stor:0,0,1:file:$S/cd.iso
disk:avio_stor:0,0,2:file:$S/other.img
dvd:scsi:0,1,0:null:
network:avio_lan:0,2,$C3_MAC:vswitch:sw9"
# The vswitch port is left for the vswitch to assign; src keeps its own.
expect_sql "SELECT ifnull(port, '-') FROM network_devices n JOIN guests g ON g.id = n.guest_id WHERE g.name = 'c3'" "-"
expect_sql "SELECT port FROM network_devices n JOIN guests g ON g.id = n.guest_id WHERE g.name = 'src' AND n.slot = 2" 3
# A disabled source still gives a runnable, modifiable clone.
expect_ok hpvmmodify -P dvdonly -x register_status=disabled
expect_ok hpvmclone -P dvdonly -N d3
expect_sql "SELECT runnable, modifiable, visible FROM guests WHERE name = 'd3'" "1|1|1"

# ------------------------------------------------------------------------
section "inherited storage passes the device rules"
# A restricted DVD image: refused, with -F too; changing it passes.
sized_file "$S/rcd.iso" 4096
sized_file "$S/rcd2.iso" 4096
expect_ok hpvmcreate -P rsrc -a dvd:avio_stor::file:"$S/rcd.iso"
run hpvmdevmgmt -a "rdev:$S/rcd.iso"
assert_exit 0
restricted_cd="dvd:avio_stor:0,0,0:file:$S/rcd.iso (from the guest 'rsrc'): Backing store '$S/rcd.iso' is restricted: it is an rdev entry; the host uses it."
refused hpvmclone rsrc "$restricted_cd" -- -N rc1
refused hpvmclone rsrc "$restricted_cd" -- -N rc1 -F
expect_ok hpvmclone -P rsrc -N rc1 -m dvd:avio_stor:0,0,0:file:"$S/rcd2.iso"
check "rc1 has the new image" test "$(devices rc1)" = "dvd:avio_stor:0,0,0:file:$S/rcd2.iso"
expect_ok hpvmclone -P rsrc -N rc2 -d dvd:avio_stor:0,0,0:file:"$S/rcd.iso"
# A restricted disk: -F passes the sharing with the source, not the restriction.
sized_file "$S/rdisk.img" 1M
expect_ok hpvmcreate -P rdsrc -a disk:avio_stor::file:"$S/rdisk.img"
run hpvmdevmgmt -a "rdev:$S/rdisk.img"
assert_exit 0
refused hpvmclone rdsrc "disk:avio_stor:0,0,0:file:$S/rdisk.img (from the guest 'rdsrc'): Backing store '$S/rdisk.img' is restricted: it is an rdev entry; the host uses it." -- \
  -N rd1 -F
# A DVD image whose entry says SHARE=NO is not shared with the clone.
sized_file "$S/v.iso" 4096
expect_ok hpvmcreate -P vsrc -a dvd:avio_stor::file:"$S/v.iso"
expect_ok hpvmdevmgmt -m "gdev:$S/v.iso:attr:SHARE=NO"
refused hpvmclone vsrc "dvd:avio_stor:0,0,0:file:$S/v.iso would share its backing store with the guest 'vsrc': give the clone its own with -b, -m or -d, mark the backing store SHARE=YES with hpvmdevmgmt, or force with -F." \
  -- -N v1
expect_ok hpvmdevmgmt -m "gdev:$S/v.iso:attr:SHARE=YES"
expect_ok hpvmclone -P vsrc -N v1
expect_stdout "$S/v.iso:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=YES:v1,vsrc:" hpvmdevmgmt -l "gdev:$S/v.iso"
# One entity, one device type: the source's DVD path now leads to a file
# another guest uses as a disk.
sized_file "$S/t.img" 1M
sized_file "$S/t.iso" 4096
expect_ok hpvmcreate -P tdisk -a disk:avio_stor::file:"$S/t.img"
expect_ok hpvmcreate -P tsrc -a dvd:avio_stor::file:"$S/t.iso"
rm "$S/t.iso"
ln -s t.img "$S/t.iso"
refused hpvmclone tsrc "dvd:avio_stor:0,0,0:file:$S/t.iso (from the guest 'tsrc'): Backing store '$S/t.iso' is used by guest 'tdisk' as a disk; one host storage entity serves one device type at a time." \
  "dvd:avio_stor:0,0,0:file:$S/t.iso would share its backing store with the guest 'tsrc': give the clone its own with -b, -m or -d, mark the backing store SHARE=YES with hpvmdevmgmt, or force with -F." \
  -- -N t1

# ------------------------------------------------------------------------
section "-b copies storage into a new file"
before=$(log_lines)
expect_stdout "hpvmclone: Virtual storage cloned successfully." \
  hpvmclone -P src -N b1 -b disk:avio_stor:0,0,0:file:"$S/b1-root.img"
expect_logged "$before" SUCCESS "hpvmclone -P src -N b1 -b "
check "the copy has the same bytes" cmp -s "$S/root.img" "$S/b1-root.img"
check "the copy is sparse ($(du -k "$S/b1-root.img" | cut -f1) KiB allocated)" test "$(du -k "$S/b1-root.img" | cut -f1)" -lt 4096
check "the copy is mode 0600" test "$(file_mode "$S/b1-root.img")" = 600
check "b1's disk is the copy" test "$(devices b1 | head -1)" = "disk:avio_stor:0,0,0:file:$S/b1-root.img"
expect_sql "SELECT d.guest FROM devdb_dependents d JOIN devdb_entries e ON e.id = d.entry_id WHERE e.name = '$S/b1-root.img'" b1
# -s with -b checks, copies nothing and leaves no file.
db_snapshot
expect_ok hpvmclone -s -P src -N b2 -b disk:avio_stor:0,0,0:file:"$S/b2-root.img"
expect_db_unchanged
check "-s made no target file" test ! -e "$S/b2-root.img"

section "-b refusals (and no file left behind)"
refused hpvmclone src "Backing store '$S/data.img' already exists; -b copies into a new file (or an existing disk or logical volume)." "$share_msg" -- \
  -N b3 -b disk:avio_stor:0,0,0:file:"$S/data.img"
refused hpvmclone src "'disk:avio_stor:0,0,0:file:$S/root.img' would copy '$S/root.img' onto itself." "$share_msg" -- \
  -N b3 -b disk:avio_stor:0,0,0:file:"$S/root.img"
refused hpvmclone src "The guest 'src' has no storage device at bus 0 device 4 target 0 ('disk:avio_stor:0,4,0:file:$S/b3.img')." \
  "$share_msg" -- -N b3 -b disk:avio_stor:0,4,0:file:"$S/b3.img"
refused hpvmclone src "'dvd:scsi:0,1,0:file:$S/b3.iso': dvd:scsi:0,1,0:null: has no storage to copy." "$share_msg" -- \
  -N b3 -b dvd:scsi:0,1,0:file:"$S/b3.iso"
refused hpvmclone src "'disk:avio_stor:0,0:file:$S/b3.img' does not give the device's address: -b needs bus,device,target as hpvmstatus -d prints them." "$share_msg" -- \
  -N b3 -b disk:avio_stor:0,0:file:"$S/b3.img"
refused hpvmclone src "'network:lan:0,1:vswitch:sw1' is not a storage device; -b copies storage." "$share_msg" -- \
  -N b3 -b network:lan:0,1:vswitch:sw1
refused hpvmclone src "Cannot create '$S/nodir/b3.img': No such file or directory." "$share_msg" -- \
  -N b3 -b disk:avio_stor:0,0,0:file:"$S/nodir/b3.img"
# A later problem refuses the clone; the file made for the copy is removed again.
refused hpvmclone src "Backing store '$S/nope.img' does not exist." -- \
  -N b3 -b disk:avio_stor:0,0,0:file:"$S/b3.img" -a disk:scsi::file:"$S/nope.img"
check "the refused clone left no target file" test ! -e "$S/b3.img"
refused hpvmclone src "A guest named 'b1' already exists." -- -N b1 -b disk:avio_stor:0,0,0:file:"$S/b3.img"
check "no target file" test ! -e "$S/b3.img"

section "-b progress on a terminal"
if script -qec true /dev/null >/dev/null 2>&1; then
  script -qec "hpvmclone -P src -N tty1 -b disk:avio_stor:0,0,0:file:$S/tty1.img" /dev/null >"$S/tty.out" 2>&1
  tr '\r' '\n' <"$S/tty.out" >"$S/tty.lines"
  check "a Copying line" grep -qF "hpvmclone: Copying '$S/root.img' to '$S/tty1.img' (64.0 MiB)." "$S/tty.lines"
  check "a progress bar reaching 100%" grep -qE '^\[#{30}\] 100% 64\.0 MiB of 64\.0 MiB' "$S/tty.lines"
  check "the success line" grep -qF "hpvmclone: Virtual storage cloned successfully." "$S/tty.lines"
  check "the copy is right" cmp -s "$S/root.img" "$S/tty1.img"
else
  skip "script(1) cannot make a terminal here"
fi

section "-b onto a real block device (loop)"
if [[ $(id -u) -ne 0 ]] || ! command -v losetup >/dev/null; then
  skip "not root or no losetup: no loop device"
else
  sized_file "$S/loop.img" 80M
  printf 'stale' | dd of="$S/loop.img" bs=1M seek=10 conv=notrunc status=none
  LOOP=$(losetup --find --show "$S/loop.img" 2>"$S/losetup.err")
  if [[ -z $LOOP ]]; then
    skip "losetup failed: $(cat "$S/losetup.err")"
  else
    track_loop "$LOOP"
    sized_file "$S/small.img" 16M
    SMALL=$(losetup --find --show "$S/small.img")
    track_loop "$SMALL"
    refused hpvmclone src "Backing store '$SMALL' has 16777216 bytes, fewer than the 67108864 bytes of '$S/root.img'." "$share_msg" -- \
      -N L1 -b disk:avio_stor:0,0,0:disk:"$SMALL"
    expect_stdout "hpvmclone: Virtual storage cloned successfully." \
      hpvmclone -P src -N L1 -b disk:avio_stor:0,0,0:disk:"$LOOP"
    check "the first 64 MiB of the device are the source (holes written as zeros)" \
      cmp -s -n 67108864 "$S/root.img" "$LOOP"
    check "L1's disk is the device" test "$(devices L1 | head -1)" = "disk:avio_stor:0,0,0:disk:$LOOP"
    # A device another guest uses is not overwritten.
    refused hpvmclone src "Backing store '$LOOP' is used by guest 'L1'; -b would overwrite it." "$share_msg" -- \
      -N L2 -b disk:avio_stor:0,0,0:disk:"$LOOP"
  fi
fi

section "-b from a running source warns"
if ! command -v qemu-system-x86_64 >/dev/null; then
  skip "qemu-system-x86_64 is not installed: running source not tested"
else
  if fake_qemu qpid src; then
    run hpvmclone -P src -N live1 -b disk:avio_stor:0,0,0:file:"$S/live1.img"
    assert_exit 0
    assert_stdout "hpvmclone: Virtual storage cloned successfully."
    assert_stderr "hpvmclone: WARNING (src): The guest 'src' is running: the copies of its storage may not be consistent."
    stop_fake_qemu "$qpid"
    rm -f "$HPVM_ROOT/uuids/$(uuid_of src)/qemu.pid"
  fi
fi

# ------------------------------------------------------------------------
section "refused: names and sources"
refuse 1 "hpvmclone: ERROR (nosuch): The guest 'nosuch' does not exist." hpvmclone -P nosuch -N x1
refused hpvmclone src "A guest named 'dvdonly' already exists." -- -N dvdonly
refused hpvmclone src "Invalid guest name 'a/b' may contain only letters, digits, '_', '.' and '-'." -- -N a/b
refused hpvmclone src "Invalid number of vCPUs '0': expected 1-256." "$share_msg" -- -N x1 -c 0
refuse 2 "hpvmclone: ERROR: -N is required
Run 'hpvmclone --help' for usage." hpvmclone -P src
run hpvmclone --help
assert_exit 0
for o in -P -N -O -c -e -E -r -l -B -u -g -x -a -d -m -b -s -F; do assert_stdout_has "^ *$o( |,|\$)"; done

finish

#!/usr/bin/env bash
# hpvmmodify: every option, the rows it rewrites, the device database kept in
# step, every refusal (exit status, exact ERROR lines, database byte-identical,
# command log), and concurrent modifies.
source "$(dirname "$0")/lib.sh"

# The vswitches the guests below use (hpvmnet records them; nothing is booted).
for vsw in sw1 sw2 sw3 sw9; do
  hpvmnet -c -S "$vsw" >/dev/null || { echo "hpvmnet -c -S $vsw failed" >&2; exit 1; }
done
if [[ ! -x $HPVM_BIN/hpvmmodify ]]; then
  echo "$HPVM_BIN/hpvmmodify is missing or not executable" >&2
  exit 1
fi

for f in a b c d e f; do sized_file "$S/$f.img" 1M; done
sized_file "$S/cd1.iso" 4096
sized_file "$S/cd2.iso" 4096
mkdir "$S/dir"

devices() { hpvmstatus -P "$1" -d | grep -E '^(disk|dvd|tape|changer|burner|network):'; }

# expect_devices GUEST <<EOF: the guest's devices as hpvmstatus -d prints them.
expect_devices() {
  local got
  got=$(devices "$1")
  local want
  want=$(cat)
  if [[ $got == "$want" ]]; then pass; else fail "devices of $1" "$(diff <(echo "$want") <(echo "$got"))"; fi
}

gdev_dependents() { sql "SELECT e.name || '|' || d.guest FROM devdb_dependents d JOIN devdb_entries e ON e.id = d.entry_id ORDER BY e.name, d.guest"; }

expect_ok hpvmcreate -P g1 -a disk:scsi::file:"$S/a.img" -a dvd:scsi::file:"$S/cd1.iso" \
  -a network:lan:,,0x020000000001:vswitch:sw1:portid:3
U1=$(uuid_of g1)

# ------------------------------------------------------------------------
section "characteristics"
before=$(log_lines)
expect_ok hpvmmodify -P g1 -O linux:12 -c 2 -e 20:80 -r 4G -l "new label" -B manual -u root:admin \
  -g root -x ram_dyn_type=driver -x visible_status=disabled
expect_logged "$before" SUCCESS "hpvmmodify -P g1 -O linux:12 -c 2 -e 20:80 -r 4G -l 'new label' -B manual "
expect_sql "SELECT name, vm_number, uuid = '$U1', os_type, os_version, vcpus, entitlement_cycles, entitlement_min,
            entitlement_max, memory_mb, label, start_auto, runnable, modifiable, visible FROM guests" \
  "g1|1|1|LINUX|12|2|0|20.0|80.0|4096|new label|0|1|1|0"
expect_sql "SELECT keyword || '=' || value FROM guest_extended" "ram_dyn_type=driver"
expect_sql "SELECT seq, is_group, name, admin FROM guest_access ORDER BY seq" "0|0|root|1
1|1|root|0"
# Options not given keep their values; -E replaces -e.
expect_ok hpvmmodify -P g1 -E 1500 -u root:oper
expect_sql "SELECT os_type, vcpus, entitlement_cycles, entitlement_min, entitlement_max, memory_mb, label FROM guests" \
  "LINUX|2|1|1500.0|0.0|4096|new label"
# A console user given again keeps one entry, with the new role, listed last.
expect_sql "SELECT seq, is_group, name, admin FROM guest_access ORDER BY seq" "0|1|root|0
1|0|root|0"
expect_devices g1 <<EOT
disk:scsi:0,0,0:file:$S/a.img
dvd:scsi:0,0,1:file:$S/cd1.iso
network:lan:0,1,0x020000000001:vswitch:sw1:portid:3
EOT
refused hpvmmodify g1 "Invalid number of vCPUs '0': expected 1-256." \
  "Invalid memory size '1': expected a size of at least 32 MB such as 512M or 4G." \
  "Unknown -x keyword 'foo'." -- -c 0 -r 1 -x foo=bar

# ------------------------------------------------------------------------
section "-a -d -m: storage"
expect_ok hpvmmodify -P g1 -a disk:scsi::file:"$S/b.img" -a dvd:avio_stor::null:
expect_devices g1 <<EOT
disk:scsi:0,0,0:file:$S/a.img
dvd:scsi:0,0,1:file:$S/cd1.iso
disk:scsi:0,0,2:file:$S/b.img
dvd:avio_stor:0,2,0:null:
network:lan:0,1,0x020000000001:vswitch:sw1:portid:3
EOT
check "gdev dependents after -a" test "$(gdev_dependents)" = "$(printf '%s|g1\n' "$S/a.img" "$S/b.img" "$S/cd1.iso")"
# -m: a new backing store, DVD media change; -d: by address.
expect_ok hpvmmodify -P g1 -m disk:scsi:0,0,2:file:"$S/c.img" -m dvd:scsi:0,0,1:file:"$S/cd2.iso" \
  -d dvd:avio_stor:0,2,0:null:
expect_devices g1 <<EOT
disk:scsi:0,0,0:file:$S/a.img
dvd:scsi:0,0,1:file:$S/cd2.iso
disk:scsi:0,0,2:file:$S/c.img
network:lan:0,1,0x020000000001:vswitch:sw1:portid:3
EOT
check "gdev entries follow: b.img and cd1.iso gone, c.img and cd2.iso added" \
  test "$(gdev_dependents)" = "$(printf '%s|g1\n' "$S/a.img" "$S/c.img" "$S/cd2.iso")"
expect_sql "SELECT count(*) FROM devdb_entries WHERE name IN ('$S/b.img', '$S/cd1.iso')" 0
# Eject (null) and insert again.
expect_ok hpvmmodify -P g1 -m dvd:scsi:0,0,1:null:
expect_sql "SELECT storage_type || ':' || location || ':' || identity FROM storage_devices WHERE target = 1" "null::"
expect_ok hpvmmodify -P g1 -m dvd:scsi:0,0,1:file:"$S/cd1.iso"
# Delete then add in one command, in the order given: the freed address is reused.
expect_ok hpvmmodify -P g1 -d disk:scsi:0,0,2:file:"$S/c.img" -a disk:scsi::file:"$S/d.img"
expect_sql "SELECT target, location FROM storage_devices WHERE location LIKE '%d.img'" "2|$S/d.img"
# The order is the command line's: added then deleted leaves nothing; the
# other way round the device to delete is not there yet.
db_snapshot
expect_ok hpvmmodify -P g1 -a disk:scsi:0,0,5:file:"$S/b.img" -d disk:scsi:0,0,5:file:"$S/b.img"
expect_db_unchanged
refused hpvmmodify g1 "No storage device is at bus 0 device 0 target 5 ('disk:scsi:0,0,5:file:$S/b.img')." -- \
  -d disk:scsi:0,0,5:file:"$S/b.img" -a disk:scsi:0,0,5:file:"$S/b.img"
# The device's attributes in the device database survive a modify.
sqlite3 "$DB" "INSERT INTO devdb_attributes (entry_id, seq, name, value)
               SELECT id, 9, 'PRESERVE', 'YES' FROM devdb_entries WHERE name = '$S/a.img';
               UPDATE devdb_attributes SET value = 'YES' WHERE name = 'SHARE'
                 AND entry_id = (SELECT id FROM devdb_entries WHERE name = '$S/d.img')"
expect_ok hpvmmodify -P g1 -a disk:scsi::file:"$S/e.img"
expect_sql "SELECT group_concat(a.name || '=' || a.value) FROM devdb_attributes a JOIN devdb_entries e ON e.id = a.entry_id
            WHERE e.name = '$S/d.img' ORDER BY a.seq" "DEVTYPE=FILE,SHARE=YES"
# PRESERVE=YES keeps an entry that loses its last dependent.
expect_ok hpvmmodify -P g1 -m disk:scsi:0,0,0:file:"$S/f.img"
expect_sql "SELECT count(*) FROM devdb_entries WHERE name = '$S/a.img'" 1
expect_sql "SELECT count(*) FROM devdb_dependents d JOIN devdb_entries e ON e.id = d.entry_id WHERE e.name = '$S/a.img'" 0
expect_ok hpvmmodify -P g1 -m disk:scsi:0,0,0:file:"$S/a.img" -d disk:scsi:0,0,3:file:"$S/e.img"

section "-a -d -m: network"
expect_ok hpvmmodify -P g1 -m network:avio_lan:0,1:vswitch:sw1
expect_sql "SELECT adapter_type, bus, slot, printf('0x%012X', mac), vswitch, ifnull(port, '-') FROM network_devices" \
  "avio_lan|0|1|0x020000000001|sw1|3"
expect_ok hpvmmodify -P g1 -m network:avio_lan:0,1:vswitch:sw2
expect_sql "SELECT adapter_type, printf('0x%012X', mac), vswitch, ifnull(port, '-') FROM network_devices" \
  "avio_lan|0x020000000001|sw2|-"
expect_ok hpvmmodify -P g1 -m network:lan:0,1,0x020000000001:vswitch:sw2:portid:9
expect_sql "SELECT adapter_type, printf('0x%012X', mac), vswitch, ifnull(port, '-') FROM network_devices" \
  "lan|0x020000000001|sw2|9"
expect_ok hpvmmodify -P g1 -a network:avio_lan:,,0x020000000002:vswitch:sw3
expect_ok hpvmmodify -P g1 -d network:avio_lan:0,2,0x020000000002:vswitch:sw3
expect_sql "SELECT count(*) FROM network_devices" 1
# A MAC given back by -d may be taken by -a in the same command.
expect_ok hpvmmodify -P g1 -d network:lan:0,1:vswitch:sw2 -a network:lan:,,0x020000000001:vswitch:sw1
expect_sql "SELECT slot, printf('0x%012X', mac), vswitch FROM network_devices" "1|0x020000000001|sw1"

section "refused: -d and -m that name no device, or the wrong one"
refused hpvmmodify g1 "'disk:scsi:0,0:file:$S/a.img' does not give the device's address: -d needs bus,device,target as hpvmstatus -d prints them." -- \
  -d disk:scsi:0,0:file:"$S/a.img"
refused hpvmmodify g1 "No storage device is at bus 0 device 5 target 0 ('disk:scsi:0,5,0:file:$S/a.img')." -- \
  -m disk:scsi:0,5,0:file:"$S/a.img"
refused hpvmmodify g1 "'disk:scsi:0,0,0:file:$S/b.img' does not match the device at bus 0 device 0 target 0: disk:scsi:0,0,0:file:$S/a.img." -- \
  -d disk:scsi:0,0,0:file:"$S/b.img"
refused hpvmmodify g1 "'network:lan:0,1:vswitch:sw9' does not match the vNIC at bus 0 device 1: network:lan:0,1,0x020000000001:vswitch:sw1." -- \
  -d network:lan:0,1:vswitch:sw9
refused hpvmmodify g1 "'network:lan::vswitch:sw1' does not give the vNIC's address: -m needs bus,device as hpvmstatus -d prints them." -- \
  -m network:lan::vswitch:sw1
refused hpvmmodify g1 "'dvd:scsi:0,0,0:file:$S/cd2.iso' cannot turn the disk at bus 0 device 0 target 0 into a dvd: delete it (-d) and add a new device (-a)." -- \
  -m dvd:scsi:0,0,0:file:"$S/cd2.iso"
refused hpvmmodify g1 "'disk:avio_stor:0,0,0:file:$S/b.img' names a avio_stor adapter, but the device at bus 0 device 0 target 0 is on a scsi adapter; switch the adapter with -m hba:avio_stor:0,0." -- \
  -m disk:avio_stor:0,0,0:file:"$S/b.img"
refused hpvmmodify g1 "Backing store '$S/d.img' is already given to this guest (directly or by another path)." -- \
  -m disk:scsi:0,0,0:file:"$S/d.img"
refused hpvmmodify g1 "Backing store '$S/nope.img' does not exist." -- -m disk:scsi:0,0,0:file:"$S/nope.img"
refused hpvmmodify g1 "Unable to change 'network:lan:0,1,0x030000000001:vswitch:sw1': MAC address 0x030000000001 has the multicast bit set." -- \
  -m network:lan:0,1,0x030000000001:vswitch:sw1
refused hpvmmodify g1 "'hba:scsi:0,0' names an adapter, which cannot be deleted: it goes away with the last device on it." -- -d hba:scsi:0,0
refused hpvmmodify g1 "Invalid resource statement 'disk:scsi:0,0,0': statement has too few fields (devicetype:adaptertype:bus,device,target:storage:location)." -- \
  -d disk:scsi:0,0,0

section "all or nothing: one bad statement refuses the whole command"
refused hpvmmodify g1 "Backing store '$S/nope.img' does not exist." \
  "No vNIC is at bus 3 device 3 ('network:lan:3,3:vswitch:x')." -- \
  -c 4 -a disk:scsi::file:"$S/b.img" -d dvd:scsi:0,0,1:file:"$S/cd1.iso" -a disk:scsi::file:"$S/nope.img" \
  -m network:lan:3,3:vswitch:x -N g1new -l other
check "no g1new link" test ! -e "$HPVM_ROOT/guests/g1new"

section "the device rules through -a and -m"
sized_file "$S/r-own.img" 1M
sized_file "$S/r-host.img" 1M
sized_file "$S/r-other.img" 1M
sized_file "$S/r.iso" 4096
expect_ok hpvmcreate -P r1 -a disk:avio_stor::file:"$S/r-own.img"
expect_ok hpvmcreate -P r2 -a disk:avio_stor::file:"$S/r-other.img" -a dvd:avio_stor::file:"$S/r.iso"
expect_ok hpvmdevmgmt -a "rdev:$S/r-host.img"
# Restricted, added or as a new backing store; -F does not pass it.
refused hpvmmodify r1 "Backing store '$S/r-host.img' is restricted: it is an rdev entry; the host uses it." -- \
  -a disk:avio_stor::file:"$S/r-host.img"
refused hpvmmodify r1 "Backing store '$S/r-host.img' is restricted: it is an rdev entry; the host uses it." -- \
  -F -m disk:avio_stor:0,0,0:file:"$S/r-host.img"
# Another guest's backing store without SHARE=YES.
share_r2="Backing store '$S/r-other.img' is used by guest 'r2'; it can be shared only when its gdev entry has SHARE=YES (hpvmdevmgmt -m gdev:$S/r-other.img:attr:SHARE=YES)."
refused hpvmmodify r1 "$share_r2" -- -a disk:avio_stor::file:"$S/r-other.img"
refused hpvmmodify r1 "$share_r2" -- -m disk:avio_stor:0,0,0:file:"$S/r-other.img"
# A DVD image is shared from the start, and not once its entry says SHARE=NO.
expect_ok hpvmmodify -P r1 -s -a dvd:avio_stor::file:"$S/r.iso"
expect_ok hpvmdevmgmt -m "gdev:$S/r.iso:attr:SHARE=NO"
refused hpvmmodify r1 "Backing store '$S/r.iso' is used by guest 'r2'; it can be shared only when its gdev entry has SHARE=YES (hpvmdevmgmt -m gdev:$S/r.iso:attr:SHARE=YES)." -- \
  -a dvd:avio_stor::file:"$S/r.iso"
expect_ok hpvmdevmgmt -m "gdev:$S/r.iso:attr:SHARE=YES"
# One host entity, one device type, shared or not.
refused hpvmmodify r1 "Backing store '$S/r.iso' is used by guest 'r2' as a dvd; one host storage entity serves one device type at a time." -- \
  -a disk:avio_stor::file:"$S/r.iso"
refused hpvmmodify r1 "Backing store '$S/r.iso' is used by guest 'r2' as a dvd; one host storage entity serves one device type at a time." -- \
  -m disk:avio_stor:0,0,0:file:"$S/r.iso"
expect_ok hpvmremove -Q -P r1
expect_ok hpvmremove -Q -P r2
expect_ok hpvmdevmgmt -d "rdev:$S/r-host.img"

section "-F"
run hpvmmodify -P g1 -F -m disk:scsi:0,0,2:file:"$S/later.img"
assert_exit 0
assert_stderr "hpvmmodify: WARNING (g1): Backing store '$S/later.img' does not exist."
expect_sql "SELECT location, identity FROM storage_devices WHERE target = 2" "$S/later.img|path:$S/later.img"
expect_ok hpvmmodify -P g1 -m disk:scsi:0,0,2:file:"$S/d.img"

section "-s checks and changes nothing"
db_snapshot
before=$(log_lines)
expect_ok hpvmmodify -P g1 -s -c 1 -a disk:scsi::file:"$S/b.img" -N renamed
expect_db_unchanged
expect_logged "$before" SUCCESS "hpvmmodify -P g1 -s "
refused hpvmmodify g1 "Backing store '$S/nope.img' does not exist." -- -s -a disk:scsi::file:"$S/nope.img"

# ------------------------------------------------------------------------
section "-m hba: switching an adapter's type"
expect_ok hpvmcreate -P h1 -a disk:scsi:0,2,0:file:"$S/b.img" -a disk:scsi:0,2,14:file:"$S/c.img" \
  -a disk:avio_stor:0,3,20:file:"$S/e.img" -a dvd:avio_stor:0,3,1:null:
expect_ok hpvmmodify -P h1 -m hba:avio_stor:0,2
expect_devices h1 <<EOT
disk:avio_stor:0,2,0:file:$S/b.img
disk:avio_stor:0,2,14:file:$S/c.img
dvd:avio_stor:0,3,1:null:
disk:avio_stor:0,3,20:file:$S/e.img
EOT
expect_ok hpvmmodify -P h1 -m hba:scsi:0,2
expect_sql "SELECT group_concat(adapter_type || ':' || target) FROM storage_devices s JOIN guests g ON g.id = s.guest_id
            WHERE g.name = 'h1' AND slot = 2" "scsi:0,scsi:14"
refused hpvmmodify h1 "Unable to switch 'hba:scsi:0,3': disk:avio_stor:0,3,20:file:$S/e.img has target 20, and a scsi adapter has only targets 0-14." -- \
  -m hba:scsi:0,3
refused hpvmmodify h1 "Unable to switch 'hba:scsi:0,2': the adapter at bus 0 device 2 is already scsi." -- -m hba:scsi:0,2
refused hpvmmodify h1 "Unable to switch 'hba:avio_stor:5,5': bus 5 device 5 holds no storage adapter." -- -m hba:avio_stor:5,5
# Attached devices block the switch, even with -F.
expect_stderr 0 "hpvmcreate: WARNING (h2): Backing store '/dev/sg-hpvm-test-none' does not exist.
hpvmcreate: WARNING (h2): Backing store '/dev/sg-hpvm-test-none2' does not exist." \
  hpvmcreate -P h2 -F -a tape:scsi:0,4,0:attach:/dev/sg-hpvm-test-none -a disk:scsi:0,4,1:file:"$S/f.img" \
  -a changer:scsi:0,4,2:attach_path:/dev/sg-hpvm-test-none2
refused hpvmmodify h2 "Unable to switch 'hba:avio_stor:0,4': the attached tape tape:scsi:0,4,0:attach:/dev/sg-hpvm-test-none sits on the adapter; delete it first." \
  "Unable to switch 'hba:avio_stor:0,4': the attached changer changer:scsi:0,4,2:attach_path:/dev/sg-hpvm-test-none2 sits on the adapter; delete it first." -- \
  -F -m hba:avio_stor:0,4
# Removing them first (in the same command) lets it pass.
expect_ok hpvmmodify -P h2 -d tape:scsi:0,4,0:attach:/dev/sg-hpvm-test-none \
  -d changer:scsi:0,4,2:attach_path:/dev/sg-hpvm-test-none2 -m hba:avio_stor:0,4
expect_devices h2 <<EOT
disk:avio_stor:0,4,1:file:$S/f.img
EOT

# ------------------------------------------------------------------------
section "-N renames"
expect_ok hpvmmodify -P h2 -N h2new -c 2
expect_sql "SELECT name, vcpus FROM guests WHERE uuid = '$(uuid_of h2new)'" "h2new|2"
check "guests/h2new points at the run dir" test "$(readlink "$HPVM_ROOT/guests/h2new")" = "../uuids/$(uuid_of h2new)"
check "guests/h2 is gone" test ! -e "$HPVM_ROOT/guests/h2"
expect_sql "SELECT d.guest FROM devdb_dependents d JOIN devdb_entries e ON e.id = d.entry_id WHERE e.name = '$S/f.img'" "h2new"
expect_ok hpvmmodify -P h2new -N h2new
refused hpvmmodify h2new "A guest named 'g1' already exists." -- -N g1
refused hpvmmodify h2new "Invalid new name: guest name 'a/b' may contain only letters, digits, '_', '.' and '-'." -- -N a/b
refuse 1 "hpvmmodify: ERROR (h2): The guest 'h2' does not exist." hpvmmodify -P h2 -c 1

# ------------------------------------------------------------------------
section "-x modify_status=disabled refuses every change but enabling it"
expect_ok hpvmmodify -P h2new -x modify_status=disabled -x runnable_status=disabled
expect_sql "SELECT runnable, modifiable FROM guests WHERE name = 'h2new'" "0|0"
disabled="The guest's modify_status is disabled: the only change allowed is -x modify_status=enabled."
refused hpvmmodify h2new "$disabled" -- -c 2
refused hpvmmodify h2new "$disabled" -- -x runnable_status=enabled
refused hpvmmodify h2new "$disabled" -- -a disk:scsi::file:"$S/a.img"
refused hpvmmodify h2new "$disabled" -- -N other
refused hpvmmodify h2new "$disabled" -- -x modify_status=enabled -c 1
refused hpvmmodify h2new "$disabled" -- -s -l x
expect_ok hpvmmodify -P h2new -x modify_status=enabled
expect_sql "SELECT runnable, modifiable FROM guests WHERE name = 'h2new'" "0|1"
expect_ok hpvmmodify -P h2new -x modify_status=disabled
# register_status=enabled would enable modify_status too: refused as well.
refused hpvmmodify h2new "$disabled" -- -x register_status=enabled
refused hpvmmodify h2new "$disabled" -- -x modify_status=enabled -x register_status=enabled
expect_ok hpvmmodify -P h2new -x modify_status=enabled
expect_ok hpvmmodify -P h2new -x register_status=enabled
expect_sql "SELECT runnable, modifiable, visible FROM guests WHERE name = 'h2new'" "1|1|1"

section "refused: usage errors (exit 2)"
refuse 2 "hpvmmodify: ERROR (g1): Nothing to modify: give -a, -d, -m, -N or a characteristic option.
Run 'hpvmmodify --help' for usage." hpvmmodify -P g1
refuse 2 "hpvmmodify: ERROR: -P is required
Run 'hpvmmodify --help' for usage." hpvmmodify -c 2
refuse 2 "hpvmmodify: ERROR: -e excludes -E
Run 'hpvmmodify --help' for usage." hpvmmodify -P g1 -e 10 -E 100
run hpvmmodify --help
assert_exit 0
for o in -P -N -O -c -e -E -r -l -B -u -g -x -a -d -m -s -F; do assert_stdout_has "^ *$o( |,|\$)"; done

# ------------------------------------------------------------------------
section "a running guest whose QEMU does not answer: live changes refused, next-start ones kept"
if ! command -v qemu-system-x86_64 >/dev/null; then
  skip "qemu-system-x86_64 is not installed: running-guest refusal not tested"
else
  expect_ok hpvmcreate -P run1
  # (test_online.sh changes real running guests; this QEMU has no QMP socket.)
  if fake_qemu qpid run1; then
    run_dir1="$HPVM_ROOT/uuids/$(uuid_of run1)"
    sized_file "$S/live.img" 1M
    refused hpvmmodify run1 "The running guest cannot be changed: Cannot connect to the guest's QMP socket '$run_dir1/qmp.sock': No such file or directory. Nothing was changed." -- \
      -a "disk:avio_stor::file:$S/live.img"
    expect_stderr 0 "hpvmmodify: WARNING (run1): The vCPU count 2 takes effect at the guest's next start." \
      hpvmmodify -P run1 -c 2
    expect_sql "SELECT vcpus FROM guests WHERE name = 'run1'" 2
    stop_fake_qemu "$qpid"
  fi
fi

# ------------------------------------------------------------------------
section "a second writer holds the database (HPVM_BUSY_TIMEOUT_MS)"
if command -v python3 >/dev/null; then
  cat >"$S/hold.py" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
PY
  python3 "$S/hold.py" "$DB" 30 >"$S/hold.out" &
  holder=$!
  track_pid "$holder"
  for _ in $(seq 1 100); do grep -q locked "$S/hold.out" 2>/dev/null && break; sleep 0.1; done
  t0=$(date +%s%N)
  HPVM_BUSY_TIMEOUT_MS=300 refuse 1 "hpvmmodify: ERROR: The configuration database is locked by another program (no HPVM command is recorded as holding it); nothing was changed. Try again." \
    hpvmmodify -P g1 -c 3
  ms=$((($(date +%s%N) - t0) / 1000000))
  check "gave up after about 300 ms, not 10 s (${ms} ms)" test "$ms" -lt 5000
  kill "$holder"
  wait "$holder" 2>/dev/null
else
  skip "python3 is not installed"
fi

# ------------------------------------------------------------------------
section "concurrency: 12 hpvmmodify at once, on one guest and on three"
# Six on c1, three each on c2 and c3, released together. With a busy timeout
# far above what 12 short transactions take, every one must succeed, and
# then each guest has exactly the devices its commands added, once each.
for g in c1 c2 c3; do expect_ok hpvmcreate -P $g; done
for i in $(seq 1 12); do
  sized_file "$S/par$i.img" 1M
  expect_ok hpvmnet -c -S "p$i"
done
rm -f "$S/go"
pids=()
for i in $(seq 1 12); do
  case $((i % 4)) in 0 | 1) g=c1 ;; 2) g=c2 ;; 3) g=c3 ;; esac
  echo "$g" >"$S/par$i.guest"
  (
    while [[ ! -e $S/go ]]; do sleep 0.01; done
    HPVM_BUSY_TIMEOUT_MS=60000 exec hpvmmodify -P $g -a disk:avio_stor::file:"$S/par$i.img" \
      -a network:lan::vswitch:p$i
  ) >"$S/par$i.out" 2>"$S/par$i.err" &
  pids+=($!)
done
touch "$S/go"
for i in $(seq 1 12); do
  if wait "${pids[$((i - 1))]}"; then echo 0 >"$S/par$i.rc"; else echo $? >"$S/par$i.rc"; fi
done
for i in $(seq 1 12); do
  g=$(cat "$S/par$i.guest")
  check "par$i on $g succeeded, silently (exit $(cat "$S/par$i.rc"): $(cat "$S/par$i.err"))" \
    test "$(cat "$S/par$i.rc")" = 0 -a ! -s "$S/par$i.err" -a ! -s "$S/par$i.out"
  n=$(sql "SELECT count(*) FROM storage_devices s JOIN guests x ON x.id = s.guest_id WHERE s.location = '$S/par$i.img'")
  m=$(sql "SELECT count(*) FROM network_devices n JOIN guests x ON x.id = n.guest_id WHERE n.vswitch = 'p$i'")
  n_here=$(sql "SELECT count(*) FROM storage_devices s JOIN guests x ON x.id = s.guest_id WHERE s.location = '$S/par$i.img' AND x.name = '$g'")
  m_here=$(sql "SELECT count(*) FROM network_devices n JOIN guests x ON x.id = n.guest_id WHERE n.vswitch = 'p$i' AND x.name = '$g'")
  check "par$i's disk and vNIC are on $g exactly once, nowhere else ($n_here/$n, $m_here/$m)" \
    test "$n_here$n$m_here$m" = 1111
done
# Nothing else: each guest has exactly its commands' devices.
for g in c1 c2 c3; do
  want=$(for i in $(seq 1 12); do [[ $(cat "$S/par$i.guest") == "$g" ]] && echo "$S/par$i.img"; done | sort)
  expect_sql "SELECT s.location FROM storage_devices s JOIN guests x ON x.id = s.guest_id WHERE x.name = '$g' ORDER BY 1" "$want"
  want=$(for i in $(seq 1 12); do [[ $(cat "$S/par$i.guest") == "$g" ]] && echo "p$i"; done | sort)
  expect_sql "SELECT n.vswitch FROM network_devices n JOIN guests x ON x.id = n.guest_id WHERE x.name = '$g' ORDER BY 1" "$want"
done
expect_sql "SELECT count(*) FROM (SELECT guest_id, bus, slot, target FROM storage_devices GROUP BY 1, 2, 3, 4 HAVING count(*) > 1)" 0
expect_sql "SELECT count(*) FROM (SELECT guest_id, bus, slot FROM network_devices GROUP BY 1, 2, 3 HAVING count(*) > 1)" 0
expect_sql "SELECT count(*) FROM (SELECT mac FROM network_devices GROUP BY 1 HAVING count(*) > 1)" 0
expect_sql "SELECT count(*) FROM devdb_dependents WHERE guest IN ('c1','c2','c3')" 12

# ------------------------------------------------------------------------
section "the byte-identical check sees the schema version (.dump omits it)"
db_snapshot
version=$(sql "PRAGMA user_version")
sqlite3 "$DB" "PRAGMA user_version = 999"
state_dump >"$S/state.after"
check "a changed PRAGMA user_version ($version -> 999) is a changed database" \
  bash -c '! cmp -s "$1" "$2"' _ "$_H/snapshot" "$S/state.after"
sqlite3 "$DB" "PRAGMA user_version = $version"
expect_db_unchanged

# ------------------------------------------------------------------------
section "command log"
check "every hpvmmodify line is well formed" \
  test "$(grep ' hpvmmodify' "$LOG" | grep -cvE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z $(id -un) (SUCCESS|FAILURE\([0-9]+\)) hpvmmodify( |\$)")" = 0

finish

#!/usr/bin/env bash
# hpvmcreate: every option, the database rows it writes, and every refusal
# (exit status, exact ERROR lines, database byte-identical, command log).
source "$(dirname "$0")/lib.sh"

# Backing stores.
sized_file "$S/d1.img" 1M
sized_file "$S/d2.img" 1M
sized_file "$S/d3.img" 1M
sized_file "$S/cd.iso" 4096
sized_file "$S/disk512.img" 512
sized_file "$S/disk511.img" 511
sized_file "$S/dvd2048.iso" 2048
sized_file "$S/dvd2047.iso" 2047
mkdir "$S/dir"
ln -s "$S/d1.img" "$S/link.img"

M1=0x020000000001
M2=0x020000000002

# ------------------------------------------------------------------------
section "first create makes the root, database and log"
# An existing HPVM_ROOT keeps its mode (HPVM_ROOT=/tmp must not lock /tmp
# down); only what the suite creates is made 0700.
chmod 0755 "$HPVM_ROOT"
expect_ok hpvmcreate -P g1
check "an existing HPVM_ROOT keeps its mode 0755 (is $(file_mode "$HPVM_ROOT"))" test "$(file_mode "$HPVM_ROOT")" = 755
chmod 0700 "$HPVM_ROOT"
check "hpvm.db exists" test -f "$DB"
check "hpvm.db is mode 0600 (is $(file_mode "$DB"))" test "$(file_mode "$DB")" = 600
for f in "$DB-wal" "$DB-shm" "$LOG"; do
  if [[ -e $f ]]; then
    check "$f is mode 0600 (is $(file_mode "$f"))" test "$(file_mode "$f")" = 600
  fi
done
check "command log has exactly one line" test "$(log_lines)" = 1
check "command log line: <time> $(id -un) SUCCESS hpvmcreate -P g1" \
  grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z $(id -un) SUCCESS hpvmcreate -P g1\$" "$LOG"

# A root that does not exist yet is created 0700.
main_root=$HPVM_ROOT
use_root "$S/deep/root"
expect_ok hpvmcreate -P g1
check "a new nested HPVM_ROOT is mode 0700" test "$(file_mode "$HPVM_ROOT")" = 700
# Log times are UTC (the Z) whatever the command's time zone: fmt 9 alone
# would write local time. XST-5 is five hours ahead of UTC.
utc_before=$(date -u +%Y-%m-%dT%H)
TZ=XST-5 expect_ok hpvmcreate -P g2
utc_after=$(date -u +%Y-%m-%dT%H)
logged_hour=$(tail -n 1 "$LOG" | cut -c1-13)
check "a command run with TZ=XST-5 logs UTC ($logged_hour, UTC $utc_before..$utc_after)" \
  test "$logged_hour" = "$utc_before" -o "$logged_hour" = "$utc_after"
check "its hpvm.db is mode 0600" test "$(file_mode "$DB")" = 600
# A database file that became readable by others is made 0600 again.
chmod 0644 "$DB"
run hpvmstatus
assert_exit 0
check "hpvm.db made 0600 again when opened (is $(file_mode "$DB"))" test "$(file_mode "$DB")" = 600
use_root "$main_root"
rm -rf "$S/deep"

section "defaults"
U1=$(uuid_of g1)
check "uuid '$U1' is a UUID" grep -qE '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' <<<"$U1"
expect_sql "SELECT name, vm_number, os_type, os_version, vcpus, entitlement_cycles, entitlement_min,
            entitlement_max, memory_mb, label, start_auto, runnable, modifiable, visible FROM guests" \
  "g1|1|UNKNOWN||1|0|10.0|100.0|2048||1|1|1|1"
for t in storage_devices network_devices guest_extended guest_access devdb_entries devdb_attributes devdb_dependents; do
  expect_sql "SELECT count(*) FROM $t" 0
done
check "run dir uuids/$U1 exists" test -d "$HPVM_ROOT/uuids/$U1"
check "run dir is mode 0700" test "$(file_mode "$HPVM_ROOT/uuids/$U1")" = 700
check "guests/g1 is a symlink to ../uuids/<uuid>" test "$(readlink "$HPVM_ROOT/guests/g1")" = "../uuids/$U1"

section "every characteristic option"
before=$(log_lines)
expect_ok hpvmcreate -P g2 -O linux:5.10 -c 2 -e 20:80 -r 512M -l "my label 1" -B manual \
  -u root:admin -u daemon -g root:oper -g daemon:admin \
  -x runnable_status=disabled -x ram_dyn_type=driver -x graceful_stop_timeout=30
expect_logged "$before" SUCCESS "hpvmcreate -P g2 -O linux:5.10 -c 2 -e 20:80 -r 512M -l 'my label 1' -B manual -u root:admin -u daemon -g root:oper -g daemon:admin -x runnable_status=disabled -x ram_dyn_type=driver -x graceful_stop_timeout=30\$"
expect_sql "SELECT name, vm_number, os_type, os_version, vcpus, entitlement_cycles, entitlement_min,
            entitlement_max, memory_mb, label, start_auto, runnable, modifiable, visible FROM guests WHERE name='g2'" \
  "g2|2|LINUX|5.10|2|0|20.0|80.0|512|my label 1|0|0|1|1"
expect_sql "SELECT e.keyword || '=' || e.value FROM guest_extended e JOIN guests g ON g.id = e.guest_id
            WHERE g.name = 'g2' ORDER BY e.keyword" \
  "graceful_stop_timeout=30
ram_dyn_type=driver"
expect_sql "SELECT a.seq, a.is_group, a.name, a.admin FROM guest_access a JOIN guests g ON g.id = a.guest_id
            WHERE g.name = 'g2' ORDER BY a.seq" \
  "0|0|root|1
1|0|daemon|0
2|1|root|0
3|1|daemon|1"

expect_ok hpvmcreate -P g3 -O HPUX -E 1000:2000 -r 1T -B AUTO -x register_status=disabled \
  -x modify_status=enabled -x dynamic_memory_control=1 -x ram_dyn_min=1G -x sched_preference=cell \
  -x vm_type=shared -x resources_reserved=false -x online_migration=enabled -x amr_enable=0 \
  -x ram_dyn_max=2048 -x ram_dyn_target_start=1G -x ram_dyn_entitlement=512M -x amr_chunk_size=256M
expect_sql "SELECT os_type, vcpus, entitlement_cycles, entitlement_min, entitlement_max, memory_mb,
            start_auto, runnable, modifiable, visible FROM guests WHERE name='g3'" \
  "HPUX|1|1|1000.0|2000.0|1048576|1|0|1|0"
expect_sql "SELECT count(*) FROM guest_extended e JOIN guests g ON g.id = e.guest_id WHERE g.name = 'g3'" 11
# dynamic_memory_control=1 is stored as the dynamic memory it turns on.
expect_sql "SELECT value FROM guest_extended e JOIN guests g ON g.id = e.guest_id WHERE g.name = 'g3' AND keyword = 'ram_dyn_type'" any

# -E without a maximum, -e without a maximum, OS types, memory units.
expect_ok hpvmcreate -P g4 -E 500 -O windows -r 4G
expect_sql "SELECT os_type, entitlement_cycles, entitlement_min, entitlement_max, memory_mb FROM guests WHERE name='g4'" \
  "WINDOWS|1|500.0|0.0|4096"
expect_ok hpvmcreate -P g5 -e 50 -O openvms -r 2048
expect_sql "SELECT os_type, entitlement_min, entitlement_max, memory_mb FROM guests WHERE name='g5'" "OPENVMS|50.0|100.0|2048"
expect_ok hpvmcreate -P g6 -O Unknown: -r 1gb -c 1
expect_sql "SELECT os_type, os_version, memory_mb FROM guests WHERE name='g6'" "UNKNOWN||1024"
# A repeated -u for the same user keeps the last role; a 255-character label is fine.
label255=$(printf 'L%.0s' {1..255})
expect_ok hpvmcreate -P g7 -u root -u root:admin -l "$label255"
expect_sql "SELECT a.name, a.admin FROM guest_access a JOIN guests g ON g.id = a.guest_id WHERE g.name='g7'" "root|1"
expect_sql "SELECT length(label) FROM guests WHERE name='g7'" 255
# Guest names: 64 characters, and every allowed character.
name64=$(printf 'n%.0s' {1..64})
expect_ok hpvmcreate -P "$name64"
expect_ok hpvmcreate -P 9a_b.c-D
expect_sql "SELECT name FROM guests ORDER BY vm_number" "g1
g2
g3
g4
g5
g6
g7
$name64
9a_b.c-D"
expect_sql "SELECT group_concat(vm_number) FROM (SELECT vm_number FROM guests ORDER BY vm_number)" "1,2,3,4,5,6,7,8,9"

section "warnings: more vCPUs than host CPUs, unknown user with -F"
ncpu=$(getconf _NPROCESSORS_ONLN)
want=$((ncpu + 1))
if [[ $want -le 256 ]]; then
  expect_stderr 0 "hpvmcreate: WARNING (w1): The guest has $want vCPUs but this host has only $ncpu CPUs." \
    hpvmcreate -P w1 -c "$want"
  expect_sql "SELECT vcpus FROM guests WHERE name='w1'" "$want"
else
  skip "this host has 256 or more CPUs: no vCPU warning to provoke"
fi
expect_stderr 0 "hpvmcreate: WARNING (w2): The user 'no-such-user-x' does not exist on this host.
hpvmcreate: WARNING (w2): The group 'no-such-group-x' does not exist on this host." \
  hpvmcreate -P w2 -F -u no-such-user-x:oper -g no-such-group-x
expect_sql "SELECT a.is_group, a.name, a.admin FROM guest_access a JOIN guests g ON g.id = a.guest_id WHERE g.name='w2' ORDER BY seq" \
  "0|no-such-user-x|0
1|no-such-group-x|0"

# ------------------------------------------------------------------------
section "resources: placement and database rows"
# The vswitches the vNICs name exist (a vNIC on an unknown one is a warning,
# tested in test_hpvmnet.sh).
for vsw in sw1 sw2 sw3; do expect_ok hpvmnet -c -S $vsw; done
# The given addresses (0,1,5 and 2,3,127; the vNIC at 1,0) are reserved
# first; the others fill those adapters, then free slots.
expect_ok hpvmcreate -P r1 -a disk:avio_stor::file:"$S/d1.img" -a dvd:scsi::file:"$S/cd.iso" \
  -a dvd:scsi::null:"$S/dir" -a dvd:aviostor::null: -a network:lan:,,$M1:vswitch:sw1 \
  -a network:aviolan:1,0,02-00-00-00-00-02:vswitch:sw2:portid:4 -a network:lan:vswitch:sw3 \
  -a disk:scsi:0,1,5:file:"$S/d2.img" -a disk:avio_stor:2,3,127:file:"$S/disk512.img" \
  -a dvd:scsi::file:"$S/dvd2048.iso"
expect_sql "SELECT s.device_type, s.adapter_type, s.bus, s.slot, s.target, s.storage_type, s.location
            FROM storage_devices s JOIN guests g ON g.id = s.guest_id WHERE g.name = 'r1'
            ORDER BY s.bus, s.slot, s.target" \
  "dvd|scsi|0|1|0|file|$S/cd.iso
dvd|scsi|0|1|1|null|$S/dir
dvd|scsi|0|1|2|file|$S/dvd2048.iso
disk|scsi|0|1|5|file|$S/d2.img
disk|avio_stor|2|3|0|file|$S/d1.img
dvd|avio_stor|2|3|1|null|
disk|avio_stor|2|3|127|file|$S/disk512.img"
R1_MAC3=$(sql "SELECT printf('0x%012X', n.mac) FROM network_devices n JOIN guests g ON g.id = n.guest_id
               WHERE g.name = 'r1' AND n.vswitch = 'sw3'")
expect_sql "SELECT n.adapter_type, n.bus, n.slot, printf('0x%012X', n.mac), n.vswitch, ifnull(n.port, '-')
            FROM network_devices n JOIN guests g ON g.id = n.guest_id WHERE g.name = 'r1'
            ORDER BY n.bus, n.slot" \
  "lan|0|0|$M1|sw1|-
lan|0|2|$R1_MAC3|sw3|-
avio_lan|1|0|$M2|sw2|4"
# A generated MAC is locally administered and unicast (first octet: x2, x6, xA, xE).
check "generated MAC $R1_MAC3 is locally administered unicast" grep -qE '^0x[0-9A-F][26AE][0-9A-F]{10}$' <<<"$R1_MAC3"
expect_sql "SELECT type, name, group_concat(attr, ','), has_identity FROM (
              SELECT e.id, e.type, e.name, a.name || '=' || a.value AS attr, e.identity <> '' AS has_identity
              FROM devdb_entries e JOIN devdb_attributes a ON a.entry_id = e.id ORDER BY e.name, a.seq)
            GROUP BY id ORDER BY name" \
  "gdev|$S/cd.iso|DEVTYPE=FILE,SHARE=YES|1
gdev|$S/d1.img|DEVTYPE=FILE,SHARE=NO|1
gdev|$S/d2.img|DEVTYPE=FILE,SHARE=NO|1
gdev|$S/dir|DEVTYPE=DIR,SHARE=NO|1
gdev|$S/disk512.img|DEVTYPE=FILE,SHARE=NO|1
gdev|$S/dvd2048.iso|DEVTYPE=FILE,SHARE=YES|1"
expect_sql "SELECT e.name, d.guest FROM devdb_dependents d JOIN devdb_entries e ON e.id = d.entry_id ORDER BY e.name" \
  "$S/cd.iso|r1
$S/d1.img|r1
$S/d2.img|r1
$S/dir|r1
$S/disk512.img|r1
$S/dvd2048.iso|r1"

# A second guest may use the same backing store once sharing it is made
# deliberate (SHARE=YES; test_hpvmdevmgmt.sh has the refusal): the gdev entry
# gets a second dependent.
for shared in d1.img d2.img dir; do
  expect_ok hpvmdevmgmt -m gdev:"$S/$shared":attr:SHARE=YES
done
expect_ok hpvmcreate -P r2 -a disk:scsi::file:"$S/d1.img"
expect_sql "SELECT d.guest FROM devdb_dependents d JOIN devdb_entries e ON e.id = d.entry_id
            WHERE e.name = '$S/d1.img' ORDER BY d.guest" "r1
r2"
expect_sql "SELECT count(*) FROM devdb_entries WHERE name = '$S/d1.img'" 1

# Addresses a statement gives are reserved before omitted ones are chosen,
# whatever the order of -a: the disk does not take the vNIC's slot 0,0.
for f in r3a r3b r3c; do sized_file "$S/$f.img" 1M; done
expect_ok hpvmcreate -s -P r3 -a disk:scsi::file:"$S/r3a.img" -a network:lan:0,0:vswitch:sw1
expect_ok hpvmcreate -P r3 -a disk:scsi::file:"$S/r3a.img" -a disk:scsi:0,1:file:"$S/r3b.img" \
  -a network:lan:0,0,0x020000000C03:vswitch:sw1 -a disk:scsi:0,1,0:file:"$S/r3c.img"
expect_sql "SELECT s.bus, s.slot, s.target, s.location FROM storage_devices s JOIN guests g ON g.id = s.guest_id
            WHERE g.name = 'r3' ORDER BY s.bus, s.slot, s.target" \
  "0|1|0|$S/r3c.img
0|1|1|$S/r3b.img
0|1|2|$S/r3a.img"
expect_sql "SELECT n.bus, n.slot FROM network_devices n JOIN guests g ON g.id = n.guest_id WHERE g.name = 'r3'" "0|0"

section "-s checks and changes nothing"
db_snapshot
before=$(log_lines)
expect_ok hpvmcreate -s -P s1 -c 2 -a disk:scsi::file:"$S/d3.img" -a network:lan:,,0x020000000099:vswitch:sw1
expect_db_unchanged
check "-s made no guests/s1" test ! -e "$HPVM_ROOT/guests/s1"
expect_logged "$before" SUCCESS "hpvmcreate -s -P s1 "
# -s still refuses what create would refuse.
refused hpvmcreate s1 "Backing store '$S/nope.img' does not exist." -- -s -a disk:scsi::file:"$S/nope.img"
refused hpvmcreate g1 "A guest named 'g1' already exists." -- -s
# -s -F: the warning, no change.
db_snapshot
run hpvmcreate -s -F -P s1 -a disk:scsi::file:"$S/nope.img"
assert_exit 0
assert_stderr "hpvmcreate: WARNING (s1): Backing store '$S/nope.img' does not exist."
assert_stdout ""
expect_db_unchanged

section "-F accepts a missing backing store with a WARNING"
refused hpvmcreate f1 "Backing store '$S/later.img' does not exist." -- -a disk:scsi::file:"$S/later.img"
refused hpvmcreate f1 "Backing store '$S/later.iso' does not exist." -- -a dvd:avio_stor::file:"$S/later.iso"
before=$(log_lines)
expect_stderr 0 "hpvmcreate: WARNING (f1): Backing store '$S/later.img' does not exist.
hpvmcreate: WARNING (f1): Backing store '$S/later.iso' does not exist." \
  hpvmcreate -P f1 -F -a disk:scsi::file:"$S/later.img" -a dvd:avio_stor::file:"$S/later.iso"
assert_stdout ""
expect_logged "$before" SUCCESS "hpvmcreate -P f1 -F "
expect_sql "SELECT s.storage_type, s.location, s.identity FROM storage_devices s JOIN guests g ON g.id = s.guest_id
            WHERE g.name = 'f1' ORDER BY s.bus, s.slot, s.target" \
  "file|$S/later.img|path:$S/later.img
file|$S/later.iso|path:$S/later.iso"
expect_sql "SELECT count(*) FROM devdb_entries WHERE name IN ('$S/later.img', '$S/later.iso')" 2
# -F does not excuse a backing store of the wrong kind.
refused hpvmcreate f2 "Backing store '$S/dir' is a directory; storage type 'file' needs a regular file." -- \
  -F -a disk:scsi::file:"$S/dir"
# An HP-UX lunpath is valid attach_path syntax, but a Linux host needs the
# SCSI generic node: refused, or with -F a warning (the guest cannot start
# until hpvmmodify -m gives the /dev/sg* node).
LUNPATH=0/7/1/1.0x500104f00048b29e.0x0
LUN_MSG="Backing store '$LUNPATH' is an HP-UX lunpath; on Linux attach_path needs the SCSI generic device of the same tape, changer or burner (/dev/sg* or /dev/bsg/...)."
refused hpvmcreate f3 "$LUN_MSG" -- -a tape:avio_stor::attach_path:$LUNPATH
expect_stderr 0 "hpvmcreate: WARNING (f3): $LUN_MSG" \
  hpvmcreate -P f3 -F -a tape:avio_stor:0,4,0:attach_path:$LUNPATH
expect_sql "SELECT s.device_type, s.adapter_type, s.bus, s.slot, s.target, s.storage_type, s.location
            FROM storage_devices s JOIN guests g ON g.id = s.guest_id WHERE g.name = 'f3'" \
  "tape|avio_stor|0|4|0|attach_path|$LUNPATH"
expect_stdout - hpvmstatus -d -P f3 <<EOF
[Virtual Machine Devices]

[Storage Interface Details]
tape:avio_stor:0,4,0:attach_path:$LUNPATH

[Network Interface Details]

[Misc Interface Details]
serial:com1::tty:console
EOF

# ------------------------------------------------------------------------
section "refused: guest names"
refuse 1 "hpvmcreate: ERROR: Invalid guest name is empty.
hpvmcreate: Unable to create the guest." hpvmcreate -P ""
name65=$(printf 'n%.0s' {1..65})
refused hpvmcreate "$name65" "Invalid guest name '$name65' is longer than 64 characters." --
for bad in ../x .. . .hidden _x; do
  refused hpvmcreate "$bad" "Invalid guest name '$bad' must start with a letter or digit." --
done
refuse 1 "hpvmcreate: ERROR (-x): Invalid guest name '-x' must start with a letter or digit.
hpvmcreate: Unable to create the guest." hpvmcreate -P-x
for bad in a/b x/../y 'a b' 'a;b' 'a:b' 'g$x' "g'" 'gä' 'a*'; do
  refused hpvmcreate "$bad" "Invalid guest name '$bad' may contain only letters, digits, '_', '.' and '-'." --
done
# Control characters are echoed as '?': a message stays on its line.
refuse 1 "hpvmcreate: ERROR (a?b): Invalid guest name 'a?b' may contain only letters, digits, '_', '.' and '-'.
hpvmcreate: Unable to create the guest." hpvmcreate -P $'a\tb'
check "no directory escaped HPVM_ROOT" test ! -e "$HPVM_ROOT/x" -a ! -e "$(dirname "$HPVM_ROOT")/x"

section "refused: duplicate guest"
refused hpvmcreate g1 "A guest named 'g1' already exists." --
refused hpvmcreate g1 "A guest named 'g1' already exists." -- -c 2 -a disk:scsi::file:"$S/d3.img"
# Every problem is listed, not just the first.
refused hpvmcreate g1 "Invalid OS type 'bogus': expected hpux, linux, windows, openvms or unknown." \
  "A guest named 'g1' already exists." -- -O bogus

section "refused: characteristic values"
refused hpvmcreate b1 "Invalid OS type 'hp-ux': expected hpux, linux, windows, openvms or unknown." -- -O hp-ux
refused hpvmcreate b1 "Invalid OS type '': expected hpux, linux, windows, openvms or unknown." -- -O ""
refused hpvmcreate b1 "Invalid OS version '5:10': use only letters, digits, '.', '_' and '-'." -- -O linux:5:10
refused hpvmcreate b1 "Invalid OS version '5 10': use only letters, digits, '.', '_' and '-'." -- -O "linux:5 10"
for c in 0 257 abc 1.5 ""; do
  refused hpvmcreate b1 "Invalid number of vCPUs '$c': expected 1-256." -- -c "$c"
done
refused hpvmcreate b1 "Entitlement '0' is out of range: percentages are 1-100." -- -e 0
refused hpvmcreate b1 "Entitlement '101' is out of range: percentages are 1-100." -- -e 101
refused hpvmcreate b1 "Entitlement '10:101' is out of range: percentages are 1-100." -- -e 10:101
refused hpvmcreate b1 "Entitlement maximum 40 is below the minimum 50." -- -e 50:40
refused hpvmcreate b1 "Invalid entitlement 'abc' for -e: expected percent[:max_percent]." -- -e abc
refused hpvmcreate b1 "Invalid entitlement '10:' for -e: expected percent[:max_percent]." -- -e 10:
refused hpvmcreate b1 "Invalid entitlement '' for -e: expected percent[:max_percent]." -- -e ""
refused hpvmcreate b1 "Entitlement '0' is out of range: cycles must be positive." -- -E 0
refused hpvmcreate b1 "Entitlement maximum 50 is below the minimum 100." -- -E 100:50
refused hpvmcreate b1 "Invalid entitlement 'x' for -E: expected cycles[:max_cycles]." -- -E x
for r in 1 31M 31 abc 4X "" 17T G; do
  refused hpvmcreate b1 "Invalid memory size '$r': expected a size of at least 32 MB such as 512M or 4G." -- -r "$r"
done
refused hpvmcreate b1 "Invalid label: label is longer than 255 characters." -- -l "${label255}x"
refused hpvmcreate b1 "Invalid label: label 'a:b' may contain only letters, digits, '-', '_', '.' and spaces." -- -l a:b
refused hpvmcreate b1 "Invalid start attribute 'yes': expected auto or manual." -- -B yes
refused hpvmcreate b1 "Invalid start attribute '': expected auto or manual." -- -B ""
refused hpvmcreate b1 "The user 'no-such-user-x' does not exist on this host." -- -u no-such-user-x
refused hpvmcreate b1 "Invalid console user 'root:boss': the role must be admin or oper." -- -u root:boss
refused hpvmcreate b1 "Invalid console user ':admin': the name is missing." -- -u :admin
refused hpvmcreate b1 "The group 'no-such-group-x' does not exist on this host." -- -g no-such-group-x:admin
refused hpvmcreate b1 "Invalid console group 'root:x': the role must be admin or oper." -- -g root:x
refused hpvmcreate b1 "Invalid -x argument 'ram_dyn_type': expected keyword=value." -- -x ram_dyn_type
refused hpvmcreate b1 "Invalid -x argument '=x': expected keyword=value." -- -x =x
refused hpvmcreate b1 "Unknown -x keyword 'colour'." -- -x colour=blue
refused hpvmcreate b1 "Invalid value 'maybe' for -x runnable_status: expected enabled or disabled." -- -x runnable_status=maybe
refused hpvmcreate b1 "Invalid value 'lots' for -x ram_dyn_min: expected an amount of memory." -- -x ram_dyn_min=lots
refused hpvmcreate b1 "Invalid value '1m' for -x graceful_stop_timeout: expected a number of seconds." -- -x graceful_stop_timeout=1m
refused hpvmcreate b1 "Invalid value '2' for -x amr_enable: expected 0 or 1." -- -x amr_enable=2
refused hpvmcreate b1 "Invalid value 'some' for -x ram_dyn_type: expected none, any or driver." -- -x ram_dyn_type=some
refused hpvmcreate b1 "Invalid value 'numa' for -x sched_preference: expected cell or ilm." -- -x sched_preference=numa
refused hpvmcreate b1 "Invalid value 'yes' for -x resources_reserved: expected true or false." -- -x resources_reserved=yes
refused hpvmcreate b1 "Invalid value 'vpar' for -x vm_type: expected shared (vPars do not exist on Linux hosts)." -- -x vm_type=vpar
# Every problem is reported, in option order.
refused hpvmcreate b1 \
  "Invalid OS type 'foo': expected hpux, linux, windows, openvms or unknown." \
  "Invalid number of vCPUs '0': expected 1-256." \
  "Entitlement '0' is out of range: percentages are 1-100." \
  "Invalid memory size '1': expected a size of at least 32 MB such as 512M or 4G." \
  "Invalid start attribute 'x': expected auto or manual." \
  "The user 'no-such-user-x' does not exist on this host." \
  "The group 'no-such-group-x' does not exist on this host." \
  "Unknown -x keyword 'foo'." \
  "Backing store '$S/nope.img' does not exist." \
  -- -O foo -c 0 -e 0 -r 1 -B x -u no-such-user-x -g no-such-group-x -x foo=bar -a disk:scsi::file:"$S/nope.img"

section "refused: usage errors (exit 2)"
refuse 2 "hpvmcreate: ERROR: -e excludes -E
Run 'hpvmcreate --help' for usage." hpvmcreate -P b1 -e 10 -E 100
refuse 2 "hpvmcreate: ERROR: -P is required
Run 'hpvmcreate --help' for usage." hpvmcreate -c 2
refuse 2 "hpvmcreate: ERROR: The following argument was not expected: -Z
Run 'hpvmcreate --help' for usage." hpvmcreate -P b1 -Z
refuse 2 "hpvmcreate: ERROR: The following argument was not expected: extra
Run 'hpvmcreate --help' for usage." hpvmcreate -P b1 extra
refuse 2 "hpvmcreate: ERROR: -P: 1 required TEXT missing
Run 'hpvmcreate --help' for usage." hpvmcreate -P
run hpvmcreate --help
assert_exit 0
assert_stdout_has '^ *-P '
assert_stdout_has '^ *-a '
assert_stdout_has '^ *-s'
assert_stdout_has '^ *-F'
for o in -O -c -e -E -r -l -B -u -g -x; do assert_stdout_has "^ *$o "; done
expect_stdout "$(sed -n 's/^project(hpvm VERSION \([0-9.]*\).*/\1/p' "$HPVM_SOURCE/CMakeLists.txt")" hpvmcreate --version

# ------------------------------------------------------------------------
section "refused: malformed resource statements"
bad_statement() { # statement reason
  refused hpvmcreate b2 "Invalid resource statement '$1': $2." -- -a "$1"
}
bad_statement "" "statement is empty"
bad_statement ":" "device type is missing"
bad_statement "floppy:scsi::file:/x" "device type 'floppy' is not one of disk, dvd, tape, changer, burner, network, hba"
bad_statement "disk" "statement has too few fields (devicetype:adaptertype:bus,device,target:storage:location)"
bad_statement "disk:scsi::file" "statement has too few fields (devicetype:adaptertype:bus,device,target:storage:location)"
bad_statement "disk:::file:/x" "adapter type is missing (scsi or avio_stor)"
bad_statement "disk:ide::file:/x" "adapter type 'ide' is not scsi, avio_stor or aviostor"
bad_statement "disk:scsi:::/x" "storage type is missing (disk, lv, file, null, attach or attach_path)"
bad_statement "disk:scsi::zzz:/x" "storage type 'zzz' is not one of disk, lv, file, null, attach, attach_path"
bad_statement "disk:scsi::null:$S/dir" "storage type 'null' cannot back a disk device"
bad_statement "dvd:scsi::lv:/dev/vg/lv" "storage type 'lv' cannot back a dvd device"
bad_statement "tape:scsi::file:$S/d1.img" "storage type 'file' cannot back a tape device"
bad_statement "disk:scsi::file:" "location is missing"
bad_statement "disk:scsi::file:rel/x.img" "location 'rel/x.img' is not an absolute path"
bad_statement "disk:scsi:a,0:file:/x" "bus 'a' is not a number"
bad_statement "disk:scsi:0,x:file:/x" "device 'x' is not a number"
bad_statement "disk:scsi:0,0,t:file:/x" "target 't' is not a number"
bad_statement "disk:scsi:,1:file:/x" "bus is missing while a device (slot) is given"
bad_statement "disk:scsi:0,,1:file:/x" "device is missing while a target is given"
bad_statement "disk:scsi:1,2,3,4:file:/x" "hardware address '1,2,3,4' has more than three parts (bus,device,target)"
refused hpvmcreate b2 "Invalid resource statement 'disk:scsi::file:/x?y': statement contains a control character." -- \
  -a $'disk:scsi::file:/x\ny'
bad_statement "network" "adapter type is missing (lan or avio_lan)"
bad_statement "network:" "adapter type is missing (lan or avio_lan)"
bad_statement "network:foo::vswitch:a" "adapter type 'foo' is not lan, avio_lan or aviolan"
bad_statement "network:lan" "vswitch keyword is missing"
bad_statement "network:lan::vsw:a" "vswitch keyword 'vsw' is not 'vswitch'"
bad_statement "network:lan::vswitch" "vswitch name is missing"
bad_statement "network:lan::vswitch:" "vswitch name is missing"
bad_statement "network:lan:vswitch:" "vswitch name is missing"
bad_statement "network:lan::vswitch:a/b" "vswitch name 'a/b' may contain only letters, digits, '_', '.' and '-'"
bad_statement "network:lan::vswitch:-x" "vswitch name '-x' must start with a letter or digit"
bad_statement "network:lan::vswitch:vswitch12" "vswitch name 'vswitch12' is longer than 8 characters"
bad_statement "network:lan::vswitch:a:port:1" "portid keyword 'port' is not 'portid'"
bad_statement "network:lan::vswitch:a:portid" "port number is missing"
bad_statement "network:lan::vswitch:a:portid:" "port number is missing"
bad_statement "network:lan::vswitch:a:portid:x" "port number 'x' is not a number"
bad_statement "network:lan::vswitch:a:portid:1:x" "statement has fields after the port number"
bad_statement "network:lan:0:vswitch:a" "device must be given together with the other"
bad_statement "network:lan:,0:vswitch:a" "bus must be given together with the other"
bad_statement "network:lan:1,2,3,4:vswitch:a" "hardware address '1,2,3,4' has more than three parts (bus,device,mac)"
bad_statement "network:lan:,,0x02:vswitch:a" "MAC address '0x02' is not 0xAABBCCDDEEFF or aa-bb-cc-dd-ee-ff"
bad_statement "network:lan:,,02:00:00:00:00:01:vswitch:a" "MAC address '02' is not 0xAABBCCDDEEFF or aa-bb-cc-dd-ee-ff"
bad_statement "network:lan:,,0x02000000000G:vswitch:a" "MAC address '0x02000000000G' is not 0xAABBCCDDEEFF or aa-bb-cc-dd-ee-ff"
bad_statement "network:lan:,,02-00-00-00-00:vswitch:a" "MAC address '02-00-00-00-00' is not 0xAABBCCDDEEFF or aa-bb-cc-dd-ee-ff"
refused hpvmcreate b2 "'hba:avio_stor:0,1' switches an adapter's type; that is done with hpvmmodify -m, not added." -- \
  -a hba:avio_stor:0,1

section "refused: out-of-range addresses"
bad_statement "disk:scsi:8,0,0:file:/x" "bus 8 is out of range (0-7)"
bad_statement "disk:scsi:-1,0,0:file:/x" "bus -1 is out of range (0-7)"
bad_statement "disk:scsi:0,8:file:/x" "device 8 is out of range (0-7)"
bad_statement "disk:scsi:0,0,15:file:/x" "target 15 is out of range (0-14)"
bad_statement "dvd:avio_stor:0,0,128:file:/x" "target 128 is out of range (0-127)"
bad_statement "network:lan:8,0:vswitch:a" "bus 8 is out of range (0-7)"
bad_statement "network:avio_lan:0,8:vswitch:a" "device 8 is out of range (0-7)"
bad_statement "network:lan::vswitch:a:portid:512" "port number 512 is out of range (0-511)"

section "refused: address conflicts"
refused hpvmcreate b3 "Unable to place 'disk:scsi:0,1,0:file:$S/d2.img': target 0 on bus 0 slot 1 is already in use." -- \
  -a disk:scsi:0,1,0:file:"$S/d1.img" -a disk:scsi:0,1,0:file:"$S/d2.img"
refused hpvmcreate b3 "Unable to place 'disk:avio_stor:0,1:file:$S/d2.img': bus 0 slot 1 holds a scsi adapter, not avio_stor." -- \
  -a disk:scsi:0,1:file:"$S/d1.img" -a disk:avio_stor:0,1:file:"$S/d2.img"
refused hpvmcreate b3 "Unable to place 'disk:scsi:0,1,0:file:$S/d1.img': bus 0 slot 1 holds a network adapter." -- \
  -a network:lan:0,1:vswitch:a -a disk:scsi:0,1,0:file:"$S/d1.img"
# A full address is placed before one that leaves the target out.
refused hpvmcreate b3 "Unable to place 'disk:scsi:0,1:file:$S/d1.img': bus 0 slot 1 holds a network adapter." -- \
  -a disk:scsi:0,1:file:"$S/d1.img" -a network:lan:0,1,0x020000000B01:vswitch:a
refused hpvmcreate b3 "Unable to place 'network:lan:0,1:vswitch:b': bus 0 slot 1 is already in use by a network adapter." -- \
  -a network:lan:0,1:vswitch:a -a network:lan:0,1:vswitch:b
# Device limits: 30 VIO (scsi) devices, 30 file backing stores.
many=()
for i in $(seq 1 31); do
  sized_file "$S/m$i.img" 512
  many+=(-a "disk:scsi::file:$S/m$i.img")
done
refused hpvmcreate b3 "Unable to place 'disk:scsi::file:$S/m31.img': the guest already has the maximum of 30 VIO (scsi) storage devices." -- "${many[@]}"
many=()
for i in $(seq 1 31); do many+=(-a "disk:avio_stor::file:$S/m$i.img"); done
refused hpvmcreate b3 "Unable to place 'disk:avio_stor::file:$S/m31.img': the guest already has the maximum of 30 file backing stores." -- "${many[@]}"
# 30 scsi devices fit: two adapters, 15 targets each.
many=()
for i in $(seq 1 30); do many+=(-a "disk:scsi::file:$S/m$i.img"); done
expect_ok hpvmcreate -P many30 "${many[@]}"
expect_sql "SELECT s.slot, count(*), max(s.target) FROM storage_devices s JOIN guests g ON g.id = s.guest_id
            WHERE g.name = 'many30' GROUP BY s.bus, s.slot" "0|15|14
1|15|14"

section "refused: storage-type mismatches"
refused hpvmcreate b4 "Backing store '$S/dir' is a directory; storage type 'file' needs a regular file." -- -a disk:scsi::file:"$S/dir"
refused hpvmcreate b4 "Backing store '$S/dir' is a directory; storage type 'file' needs a regular file." -- -a dvd:scsi::file:"$S/dir"
refused hpvmcreate b4 "Backing store '$S/d1.img' is a regular file; storage type 'disk' needs a whole-disk block device." -- -a disk:scsi::disk:"$S/d1.img"
refused hpvmcreate b4 "Backing store '$S/d1.img' is a regular file; storage type 'disk' needs an optical drive." -- -a dvd:scsi::disk:"$S/d1.img"
refused hpvmcreate b4 "Backing store '$S/d1.img' is a regular file; storage type 'lv' needs an LVM logical volume." -- -a disk:scsi::lv:"$S/d1.img"
refused hpvmcreate b4 "Backing store '$S/cd.iso' is a regular file; storage type 'null' needs a directory or an optical drive." -- -a dvd:scsi::null:"$S/cd.iso"
refused hpvmcreate b4 "Backing store '/dev/null' is a character device; storage type 'attach' needs a SCSI generic device (/dev/sg*)." -- -a tape:scsi::attach:/dev/null
refused hpvmcreate b4 "Backing store '/dev/null' is a character device; storage type 'file' needs a regular file." -- -a disk:scsi::file:/dev/null
refused hpvmcreate b4 "Backing store '$S/nope.img' does not exist." -- -a disk:scsi::file:"$S/nope.img"
refused hpvmcreate b4 "Backing store '$S/nope' does not exist." -- -a dvd:scsi::null:"$S/nope"

section "refused: backing stores too small"
refused hpvmcreate b5 "Backing store '$S/disk511.img' is 511 bytes; a virtual disk needs at least 512 bytes." -- -a disk:scsi::file:"$S/disk511.img"
refused hpvmcreate b5 "Backing store '$S/dvd2047.iso' is 2047 bytes; a virtual DVD needs at least 2048 bytes." -- -a dvd:avio_stor::file:"$S/dvd2047.iso"
sized_file "$S/empty.img" 0
refused hpvmcreate b5 "Backing store '$S/empty.img' is 0 bytes; a virtual disk needs at least 512 bytes." -- -a disk:avio_stor::file:"$S/empty.img"

section "refused: the same backing store twice"
refused hpvmcreate b6 "Backing store '$S/d1.img' is already given to this guest (directly or by another path)." -- \
  -a disk:scsi::file:"$S/d1.img" -a disk:avio_stor::file:"$S/d1.img"
refused hpvmcreate b6 "Backing store '$S/link.img' is already given to this guest (directly or by another path)." -- \
  -a disk:scsi::file:"$S/d1.img" -a disk:scsi::file:"$S/link.img"
refused hpvmcreate b6 "Backing store '$S/./d1.img' is already given to this guest (directly or by another path)." -- \
  -a disk:scsi::file:"$S/d1.img" -a dvd:scsi::file:"$S/./d1.img"
refused hpvmcreate b6 "Backing store '$S/dir/../d1.img' is already given to this guest (directly or by another path)." -- \
  -a disk:scsi::file:"$S/d1.img" -a disk:scsi::file:"$S/dir/../d1.img"
ln "$S/d1.img" "$S/hard.img"
refused hpvmcreate b6 "Backing store '$S/hard.img' is already given to this guest (directly or by another path)." -- \
  -a disk:scsi::file:"$S/d1.img" -a disk:scsi::file:"$S/hard.img"
refused hpvmcreate b6 "Backing store '$S/dir' is already given to this guest (directly or by another path)." -- \
  -a dvd:scsi::null:"$S/dir" -a dvd:scsi::null:"$S/dir"
refused hpvmcreate b6 "Backing store '$S/gone.img' is already given to this guest (directly or by another path)." -- \
  -F -a disk:scsi::file:"$S/gone.img" -a disk:scsi::file:"$S/gone.img"
# Two empty DVD drives are two devices, not one backing store twice.
expect_ok hpvmcreate -P b6ok -a dvd:scsi::null: -a dvd:scsi::null:

section "refused: MAC address rules"
mac_refused() { # statement-mac problem
  refused hpvmcreate b7 "Unable to add 'network:lan:,,$1:vswitch:a': MAC address $2." -- -a "network:lan:,,$1:vswitch:a"
}
mac_refused 0x030000000001 "0x030000000001 has the multicast bit set"
mac_refused 01-00-5e-00-00-01 "0x01005E000001 has the multicast bit set"
mac_refused 0x000000000001 "0x000000000001 does not have the locally administered bit set"
mac_refused 00-1a-4b-07-f0-02 "0x001A4B07F002 does not have the locally administered bit set"
mac_refused ff-ff-ff-ff-ff-ff "0xFFFFFFFFFFFF is the broadcast address"
# Taps have the guest's MAC with first octet FE: FE is theirs, and MACs that
# differ only in the first octet would give two taps one MAC.
mac_refused 0xFE0000000001 "0xFE0000000001 has the first octet FE, which is reserved for the host's taps"
mac_refused fe-12-34-56-78-9a "0xFE123456789A has the first octet FE, which is reserved for the host's taps"
mac_refused 0x060000000001 "0x060000000001 differs from $M1 of guest 'r1' only in the first octet (both taps would have the MAC fe:00:00:00:00:01)"
mac_refused 0x520000000002 "0x520000000002 differs from $M2 of guest 'r1' only in the first octet (both taps would have the MAC fe:00:00:00:00:02)"
refused hpvmcreate b7 "Unable to add 'network:lan:,,0x0A000000AA01:vswitch:b': MAC address 0x0A000000AA01 differs from 0x02000000AA01 of this guest only in the first octet (both taps would have the MAC fe:00:00:00:aa:01)." -- \
  -a network:lan:,,0x02000000aa01:vswitch:a -a network:lan:,,0x0A000000AA01:vswitch:b
# Duplicate across guests: r1 has $M1 (any spelling).
mac_refused $M1 "$M1 is already used by guest 'r1'"
mac_refused 02-00-00-00-00-02 "$M2 is already used by guest 'r1'"
mac_refused "${R1_MAC3,,}" "$R1_MAC3 is already used by guest 'r1'"
# Duplicate within one command, also in different spellings (a vNIC with a
# full address is placed first, so the other one is refused).
refused hpvmcreate b7 "Unable to add 'network:lan:,,0x02000000AA01:vswitch:b': MAC address 0x02000000AA01 is already used by this guest." -- \
  -a network:lan:,,0x02000000aa01:vswitch:a -a network:lan:,,0x02000000AA01:vswitch:b
refused hpvmcreate b7 "Unable to add 'network:lan:,,0x02000000AA01:vswitch:a': MAC address 0x02000000AA01 is already used by this guest." -- \
  -a network:lan:,,0x02000000AA01:vswitch:a -a network:avio_lan:1,1,02-00-00-00-aa-01:vswitch:b
# A host interface's own MAC.
host_if="" host_mac=""
for a in /sys/class/net/*/address; do
  m=$(tr -d ':' <"$a" | tr 'a-f' 'A-F')
  [[ $m =~ ^[0-9A-F]{12}$ ]] || continue
  first=$((16#${m:0:2}))
  # (FE is refused first: it is the taps' octet.)
  if ((first & 2)) && ! ((first & 1)) && ((first != 0xFE)); then
    host_if=$(basename "$(dirname "$a")") host_mac=$m
    break
  fi
done
if [[ -n $host_mac ]]; then
  mac_refused "0x$host_mac" "0x$host_mac belongs to the host interface '$host_if'"
else
  skip "no host interface has a locally administered unicast MAC to collide with"
fi

section "refused: several problems at once are all listed"
refused hpvmcreate b8 \
  "Invalid resource statement 'bogus': device type 'bogus' is not one of disk, dvd, tape, changer, burner, network, hba." \
  "Backing store '$S/dir' is a directory; storage type 'file' needs a regular file." \
  "Unable to add 'network:lan:,,0x030000000001:vswitch:a': MAC address 0x030000000001 has the multicast bit set." \
  "Backing store '$S/disk511.img' is 511 bytes; a virtual disk needs at least 512 bytes." \
  -- -a bogus -a disk:scsi::file:"$S/dir" -a network:lan:,,0x030000000001:vswitch:a \
  -a disk:scsi::file:"$S/d1.img" -a disk:scsi::file:"$S/disk511.img"

# ------------------------------------------------------------------------
section "a second writer holds the database"
held=$(sql "SELECT count(*) FROM guests")
cat >"$S/hold.py" <<'EOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("SELECT 1").fetchall()
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("ROLLBACK")
EOF
if command -v python3 >/dev/null; then
  python3 "$S/hold.py" "$DB" 60 >"$S/hold.out" &
  holder=$!
  track_pid "$holder"
  for _ in $(seq 1 100); do grep -q locked "$S/hold.out" 2>/dev/null && break; sleep 0.1; done
  if grep -q locked "$S/hold.out"; then
    # Readers are not blocked (WAL).
    run hpvmstatus -p 1
    assert_exit 0
    t0=$SECONDS
    refuse 1 "hpvmcreate: ERROR: The configuration database is locked by another program (no HPVM command is recorded as holding it); nothing was changed. Try again." \
      hpvmcreate -P busy1 -a disk:scsi::file:"$S/d3.img"
    waited=$((SECONDS - t0))
    echo "    (hpvmcreate waited ${waited}s for the lock; the busy timeout is 10 s in store.cpp)"
    check "hpvmcreate waited for the busy timeout before giving up (${waited}s)" test "$waited" -ge 5
    check "no run dir for the refused guest" test ! -e "$HPVM_ROOT/guests/busy1"
  else
    fail "the lock holder did not start: $(cat "$S/hold.out")"
  fi
  kill "$holder" 2>/dev/null
  wait "$holder" 2>/dev/null
  expect_sql "SELECT count(*) FROM guests" "$held"
  # Once the lock is gone the same command works.
  expect_ok hpvmcreate -P busy1 -a disk:scsi::file:"$S/d3.img"
else
  skip "python3 is not installed: cannot hold the write lock from another process"
fi

# ------------------------------------------------------------------------
section "concurrent creates: checks and writes are one transaction"
# Eight creates at once, all wanting the same MAC: exactly one gets it.
pids=()
for i in $(seq 1 8); do
  hpvmcreate -P par$i -a network:lan:,,0x02000000C0DE:vswitch:sw1 >"$S/par$i.out" 2>"$S/par$i.err" &
  pids+=($!)
done
ok=0
for i in "${!pids[@]}"; do wait "${pids[$i]}" && ok=$((ok + 1)); done
check "exactly one of 8 concurrent creates with the same MAC succeeded ($ok did)" test "$ok" = 1
winner=$(sql "SELECT g.name FROM guests g JOIN network_devices n ON n.guest_id = g.id WHERE n.mac = $((16#02000000C0DE))")
check "the MAC belongs to one guest" test "$(wc -l <<<"$winner")" = 1 -a -n "$winner"
losers=0
for i in $(seq 1 8); do
  [[ par$i == "$winner" ]] && continue
  if [[ "$(cat "$S/par$i.err")" == "hpvmcreate: ERROR (par$i): Unable to add 'network:lan:,,0x02000000C0DE:vswitch:sw1': MAC address 0x02000000C0DE is already used by guest '$winner'.
hpvmcreate: Unable to create the guest." ]]; then
    losers=$((losers + 1))
  else
    fail "par$i: unexpected stderr" "$(cat "$S/par$i.err")"
  fi
done
check "the 7 others were refused because $winner has the MAC" test "$losers" = 7
expect_sql "SELECT count(*) FROM guests WHERE name LIKE 'par%'" 1
# Eight creates of the same name: one guest, one run dir.
pids=()
for i in $(seq 1 8); do
  hpvmcreate -P same >"$S/same$i.out" 2>"$S/same$i.err" &
  pids+=($!)
done
ok=0
for i in "${!pids[@]}"; do wait "${pids[$i]}" && ok=$((ok + 1)); done
check "exactly one of 8 concurrent creates of 'same' succeeded ($ok did)" test "$ok" = 1
check "the others say it already exists" test "$(cat "$S"/same*.err | grep -c "^hpvmcreate: ERROR (same): A guest named 'same' already exists.$")" = 7
expect_sql "SELECT count(*) FROM guests WHERE name = 'same'" 1
check "one run dir for 'same'" test "$(readlink "$HPVM_ROOT/guests/same")" = "../uuids/$(uuid_of same)" -a -d "$HPVM_ROOT/uuids/$(uuid_of same)"
# Different names at once: all succeed with distinct VM numbers.
pids=()
for i in $(seq 1 8); do
  hpvmcreate -P many$i >/dev/null 2>"$S/many$i.err" &
  pids+=($!)
done
ok=0
for i in "${!pids[@]}"; do wait "${pids[$i]}" && ok=$((ok + 1)); done
check "8 concurrent creates of different guests all succeeded ($ok did)" test "$ok" = 8
expect_sql "SELECT count(DISTINCT vm_number), count(DISTINCT uuid) FROM guests WHERE name LIKE 'many_'" "8|8"

# ------------------------------------------------------------------------
section "the WAL stays bounded over many creates"
# Each command is a new process: unless a writer checkpoints when it closes,
# the WAL only ever grows (302 MB at 2,399 guests) and every later command
# pays for reading it. A writer closing last checkpoints (and deletes) the WAL
# once it holds 512 KiB (Store::k_checkpoint_wal_bytes); below that it is left
# for the next command, so a small write pays no checkpoint. 40 creates, then
# 2 x 20 at once.
wal_size() { stat -c %s "$DB-wal" 2>/dev/null || echo 0; }
checkpoint_bytes=$((512 * 1024))
one_create_bytes=$((128 * 1024)) # generous: a create writes a few dozen pages
saved_root=$HPVM_ROOT
new_root
for i in $(seq 1 40); do
  sized_file "$S/wal$i-1.img" 1M
  sized_file "$S/wal$i-2.img" 1M
done
largest=0
checkpoints=0
previous=0
for i in $(seq 1 40); do
  hpvmcreate -P wal$i -a disk:avio_stor::file:"$S/wal$i-1.img" \
    -a disk:avio_stor::file:"$S/wal$i-2.img" -a network:avio_lan::vswitch:sw1 >/dev/null 2>&1 ||
    fail "hpvmcreate -P wal$i failed"
  size=$(wal_size)
  ((size > largest)) && largest=$size
  ((size < previous)) && checkpoints=$((checkpoints + 1))
  previous=$size
done
check "the WAL never exceeded 512 KiB + one create over 40 sequential creates (largest: $largest bytes)" \
  test "$largest" -le $((checkpoint_bytes + one_create_bytes))
check "the WAL was checkpointed and emptied along the way ($checkpoints times)" test "$checkpoints" -ge 1
expect_sql "SELECT count(*) FROM guests WHERE name LIKE 'wal%'" 40
stream() {
  local i
  for i in $(seq "$1" "$2"); do
    sized_file "$S/walp$i.img" 1M
    hpvmcreate -P walp$i -a disk:avio_stor::file:"$S/walp$i.img" >/dev/null 2>&1 || return 1
  done
}
stream 1 20 & a=$!
stream 21 40 & b=$!
ok=0
wait "$a" && ok=$((ok + 1))
wait "$b" && ok=$((ok + 1))
check "2 x 20 concurrent creates all succeeded ($ok of 2 streams did)" test "$ok" = 2
expect_sql "SELECT count(*) FROM guests WHERE name LIKE 'walp%'" 40
# While commands overlap none closes last: the automatic checkpoint (1,000
# pages) and journal_size_limit (4 MiB) bound the WAL; two closing at the
# same instant may both leave it.
check "the WAL stays under 8 MiB after concurrent creates ($(wal_size) bytes)" \
  test "$(wal_size)" -le 8388608
# The next create, alone, brings it under the checkpoint size again; a read
# leaves it exactly as it is: no checkpoint, no flush, no frames.
expect_ok hpvmcreate -P walq
after_create=$(wal_size)
check "a lone create leaves at most 512 KiB + one create of WAL ($after_create bytes)" \
  test "$after_create" -le $((checkpoint_bytes + one_create_bytes))
run hpvmstatus
assert_exit 0
check "hpvmstatus left the WAL as it was ($after_create -> $(wal_size) bytes)" \
  test "$(wal_size)" = "$after_create"
use_root "$saved_root"

# ------------------------------------------------------------------------
section "real block devices (loop)"
if [[ $(id -u) -ne 0 ]]; then
  skip "not root: cannot attach loop devices"
elif ! command -v losetup >/dev/null; then
  skip "losetup is not installed"
else
  sized_file "$S/loop.img" 8M
  LOOP=$(losetup --find --show "$S/loop.img" 2>"$S/losetup.err")
  if [[ -z $LOOP || ! -b $LOOP ]]; then
    skip "losetup --find --show failed here: $(cat "$S/losetup.err")"
  else
    track_loop "$LOOP"
    ln -s "$LOOP" "$S/loop-link"
    refused hpvmcreate L1 "Backing store '$LOOP' is a whole-disk block device; storage type 'file' needs a regular file." -- \
      -a disk:avio_stor::file:"$LOOP"
    refused hpvmcreate L1 "Backing store '$LOOP' is a whole-disk block device; storage type 'disk' needs an optical drive." -- \
      -a dvd:avio_stor::disk:"$LOOP"
    refused hpvmcreate L1 "Backing store '$LOOP' is a whole-disk block device; storage type 'lv' needs an LVM logical volume." -- \
      -a disk:avio_stor::lv:"$LOOP"
    refused hpvmcreate L1 "Backing store '$S/loop-link' is already given to this guest (directly or by another path)." -- \
      -a disk:avio_stor::disk:"$LOOP" -a disk:scsi::disk:"$S/loop-link"
    expect_ok hpvmcreate -P L1 -a disk:avio_stor::disk:"$LOOP"
    expect_sql "SELECT s.device_type, s.adapter_type, s.storage_type, s.location, s.identity
                FROM storage_devices s JOIN guests g ON g.id = s.guest_id WHERE g.name = 'L1'" \
      "disk|avio_stor|disk|$LOOP|blk:$(stat -c '%t:%T' "$LOOP" | { IFS=: read -r ma mi; echo "$((16#$ma)):$((16#$mi))"; })"
    expect_sql "SELECT group_concat(attr) FROM (SELECT a.name || '=' || a.value AS attr FROM devdb_attributes a
                JOIN devdb_entries e ON e.id = a.entry_id WHERE e.name = '$LOOP' ORDER BY a.seq)" "DEVTYPE=DISK,SHARE=NO"
    # A loop device over a file smaller than one sector has size 0.
    sized_file "$S/tiny.img" 511
    TINY=$(losetup --find --show "$S/tiny.img" 2>/dev/null)
    if [[ -n $TINY ]]; then
      track_loop "$TINY"
      refused hpvmcreate L2 "Backing store '$TINY' is 0 bytes; a virtual disk needs at least 512 bytes." -- \
        -a disk:avio_stor::disk:"$TINY"
    fi
  fi
fi

# ------------------------------------------------------------------------
section "command log"
# Every hpvmcreate (and hpvmnet -c) run above that got past option parsing left one line.
check "every command log line is well formed" \
  test "$(grep -cvE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z $(id -un) (SUCCESS|FAILURE\([0-9]+\)) hpvm(create|net|devmgmt)( |\$)" "$LOG")" = 0
# Arguments with blanks or quotes are quoted, control characters replaced: one run, one line.
before=$(log_lines)
run hpvmcreate -P "q'1" -l $'a\nb'
expect_logged "$before" "FAILURE(1)" "hpvmcreate -P 'q'\\\\''1' -l 'a\\?b'\$"

finish

#!/usr/bin/env bash
# hpvmremove: the prompt and its answers, -Q, unknown and running guests,
# database rows and device-database entries (PRESERVE=YES), the run
# directory and guests/<name> link, and the command log.
source "$(dirname "$0")/lib.sh"

for f in d1 d2 d3 d4 d5; do sized_file "$S/$f.img" 1M; done
sized_file "$S/cd.iso" 4096
mkdir "$S/dir"

prompt() { printf "hpvmremove: Remove the virtual machine '%s'? [n]: " "$1"; }

# Rows a guest owns, by name (guests, devices, access, extended, dependents).
rows_of() {
  sql "SELECT 'guests', count(*) FROM guests WHERE name = '$1'
       UNION ALL SELECT 'storage', count(*) FROM storage_devices s JOIN guests g ON g.id = s.guest_id WHERE g.name = '$1'
       UNION ALL SELECT 'network', count(*) FROM network_devices n JOIN guests g ON g.id = n.guest_id WHERE g.name = '$1'
       UNION ALL SELECT 'access', count(*) FROM guest_access a JOIN guests g ON g.id = a.guest_id WHERE g.name = '$1'
       UNION ALL SELECT 'extended', count(*) FROM guest_extended x JOIN guests g ON g.id = x.guest_id WHERE g.name = '$1'
       UNION ALL SELECT 'dependents', count(*) FROM devdb_dependents WHERE guest = '$1'" | paste -sd' '
}

section "set-up"
expect_ok hpvmnet -c -S sw1 # vNICs on an unknown vswitch would warn
expect_ok hpvmcreate -P g1 -u root -x ram_dyn_type=any -a disk:scsi::file:"$S/d1.img" -a dvd:scsi::file:"$S/cd.iso" \
  -a dvd:scsi::null:"$S/dir" -a network:lan:,,0x020000000001:vswitch:sw1
expect_ok hpvmdevmgmt -m gdev:"$S/d1.img":attr:SHARE=YES # g2 shares it
expect_ok hpvmcreate -P g2 -a disk:scsi::file:"$S/d1.img" -a disk:scsi::file:"$S/d2.img" \
  -a network:avio_lan:,,0x020000000002:vswitch:sw1
expect_ok hpvmcreate -P g3 -a disk:avio_stor::file:"$S/d3.img" -a disk:avio_stor::file:"$S/d4.img"
U1=$(uuid_of g1)
U2=$(uuid_of g2)
U3=$(uuid_of g3)
check "g1 owns its rows" test "$(rows_of g1)" = "guests|1 storage|3 network|1 access|1 extended|1 dependents|3"
expect_sql "SELECT name FROM devdb_entries ORDER BY name" "$S/cd.iso
$S/d1.img
$S/d2.img
$S/d3.img
$S/d4.img
$S/dir"

# ------------------------------------------------------------------------
section "unknown guest: refused before any question"
refuse 1 "hpvmremove: ERROR (nosuch): The guest 'nosuch' does not exist." hpvmremove -P nosuch
refuse 1 "hpvmremove: ERROR (nosuch): The guest 'nosuch' does not exist." hpvmremove -Q -P nosuch
feed y
refuse 1 "hpvmremove: ERROR (nosuch): The guest 'nosuch' does not exist." hpvmremove -P nosuch
refuse 1 "hpvmremove: ERROR: The guest '' does not exist." hpvmremove -P ""
refuse 1 "hpvmremove: ERROR (../g1): The guest '../g1' does not exist." hpvmremove -Q -P ../g1

section "usage errors"
refuse 2 "hpvmremove: ERROR: -P is required
Run 'hpvmremove --help' for usage." hpvmremove
refuse 2 "hpvmremove: ERROR: -P is required
Run 'hpvmremove --help' for usage." hpvmremove -Q
before=$(log_lines)
refuse 2 "hpvmremove: ERROR: The following argument was not expected: -Z
Run 'hpvmremove --help' for usage." hpvmremove -P g1 -Z
expect_logged "$before" "FAILURE(2)" "hpvmremove -P g1 -Z\$"
refuse 2 "hpvmremove: ERROR: The following argument was not expected: g2
Run 'hpvmremove --help' for usage." hpvmremove -P g1 g2
run hpvmremove --help
assert_exit 0
assert_stdout_has '^ *-P '
assert_stdout_has '^ *-Q'
run hpvmremove --version
assert_exit 0
assert_stdout "$(sed -n 's/^project(hpvm VERSION \([0-9.]*\).*/\1/p' "$HPVM_SOURCE/CMakeLists.txt")"
check "g1 is still there" test "$(rows_of g1)" = "guests|1 storage|3 network|1 access|1 extended|1 dependents|3"

section "the prompt: anything but y/Y keeps the guest"
# not_removed ANSWER: hpvmremove -P g1 with ANSWER on stdin ("<none>": no stdin at all).
not_removed() {
  local before
  db_snapshot
  before=$(log_lines)
  if [[ $1 != "<none>" ]]; then feed --raw "$1"; fi
  run hpvmremove -P g1
  LAST="hpvmremove -P g1 (stdin: $(printf '%q' "$1"))"
  assert_exit 1
  assert_stdout "$(prompt g1)"
  assert_stderr "hpvmremove: ERROR (g1): The guest was not removed."
  expect_db_unchanged
  expect_logged "$before" "FAILURE(1)" "hpvmremove -P g1\$"
}
not_removed "<none>"
not_removed ""
not_removed $'\n'
not_removed $'n\n'
not_removed $'N\n'
not_removed $'no\n'
not_removed $'Nope\n'
not_removed $' y\n'
not_removed $'\ny\n'
not_removed $'q\n'
check "g1's run dir is still there" test -d "$HPVM_ROOT/uuids/$U1"
check "guests/g1 is still there" test -L "$HPVM_ROOT/guests/g1"

section "y removes the guest, its rows, run dir and link"
# Files the runtime leaves in the run dir go too.
touch "$HPVM_ROOT/uuids/$U1/qemu.log" "$HPVM_ROOT/uuids/$U1/console.sock"
before=$(log_lines)
feed y
run hpvmremove -P g1
assert_exit 0
assert_stdout_raw "$(prompt g1)"
assert_stderr ""
expect_logged "$before" SUCCESS "hpvmremove -P g1\$"
check "g1's rows are gone ($(rows_of g1))" test "$(rows_of g1)" = "guests|0 storage|0 network|0 access|0 extended|0 dependents|0"
check "g2's rows are untouched" test "$(rows_of g2)" = "guests|1 storage|2 network|1 access|0 extended|0 dependents|2"
check "g3's rows are untouched" test "$(rows_of g3)" = "guests|1 storage|2 network|0 access|0 extended|0 dependents|2"
check "run dir uuids/$U1 is gone" test ! -e "$HPVM_ROOT/uuids/$U1"
check "link guests/g1 is gone" test ! -e "$HPVM_ROOT/guests/g1" -a ! -L "$HPVM_ROOT/guests/g1"
check "g2's run dir and link are untouched" test -d "$HPVM_ROOT/uuids/$U2" -a "$(readlink "$HPVM_ROOT/guests/g2")" = "../uuids/$U2"
check "the backing files are untouched" test -f "$S/d1.img" -a -f "$S/cd.iso" -a -d "$S/dir"
# cd.iso and dir lost their last dependent; d1.img still has g2.
expect_sql "SELECT e.name, ifnull(group_concat(d.guest), '-') FROM devdb_entries e
            LEFT JOIN devdb_dependents d ON d.entry_id = e.id GROUP BY e.id ORDER BY e.name" \
  "$S/d1.img|g2
$S/d2.img|g2
$S/d3.img|g3
$S/d4.img|g3"
expect_sql "SELECT count(*) FROM devdb_attributes WHERE entry_id NOT IN (SELECT id FROM devdb_entries)" 0
expect_sql "SELECT name, vm_number FROM guests ORDER BY vm_number" "g2|2
g3|3"
run hpvmstatus
assert_exit 0
check "hpvmstatus no longer lists g1" test "$(grep -c '^g1 ' "$OUT")" = 0
refuse 1 "hpvmstatus: ERROR (g1): The guest 'g1' does not exist." hpvmstatus -P g1

section "the name and MAC of a removed guest are free again"
expect_ok hpvmcreate -P g1 -a network:lan:,,0x020000000001:vswitch:sw1
check "the new g1 has a new UUID" test "$(uuid_of g1)" != "$U1"
expect_sql "SELECT vm_number FROM guests WHERE name = 'g1'" 4

section "Y and yes also remove"
expect_ok hpvmcreate -P y1
expect_ok hpvmcreate -P y2
feed Y
run hpvmremove -P y1
assert_exit 0
assert_stdout_raw "$(prompt y1)"
feed yes
run hpvmremove -P y2
assert_exit 0
assert_stdout_raw "$(prompt y2)"
expect_sql "SELECT count(*) FROM guests WHERE name IN ('y1', 'y2')" 0

section "-Q removes without asking; PRESERVE=YES keeps a device entry"
sqlite3 "$DB" "INSERT INTO devdb_attributes (entry_id, seq, name, value)
               SELECT id, 2, 'PRESERVE', 'YES' FROM devdb_entries WHERE name = '$S/d3.img';
               INSERT INTO devdb_attributes (entry_id, seq, name, value)
               SELECT id, 2, 'PRESERVE', 'NO' FROM devdb_entries WHERE name = '$S/d4.img';"
before=$(log_lines)
expect_ok hpvmremove -Q -P g3
expect_logged "$before" SUCCESS "hpvmremove -Q -P g3\$"
check "g3's rows are gone" test "$(rows_of g3)" = "guests|0 storage|0 network|0 access|0 extended|0 dependents|0"
check "run dir uuids/$U3 is gone" test ! -e "$HPVM_ROOT/uuids/$U3"
check "link guests/g3 is gone" test ! -L "$HPVM_ROOT/guests/g3"
expect_sql "SELECT name, group_concat(attr) FROM (SELECT e.name, a.name || '=' || a.value AS attr
            FROM devdb_entries e JOIN devdb_attributes a ON a.entry_id = e.id
            WHERE e.name IN ('$S/d3.img', '$S/d4.img') ORDER BY e.name, a.seq) GROUP BY name" \
  "$S/d3.img|DEVTYPE=FILE,SHARE=NO,PRESERVE=YES"
expect_sql "SELECT count(*) FROM devdb_dependents d JOIN devdb_entries e ON e.id = d.entry_id WHERE e.name = '$S/d3.img'" 0
# A preserved entry is reused by the next guest that takes the device.
expect_ok hpvmcreate -P g5 -a disk:scsi::file:"$S/d3.img"
expect_sql "SELECT count(*), group_concat(d.guest) FROM devdb_entries e JOIN devdb_dependents d ON d.entry_id = e.id
            WHERE e.name = '$S/d3.img'" "1|g5"
expect_ok hpvmremove -Q -P g5
expect_sql "SELECT count(*) FROM devdb_entries WHERE name = '$S/d3.img'" 1

section "the last dependent of a shared device"
expect_ok hpvmremove -Q -P g2
expect_sql "SELECT name FROM devdb_entries ORDER BY name" "$S/d3.img"
expect_sql "SELECT count(*) FROM devdb_dependents" 0

section "a guest whose run dir was deleted by hand"
expect_ok hpvmcreate -P g6
rm -rf "$HPVM_ROOT/uuids/$(uuid_of g6)" "$HPVM_ROOT/guests/g6"
expect_ok hpvmremove -Q -P g6
expect_sql "SELECT count(*) FROM guests WHERE name = 'g6'" 0

# ------------------------------------------------------------------------
section "a running guest (QEMU) is not removed"
expect_ok hpvmcreate -P run1 -a disk:scsi::file:"$S/d5.img" -a network:lan:,,0x020000000005:vswitch:sw1
UR=$(uuid_of run1)
if ! command -v qemu-system-x86_64 >/dev/null; then
  skip "qemu-system-x86_64 is not installed: running-guest refusal not tested (scripts/bootstrap installs it)"
else
  if fake_qemu qpid run1; then
    mkdir -p "$HPVM_ROOT/running" && touch "$HPVM_ROOT/running/$UR" # as the runtime does
    run hpvmstatus
    check "summary shows run1 On" grep -qE '^run1 +[0-9]+ UNKNOWN +On ' "$OUT"
    run hpvmstatus -P run1
    check "-P shows On" grep -qE '^run1 +[0-9]+ UNKNOWN +On$' "$OUT"
    run hpvmstatus -V -P run1
    check "-V shows State : On" grep -qx 'State : On' "$OUT"
    run hpvmstatus -M -P run1
    check "-M field 10 is On" test "$(cut -d: -f11 "$OUT")" = On
    run hpvmstatus -X -P run1
    if command -v xmllint >/dev/null; then
      check "-X vm_state is On" test "$(xmllint --xpath 'string(//vm_state)' "$OUT")" = On
      if [[ -f $HPVM_SOURCE/share/xml/hpvmstatus.xsd ]]; then
        check "-X with a running guest validates" xmllint --noout --schema "$HPVM_SOURCE/share/xml/hpvmstatus.xsd" "$OUT" 2>/dev/null
      fi
    fi
    run hpvmstatus -J -P run1
    check "-J state is On" python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["guests"][0]["state"] != "On")' "$OUT"

    running="hpvmremove: ERROR (run1): The guest 'run1' is running; stop it first with hpvmstop.
hpvmremove: Unable to remove the guest."
    refuse 1 "$running" hpvmremove -Q -P run1
    # Refused before asking: nobody is asked about a guest that cannot go.
    db_snapshot
    before=$(log_lines)
    feed y
    run hpvmremove -P run1
    assert_exit 1
    assert_stdout_raw ""
    assert_stderr "$running"
    expect_db_unchanged
    expect_logged "$before" "FAILURE(1)" "hpvmremove -P run1\$"
    check "the QEMU process was left alone" kill -0 "$qpid"
    check "run1's pid file is still there" test -f "$HPVM_ROOT/uuids/$UR/qemu.pid"

    stop_fake_qemu "$qpid"
    run hpvmstatus -M -P run1
    check "-M field 10 is Off once QEMU is gone" test "$(cut -d: -f11 "$OUT")" = Off
  fi
fi
expect_ok hpvmremove -Q -P run1
check "run1's run dir (with its stale pid file) is gone" test ! -e "$HPVM_ROOT/uuids/$UR"

# ------------------------------------------------------------------------
section "a second writer holds the database"
expect_ok hpvmcreate -P busy1
if command -v python3 >/dev/null; then
  python3 -c '
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(60)' "$DB" >"$S/hold.out" &
  holder=$!
  track_pid "$holder"
  for _ in $(seq 1 100); do grep -q locked "$S/hold.out" 2>/dev/null && break; sleep 0.1; done
  if grep -q locked "$S/hold.out"; then
    refuse 1 "hpvmremove: ERROR: The configuration database is locked by another program (no HPVM command is recorded as holding it); nothing was changed. Try again." \
      hpvmremove -Q -P busy1
    check "busy1's run dir is still there" test -d "$HPVM_ROOT/uuids/$(uuid_of busy1)"
  else
    fail "the lock holder did not start"
  fi
  kill "$holder"
  wait "$holder" 2>/dev/null
  expect_ok hpvmremove -Q -P busy1
else
  skip "python3 is not installed: cannot hold the write lock from another process"
fi

section "command log"
check "every line is a well-formed hpvmcreate/hpvmremove/hpvmnet/hpvmdevmgmt record" \
  test "$(grep -cvE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z $(id -un) (SUCCESS|FAILURE\([12]\)) hpvm(create|remove|net|devmgmt)( |$)" "$LOG")" = 0
check "hpvmstatus never logged" test "$(grep -c ' hpvmstatus' "$LOG")" = 0

finish

#!/usr/bin/env bash
# The host around the commands: who may read and change the configuration
# (root only; a non-root user is told "Permission denied", never shown an
# empty configuration), the modes of everything the suite makes (whatever
# the umask), a truncated, corrupt or foreign hpvm.db, a read-only
# $HPVM_ROOT, the copy a schema upgrade keeps, and a full file system under
# the command log. Runs in a private mount namespace (its mounts vanish with
# it).
if [[ -z ${HPVM_MOUNT_NS:-} ]] && command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
  HPVM_MOUNT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

if [[ -z ${HPVM_MOUNT_NS:-} || $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root and a private mount namespace (unshare -m)."
  exit 77
fi
# Runs a command as the unprivileged user nobody.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# The harness's base directory is 0700: nobody may pass through it (to
# reach the roots below), and no further.
chmod 0711 "$(dirname "$HPVM_ROOT")"
# Everything under the root, with its mode and owner, as "mode owner type path".
tree_modes() { (cd "$HPVM_ROOT" && find . -printf '%m %u %y %p\n' | sort -k4); }
advice() { # root
  echo "Nothing was changed. Restore '$1/hpvm.db' from a backup of '$1' (each schema upgrade keeps the database it upgraded as '$1/common/hpvm.db.schema<N>' with the old version's number; hpvmhostrdev -r puts back only the rdev entries), or move it away to start again with an empty configuration."
}

section "modes under umask 000: nothing under \$HPVM_ROOT is for other users"
use_root "$(new_tmpdir)/new/root"
sized_file "$S/d1.img" 8M
run bash -c 'umask 000 && exec "$@"' umask000 hpvmcreate -P g1 -a disk:avio_stor::file:"$S/d1.img"
assert_exit 0
uuid=$(uuid_of g1)
expect_stdout "700 root d .
700 root d ./common
600 root f ./common/command.log
600 root f ./common/write-lock.holder
700 root d ./guests
777 root l ./guests/g1
600 root f ./hpvm.db
700 root d ./uuids
700 root d ./uuids/$uuid
600 root f ./uuids/$uuid/vmm_config.current" bash -c "$(declare -f tree_modes); tree_modes | grep -v 'hpvm.db-'"
check "the WAL files are 0600" bash -c "! find '$HPVM_ROOT' -name 'hpvm.db-*' ! -perm 0600 | grep -q ."
check "the root's new parent is 0700 too" test "$(stat -c %a "$(dirname "$HPVM_ROOT")")" = 700
# nobody may reach the root below
chmod 0711 "$(dirname "$HPVM_ROOT")" "$(dirname "$(dirname "$HPVM_ROOT")")"

section "a non-root user reads nothing and changes nothing"
denied="Permission denied: user 'nobody' cannot read the configuration database '$DB'. The HPVM commands are run by root."
chmod 0755 "$HPVM_ROOT" # even through an open root, the database is root's
expect_stderr 1 "hpvmstatus: ERROR: $denied" as_nobody hpvmstatus
assert_stdout ""
expect_stderr 1 "hpvmstatus: ERROR: $denied" as_nobody hpvmstatus -P g1
expect_stderr 1 "hpvmstatus: ERROR: $denied" as_nobody hpvmstatus -M
db_snapshot
expect_stderr 1 "hpvmcreate: ERROR: $denied" as_nobody hpvmcreate -P g2
expect_stderr 1 "hpvmmodify: ERROR: $denied" as_nobody hpvmmodify -P g1 -l x
expect_stderr 1 "hpvmremove: ERROR: $denied" as_nobody hpvmremove -P g1 -Q
expect_stderr 1 "hpvmconsole: ERROR: $denied" as_nobody hpvmconsole -P g1
expect_db_unchanged
check "nobody cannot read hpvm.db" bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups cat '$DB' >/dev/null 2>&1"
check "nobody cannot list the run directories" bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups ls '$HPVM_ROOT/uuids' >/dev/null 2>&1"
check "nobody cannot read the command log" bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups cat '$LOG' >/dev/null 2>&1"
# A mode that lets others read (restored from a backup as 0644): still
# root's alone, refused as above, the mode left for root to put right.
chmod 0644 "$DB"
expect_stderr 1 "hpvmstatus: ERROR: $denied" as_nobody hpvmstatus
assert_stdout ""
expect_stderr 1 "hpvmstatus: ERROR: $denied" as_nobody hpvmstatus -M -P g1
expect_stderr 1 "hpvmcreate: ERROR: $denied" as_nobody hpvmcreate -P g2
expect_stderr 1 "hpvmmodify: ERROR: $denied" as_nobody hpvmmodify -P g1 -l x
expect_db_unchanged
check "nobody left hpvm.db 0644" test "$(file_mode "$DB")" = 644
expect_exit 0 hpvmstatus
check "root's next command made hpvm.db 0600" test "$(file_mode "$DB")" = 600
chmod 0700 "$HPVM_ROOT"
expect_stderr 1 "hpvmstatus: ERROR: $denied" as_nobody hpvmstatus
# A root of nobody's own: reading an empty one is fine, changing is root's.
use_root "$(new_tmpdir)"
chown nobody "$HPVM_ROOT"
expect_stdout "" as_nobody hpvmstatus -M
expect_stderr 1 "hpvmcreate: ERROR: Only root may change the HPVM configuration; this command runs as user 'nobody'. Nothing was changed." \
  as_nobody hpvmcreate -P g2
check "no database was made" test ! -e "$DB"
check "no directory was made" test -z "$(ls -A "$HPVM_ROOT")"

section "a truncated hpvm.db is refused, never taken for an empty configuration"
new_root
expect_ok hpvmcreate -P g1
: >"$DB"
rm -f "$DB-wal" "$DB-shm"
for cmd in "hpvmstatus" "hpvmstatus -P g1" "hpvmcreate -P g2" "hpvmremove -P g1 -Q"; do
  # shellcheck disable=SC2086 # the command's words
  expect_stderr 1 "${cmd%% *}: ERROR: The configuration database '$DB' is empty (0 bytes): it was truncated. $(advice "$HPVM_ROOT")" $cmd
  assert_stdout ""
done
check "hpvm.db is still empty" test ! -s "$DB"
# In a root that holds only the truncated file, nothing is made beside it:
# not the database's WAL, not common/ for the command log.
new_root
: >"$DB"
for cmd in "hpvmstatus" "hpvmcreate -P g2" "hpvmmodify -P g1 -l x" "hpvmnet -c -S vsw9"; do
  # shellcheck disable=SC2086 # the command's words
  expect_stderr 1 "${cmd%% *}: ERROR: The configuration database '$DB' is empty (0 bytes): it was truncated. $(advice "$HPVM_ROOT")" $cmd
done
expect_stdout "hpvm.db" ls -A "$HPVM_ROOT"

section "a corrupt hpvm.db: a message naming it and how to restore it, never a crash"
new_root
expect_ok hpvmcreate -P g1
rm -f "$DB-wal" "$DB-shm"
head -c 8192 /dev/urandom >"$DB"
expect_stderr 1 "hpvmstatus: ERROR: The configuration database '$DB' is not usable: file is not a database. $(advice "$HPVM_ROOT")" hpvmstatus
expect_stderr 1 "hpvmcreate: ERROR: The configuration database '$DB' is not usable: file is not a database. $(advice "$HPVM_ROOT")" hpvmcreate -P g2

section "a schema upgrade keeps the database it upgraded"
new_root
expect_ok hpvmcreate -P g1
sqlite3 "$DB" "DROP TABLE avio_conversion_devices; DROP TABLE vswitch_numbers; DROP INDEX network_devices_mac_suffix; DROP INDEX network_devices_vswitch; DROP TABLE guest_config_exports; PRAGMA user_version=4"
expect_stdout "g1" bash -c "hpvmstatus -M | cut -d: -f1"
expect_sql "PRAGMA user_version" 8
check "common/hpvm.db.schema4 was kept" test -f "$HPVM_ROOT/common/hpvm.db.schema4"
expect_stdout "4
g1" sqlite3 -readonly "$HPVM_ROOT/common/hpvm.db.schema4" "PRAGMA user_version; SELECT name FROM guests"

section "an hpvm.db or \$HPVM_ROOT another user owns is refused to root"
new_root
expect_ok hpvmcreate -P g1
chown nobody "$DB"
expect_stderr 1 "hpvmstatus: ERROR: The configuration database '$DB' belongs to user 'nobody', not to 'root': that user could have changed it. Check it, then give it to 'root' (chown)." hpvmstatus
chown root "$DB"
chown nobody "$HPVM_ROOT"
expect_stderr 1 "hpvmstatus: ERROR: The HPVM directory '$HPVM_ROOT' belongs to another user than 'root': that user could replace the configuration database. Check it, then give it to 'root' (chown)." hpvmstatus
chown root "$HPVM_ROOT"
expect_exit 0 hpvmstatus

section "a read-only \$HPVM_ROOT: reading works, a change fails and says why"
new_root
sized_file "$S/ro.img" 8M
expect_ok hpvmcreate -P g1 -a disk:avio_stor::file:"$S/ro.img"
expect_ok hpvmcreate -P g2
mount --bind "$HPVM_ROOT" "$HPVM_ROOT"
track_mount "$HPVM_ROOT"
mount -o remount,bind,ro "$HPVM_ROOT"
run hpvmstatus -M
assert_exit 0
check "hpvmstatus -M lists both guests" test "$(cut -d: -f1 "$OUT" | tr '\n' ' ')" = "g1 g2 "
expect_exit 0 hpvmstatus -P g1 -d
assert_stdout_has ":file:$S/ro.img$"
db_snapshot
run hpvmcreate -P g3
assert_exit 1
assert_stderr_has "^hpvmcreate: ERROR: .*(read-only|readonly)"
expect_db_unchanged
umount "$HPVM_ROOT"
# With the WAL checkpointed away there is no shared-memory index either.
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
check "no WAL left" test ! -e "$DB-wal"
mount --bind "$HPVM_ROOT" "$HPVM_ROOT"
mount -o remount,bind,ro "$HPVM_ROOT"
run hpvmstatus -M
assert_exit 0
check "hpvmstatus -M lists both guests without a WAL" test "$(cut -d: -f1 "$OUT" | tr '\n' ' ')" = "g1 g2 "
umount "$HPVM_ROOT"
expect_ok hpvmcreate -P g3

section "a full \$HPVM_ROOT: reading works, a change says the file system is full"
# The WAL checkpointed away, SQLite cannot make its shared-memory index
# (-shm) there: the database is intact and read as it is, and no restore
# is suggested.
new_root
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$HPVM_ROOT"
track_mount "$HPVM_ROOT"
expect_ok hpvmcreate -P g1
expect_ok hpvmcreate -P g2 -l two
db_snapshot # (reading makes the index: taken before it goes)
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
check "no WAL nor index left" test ! -e "$DB-wal" -a ! -e "$DB-shm"
# The command log's page full too, so that its record needs a new one.
{ head -c 4095 /dev/zero | tr '\0' x; echo; } >"$LOG"
dd if=/dev/zero of="$HPVM_ROOT/fill" bs=4k 2>/dev/null
expect_stdout "g1
g2" bash -c "hpvmstatus -M | cut -d: -f1"
run hpvmstatus -P g2
assert_exit 0
assert_stdout_has "^g2 +2 UNKNOWN Off$"
full="The file system holding '$HPVM_ROOT' is full (No space left on device): the configuration database cannot be changed. Free some space there and try again; nothing was changed."
unlogged="WARNING: The command was not recorded in the command log: The file system holding '$LOG' is full (No space left on device)."
expect_stderr 1 "hpvmcreate: ERROR: $full
hpvmcreate: $unlogged" hpvmcreate -P g3
expect_stderr 1 "hpvmmodify: ERROR: $full
hpvmmodify: $unlogged" hpvmmodify -P g1 -l x
rm "$HPVM_ROOT/fill"
expect_db_unchanged
expect_ok hpvmcreate -P g3
expect_stdout "g1
g2
g3" bash -c "hpvmstatus -M | cut -d: -f1"
umount "$HPVM_ROOT"

section "a full file system under the command log"
# common/ on a full tmpfs: the change itself succeeds and says so (exit 0),
# with a warning that its record is missing; a refusal still fails.
new_root
expect_ok hpvmcreate -P g1
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$HPVM_ROOT/common"
track_mount "$HPVM_ROOT/common"
dd if=/dev/zero of="$HPVM_ROOT/common/fill" bs=4k 2>/dev/null
expect_stderr 0 "hpvmmodify: WARNING: The command was not recorded in the command log: The file system holding '$LOG' is full (No space left on device)." \
  hpvmmodify -P g1 -l full
expect_sql "SELECT label FROM guests WHERE name = 'g1'" full
expect_stderr 1 "hpvmmodify: ERROR (nosuch): The guest 'nosuch' does not exist.
hpvmmodify: WARNING: The command was not recorded in the command log: The file system holding '$LOG' is full (No space left on device)." \
  hpvmmodify -P nosuch -l x
# A record cut short by the full file system is taken back: the log keeps
# whole lines only. The log's last page has 20 bytes free, the file system
# no page at all.
rm "$HPVM_ROOT/common/fill"
{ head -c 4075 /dev/zero | tr '\0' x; echo; } >"$LOG"
dd if=/dev/zero of="$HPVM_ROOT/common/fill" bs=4k 2>/dev/null
expect_stderr 0 "hpvmmodify: WARNING: The command was not recorded in the command log: The file system holding '$LOG' is full (No space left on device)." \
  hpvmmodify -P g1 -l partial
check "the log lost no byte and holds no partial record" test "$(stat -c %s "$LOG")" = 4076
rm "$HPVM_ROOT/common/fill"
expect_ok hpvmmodify -P g1 -l room
check "the next record is one whole line" test "$(tail -n 1 "$LOG" | grep -cE "^[0-9T:-]+Z root SUCCESS hpvmmodify -P g1 -l room$")" = 1
umount "$HPVM_ROOT/common"

finish

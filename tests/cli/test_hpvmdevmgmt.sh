#!/usr/bin/env bash
# hpvmdevmgmt on file backing stores: the -l format and filters, -a -d -m -n
# -S -r -I -v, the gdev entries hpvmcreate/hpvmremove keep, and the device
# rules (restricted paths, sharing, one device type per entity) with the
# database byte-identical after every refusal. Block devices, LVM and
# hpvmhostrdev are in test_devdb_host.sh.
source "$(dirname "$0")/lib.sh"

sized_file "$S/d1.img" 1M
sized_file "$S/d2.img" 1M
sized_file "$S/cd.iso" 4096
ln -s "$S/cd.iso" "$S/link.iso"
ln -s "$S/d1.img" "$S/link.img"
mkdir -p "$S/vault/deep" "$S/flat/deep" "$S/fs/deep"
sized_file "$S/vault/deep/x.img" 1M
sized_file "$S/flat/top.img" 1M
sized_file "$S/flat/deep/x.img" 1M
sized_file "$S/fs/deep/x.img" 1M
sized_file "$S/host.img" 1M

# hpvmdevmgmt refusals: exit 1, "hpvmdevmgmt: ERROR: text", database unchanged.
devmgmt_refused() {
  local text=$1
  shift
  refuse 1 "hpvmdevmgmt: ERROR: $text" hpvmdevmgmt "$@"
}

# ------------------------------------------------------------------------
section "empty database"
expect_stdout "" hpvmdevmgmt -l all
expect_sql "PRAGMA user_version" 8

section "hpvmcreate adds gdev entries with the guest as dependent"
expect_ok hpvmcreate -P g1 -a "disk:avio_stor::file:$S/d1.img" -a "dvd:avio_stor::file:$S/cd.iso"
expect_stdout - hpvmdevmgmt -l all <<EOF
$S/cd.iso:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=YES:g1:
$S/d1.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:g1:
EOF
expect_stdout "$S/d1.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:g1:" hpvmdevmgmt -l "gdev:$S/d1.img"
expect_stdout "" hpvmdevmgmt -l rdev
expect_stdout - hpvmdevmgmt -l all:depend:g1 <<EOF
$S/cd.iso:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=YES:g1:
$S/d1.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:g1:
EOF
expect_stdout "" hpvmdevmgmt -l gdev:depend:nobody
# A DVD image is shareable from the start; a writable disk is not.
expect_stdout "$S/cd.iso:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=YES:g1:" hpvmdevmgmt -l all:SHARE=YES
expect_stdout - hpvmdevmgmt -l "all:DEVTYPE=file" <<EOF
$S/cd.iso:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=YES:g1:
$S/d1.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:g1:
EOF
expect_stdout "" hpvmdevmgmt -l "all:DEVTYPE=DISK"
run hpvmdevmgmt -l all:CONFIG=gdev
check "-l all:CONFIG=gdev lists both entries" test "$(wc -l <"$OUT")" = 2
# Scripts split the line on ':' and field 0 on ',' (OpenSVC does).
run hpvmdevmgmt -l gdev
check "every -l line has 4 ':'-separated fields" test "$(awk -F: 'NF != 4' "$OUT" | wc -l)" = 0
expect_stderr 1 "hpvmdevmgmt: ERROR: There is no gdev entry '/nonexistent'." hpvmdevmgmt -l gdev:/nonexistent

section "-l argument errors exit 2"
expect_stderr 2 - hpvmdevmgmt -l bogus <<'EOF'
hpvmdevmgmt: ERROR: Invalid -l argument 'bogus': it must start with all, gdev, rdev, server or env.
Run 'hpvmdevmgmt --help' for usage.
EOF
expect_stderr 2 - hpvmdevmgmt -l gdev:depend: <<'EOF'
hpvmdevmgmt: ERROR: Invalid -l argument 'gdev:depend:': no guest name after 'depend:'.
Run 'hpvmdevmgmt --help' for usage.
EOF
expect_stderr 2 - hpvmdevmgmt <<'EOF'
hpvmdevmgmt: ERROR: Give one of -l, -a, -d, -m, -n, -S, -r, -I or -v.
Run 'hpvmdevmgmt --help' for usage.
EOF
expect_stderr 2 - hpvmdevmgmt -l all -r <<'EOF'
hpvmdevmgmt: ERROR: Give only one of -l, -a, -d, -m, -n, -S, -r, -I and -v.
Run 'hpvmdevmgmt --help' for usage.
EOF

section "-v"
run hpvmdevmgmt -v
assert_exit 0
assert_stdout_has '^hpvmdevmgmt: Version [0-9]+\.[0-9]+\.[0-9]+$'

# ------------------------------------------------------------------------
section "sharing: refused unless SHARE=YES"
refused hpvmcreate g2 "Backing store '$S/d1.img' is used by guest 'g1'; it can be shared only when its gdev entry has SHARE=YES (hpvmdevmgmt -m gdev:$S/d1.img:attr:SHARE=YES)." \
  -- -a "disk:avio_stor::file:$S/d1.img"
# Another path to the same file is the same entity.
refused hpvmcreate g2 "Backing store '$S/link.img' is used by guest 'g1'; it can be shared only when its gdev entry has SHARE=YES (hpvmdevmgmt -m gdev:$S/d1.img:attr:SHARE=YES)." \
  -- -a "disk:scsi::file:$S/link.img"
# A DVD image is shareable from the start; SHARE=NO keeps it to one guest.
expect_stdout "$S/cd.iso:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=YES:g1:" hpvmdevmgmt -l "gdev:$S/cd.iso"
before=$(log_lines)
expect_ok hpvmdevmgmt -m "gdev:$S/cd.iso:attr:SHARE=NO"
expect_logged "$before" SUCCESS "hpvmdevmgmt -m gdev:$S/cd.iso:attr:SHARE=NO\$"
refused hpvmcreate g2 "Backing store '$S/link.iso' is used by guest 'g1'; it can be shared only when its gdev entry has SHARE=YES (hpvmdevmgmt -m gdev:$S/cd.iso:attr:SHARE=YES)." \
  -- -a "dvd:scsi::file:$S/link.iso"

section "one device type per entity, even when shared"
before=$(log_lines)
expect_ok hpvmdevmgmt -m "gdev:$S/cd.iso:attr:SHARE=yes"
expect_logged "$before" SUCCESS "hpvmdevmgmt -m gdev:$S/cd.iso:attr:SHARE=yes\$"
refused hpvmcreate g2 "Backing store '$S/cd.iso' is used by guest 'g1' as a dvd; one host storage entity serves one device type at a time." \
  -- -a "disk:avio_stor::file:$S/cd.iso"

section "a shared DVD image, by another path, becomes an alias"
expect_ok hpvmcreate -P g2 -a "dvd:avio_stor::file:$S/link.iso" -a "disk:avio_stor::file:$S/d2.img"
expect_stdout "$S/cd.iso,$S/link.iso:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=YES:g1,g2:" \
  hpvmdevmgmt -l "gdev:$S/link.iso"
expect_stdout "$S/cd.iso,$S/link.iso:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=YES:g1,g2:" \
  hpvmdevmgmt -l all:SHARE=YES

section "SHARE=NO refused while shared"
devmgmt_refused "'$S/cd.iso' is shared by the guests g1, g2; remove it from all but one before setting SHARE=NO." \
  -m "gdev:$S/cd.iso:attr:SHARE=NO"

# ------------------------------------------------------------------------
section "-a: rdev entries"
before=$(log_lines)
expect_ok hpvmdevmgmt -a "rdev:$S/host.img"
expect_logged "$before" SUCCESS "hpvmdevmgmt -a rdev:$S/host.img\$"
expect_ok hpvmdevmgmt -a "rdev:$S/vault:attr:RECURSIVE=DIR"
expect_ok hpvmdevmgmt -a "rdev:$S/flat"
expect_ok hpvmdevmgmt -a "rdev:$S/fs:attr:recursive=fs"
expect_ok hpvmdevmgmt -a server:myhost
expect_ok hpvmdevmgmt -a env:site,site-alias
expect_stdout - hpvmdevmgmt -l all <<EOF
myhost:CONFIG=server,EXIST=YES::
site,site-alias:CONFIG=env,EXIST=YES::
$S/flat:CONFIG=rdev,EXIST=YES,DEVTYPE=DIR,SHARE=NO::
$S/fs:CONFIG=rdev,EXIST=YES,DEVTYPE=DIR,SHARE=NO,RECURSIVE=FS::
$S/host.img:CONFIG=rdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO::
$S/vault:CONFIG=rdev,EXIST=YES,DEVTYPE=DIR,SHARE=NO,RECURSIVE=DIR::
$S/cd.iso,$S/link.iso:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=YES:g1,g2:
$S/d1.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:g1:
$S/d2.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:g2:
EOF
expect_stdout "site,site-alias:CONFIG=env,EXIST=YES::" hpvmdevmgmt -l env:site-alias

section "-a refusals"
devmgmt_refused "The rdev entry '$S/host.img' already exists." -a "rdev:$S/host.img"
devmgmt_refused "'site-alias' is already an alias of the env entry 'site'." -a env:site-alias
devmgmt_refused "'$S/link.img' is the gdev entry '$S/d1.img' by another path." -a "gdev:$S/link.img"
devmgmt_refused "RECURSIVE applies to directories; '$S/d2.img' is not one." -a "rdev:$S/d2.img:attr:RECURSIVE=FS"
devmgmt_refused "The attribute RECURSIVE applies to rdev directories only." -a "gdev:$S/new.iso:attr:RECURSIVE=FS"
devmgmt_refused "The attribute AUTORDEV is set only by hpvmhostrdev." -a "rdev:/dev/null:attr:AUTORDEV=YES"
devmgmt_refused "The attribute EXIST is computed from the host; it cannot be set." -m "gdev:$S/d1.img:attr:EXIST=NO"
devmgmt_refused "Invalid value 'MAYBE' for the attribute SHARE: expected YES|NO." -m "gdev:$S/d1.img:attr:SHARE=MAYBE"
devmgmt_refused "Unknown attribute 'COLOUR': expected SHARE, PRESERVE, USAGE, RECURSIVE, DEVTYPE, IGNOREWWID or SHARE_LUNPATHS." \
  -m "gdev:$S/d1.img:attr:COLOUR=RED"
devmgmt_refused "There is no gdev entry '/nope'." -m "gdev:/nope:attr:SHARE=YES"
refuse 2 "hpvmdevmgmt: ERROR: Invalid -a argument 'disk:/x': it must start with gdev:, rdev:, server: or env:.
Run 'hpvmdevmgmt --help' for usage." hpvmdevmgmt -a disk:/x
refuse 2 "hpvmdevmgmt: ERROR: Invalid -m argument 'gdev:/x:SHARE=YES': expected type:entry:attr:NAME=VALUE.
Run 'hpvmdevmgmt --help' for usage." hpvmdevmgmt -m gdev:/x:SHARE=YES

section "restricted paths are refused to guests"
refused hpvmcreate g3 "Backing store '$S/host.img' is restricted: it is an rdev entry; the host uses it." \
  -- -a "disk:avio_stor::file:$S/host.img"
ln -s "$S/host.img" "$S/host-link.img"
refused hpvmcreate g3 "Backing store '$S/host-link.img' is restricted: it is the rdev entry '$S/host.img' by another path; the host uses it." \
  -- -a "disk:avio_stor::file:$S/host-link.img"
refused hpvmcreate g3 "Backing store '$S/vault/deep/x.img' is restricted: it is under the rdev directory '$S/vault' (RECURSIVE=DIR)." \
  -- -a "disk:avio_stor::file:$S/vault/deep/x.img"
refused hpvmcreate g3 "Backing store '$S/fs/deep/x.img' is restricted: it is under the rdev directory '$S/fs' on the same file system (RECURSIVE=FS)." \
  -- -a "disk:avio_stor::file:$S/fs/deep/x.img"
refused hpvmcreate g3 "Backing store '$S/flat/top.img' is restricted: it is in the rdev directory '$S/flat'." \
  -- -a "disk:avio_stor::file:$S/flat/top.img"
refused hpvmcreate g3 "Backing store '$S/vault' is restricted: it is an rdev entry; the host uses it." \
  -- -a "dvd:avio_stor::null:$S/vault"
# Without RECURSIVE only the directory's own entries are restricted.
expect_ok hpvmcreate -P g3 -a "disk:avio_stor::file:$S/flat/deep/x.img"
expect_ok hpvmremove -Q -P g3

# ------------------------------------------------------------------------
section "-d: attribute, alias, dependency, entry"
expect_stderr 0 "hpvmdevmgmt: WARNING: '$S/spare.iso' does not exist on this host." \
  hpvmdevmgmt -a "gdev:$S/spare.iso,$S/spare2.iso:attr:USAGE=dvd"
expect_stdout "$S/spare.iso,$S/spare2.iso:CONFIG=gdev,EXIST=NO,SHARE=NO,USAGE=DVD::" \
  hpvmdevmgmt -l "gdev:$S/spare2.iso"
expect_ok hpvmdevmgmt -d "gdev_alias:$S/spare2.iso"
devmgmt_refused "'$S/spare.iso' is the name of its gdev entry, not an alias; delete the entry with -d gdev:$S/spare.iso." \
  -d "gdev_alias:$S/spare.iso"
expect_ok hpvmdevmgmt -d "gdev:$S/spare.iso:attr:USAGE"
devmgmt_refused "The gdev entry '$S/spare.iso' has no attribute USAGE." -d "gdev:$S/spare.iso:attr:USAGE"
devmgmt_refused "The attribute AUTORDEV cannot be deleted." -d "rdev:$S/host.img:attr:AUTORDEV"
expect_stdout "$S/spare.iso:CONFIG=gdev,EXIST=NO,SHARE=NO::" hpvmdevmgmt -l "gdev:$S/spare.iso"
expect_ok hpvmdevmgmt -d "gdev:$S/spare.iso"
devmgmt_refused "There is no gdev entry '$S/spare.iso'." -d "gdev:$S/spare.iso"
devmgmt_refused "The gdev entry '$S/d1.img' is used by g1; remove it from those guests first (or drop a stale dependency with -d gdev:$S/d1.img:depend:guest)." \
  -d "gdev:$S/d1.img"
devmgmt_refused "'g2' is not a dependent of the gdev entry '$S/d1.img'." -d "gdev:$S/d1.img:depend:g2"
refuse 2 "hpvmdevmgmt: ERROR: Invalid -d argument 'rdev:/x:depend:g1': only gdev entries have dependents.
Run 'hpvmdevmgmt --help' for usage." hpvmdevmgmt -d rdev:/x:depend:g1
expect_ok hpvmdevmgmt -d server:myhost
expect_ok hpvmdevmgmt -d env:site

# ------------------------------------------------------------------------
section "-r and -I"
expect_stdout - hpvmdevmgmt -r <<EOF
#!/bin/sh
# Repair script from 'hpvmdevmgmt -r' for the device database in $HPVM_ROOT.
# Review it before running it: commands fix what is certain; comments
# describe what needs a decision.
# No inconsistencies found.
EOF
run hpvmdevmgmt -d "gdev:$S/d2.img:depend:g2"
assert_exit 0
assert_stderr "hpvmdevmgmt: WARNING: Guest 'g2' still has the device in its configuration; 'hpvmdevmgmt -r' lists it."
expect_stdout "$S/cd.iso,$S/link.iso:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=YES:g1,g2:" hpvmdevmgmt -l "all:depend:g2"
expect_stdout - hpvmdevmgmt -r <<EOF
#!/bin/sh
# Repair script from 'hpvmdevmgmt -r' for the device database in $HPVM_ROOT.
# Review it before running it: commands fix what is certain; comments
# describe what needs a decision.
# Guest devices are missing from the gdev entries.
hpvmdevmgmt -I
EOF
expect_ok hpvmdevmgmt -I
expect_stdout "$S/d2.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:g2:" hpvmdevmgmt -l "gdev:$S/d2.img"
mv "$S/d2.img" "$S/d2.moved"
expect_stdout - hpvmdevmgmt -r <<EOF
#!/bin/sh
# Repair script from 'hpvmdevmgmt -r' for the device database in $HPVM_ROOT.
# Review it before running it: commands fix what is certain; comments
# describe what needs a decision.
# '$S/d2.img' does not exist; guests g2 use it. Replace it for them with a new backing store:
#   hpvmdevmgmt -n gdev:$S/d2.img:NEW-BACKING-STORE
# Guest 'g2' uses '$S/d2.img' (disk), which does not exist on this host.
EOF

section "-n replaces a failed backing store for every dependent guest"
devmgmt_refused "There is no gdev entry '/gone.img'." -n "gdev:/gone.img:$S/d2.moved"
refuse 1 "hpvmdevmgmt: ERROR: Guest 'g2': Backing store '$S/host.img' is restricted: it is an rdev entry; the host uses it.
hpvmdevmgmt: Unable to replace '$S/d2.img'." hpvmdevmgmt -n "gdev:$S/d2.img:$S/host.img"
expect_ok hpvmdevmgmt -n "gdev:$S/d2.img:$S/d2.moved"
expect_stdout "$S/d2.moved:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:g2:" hpvmdevmgmt -l "gdev:$S/d2.moved"
expect_sql "SELECT s.location FROM storage_devices s JOIN guests g ON g.id = s.guest_id
            WHERE g.name = 'g2' AND s.device_type = 'disk'" "$S/d2.moved"
run hpvmstatus -P g2 -d
assert_stdout_has "^disk:avio_stor:0,0,1:file:$S/d2.moved\$"

# ------------------------------------------------------------------------
section "hpvmremove drops dependents; PRESERVE=YES keeps an entry"
expect_ok hpvmdevmgmt -m "gdev:$S/d1.img:attr:PRESERVE=YES"
expect_ok hpvmremove -Q -P g1
expect_stdout - hpvmdevmgmt -l gdev <<EOF
$S/cd.iso,$S/link.iso:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=YES:g2:
$S/d1.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO,PRESERVE=YES::
$S/d2.moved:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:g2:
EOF
expect_ok hpvmremove -Q -P g2
expect_stdout "$S/d1.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO,PRESERVE=YES::" hpvmdevmgmt -l gdev
# A preserved entry's attributes are kept for the next guest.
expect_ok hpvmcreate -P g4 -a "disk:avio_stor::file:$S/link.img"
expect_stdout "$S/d1.img,$S/link.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO,PRESERVE=YES:g4:" hpvmdevmgmt -l gdev
expect_stderr 0 "hpvmdevmgmt: WARNING: Guest 'g4' still has the device in its configuration; 'hpvmdevmgmt -r' lists it." \
  hpvmdevmgmt -d gdev:all:depend:g4
expect_stdout "$S/d1.img,$S/link.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO,PRESERVE=YES::" hpvmdevmgmt -l gdev

# ------------------------------------------------------------------------
section "-S creates and extends backing files"
before=$(log_lines)
expect_ok hpvmdevmgmt -S 3M "$S/new.img"
expect_logged "$before" SUCCESS "hpvmdevmgmt -S 3M $S/new.img\$"
check "new.img is 3 MiB" test "$(stat -c %s "$S/new.img")" = 3145728
check "new.img is allocated (not sparse)" test "$(stat -c %b "$S/new.img")" -ge 6144
check "new.img is mode 0600" test "$(file_mode "$S/new.img")" = 600
expect_ok hpvmdevmgmt -S 4096K "$S/new.img"
check "new.img grew to 4 MiB" test "$(stat -c %s "$S/new.img")" = 4194304
expect_ok hpvmdevmgmt -A -S 1G "$S/sparse.img"
check "sparse.img is 1 GiB" test "$(stat -c %s "$S/sparse.img")" = 1073741824
check "sparse.img allocates nothing" test "$(stat -c %b "$S/sparse.img")" -lt 64
expect_stdout "hpvmdevmgmt: '$S/v.img' is 1048576 bytes." hpvmdevmgmt -V -S 1 "$S/v.img"
# A progress bar only on a terminal, and only for large writes (script(1)
# gives the command a terminal).
expect_ok hpvmdevmgmt -S 70M "$S/big.img" # no progress bar: stderr is a file
rm -f "$S/big.img"
if command -v script >/dev/null; then
  script -qec "$(printf '%q ' hpvmdevmgmt -S 70M "$S/big.img")" /dev/null >"$S/tty.out" 2>&1
  check "a progress bar on a terminal ends at 100%" \
    grep -qE "hpvmdevmgmt: $S/big.img \[#{40}\] 100%" <(tr '\r' '\n' <"$S/tty.out")
  check "big.img is 70 MiB" test "$(stat -c %s "$S/big.img")" = 73400320
  rm -f "$S/big.img"
else
  skip "script(1) is not installed: the progress bar is not checked"
fi
expect_stderr 1 "hpvmdevmgmt: ERROR: '$S/new.img' is already 4194304 bytes, more than 1048576; a backing file is never shrunk." \
  hpvmdevmgmt -S 1M "$S/new.img"
expect_stderr 1 "hpvmdevmgmt: ERROR: '$S/vault' exists and is not a regular file." hpvmdevmgmt -S 1M "$S/vault"
expect_stderr 2 - hpvmdevmgmt -S 12X "$S/x.img" <<'EOF'
hpvmdevmgmt: ERROR: Invalid file size '12X': expected a number with K, M, G or T, such as 512M or 20G (no unit means megabytes).
Run 'hpvmdevmgmt --help' for usage.
EOF
check "a refused -S creates nothing" test ! -e "$S/x.img"
expect_stderr 2 - hpvmdevmgmt -S 1M <<'EOF'
hpvmdevmgmt: ERROR: -S needs a file name: hpvmdevmgmt -S size file.
Run 'hpvmdevmgmt --help' for usage.
EOF

section "hostile entry names: refused by -a, harmless in the -r script"
refuse 1 "hpvmdevmgmt: ERROR: An entry name may not contain control characters." \
  hpvmdevmgmt -a $'gdev:/tmp/y\ntouch /tmp/PWNED #'
refuse 1 "hpvmdevmgmt: ERROR: 'rel/x' is not an absolute path: gdev entries name host paths." \
  hpvmdevmgmt -a gdev:rel/x
long="/$(printf 'a%.0s' {1..5000})"
refuse 1 "hpvmdevmgmt: ERROR: The path is 5001 characters long; the host takes at most 4095." \
  hpvmdevmgmt -a "rdev:$long"
# An entry made before these checks (written here straight into the table)
# still cannot smuggle a command into the repair script: its comment shows
# the newline as '?'.
sqlite3 "$DB" "INSERT INTO devdb_entries (type, name) VALUES ('gdev', '$S/gone' || char(10) || 'touch $S/PWNED #')"
run hpvmdevmgmt -r
assert_exit 0
assert_stdout_has "^# gdev entry '$S/gone\?touch $S/PWNED #' does not exist on this host\.$"
run sh -c 'hpvmdevmgmt -r | grep -v "^hpvmdevmgmt " | sh -n && hpvmdevmgmt -r | grep -c "^touch"'
assert_stdout "0"
check "the repair script, run, creates nothing" bash -c "hpvmdevmgmt -r | grep -v '^hpvmdevmgmt ' | sh >/dev/null 2>&1; test ! -e '$S/PWNED'"
# The same through a guest's own backing path (an old or edited database):
# the comments naming a guest's missing storage show the newline as '?'.
sized_file "$S/inj.img" 1M
expect_ok hpvmcreate -P inj -a "disk:avio_stor::file:$S/inj.img"
sqlite3 "$DB" "UPDATE storage_devices SET location = '$S/gone2' || char(10) || 'touch $S/PWNED2 #' WHERE guest_id = (SELECT id FROM guests WHERE name = 'inj')"
run hpvmdevmgmt -r
assert_exit 0
assert_stdout_has "^# Guest 'inj' uses '$S/gone2\?touch $S/PWNED2 #' \(disk\), which does not exist on this host\.$"
check "the repair script with a hostile backing path, run, creates nothing" bash -c "hpvmdevmgmt -r | grep -v '^hpvmdevmgmt ' | sh >/dev/null 2>&1; test ! -e '$S/PWNED2'"
expect_ok hpvmremove -P inj -Q

section "read-only modes are not logged"
before=$(log_lines)
run hpvmdevmgmt -l all
run hpvmdevmgmt -r
run hpvmdevmgmt -v
expect_not_logged "$before"

finish

#!/usr/bin/env bash
# What no guest may be given, with or without rdev entries (hpvmhostrdev has
# not run here): the suite's own files by any path (symlink, hard link, a
# file not made yet), host storage in use (a loop file system mounted in a
# private mount namespace, or in another one, swap areas (a loop device and
# a file, turned on for a moment), an LVM PV under an active LV,
# the disk holding /), and host system files (unless -F). Every entry point
# asks: hpvmcreate, hpvmmodify -a/-m, hpvmclone -b (target and source),
# hpvmdevmgmt -a/-n/-S, hpvmimport's map, and hpvmstart, which also refuses a
# backing store that is no longer the file it was configured with. Mounts,
# volume groups and loop devices made here are removed at exit by lib.sh.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: loop devices, mounts and system directories need root."
  exit 77
fi
export LVM_SUPPRESS_FD_WARNINGS=1

# ------------------------------------------------------------------------
section "the suite's own files, by any path, never back a guest (-F or not)"
expect_ok hpvmcreate -P base
own() { printf "Backing store '%s' is in %s, the HPVM suite's own directory%s; no guest may have it." "$1" "$HPVM_ROOT" "${2:+ (it leads to '$2')}"; }
refused hpvmcreate x "$(own "$DB")" -- -a "disk:avio_stor::file:$DB"
refused hpvmcreate x "$(own "$DB")" -- -F -a "disk:avio_stor::file:$DB"
refused hpvmcreate x "$(own "$LOG")" -- -a "disk:avio_stor::file:$LOG"
refused hpvmcreate x "$(own "$HPVM_ROOT/new.img")" -- -F -a "disk:avio_stor::file:$HPVM_ROOT/new.img"
refused hpvmcreate x "$(own "$HPVM_ROOT/guests")" -- -a "dvd:avio_stor::null:$HPVM_ROOT/guests"
ln -s "$DB" "$S/db-link"
refused hpvmcreate x "$(own "$S/db-link" "$DB")" -- -a "disk:avio_stor::file:$S/db-link"
# A link to a file not made yet under the root still leads there.
ln -s "$HPVM_ROOT/later.img" "$S/later-link"
refused hpvmcreate x "$(own "$S/later-link" "$HPVM_ROOT/later.img")" -- -F -a "disk:avio_stor::file:$S/later-link"
ln "$DB" "$S/db-hard"
refused hpvmcreate x "Backing store '$S/db-hard' is a hard link to '$DB', a file of the HPVM suite; no guest may have it." \
  -- -a "disk:avio_stor::file:$S/db-hard"
check "a bind mount of the root is the root" unshare -m bash -c '
  mkdir -p "$1" && mount --bind "$HPVM_ROOT" "$1" &&
    [[ $(hpvmcreate -P x -a "disk:avio_stor::file:$1/hpvm.db" 2>&1) == *"HPVM suite'"'"'s own directory"* ]]' _ "$S/bind"
expect_sql "SELECT count(*) FROM guests WHERE name = 'x'" 0

section "hpvmmodify -a/-m, hpvmdevmgmt -a/-n/-S and hpvmimport refuse them too"
sized_file "$S/ok.img" 1M
expect_ok hpvmcreate -P g1 -a "disk:avio_stor::file:$S/ok.img"
refused hpvmmodify g1 "$(own "$DB")" -- -a "disk:avio_stor::file:$DB"
refused hpvmmodify g1 "$(own "$S/db-link" "$DB")" -- -m "disk:avio_stor:0,0,0:file:$S/db-link"
refuse 1 "hpvmdevmgmt: ERROR: $(own "$DB")" hpvmdevmgmt -a "gdev:$DB"
refuse 1 "hpvmdevmgmt: ERROR: $(own "$S/db-link" "$DB")
hpvmdevmgmt: Unable to replace '$S/ok.img'." hpvmdevmgmt -n "gdev:$S/ok.img:$S/db-link"
size=$(stat -c %s "$DB")
refuse 1 "hpvmdevmgmt: ERROR: $(own "$DB")" hpvmdevmgmt -S 1M "$DB"
check "-S left the database's size alone" test "$(stat -c %s "$DB")" = "$size"
refuse 1 "hpvmdevmgmt: ERROR: $(own "$HPVM_ROOT/new.img")" hpvmdevmgmt -S 1M "$HPVM_ROOT/new.img"
check "-S made no file in the root" test ! -e "$HPVM_ROOT/new.img"
IN=$(new_tmpdir)
printf '[Storage Interface Details]\ndisk:scsi:0,2,0:lv:/dev/vg/rl1\n' >"$IN/devices.txt"
printf '/dev/vg/rl1 %s\n' "$DB" >"$IN/map.txt"
refuse 1 "hpvmimport: ERROR (i1): Devices line 2 'disk:scsi:0,2,0:lv:/dev/vg/rl1' ('/dev/vg/rl1' mapped to '$DB'): $(own "$DB")
hpvmimport: Unable to import the guest." hpvmimport -F -P i1 -D "$IN/devices.txt" -f "$IN/map.txt"

section "hpvmclone -b: neither the copy's target nor its source"
# (-F: the device a refused -b leaves to the clone may be shared with g1.)
refused hpvmclone g1 "$(own "$HPVM_ROOT/c1.img")" -- -F -N c1 -b "disk:avio_stor:0,0,0:file:$HPVM_ROOT/c1.img"
check "no target file was made in the root" test ! -e "$HPVM_ROOT/c1.img"
mv "$S/ok.img" "$S/ok.img.away"
ln -s "$DB" "$S/ok.img"
# The source is refused for the copy, and then as the device the clone
# would inherit.
refused hpvmclone g1 "$(own "$S/ok.img" "$DB")" \
  "disk:avio_stor:0,0,0:file:$S/ok.img (from the guest 'g1'): $(own "$S/ok.img" "$DB")" \
  -- -F -N c1 -b "disk:avio_stor:0,0,0:file:$S/c1.img"
check "no target file was made" test ! -e "$S/c1.img"
refused hpvmclone g1 "disk:avio_stor:0,0,0:file:$S/ok.img (from the guest 'g1'): $(own "$S/ok.img" "$DB")" -- -N c1 -F

section "hpvmstart checks what each backing store is now"
# g1's file became a symlink to the database after it was configured.
refused hpvmstart g1 "disk 0,0,0: $(own "$S/ok.img" "$DB")" --
# ... or another file: refused until hpvmdevmgmt -I records it.
rm "$S/ok.img"
sized_file "$S/other.img" 1M
ln -s "$S/other.img" "$S/ok.img"
refused hpvmstart g1 "disk 0,0,0: the backing store '$S/ok.img' is no longer the file or device it was configured with (it is now a regular file, '$S/other.img'); if it was replaced on purpose, 'hpvmdevmgmt -I' records what it is now." --
rm "$S/ok.img"
sized_file "$S/ok.img" 1M
refused hpvmstart g1 "disk 0,0,0: the backing store '$S/ok.img' is no longer the file or device it was configured with (it is now a regular file); if it was replaced on purpose, 'hpvmdevmgmt -I' records what it is now." --
expect_ok hpvmdevmgmt -I
expect_sql "SELECT identity FROM storage_devices WHERE location = '$S/ok.img'" \
  "ino:$(stat -c '%d:%i' "$S/ok.img")"

# ------------------------------------------------------------------------
section "host system files need -F, and get a warning"
sys() { printf "Backing store '%s' is a host system file (under %s)%s" "$1" "$2" "${3:+ (it leads to '$3')}"; }
refused hpvmcreate x "$(sys /etc/shadow /etc); a guest gets it only with -F." -- -a "disk:avio_stor::file:/etc/shadow"
ln -s /etc/shadow "$S/shadow-link"
refused hpvmcreate x "$(sys "$S/shadow-link" /etc /etc/shadow); a guest gets it only with -F." -- -a "disk:avio_stor::file:$S/shadow-link"
refused hpvmmodify g1 "$(sys /etc/shadow /etc); a guest gets it only with -F." -- -m "disk:avio_stor:0,0,0:file:/etc/shadow"
refuse 1 "hpvmdevmgmt: ERROR: $(sys /etc/shadow /etc); a guest gets it only with -F.
hpvmdevmgmt: Unable to replace '$S/ok.img'." hpvmdevmgmt -n "gdev:$S/ok.img:/etc/shadow"
size=$(stat -c %s /etc/shadow)
refuse 1 "hpvmdevmgmt: ERROR: $(sys /etc/shadow /etc); a guest gets it only with -F." hpvmdevmgmt -S 1M /etc/shadow
check "-S left /etc/shadow alone" test "$(stat -c %s /etc/shadow)" = "$size"
printf '/dev/vg/rl1 %s\n' /etc/shadow >"$IN/map.txt"
refuse 1 "hpvmimport: ERROR (i1): Devices line 2 'disk:scsi:0,2,0:lv:/dev/vg/rl1' ('/dev/vg/rl1' mapped to '/etc/shadow'): $(sys /etc/shadow /etc); a guest gets it only with -F.
hpvmimport: Unable to import the guest." hpvmimport -P i1 -D "$IN/devices.txt" -f "$IN/map.txt"
# A guest image kept under /var/lib is given with -F and a warning.
SYSDIR=$(mktemp -d /var/lib/hpvm-guard.XXXXXX)
_cleanup_dirs+=("$SYSDIR")
sized_file "$SYSDIR/d.img" 1M
run hpvmcreate -P s1 -F -a "disk:avio_stor::file:$SYSDIR/d.img"
assert_exit 0
assert_stderr "hpvmcreate: WARNING (s1): $(sys "$SYSDIR/d.img" /var/lib); given to the guest anyway (-F)."
run hpvmdevmgmt -l "gdev:$SYSDIR/d.img"
assert_stdout "$SYSDIR/d.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:s1:"
expect_ok hpvmremove -Q -P s1
run hpvmdevmgmt -a "gdev:$SYSDIR/d.img"
assert_exit 0
assert_stderr "hpvmdevmgmt: WARNING: $(sys "$SYSDIR/d.img" /var/lib); a guest gets it only with -F."
# At start, a file given with -F that became a link to a system file is refused.
sized_file "$S/s2.img" 1M
expect_ok hpvmcreate -P s2 -a "disk:avio_stor::file:$S/s2.img"
rm "$S/s2.img"
ln -s /etc/shadow "$S/s2.img"
refused hpvmstart s2 "disk 0,0,0: $(sys "$S/s2.img" /etc /etc/shadow); a guest gets it only with -F." --

# ------------------------------------------------------------------------
section "host storage in use: a file system mounted in this mount namespace"
new_root
new_loop L "$S/l.raw" 16M
mkdir -p "$S/mnt" "$S/mnt2"
if ! mkfs.ext4 -q -F "$L" >/dev/null 2>&1; then
  skip "mkfs.ext4 cannot make a file system on a loop device here"
else
  sized_file "$S/src.img" 1M
  expect_ok hpvmcreate -P src -a "disk:avio_stor::file:$S/src.img"
  # The command runs in a private mount namespace where $L is mounted.
  cat >"$S/mounted" <<EOS
#!/bin/bash
mount "$L" "$S/mnt" || exit 99
exec "\$@"
EOS
  chmod +x "$S/mounted"
  # in_use TEXT CMD...: CMD, run where $L is mounted, is refused with TEXT.
  in_use() {
    local text=$1
    shift
    db_snapshot
    run unshare -m --propagation private "$S/mounted" "$@"
    assert_exit 1
    assert_stdout ""
    assert_stderr "$text"
    expect_db_unchanged
  }
  used="Backing store '$L' is host storage in use ($L is mounted on $S/mnt); no guest may have it."
  in_use "hpvmcreate: ERROR (m1): $used
hpvmcreate: Unable to create the guest." hpvmcreate -P m1 -a "disk:avio_stor::disk:$L"
  in_use "hpvmmodify: ERROR (src): $used
hpvmmodify: Unable to modify the guest." hpvmmodify -P src -a "disk:avio_stor::disk:$L"
  in_use "hpvmclone: ERROR (src): $used
hpvmclone: Unable to clone the guest." hpvmclone -P src -F -N c1 -b "disk:avio_stor:0,0,0:disk:$L"
  in_use "hpvmdevmgmt: ERROR: $used" hpvmdevmgmt -a "gdev:$L"
  # The file behind the loop device is that file system too.
  in_use "hpvmcreate: ERROR (m1): Backing store '$S/l.raw' is host storage in use (it backs $L, and $L is mounted on $S/mnt); no guest may have it.
hpvmcreate: Unable to create the guest." hpvmcreate -P m1 -a "disk:avio_stor::file:$S/l.raw"
  # A guest configured on it while it was free does not start on it.
  expect_ok hpvmcreate -P m2 -a "disk:avio_stor::disk:$L"
  in_use "hpvmstart: ERROR (m2): disk 0,0,0: $used
hpvmstart: Unable to start the guest." hpvmstart -P m2
  expect_ok hpvmremove -Q -P m2
  # A disk one of whose partitions is mounted.
  P=""
  if command -v sfdisk >/dev/null && new_loop P "$S/p.raw" 16M -P; then
    printf 'label: dos\n,6M\n,\n' | sfdisk -q "$P" >/dev/null 2>&1
    partx -u "$P" >/dev/null 2>&1
  fi
  if [[ -n $P && -b ${P}p1 ]] && mkfs.ext4 -q -F "${P}p1" >/dev/null 2>&1; then
    db_snapshot
    run unshare -m --propagation private bash -c 'mount "$1" "$2" && exec "${@:3}"' _ "${P}p1" "$S/mnt" \
      hpvmcreate -P m1 -a "disk:avio_stor::disk:$P"
    assert_exit 1
    assert_stderr "hpvmcreate: ERROR (m1): Backing store '$P' is host storage in use (${P}p1 is mounted on $S/mnt); no guest may have it.
hpvmcreate: Unable to create the guest."
    expect_db_unchanged
  else
    skip "this kernel shows no partitions of a partitioned loop device (losetup -P, sfdisk), or mkfs.ext4 failed"
  fi

  section "host storage in use: mounted in another mount namespace"
  unshare -m --propagation private bash -c 'mount "$1" "$2" && exec sleep 60' _ "$L" "$S/mnt2" &
  holder=$!
  track_pid "$holder"
  for ((i = 0; i < 100; i++)); do
    grep -qs " $S/mnt2 " "/proc/$holder/mountinfo" && break
    sleep 0.05
  done
  if grep -qs " $S/mnt2 " "/proc/$holder/mountinfo"; then
    busy="Backing store '$L' is host storage in use ($L is busy: the kernel refuses to open it exclusively (it is mounted, swapped or held elsewhere)); no guest may have it."
    refused hpvmcreate m1 "$busy" -- -a "disk:avio_stor::disk:$L"
    # hpvmclone -b onto it: the overwrite of a mounted file system.
    refused hpvmclone src "$busy" -- -F -N c1 -b "disk:avio_stor:0,0,0:disk:$L"
  else
    fail "the second mount namespace did not mount $L"
  fi
  kill "$holder"
  wait "$holder" 2>/dev/null
fi

section "host storage in use: swap areas, a device and a file"
# swapon is host-wide (no namespace hides it): a 16 MB area, turned off at exit.
new_loop W "$S/w.raw" 16M
if mkswap "$W" >/dev/null 2>&1 && swapon "$W" 2>/dev/null; then
  track_swap "$W"
  refused hpvmcreate w1 "Backing store '$W' is host storage in use ($W is a swap area); no guest may have it." \
    -- -a "disk:avio_stor::disk:$W"
  swapoff "$W"
  expect_ok hpvmcreate -P w1 -a "disk:avio_stor::disk:$W"
  expect_ok hpvmremove -Q -P w1
else
  skip "a loop device cannot be a swap area here"
fi
dd if=/dev/zero of="$S/swapfile" bs=1M count=16 status=none
chmod 600 "$S/swapfile"
if mkswap "$S/swapfile" >/dev/null 2>&1 && swapon "$S/swapfile" 2>/dev/null; then
  track_swap "$S/swapfile"
  refused hpvmcreate w1 "Backing store '$S/swapfile' is host storage in use (a swap file); no guest may have it." \
    -- -a "disk:avio_stor::file:$S/swapfile"
  ln -s "$S/swapfile" "$S/swaplink"
  refused hpvmcreate w1 "Backing store '$S/swaplink' is host storage in use (a swap file, '$S/swapfile'); no guest may have it." \
    -- -a "disk:avio_stor::file:$S/swaplink"
  swapoff "$S/swapfile"
else
  skip "this file system takes no swap file"
fi

section "host storage in use: the disk holding /"
root_majmin=$(awk '$5 == "/" {print $3; exit}' /proc/self/mountinfo)
if [[ $root_majmin != 0:* && -e /sys/dev/block/$root_majmin ]]; then
  root_name=$(basename "$(readlink -f "/sys/dev/block/$root_majmin")")
  disk=$root_name
  if [[ -e /sys/class/block/$root_name/partition ]]; then
    disk=$(basename "$(dirname "$(readlink -f "/sys/class/block/$root_name")")")
  fi
  if [[ -b /dev/$disk && -b /dev/$root_name ]]; then
    refused hpvmcreate r1 "Backing store '/dev/$disk' is host storage in use (/dev/$root_name is mounted on /); no guest may have it." \
      -- -a "disk:avio_stor::disk:/dev/$disk"
    # A symlink to it (as a /dev/disk/by-id name is) is no way round.
    ln -s "/dev/$disk" "$S/root-disk"
    refused hpvmcreate r1 "Backing store '$S/root-disk' is host storage in use (/dev/$root_name is mounted on /); no guest may have it." \
      -- -a "disk:avio_stor::disk:$S/root-disk"
  else
    skip "/dev/$disk is not a device node here"
  fi
else
  skip "/ is not on a block device here ($root_majmin)"
fi

section "host storage in use: a physical volume under an active logical volume"
VG="hpvmguard_$$"
new_loop PV "$S/pv.raw" 32M
if ! command -v vgcreate >/dev/null || [[ ! -c /dev/mapper/control ]]; then
  skip "LVM or device-mapper is missing here"
elif ! pvcreate -q "$PV" >/dev/null 2>&1 || ! vgcreate -q "$VG" "$PV" >/dev/null 2>&1; then
  skip "LVM cannot create a volume group on a loop device here"
else
  track_vg "$VG"
  if lvcreate -q -y -L 8M -n lv1 "$VG" >/dev/null 2>&1; then
    refused hpvmcreate p1 "Backing store '$PV' is host storage in use ($PV is held by /dev/mapper/$VG-lv1); no guest may have it." \
      -- -a "disk:avio_stor::disk:$PV"
    # The LV itself is free: a guest may have it.
    expect_ok hpvmcreate -P p1 -a "disk:avio_stor::lv:/dev/$VG/lv1"
    expect_ok hpvmremove -Q -P p1
  else
    skip "lvcreate cannot make an active LV here (device-mapper missing from the kernel?)"
  fi
fi

finish

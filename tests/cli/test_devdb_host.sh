#!/usr/bin/env bash
# The device rules on real block devices: loop devices (whole disks and
# partitions), a real LVM volume group on loop devices, and a mounted loop
# file system that hpvmhostrdev restricts. Every refusal leaves the database
# byte-identical. Everything made here (mounts, VGs, loop devices) is
# removed at exit by lib.sh. It runs in its own network namespace: the
# start-up run (hpvmnet -b) boots localnet, whose bridge must stay private.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: loop devices, mounts and LVM need root."
  exit 77
fi
if ! new_loop A "$S/a.raw" 16M; then
  echo "SKIP: no loop device can be attached here (losetup -f failed)."
  exit 77
fi
export LVM_SUPPRESS_FD_WARNINGS=1

# ------------------------------------------------------------------------
section "a loop disk given to one guest"
expect_ok hpvmcreate -P g1 -a "disk:avio_stor::disk:$A"
expect_stdout "$A:CONFIG=gdev,EXIST=YES,DEVTYPE=DISK,SHARE=NO:g1:" hpvmdevmgmt -l "gdev:$A"
refused hpvmcreate g2 "Backing store '$A' is used by guest 'g1'; it can be shared only when its gdev entry has SHARE=YES (hpvmdevmgmt -m gdev:$A:attr:SHARE=YES)." \
  -- -a "disk:avio_stor::disk:$A"
# A symlink (as /dev/disk/by-* names are) to the same disk is the same entity.
ln -s "$A" "$S/by-id-link"
refused hpvmcreate g2 "Backing store '$S/by-id-link' is used by guest 'g1'; it can be shared only when its gdev entry has SHARE=YES (hpvmdevmgmt -m gdev:$A:attr:SHARE=YES)." \
  -- -a "disk:avio_stor::disk:$S/by-id-link"
expect_ok hpvmremove -Q -P g1
refused hpvmcreate g1x "Backing store '$S/by-id-link' is already given to this guest (directly or by another path)." \
  -- -a "disk:avio_stor::disk:$A" -a "disk:avio_stor::disk:$S/by-id-link"
expect_stdout "" hpvmdevmgmt -l gdev

section "a disk and its partitions overlap"
P=""
if command -v sfdisk >/dev/null && new_loop P "$S/p.raw" 16M -P; then
  printf 'label: dos\n,6M\n,\n' | sfdisk -q "$P" >/dev/null 2>&1
  partx -u "$P" >/dev/null 2>&1
fi
if [[ -n $P && -b ${P}p1 && -b ${P}p2 ]]; then
  # A partition is not a whole disk, so it is never a guest's disk; a
  # restricted (mounted) partition restricts its disk, and the reverse.
  expect_ok hpvmdevmgmt -a "rdev:${P}p1"
  refused hpvmcreate g3 "Backing store '$P' is restricted: it shares blocks with '${P}p1' (a partition, device-mapper or md device stacked with it); '${P}p1' is an rdev entry the host uses." \
    -- -a "disk:avio_stor::disk:$P"
  expect_ok hpvmdevmgmt -d "rdev:${P}p1"
  expect_ok hpvmcreate -P g3 -a "disk:avio_stor::disk:$P"
  run hpvmdevmgmt -a "rdev:${P}p2"
  assert_exit 0
  assert_stderr ""
  expect_ok hpvmremove -Q -P g3
  refused hpvmcreate g3 "Backing store '$P' is restricted: it shares blocks with '${P}p2' (a partition, device-mapper or md device stacked with it); '${P}p2' is an rdev entry the host uses." \
    -- -a "disk:avio_stor::disk:$P"
  expect_ok hpvmdevmgmt -d "rdev:${P}p2"
else
  skip "this kernel shows no partitions of a partitioned loop device (losetup -P, sfdisk), or sfdisk is missing"
fi

# ------------------------------------------------------------------------
section "LVM: an LV and the physical volumes of its volume group overlap"
VG="hpvmtest_$$"
new_loop PV "$S/pv.raw" 32M
if ! command -v vgcreate >/dev/null; then
  skip "LVM (lvm2) is not installed: scripts/bootstrap installs it"
elif ! pvcreate -q "$PV" >/dev/null 2>&1 || ! vgcreate -q "$VG" "$PV" >/dev/null 2>&1; then
  skip "LVM cannot create a volume group on a loop device here"
else
  track_vg "$VG"
  LV=/dev/$VG/lv1
  ACTIVE=0
  if [[ -c /dev/mapper/control ]] && lvcreate -q -y -L 8M -n lv1 "$VG" >/dev/null 2>&1; then
    # An active LV holds its PV, and storage the host holds is never a
    # guest's (test_storage_guard.sh): the overlap rules are checked on the
    # inactive LV, given with -F (its device node is gone); the sections
    # that need a real LV activate it.
    ACTIVE=1
    vgchange -q -an "$VG" >/dev/null 2>&1
    F=(-F)
  elif lvcreate --config 'global{activation=0}' -an -Zn -q -y -L 8M -n lv1 "$VG" >/dev/null 2>&1; then
    # No device-mapper in this kernel: the LV exists in LVM's metadata only,
    # so it is given with -F (its device node does not exist).
    echo "note: no device-mapper here; $LV is inactive and given with -F"
    F=(-F)
  else
    F=none
  fi
  if [[ ${F[*]-} == none ]]; then
    skip "lvcreate failed"
  else
    expect_ok hpvmcreate -P g1 -a "disk:avio_stor::disk:$PV"
    refused hpvmcreate g2 "Backing store '$LV' overlaps storage guest 'g1' uses: it is a logical volume of volume group '$VG', which is on '$PV'." \
      -- ${F[@]+"${F[@]}"} -a "disk:avio_stor::lv:$LV"
    expect_ok hpvmremove -Q -P g1
    run hpvmcreate -P g2 ${F[@]+"${F[@]}"} -a "disk:avio_stor::lv:$LV"
    assert_exit 0
    refused hpvmcreate g3 "Backing store '$PV' overlaps storage guest 'g2' uses: it holds volume group '$VG', whose logical volume is '$LV'." \
      -- -a "disk:avio_stor::disk:$PV"
    expect_ok hpvmremove -Q -P g2
    refused hpvmcreate g3 "Backing store '$PV' overlaps storage this guest uses: it holds volume group '$VG', whose logical volume is '$LV'." \
      -- ${F[@]+"${F[@]}"} -a "disk:avio_stor::lv:$LV" -a "disk:avio_stor::disk:$PV"

    section "LVM: the host restricts only what it uses of a volume group"
    # The host uses nothing of this VG: hpvmhostrdev leaves its PV alone and
    # its LVs stay available to guests.
    expect_ok hpvmhostrdev -u
    expect_stderr 1 "hpvmdevmgmt: ERROR: There is no rdev entry '$PV'." hpvmdevmgmt -l "rdev:$PV"
    run hpvmcreate -P l1 ${F[@]+"${F[@]}"} -a "disk:avio_stor::lv:$LV"
    assert_exit 0
    expect_ok hpvmremove -Q -P l1
    # A restricted PV (as the PV under the host's root LV is) restricts the
    # disk, not the other LVs of its volume group.
    expect_ok hpvmdevmgmt -a "rdev:$PV"
    refused hpvmcreate l1 "Backing store '$PV' is restricted: it is an rdev entry; the host uses it." \
      -- -a "disk:avio_stor::disk:$PV"
    run hpvmcreate -P l1 ${F[@]+"${F[@]}"} -a "disk:avio_stor::lv:$LV"
    assert_exit 0
    expect_ok hpvmremove -Q -P l1
    expect_ok hpvmdevmgmt -d "rdev:$PV"
    if [[ $ACTIVE -eq 1 ]] && vgchange -q -ay "$VG" >/dev/null 2>&1; then
      # The LV itself restricted.
      expect_ok hpvmdevmgmt -a "rdev:$LV"
      refused hpvmcreate l1 "Backing store '$LV' is restricted: it is an rdev entry; the host uses it." \
        -- -a "disk:avio_stor::lv:$LV"
      expect_ok hpvmdevmgmt -d "rdev:$LV"
      # A real host use: an LV of the group mounted. hpvmhostrdev restricts
      # that LV and the PV behind it; the other LV stays a guest's.
      LV2=/dev/$VG/lv2
      mkdir -p "$S/lvmnt"
      if lvcreate -q -y -L 8M -n lv2 "$VG" >/dev/null 2>&1 && mkfs.ext4 -q -F "$LV2" >/dev/null 2>&1 &&
        mount "$LV2" "$S/lvmnt" 2>/dev/null; then
        track_mount "$S/lvmnt"
        expect_ok hpvmhostrdev -u
        run hpvmdevmgmt -l rdev:AUTORDEV=YES
        assert_stdout_has "^$PV[:,]"
        assert_stdout_has "^/dev/mapper/$VG-lv2[:,]"
        # What the host holds is refused before its rdev entries are looked at.
        refused hpvmcreate l1 "Backing store '$LV2' is host storage in use (/dev/mapper/$VG-lv2 is mounted on $S/lvmnt); no guest may have it." \
          -- -a "disk:avio_stor::lv:$LV2"
        refused hpvmcreate l1 "Backing store '$PV' is host storage in use ($PV is held by /dev/mapper/$VG-lv1, /dev/mapper/$VG-lv2); no guest may have it." \
          -- -a "disk:avio_stor::disk:$PV"
        expect_ok hpvmcreate -P l1 -a "disk:avio_stor::lv:$LV"
        expect_ok hpvmremove -Q -P l1
        umount "$S/lvmnt"
        expect_ok hpvmhostrdev -d
      else
        skip "an LV file system cannot be made or mounted here"
      fi
      vgchange -q -an "$VG" >/dev/null 2>&1
    else
      skip "no device-mapper here: an rdev LV and a host-mounted LV need active LVs"
    fi

    section "LVM overlap through hpvmmodify -a/-m and hpvmclone"
    sized_file "$S/o.img" 1M
    expect_ok hpvmcreate -P o1 -a "disk:avio_stor::disk:$PV"
    expect_ok hpvmcreate -P o2 -a "disk:avio_stor::file:$S/o.img"
    overlap_o1="Backing store '$LV' overlaps storage guest 'o1' uses: it is a logical volume of volume group '$VG', which is on '$PV'."
    refused hpvmmodify o2 "$overlap_o1" -- ${F[@]+"${F[@]}"} -a "disk:avio_stor::lv:$LV"
    refused hpvmmodify o2 "$overlap_o1" -- ${F[@]+"${F[@]}"} -m "disk:avio_stor:0,0,0:lv:$LV"
    refused hpvmmodify o2 "Backing store '$PV' is used by guest 'o1'; it can be shared only when its gdev entry has SHARE=YES (hpvmdevmgmt -m gdev:$PV:attr:SHARE=YES)." -- \
      -a "disk:avio_stor::disk:$PV"
    expect_ok hpvmremove -Q -P o1
    # The clone of a guest on an LV whose volume group has since grown onto
    # a disk another guest uses inherits the overlap: refused, -F or not.
    run hpvmmodify -P o2 ${F[@]+"${F[@]}"} -m "disk:avio_stor:0,0,0:lv:$LV"
    assert_exit 0
    if new_loop Q "$S/q.raw" 16M; then
      expect_ok hpvmcreate -P o3 -a "disk:avio_stor::disk:$Q"
      if pvcreate -q "$Q" >/dev/null 2>&1 && vgextend -q "$VG" "$Q" >/dev/null 2>&1; then
        refused hpvmclone o2 "disk:avio_stor:0,0,0:lv:$LV (from the guest 'o2'): Backing store '$LV' overlaps storage guest 'o3' uses: it is a logical volume of volume group '$VG', which is on '$Q'." -- \
          -N o4 -F
        vgreduce -q "$VG" "$Q" >/dev/null 2>&1
      else
        skip "pvcreate/vgextend on a second loop device failed"
      fi
      expect_ok hpvmremove -Q -P o3
    else
      skip "no second loop device"
    fi
    expect_ok hpvmremove -Q -P o2
  fi
fi

# ------------------------------------------------------------------------
section "hpvmhostrdev restricts a mounted loop file system"
new_root
new_loop M "$S/m.raw" 16M
mkdir -p "$S/mnt"
if ! mkfs.ext4 -q -F "$M" >/dev/null 2>&1 || ! mount "$M" "$S/mnt" 2>/dev/null; then
  skip "a loop file system cannot be made or mounted here"
else
  track_mount "$S/mnt"
  # The start-up run (hpvmnet -b without -S, what hpvm.service runs at boot)
  # runs hpvmhostrdev -u unless -D turned it off.
  expect_ok hpvmhostrdev -D
  expect_ok hpvmnet -b
  expect_stdout "" hpvmdevmgmt -l rdev
  expect_ok hpvmhostrdev -E
  expect_ok hpvmnet -b
  expect_stdout "$M:CONFIG=rdev,EXIST=YES,DEVTYPE=DISK,SHARE=NO,AUTORDEV=YES::" hpvmdevmgmt -l "rdev:$M"
  expect_ok hpvmhostrdev -d
  expect_ok hpvmhostrdev -u
  expect_stdout "$M:CONFIG=rdev,EXIST=YES,DEVTYPE=DISK,SHARE=NO,AUTORDEV=YES::" hpvmdevmgmt -l "rdev:$M"
  # The device holding / (when / is on a block device) is restricted too.
  root_majmin=$(awk '$5 == "/" {print $3; exit}' /proc/self/mountinfo)
  if [[ $root_majmin != 0:* && -e /sys/dev/block/$root_majmin ]]; then
    root_dev=/dev/$(basename "$(readlink -f "/sys/dev/block/$root_majmin")")
    run hpvmdevmgmt -l rdev:AUTORDEV=YES
    assert_stdout_has "(^|,)$root_dev[:,]"
  else
    skip "/ is not on a block device here ($root_majmin): the check that its disk is restricted"
  fi
  # Mounted, it is refused before its rdev entry is looked at.
  refused hpvmcreate g1 "Backing store '$M' is host storage in use ($M is mounted on $S/mnt); no guest may have it." \
    -- -a "disk:avio_stor::disk:$M"
  # hand-made entries stay; -d removes only hpvmhostrdev's own.
  sized_file "$S/hand.img" 1M
  expect_ok hpvmdevmgmt -a "rdev:$S/hand.img"
  expect_ok hpvmhostrdev -d
  expect_stdout "$S/hand.img:CONFIG=rdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO::" hpvmdevmgmt -l rdev
  # -r puts back its own entries as they were before the last run, and
  # leaves hand-made ones (even newer ones) alone.
  sized_file "$S/hand2" 1M
  expect_ok hpvmdevmgmt -a "rdev:$S/hand2"
  expect_ok hpvmhostrdev -r
  expect_stdout "$M:CONFIG=rdev,EXIST=YES,DEVTYPE=DISK,SHARE=NO,AUTORDEV=YES::" hpvmdevmgmt -l "rdev:$M"
  expect_stdout "$S/hand2:CONFIG=rdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO::" hpvmdevmgmt -l "rdev:$S/hand2"
  expect_ok hpvmdevmgmt -d "rdev:$S/hand2"
  # Once unmounted, its entry is stale and the next run removes it.
  umount "$S/mnt"
  expect_ok hpvmhostrdev -u
  expect_stderr 1 "hpvmdevmgmt: ERROR: There is no rdev entry '$M'." hpvmdevmgmt -l "rdev:$M"
  expect_stdout "$S/hand.img:CONFIG=rdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO::" hpvmdevmgmt -l "rdev:$S/hand.img"
  expect_ok hpvmcreate -P g1 -a "disk:avio_stor::disk:$M"
  # A guest using what the host then mounts is reported.
  mount "$M" "$S/mnt"
  run hpvmhostrdev -u
  assert_exit 0
  assert_stderr "hpvmhostrdev: WARNING: Guest 'g1' uses '$M', which the host uses (mounted on $S/mnt)."
  umount "$S/mnt"
fi

section "hpvmhostrdev options"
before=$(log_lines)
expect_ok hpvmhostrdev -D
expect_logged "$before" SUCCESS "hpvmhostrdev -D\$"
check "-D writes disabled" test "$(cat "$HPVM_ROOT/common/hpvmhostrdev.auto")" = disabled
expect_ok hpvmhostrdev -E
check "-E writes enabled" test "$(cat "$HPVM_ROOT/common/hpvmhostrdev.auto")" = enabled
run hpvmhostrdev -h
assert_exit 0
assert_stdout_has '^  -u '
# A wrong command line exits 1, as HPVM's page says (0 or 1 only).
refuse 1 "hpvmhostrdev: ERROR: Give at most one of -u, -d, -r, -E, -D and -h.
Run 'hpvmhostrdev --help' for usage." hpvmhostrdev -u -d
refuse 1 "hpvmhostrdev: ERROR: The following argument was not expected: -x
Run 'hpvmhostrdev --help' for usage." hpvmhostrdev -x
refuse 1 "hpvmhostrdev: ERROR: The following argument was not expected: extra
Run 'hpvmhostrdev --help' for usage." hpvmhostrdev -u extra
new_root
expect_ok hpvmdevmgmt -a server:host1
refuse 1 "hpvmhostrdev: ERROR: There is no backup to restore: hpvmhostrdev has not changed the database." hpvmhostrdev -r

finish

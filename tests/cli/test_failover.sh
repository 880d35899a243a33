#!/usr/bin/env bash
# Issue 15, "Definitions that survive a failover copy": every committed change
# writes the guest's configuration to uuids/<uuid>/vmm_config.current (0600);
# OpenSVC's failover copy of guests/<name> and the uuids/<uuid> directory it
# points to (cp -a, as its sync does) is registered on the other host by
# hpvmstart -P or hpvmstatus -P, or updates that host's older configuration
# of the same UUID; every conflict is refused with that host's database and
# run directories unchanged. Two HPVM_ROOTs on this machine stand for the two
# hosts and share the backing files (shared storage); hpvmstart runs a
# firmware-only QEMU, in the suite's own network namespace.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/runtime_lib.sh
source "$(dirname "$0")/runtime_lib.sh"

A=$(new_tmpdir)/hosta
B=$(new_tmpdir)/hostb
mkdir -p "$A" "$B"

# opensvc_copy NAME: what OpenSVC's failover sync copies from host A to host
# B: the guests/NAME link and the directory it resolves to.
opensvc_copy() {
  local real
  real=$(realpath "$A/guests/$1")
  mkdir -p "$B/guests" "$B/uuids"
  cp -a "$A/guests/$1" "$B/guests/"
  cp -a "$real" "$B/uuids/"
}
on_a() { use_root "$A"; }
on_b() { use_root "$B"; }
config_of() { echo "$HPVM_ROOT/uuids/$(uuid_of "$1")/vmm_config.current"; }
header="# The configuration of an HPVM guest, written by the HPVM commands after each change;
# do not edit. A copy of this directory on another host registers the guest there
# when hpvmstart -P or hpvmstatus -P first names it."
not_registered="Unable to register the guest's configuration copied to this host."

for d in d1 d2 d3 r1 gone; do sized_file "$S/$d.img" 8M; done
# A start that should have been refused (a failing check) has its QEMU
# killed at exit like any other.
track_starts() {
  local f
  for f in "$B"/uuids/*/qemu.pid; do
    [[ -f $f ]] && track_pid "$(cat "$f")"
  done
}

section "each committed change writes the guest's configuration file"
on_a
expect_ok hpvmcreate -P g1 -O linux -r 256M -l web -u root:admin -x graceful_stop_timeout=30 \
  -a disk:avio_stor:0,1,0:file:"$S/d1.img" -a dvd:avio_stor:0,1,3:null: \
  -a network:avio_lan:0,5,0x02AABBCC0001:vswitch:localnet:portid:3
U1=$(uuid_of g1)
expect_stdout - cat "$A/uuids/$U1/vmm_config.current" <<EOF
$header
format 1
change 1
name g1
uuid $U1
os LINUX
vcpus 1
entitlement 10:100
memory 256M
label web
start auto
user root:admin
x graceful_stop_timeout=30
device disk:avio_stor:0,1,0:file:$S/d1.img
device dvd:avio_stor:0,1,3:null:
device network:avio_lan:0,5,0x02AABBCC0001:vswitch:localnet:portid:3
EOF
check "the file is 0600" test "$(stat -c %a "$A/uuids/$U1/vmm_config.current")" = 600
check "guests/g1 leads to it" test -f "$A/guests/g1/vmm_config.current"
check "no draft is left beside it" test "$(ls "$A/uuids/$U1")" = vmm_config.current
expect_ok hpvmmodify -P g1 -r 512M
expect_stdout "change 2
memory 512M" grep -E '^(change|memory) ' "$A/uuids/$U1/vmm_config.current"
# The registration attributes are the host's own: no new change.
expect_ok hpvmmodify -P g1 -x runnable_status=disabled
expect_ok hpvmmodify -P g1 -x runnable_status=enabled
expect_stdout "change 2" grep '^change ' "$A/uuids/$U1/vmm_config.current"
refused hpvmmodify g1 "Invalid memory size '1X': expected a size of at least 32 MB such as 512M or 4G." -- -r 1X

section "hpvmstart -P on the other host registers OpenSVC's copy and starts it"
opensvc_copy g1
on_b
check "host B has no database yet" test ! -e "$B/hpvm.db"
before=$(log_lines)
run hpvmstart -P g1
assert_exit 0
started g1
pid=$(cat "$B/uuids/$U1/qemu.pid")
assert_stdout "Checked the resources of guest 'g1'
Allocating guest memory: 512MB
Creating the virtual machine: 1 vCPU, 2 storage devices, 1 vNIC, $(accel) (qemu-system-x86_64)
Daemonizing.... (QEMU pid $pid)
hpvmstart: Successful start initiation of guest 'g1'"
assert_stderr "hpvmstart: WARNING (g1): The guest's configuration copied to this host ('$B/uuids/$U1/vmm_config.current', change 2) was registered as VM number 1."
expect_logged "$before" SUCCESS "hpvmstart -P g1"
expect_stdout "running" qmp g1 status
expect_sql "SELECT name, uuid, vm_number, memory_mb, label FROM guests" "g1|$U1|1|512|web"
expect_sql "SELECT printf('%X', mac), vswitch, port, vswitch_port FROM network_devices" "2AABBCC0001|localnet|3|3"
expect_stdout "$(HPVM_ROOT=$A hpvmstatus -D -P g1)" hpvmstatus -D -P g1
check "B's file is the copy, unchanged" cmp -s "$A/uuids/$U1/vmm_config.current" "$B/uuids/$U1/vmm_config.current"
expect_stdout "$S/d1.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:g1:" hpvmdevmgmt -l gdev
expect_ok hpvmstop -F -P g1
# Registered: nothing more to do, a plain status (not logged).
before=$(log_lines)
run hpvmstatus -M -P g1
assert_exit 0
assert_stderr ""
expect_not_logged "$before"

section "a copy made after a change on the first host updates the second"
on_a
expect_ok hpvmmodify -P g1 -c 2 -a disk:avio_stor:0,1,1:file:"$S/d2.img"
opensvc_copy g1
on_b
before=$(log_lines)
run hpvmstatus -M -P g1
assert_exit 0
assert_stderr "hpvmstatus: WARNING (g1): This host's configuration of the guest (change 2) was updated from the copy in '$B/uuids/$U1/vmm_config.current' (change 3)."
expect_logged "$before" SUCCESS "hpvmstatus -M -P g1"
expect_sql "SELECT vm_number, vcpus FROM guests" "1|2"
expect_stdout "$(HPVM_ROOT=$A hpvmstatus -D -P g1)" hpvmstatus -D -P g1
expect_stdout "$S/d1.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:g1:
$S/d2.img:CONFIG=gdev,EXIST=YES,DEVTYPE=FILE,SHARE=NO:g1:" hpvmdevmgmt -l gdev
check "B's file is the copy, unchanged" cmp -s "$A/uuids/$U1/vmm_config.current" "$B/uuids/$U1/vmm_config.current"

section "an older copy does not win: this host's configuration is written back"
expect_ok hpvmmodify -P g1 -l onb
expect_stdout "change 4" grep '^change ' "$B/uuids/$U1/vmm_config.current"
cp "$B/uuids/$U1/vmm_config.current" "$S/b4"
opensvc_copy g1 # A's, change 3
db_snapshot
run hpvmstatus -P g1
assert_exit 0
assert_stderr "hpvmstatus: WARNING (g1): The configuration copied into '$B/uuids/$U1/vmm_config.current' (change 3) is older than this host's (change 4): this host's was written there again."
expect_db_unchanged
check "B's own configuration is back in the file" cmp -s "$S/b4" "$B/uuids/$U1/vmm_config.current"

section "changed on both hosts: refused until one of them changes it again"
on_a
expect_ok hpvmmodify -P g1 -l ona # change 4 on A too
opensvc_copy g1
on_b
refuse 1 "hpvmstart: ERROR (g1): The guest was changed on this host and on another: the copied configuration '$B/uuids/$U1/vmm_config.current' and this host's are both change 4, and they differ. Change it again (hpvmmodify) on the host whose configuration is to be kept, then copy it here again.
hpvmstart: $not_registered" hpvmstart -P g1
refuse 1 "hpvmstatus: ERROR (g1): The guest was changed on this host and on another: the copied configuration '$B/uuids/$U1/vmm_config.current' and this host's are both change 4, and they differ. Change it again (hpvmmodify) on the host whose configuration is to be kept, then copy it here again.
hpvmstatus: $not_registered" hpvmstatus -P g1
on_a
expect_ok hpvmmodify -P g1 -l ona2
opensvc_copy g1
on_b
run hpvmstatus -M -P g1
assert_exit 0
assert_stderr "hpvmstatus: WARNING (g1): This host's configuration of the guest (change 4) was updated from the copy in '$B/uuids/$U1/vmm_config.current' (change 5)."
expect_sql "SELECT label FROM guests WHERE name = 'g1'" "ona2"

section "a newer copy of a guest running here is refused"
fake_qemu qpid g1
on_a
expect_ok hpvmmodify -P g1 -r 1G
opensvc_copy g1
on_b
refuse 1 "hpvmstatus: ERROR (g1): The guest runs on this host: the newer configuration copied into '$B/uuids/$U1/vmm_config.current' (change 6; this host's is change 5) is not applied while it runs.
hpvmstatus: $not_registered" hpvmstatus -P g1
stop_fake_qemu "$qpid"
run hpvmstatus -M -P g1
assert_exit 0
expect_sql "SELECT memory_mb FROM guests WHERE name = 'g1'" "1024"

section "conflicts with this host's guests are refused, nothing changed"
# Guests host B has of its own.
expect_ok hpvmcreate -P g2
U2B=$(uuid_of g2)
expect_ok hpvmcreate -P g3 -a network:avio_lan:0,5,0x02AABBCC0009:vswitch:localnet:portid:7
expect_ok hpvmdevmgmt -a rdev:"$S/r1.img"
on_a
expect_ok hpvmcreate -P g2 -a disk:avio_stor:0,1,0:file:"$S/d3.img"
U2A=$(uuid_of g2)
expect_ok hpvmcreate -P g4 -a network:avio_lan:0,5,0x02AABBCC0009:vswitch:localnet
expect_ok hpvmcreate -P g5 -a network:avio_lan:0,5,0x02AABBCC0005:vswitch:localnet:portid:7
expect_ok hpvmcreate -P g6 -a disk:avio_stor:0,1,0:file:"$S/r1.img"
expect_ok hpvmcreate -P g7 -a disk:avio_stor:0,1,0:file:"$S/gone.img"
for g in g2 g4 g5 g6 g7; do opensvc_copy "$g"; done
rm -f "$S/gone.img"
on_b
refuse 1 "hpvmstart: ERROR (g2): A guest named 'g2' with another UUID ($U2B) exists on this host; the copied configuration '$B/uuids/$U2A/vmm_config.current' has the UUID $U2A. To register the copy under this name, rename this host's guest first (hpvmmodify -P g2 -N <new name>); to keep this host's guest, remove the copy's directory '$B/uuids/$U2A'.
hpvmstart: $not_registered" hpvmstart -P g2
refuse 1 "hpvmstart: ERROR (g4): Unable to add 'network:avio_lan:0,5,0x02AABBCC0009:vswitch:localnet': MAC address 0x02AABBCC0009 is already used by guest 'g3'.
hpvmstart: $not_registered" hpvmstart -P g4
refuse 1 "hpvmstart: ERROR (g5): Unable to add 'network:avio_lan:0,5,0x02AABBCC0005:vswitch:localnet:portid:7': port 7 of vswitch 'localnet' is already reserved by guest 'g3'.
hpvmstart: $not_registered" hpvmstart -P g5
refuse 1 "hpvmstart: ERROR (g6): Backing store '$S/r1.img' is restricted: it is an rdev entry; the host uses it.
hpvmstart: $not_registered" hpvmstart -P g6
refuse 1 "hpvmstart: ERROR (g7): Backing store '$S/gone.img' does not exist.
hpvmstart: $not_registered" hpvmstart -P g7
track_starts
# The same refusal from hpvmstatus, logged as it would have been a change.
refuse 1 "hpvmstatus: ERROR (g4): Unable to add 'network:avio_lan:0,5,0x02AABBCC0009:vswitch:localnet': MAC address 0x02AABBCC0009 is already used by guest 'g3'.
hpvmstatus: $not_registered" hpvmstatus -P g4

# Copies not registered yet are no leftovers of a killed command: the next
# hpvmcreate, which removes those, keeps them; hpvmremove leaves nothing.
expect_ok hpvmcreate -P g9
for g in g4 g5 g6 g7; do
  check "the copy of $g is kept" test -f "$B/guests/$g/vmm_config.current"
done
U9=$(uuid_of g9)
expect_ok hpvmremove -Q -P g9
check "hpvmremove leaves nothing of g9" test ! -e "$B/uuids/$U9" -a ! -L "$B/guests/g9"

section "two guests of one name: both ways out the refusal gives work"
# Meanwhile the commands that change a guest by its name refuse as hpvmstart
# does (the name means the copy), but for the rename the refusal proposes.
two_guests="A guest named 'g2' with another UUID ($U2B) exists on this host; the copied configuration '$B/uuids/$U2A/vmm_config.current' has the UUID $U2A. To register the copy under this name, rename this host's guest first (hpvmmodify -P g2 -N <new name>); to keep this host's guest, remove the copy's directory '$B/uuids/$U2A'."
refuse 1 "hpvmmodify: ERROR (g2): $two_guests
hpvmmodify: Unable to modify the guest." hpvmmodify -P g2 -l changed
refuse 1 "hpvmmodify: ERROR (g2): $two_guests
hpvmmodify: Unable to modify the guest." hpvmmodify -P g2 -x ram_target=512M
refuse 1 "hpvmremove: ERROR (g2): $two_guests
hpvmremove: Unable to remove the guest." hpvmremove -P g2 -Q
refuse 1 "hpvmclone: ERROR (g2): $two_guests
hpvmclone: Unable to clone the guest." hpvmclone -P g2 -N g2clone
# Renamed here, this host's guest leaves the copied link alone; the copy is
# then registered under the name.
expect_ok hpvmmodify -P g2 -N g2own
check "guests/g2 still leads to the copy" test "$(readlink "$B/guests/g2")" = "../uuids/$U2A"
check "guests/g2own leads to this host's guest" test "$(readlink "$B/guests/g2own")" = "../uuids/$U2B"
run hpvmstatus -M -P g2
assert_exit 0
assert_stdout_has "^g2:$U2A:"
expect_sql "SELECT name FROM guests WHERE uuid='$U2A' UNION ALL SELECT name FROM guests WHERE uuid='$U2B'" "g2
g2own"
# The copy's directory removed: this host's guest keeps the name, and the
# link leads to it again.
on_a
expect_ok hpvmcreate -P g10
U10A=$(uuid_of g10)
opensvc_copy g10
expect_ok hpvmremove -Q -P g10
on_b
rm -f "$B/guests/g10"
expect_ok hpvmcreate -P g10 -r 512M
U10B=$(uuid_of g10)
ln -sfn "../uuids/$U10A" "$B/guests/g10"
refuse 1 "hpvmstatus: ERROR (g10): A guest named 'g10' with another UUID ($U10B) exists on this host; the copied configuration '$B/uuids/$U10A/vmm_config.current' has the UUID $U10A. To register the copy under this name, rename this host's guest first (hpvmmodify -P g10 -N <new name>); to keep this host's guest, remove the copy's directory '$B/uuids/$U10A'.
hpvmstatus: $not_registered" hpvmstatus -P g10
rm -r "$B/uuids/$U10A"
run hpvmstatus -M -P g10
assert_exit 0
assert_stderr ""
assert_stdout_has "^g10:$U10B:"
check "guests/g10 leads to this host's guest again" test "$(readlink "$B/guests/g10")" = "../uuids/$U10B"
expect_ok hpvmremove -Q -P g10
check "hpvmremove leaves nothing of g10" test ! -e "$B/uuids/$U10B" -a ! -L "$B/guests/g10"

section "a configuration file that cannot be read is refused"
G6=$(realpath "$B/guests/g6")/vmm_config.current
sed -i 's/^format 1$/format 9/' "$G6"
refuse 1 "hpvmstart: ERROR (g6): The configuration file '$G6' cannot be read: line 4: format '9' is not format 1, the one this version of the suite reads (a newer version wrote it?).
hpvmstart: $not_registered" hpvmstart -P g6
printf 'format 1\nchange 1\nname g6\nuuid %s\nmemory 1G\ndevice disk:avio_stor:0,1,0:file:%s\\x0a\nbogus 1\n' \
  "$(basename "$(dirname "$G6")")" "$S/d1.img" >"$G6"
refuse 1 "hpvmstart: ERROR (g6): The configuration file '$G6' cannot be read: line 7: unknown key 'bogus'.
hpvmstart: $not_registered" hpvmstart -P g6
sed -i 's/^name g6$/name g7/; /^bogus/d' "$G6"
refuse 1 "hpvmstart: ERROR (g6): The configuration file '$G6' names the guest 'g7', not 'g6'.
hpvmstart: $not_registered" hpvmstart -P g6
sed -i 's/^name g7$/name g6/' "$G6"
# The escaped newline reaches the grammar, which refuses it.
refuse 1 "hpvmstart: ERROR (g6): Invalid resource statement 'disk:avio_stor:0,1,0:file:$S/d1.img?': statement contains a control character.
hpvmstart: $not_registered" hpvmstart -P g6
track_starts

# This host's own guest: the database is the truth, the file is written again.
F1=$B/uuids/$U1/vmm_config.current
cp "$F1" "$S/b-own"
echo "garbage" >>"$F1"
run hpvmstatus -M -P g1
assert_exit 0
assert_stderr "hpvmstatus: WARNING (g1): The configuration file '$F1' could not be used; this host's configuration was written there again."
check "the file is this host's configuration again" cmp -s "$S/b-own" "$F1"

section "a guest renamed on the first host is renamed on the second"
on_a
expect_ok hpvmmodify -P g1 -N g1r
opensvc_copy g1r
on_b
run hpvmstatus -M -P g1r
assert_exit 0
assert_stderr "hpvmstatus: WARNING (g1r): This host's configuration of the guest (change 6) was updated from the copy in '$B/uuids/$U1/vmm_config.current' (change 7)."
expect_sql "SELECT name, vm_number FROM guests WHERE uuid = '$U1'" "g1r|1"
check "guests/g1 is gone on B" test ! -e "$B/guests/g1" -a ! -L "$B/guests/g1"
expect_stdout "../uuids/$U1" readlink "$B/guests/g1r"

section "hpvmstatus -P on a host with no database registers the guest there"
C=$(new_tmpdir)/hostc
mkdir -p "$C/guests" "$C/uuids"
cp -a "$A/guests/g1r" "$C/guests/"
cp -a "$A/uuids/$U1" "$C/uuids/"
use_root "$C"
run hpvmstatus -M -P g1r
assert_exit 0
assert_stderr "hpvmstatus: WARNING (g1r): The guest's configuration copied to this host ('$C/uuids/$U1/vmm_config.current', change 7) was registered as VM number 1."
assert_stdout_has "^g1r:$U1:1:"
check "the database was made" test -f "$C/hpvm.db"
new_root
expect_stderr 1 "hpvmstatus: ERROR (nosuch): The guest 'nosuch' does not exist." hpvmstatus -P nosuch
check "no database is made for a name with nothing copied" test ! -e "$HPVM_ROOT/hpvm.db"

section "after the upgrade to schema 8, the next commit writes every guest's file"
on_a
rm -f "$A"/uuids/*/vmm_config.current
sqlite3 "$DB" "DROP TABLE guest_config_exports; PRAGMA user_version=7"
expect_ok hpvmcreate -P g8
for g in g1r g2 g4 g5 g6 g7 g8; do
  check "$g's file is written" test -f "$(config_of "$g")"
done
expect_sql "SELECT count(*), min(change), max(change) FROM guest_config_exports" "7|1|1"

finish

#!/usr/bin/env bash
# hpvmmigrate between two VM Hosts on this machine (tests/cli/two_hosts.sh):
# host A is this suite's own network namespace, host B a second one joined to
# it by a veth pair; each has its own HPVM_ROOT and its own sshd. Shared
# storage is the same files; files under $S/local are local to one host.
# Every refusal leaves both databases as they were; the source's database
# stays free for other commands while the target works, and a guest changed
# meanwhile is not migrated.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/two_hosts.sh
source "$(dirname "$0")/two_hosts.sh"
if why=$(two_hosts_missing); then
  echo "SKIP: $why"
  exit 77
fi
two_hosts_up

# A QEMU that exited may linger as a zombie until its parent reaps it.
alive() { readlink "/proc/$1/exe" >/dev/null 2>&1; }
# For what strace runs: LeakSanitizer cannot work in a traced process (it
# would fail the command at its exit in the ASan build). An assignment, not
# a function, so that `... &` gives strace's own pid.
NO_LEAKS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
# until_true SECONDS CMD...: CMD succeeds within SECONDS.
until_true() {
  local i
  for i in $(seq $(($1 * 10))); do
    "${@:2}" && return 0
    sleep 0.1
  done
  return 1
}
# mig_refused GUEST "problem"... -- ARGS: hpvmmigrate ARGS on A exits 1 with
# exactly these problems and the summary, prints nothing on stdout, leaves
# both hosts' databases and run directories as they were, and logs FAILURE.
mig_refused() {
  local guest=$1 before lines=()
  shift
  while [[ $1 != -- ]]; do
    lines+=("hpvmmigrate: ERROR ($guest): $1")
    shift
  done
  shift
  lines+=("hpvmmigrate: Unable to migrate the guest.")
  both_states >"$K/before"
  before=$(log_lines)
  run hpvmmigrate "$@"
  assert_exit 1
  assert_stderr "$(printf '%s\n' "${lines[@]}")"
  assert_stdout ""
  both_states >"$K/after"
  if cmp -s "$K/before" "$K/after"; then
    pass
  else
    fail "$LAST: a host's database or run directories changed" "$(diff -u "$K/before" "$K/after" | tail -n +3)"
  fi
  expect_logged "$before" "FAILURE(1)" "hpvmmigrate "
}

section "set-up: vswitches and guests"
use_root "$ROOT_A"
truncate -s 16M "$S/disk1.img" "$S/shared.img" "$S/r.img" "$S/local/l1.img" "$S/local/d1.img"
in_b_files truncate -s 16M "$S/local/d1.img" # the same path, another file
for sw in sw1 sw2 sw3; do
  expect_ok hpvmnet -c -S "$sw"
  expect_ok hpvmnet -b -S "$sw"
done
for sw in sw1 sw3; do
  expect_ok on_b hpvmnet -c -S "$sw"
done
expect_ok on_b hpvmnet -b -S sw1 # sw3 stays down on B
expect_ok hpvmcreate -P g1 -O linux -r 64M -a "disk:avio_stor::file:$S/disk1.img" \
  -a network:avio_lan::vswitch:sw1
expect_ok hpvmcreate -P gl -a "disk:avio_stor::file:$S/local/l1.img"
expect_ok hpvmcreate -P gd -a "disk:avio_stor::file:$S/local/d1.img"
expect_ok hpvmcreate -P gs -a "disk:avio_stor::file:$S/shared.img"
expect_ok hpvmdevmgmt -m "gdev:$S/shared.img:attr:SHARE=YES"
expect_ok hpvmcreate -P gn -a network:avio_lan::vswitch:sw2
expect_ok hpvmcreate -P gh -a network:avio_lan::vswitch:sw3
expect_ok hpvmcreate -P gr -a "disk:avio_stor::file:$S/r.img"
expect_ok on_b hpvmdevmgmt -a "rdev:$S/r.img"
UUID=$(uuid_of g1)

section "refusals: both databases unchanged"
mig_refused g1 "SSH execution error. Make sure ssh is setup right on both source and target systems." \
  "ssh: connect to host 10.251.0.2 port 2222: Connection refused" -- -P g1 -h hostdown
mig_refused gl "Target VM Host error - Device does not exist. ($S/local/l1.img)" \
  "See HPVM command log file on target VM Host for more detail." -- -P gl -h hostb
mig_refused gd "Target VM Host error - Device is a different file here: its inode or size differs. ($S/local/d1.img)" \
  "See HPVM command log file on target VM Host for more detail." -- -P gd -h hostb
# Shared storage that B numbers otherwise (an NFS mount's device number is
# each host's own): B sees $S/nfs through an overlay, the same inode under
# another device number. The same file: not refused.
mkdir -p "$S/nfs" "$S/ovl-upper" "$S/ovl-work"
sized_file "$S/nfs/n1.img" 1M
expect_ok hpvmcreate -P gnfs -a "disk:avio_stor::file:$S/nfs/n1.img"
if in_b_files mount -t overlay overlay -o "lowerdir=$S/nfs,upperdir=$S/ovl-upper,workdir=$S/ovl-work" "$S/nfs"; then
  check "B sees the file's inode" test "$(in_b_files stat -c %i "$S/nfs/n1.img")" = "$(stat -c %i "$S/nfs/n1.img")"
  check "under another device number" test "$(in_b_files stat -c %d "$S/nfs/n1.img")" != "$(stat -c %d "$S/nfs/n1.img")"
  expect_stdout "hpvmmigrate: The guest can be migrated to 'hostb' as 'gnfs'." hpvmmigrate -P gnfs -h hostb -s
else
  echo "  (no overlayfs here: the other device number is not tried)"
fi
expect_ok hpvmremove -P gnfs -Q
mig_refused gs "Device $S/shared.img is shared.  Guest with shared storage devices cannot be migrated." \
  -- -P gs -h hostb
mig_refused gn "Target VM Host error - vswitch validation failed. (sw2 does not exist)" \
  "See HPVM command log file on target VM Host for more detail." -- -P gn -h hostb
mig_refused gh "Target VM Host error - vswitch validation failed. (sw3 is not booted)" \
  "See HPVM command log file on target VM Host for more detail." -- -P gh -h hostb
before_b=$(log_b)
mig_refused gr "Target VM Host error - Backing store '$S/r.img' is restricted: it is an rdev entry; the host uses it." \
  "See HPVM command log file on target VM Host for more detail." -- -P gr -h hostb
check "the target logged its refusal" \
  grep -qE "FAILURE\(1\) .*hpvmmigrate --receive\$" <(tail -n +$((before_b + 1)) "$ROOT_B/common/command.log")
section "block devices: the same disk by what every host sees of it, not its device number"
# A loop device is the same on both hosts when its backing file is (shared
# storage); one whose file is local is another disk on B under the same
# device number (B sees its own file at that path), which HPVM's WWID check
# refuses and a comparison of device numbers would let through.
if new_loop LOOP_SHARED "$S/loop-shared.img" 16M && new_loop LOOP_LOCAL "$S/local/loop-local.img" 16M; then
  in_b_files truncate -s 16M "$S/local/loop-local.img"
  expect_ok hpvmcreate -P gls -a "disk:avio_stor::disk:$LOOP_SHARED"
  expect_ok hpvmcreate -P gll -a "disk:avio_stor::disk:$LOOP_LOCAL"
  expect_stdout "hpvmmigrate: The guest can be migrated to 'hostb' as 'gls'." hpvmmigrate -P gls -h hostb -s
  mig_refused gll "Device WWID does not match. ($LOOP_LOCAL)" \
    "See HPVM command log file on target VM Host for more detail." -- -P gll -h hostb
  # A disk nothing names on both hosts (here a loop device whose file was
  # deleted; a RAM disk, a DRBD device): taken only with -F, with a warning.
  new_loop LOOP_GONE "$S/loop-gone.img" 16M
  expect_ok hpvmcreate -P glg -a "disk:avio_stor::disk:$LOOP_GONE"
  rm "$S/loop-gone.img"
  mig_refused glg "Target VM Host error - Device $LOOP_GONE cannot be told apart from another device of the same device number: it has no WWID, serial number or device-mapper UUID on either host. Check that both hosts reach the same device there, then use -F." \
    "See HPVM command log file on target VM Host for more detail." -- -P glg -h hostb
  run hpvmmigrate -P glg -h hostb -s -F
  assert_exit 0
  assert_stderr "hpvmmigrate: WARNING (glg): Forced: Device $LOOP_GONE cannot be told apart from another device of the same device number: it has no WWID, serial number or device-mapper UUID on either host."
  assert_stdout "hpvmmigrate: The guest can be migrated to 'hostb' as 'glg'."
  for g in gls gll glg; do expect_ok hpvmremove -P "$g" -Q; done
else
  skip "no loop device can be attached here (losetup -f failed): block devices not compared"
fi

expect_ok on_b hpvmcreate -P g1
mig_refused g1 "Target VM Host error - A guest named 'g1' already exists." \
  "See HPVM command log file on target VM Host for more detail." -- -P g1 -h hostb
expect_ok on_b hpvmremove -P g1 -Q
mig_refused g1 "Invalid guest name 'a/b' may contain only letters, digits, '_', '.' and '-'." \
  -- -P g1 -h hostb -N a/b
if command -v qemu-system-x86_64 >/dev/null; then
  fake_qemu QPID g1
  mig_refused g1 "The guest is running; migrate it online with -o, or stop it with hpvmstop first." \
    -- -P g1 -h hostb
  kill "$QPID"
  while alive "$QPID"; do sleep 0.05; done
  rm -f "$HPVM_ROOT/uuids/$UUID/qemu.pid" # what the stand-in leaves
else
  skip "qemu-system-x86_64 is not installed: a running guest's refusal not tested"
fi

section "not enough memory on the target; -F forces it (-s: nothing moves)"
expect_ok hpvmcreate -P gm -r 1000G
both_states >"$K/before"
run hpvmmigrate -P gm -h hostb
assert_exit 1
assert_stderr_has "^hpvmmigrate: ERROR \(gm\): Target VM Host error - The guest needs 1024064 MB of memory \(1024000 MB and 64 MB overhead\); the VM Host has [0-9]+ MB available\.$"
run hpvmmigrate -P gm -h hostb -s -F
assert_exit 0
assert_stdout "hpvmmigrate: The guest can be migrated to 'hostb' as 'gm'."
assert_stderr_has "^hpvmmigrate: WARNING \(gm\): Forced: The guest needs 1024064 MB"
both_states >"$K/after"
check "a check changed nothing on either host" cmp -s "$K/before" "$K/after"

section "-s checks only"
both_states >"$K/before"
expect_stdout "hpvmmigrate: The guest can be migrated to 'hostb' as 'g1'." hpvmmigrate -P g1 -h hostb -s
both_states >"$K/after"
check "a check changed nothing on either host" cmp -s "$K/before" "$K/after"

section "offline migration A -> B"
run hpvmstatus -P g1 -d
cp "$OUT" "$K/devices_a"
before=$(log_lines)
expect_stdout "hpvmmigrate: Guest migrated successfully." hpvmmigrate -P g1 -h hostb
expect_logged "$before" SUCCESS "hpvmmigrate -P g1 -h hostb # to $HOST_B\$"
use_root "$ROOT_B"
expect_sql "SELECT name, uuid, vm_number, runnable, modifiable, visible FROM guests" "g1|$UUID|1|1|1|1"
use_root "$ROOT_A"
expect_sql "SELECT runnable, modifiable, visible FROM guests WHERE name = 'g1'" "0|0|0"
run on_b hpvmstatus -P g1 -d
check "the devices (addresses, MACs, vswitch) are the same on B" cmp -s "$K/devices_a" "$OUT"
expect_sql "SELECT vswitch_port FROM network_devices WHERE guest_id = (SELECT id FROM guests WHERE name = 'g1')" \
  "$(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT vswitch_port FROM network_devices")"
run hpvmstatus -P g1 -V
assert_stdout_has "^Runnable status : Disabled$"
assert_stdout_has "migrated_to"
run on_b hpvmstatus -P g1 -V
assert_stdout_has "^Runnable status : Enabled$"
refused hpvmstart g1 "The guest was migrated to the VM Host 'hostb' and belongs to it now; this copy is not runnable (hpvmmigrate on 'hostb' brings the guest back)." --
mig_refused g1 "The guest was migrated to the VM Host 'hostb' already; migrate it from there." -- -P g1 -h hostb
run hpvmdevmgmt -l all
check "A released the guest's device-database entries" bash -c "! grep -q ':g1' '$OUT'"
run on_b hpvmdevmgmt -l all
check "B holds the guest's device-database entries" grep -qE "^$S/disk1.img:CONFIG=gdev.*:g1:\$" "$OUT"

section "and back B -> A (the copy A kept is replaced)"
expect_stdout "hpvmmigrate: Guest migrated successfully." on_b hpvmmigrate -P g1 -h hosta
expect_sql "SELECT name, uuid, runnable, modifiable, visible FROM guests WHERE uuid = '$UUID'" "g1|$UUID|1|1|1"
run hpvmstatus -P g1 -d
check "the devices are as they were" cmp -s "$K/devices_a" "$OUT"
use_root "$ROOT_B"
expect_sql "SELECT name, runnable FROM guests" "g1|0"
use_root "$ROOT_A"

section "OpenSVC fails the guest over to B: A's directory copied over B's migrated copy"
# What OpenSVC's sync copies (the guests/ link and the directory it leads
# to), then its hpvmstatus -P (a look: nothing taken) and hpvmstart -P
# (taken back: B runs A's configuration).
cp -a "$ROOT_A/guests/g1" "$ROOT_B/guests/"
cp -a "$(realpath "$ROOT_A/guests/g1")" "$ROOT_B/uuids/"
use_root "$ROOT_B"
run on_b hpvmstatus -P g1 -V
assert_exit 0
assert_stdout_has "^Runnable status : Disabled$"
expect_sql "SELECT runnable FROM guests WHERE name = 'g1'" "0"
run on_b hpvmstart -P g1
assert_exit 0
assert_stderr_has "^hpvmstart: WARNING \(g1\): The guest migrated to the VM Host 'hosta' was taken back from the configuration copied into '$ROOT_B/uuids/$UUID/vmm_config.current' \(change [0-9]+; this host's copy was change [0-9]+\): it is runnable here again\.$"
PB=$(cat "$ROOT_B/uuids/$UUID/qemu.pid" 2>/dev/null)
[[ -n $PB ]] && track_pid "$PB"
expect_sql "SELECT runnable, modifiable, visible FROM guests WHERE name = 'g1'" "1|1|1"
expect_sql "SELECT count(*) FROM guest_extended WHERE keyword = 'migrated_to'" "0"
run on_b hpvmdevmgmt -l all
check "B holds the guest's device-database entries again" grep -qE "^$S/disk1.img:CONFIG=gdev.*:g1:\$" "$OUT"
expect_ok on_b hpvmstop -P g1 -F -q
use_root "$ROOT_A"

section "the UUID already there and running (B's copy made runnable by hand and started)"
expect_ok on_b hpvmmodify -P g1 -x modify_status=enabled
expect_ok on_b hpvmmodify -P g1 -x runnable_status=enabled
run on_b hpvmstart -P g1
assert_exit 0
PB=$(cat "$ROOT_B/uuids/$UUID/qemu.pid" 2>/dev/null)
[[ -n $PB ]] && track_pid "$PB"
# (Its vNIC's tap there is refused too: not compared here.)
both_states >"$K/before"
run hpvmmigrate -P g1 -h hostb
assert_exit 1
assert_stderr_has "^hpvmmigrate: ERROR \(g1\): Target VM Host error - A guest with the UUID $UUID already exists: 'g1'\.$"
both_states >"$K/after"
check "both hosts are as they were" cmp -s "$K/before" "$K/after"
expect_ok on_b hpvmstop -P g1 -F -q
expect_ok on_b hpvmremove -P g1 -Q

section "-N: another name on the target; -p: by number"
expect_ok hpvmmigrate -p "$(sql "SELECT vm_number FROM guests WHERE name = 'g1'")" -h hostb -N g1b -q
use_root "$ROOT_B"
expect_sql "SELECT name, uuid FROM guests" "g1b|$UUID"
use_root "$ROOT_A"

section "-m: each host lists the other, as target and as source"
check "B has its own host name" test "$(on_b hostname)" = "$HOST_B"
# servers HOST GUESTS [NAME ROLE COUNT]...: hpvmstatus -m's table.
servers() {
  echo "[Multi Server Environment]"
  echo "Server Name          Role    State #VMs  Running Migrations"
  echo "==================== ======= ===== ===== ======= =========="
  printf '%-20s %-7s %-5s %5s %7s %10s\n' "$1" Local Up "$2" 0 -
  shift 2
  while [[ $# -gt 0 ]]; do
    printf '%-20s %-7s %-5s %5s %7s %10s\n' "$1" "$2" - - - "$3"
    shift 3
  done
}
# A sent g1 to hostb twice (-P, then -p with -N) and got it back once; the
# checks (-s) and refusals do not count.
expect_stdout "$(servers "$HOST_A" "$(sql "SELECT count(*) FROM guests")" "$HOST_B" Target 2 "$HOST_B" Source 1)" \
  hpvmstatus -m
expect_masked() { # SED EXPECTED CMD...: stdout with SED applied is EXPECTED
  local expr=$1 text=$2
  shift 2
  run "$@"
  assert_exit 0
  check "$* (masked)" test "$(sed -E "$expr" "$OUT")" = "$text"
}
expect_masked 's/:[0-9]{8}T[0-9]{6}Z$/:TIME/' "$HOST_A:Local:Up:$(sql "SELECT count(*) FROM guests"):0::
$HOST_B:Target::::2:TIME
$HOST_B:Source::::1:TIME" hpvmstatus -m -M
last_time() { grep -E " SUCCESS hpvmmigrate $1" "$ROOT_A/common/command.log" | tail -1 | cut -d' ' -f1 | tr -d ':-'; }
check "-M's times are those of the last records" test "$(cut -d: -f7 "$OUT" | tail -2 | tr '\n' ' ')" = \
  "$(last_time '-p .* -h hostb') $(last_time "--receive # from $HOST_B\$") "
expect_stdout "$(servers "$HOST_B" "$(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT count(*) FROM guests")" "$HOST_A" Source 2 "$HOST_A" Target 1)" \
  on_b hpvmstatus -m
run on_b hpvmstatus -m -J
assert_exit 0
check "-m -J on B" test "$(python3 -c 'import json, sys
for s in json.load(open(sys.argv[1]))["servers"]:
    print(s["name"], s["role"], s["state"], s["guests"], s["running"], s["migrations"], s["last_migration"] is not None)' "$OUT")" = \
  "$HOST_B Local Up $(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT count(*) FROM guests") 0 None False
$HOST_A Source None None None 2 True
$HOST_A Target None None None 1 True"

section "the target's side reads only a definition"
feed "not a definition"
run hpvmmigrate --receive
assert_exit 1
assert_stdout_has '^\{"ok":false,"problems":\["Target VM Host error - the guest.s definition cannot be read: '
expect_stderr 2 - hpvmmigrate -P g1 <<'EOF'
hpvmmigrate: ERROR: Name the target VM Host with -h.
Run 'hpvmmigrate --help' for usage.
EOF
expect_stderr 2 - hpvmmigrate -P g1 -h 'a;b' <<'EOF'
hpvmmigrate: ERROR: Invalid target: the target host name may hold only letters, digits, '.', '-', ':' and '_'.
Run 'hpvmmigrate --help' for usage.
EOF

section "offline: the source's database stays free while the target works"
# A writer holds B's database until its input closes: the target waits for
# it (its busy timeout is 10 s) while commands on A go on.
hold_b() {
  rm -f "$K/hold.in" "$K/hold.out"
  mkfifo "$K/hold.in"
  python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.read()
c.execute("ROLLBACK")' "$ROOT_B/hpvm.db" <"$K/hold.in" >"$K/hold.out" &
  track_pid $!
  exec {hold_fd}>"$K/hold.in"
  for _ in $(seq 50); do grep -q held "$K/hold.out" && return 0; sleep 0.1; done
  return 1
}
# (What runs in the background meanwhile must not hold the fifo open.)
release_b() { exec {hold_fd}>&-; }
# receiving: B's hpvmmigrate --receive runs (5 s at most).
receiving() {
  for _ in $(seq 50); do pgrep -f -- "hpvmmigrate --receive\$" >/dev/null && return 0; sleep 0.1; done
  return 1
}
expect_ok hpvmcreate -P gw -r 64M
expect_ok hpvmcreate -P gw2 -r 64M
check "B's database is held" hold_b
hpvmmigrate -P gw -h hostb >"$K/mig.out" 2>"$K/mig.err" {hold_fd}>&- &
MPID=$!
track_pid "$MPID"
check "the target's side runs" receiving
expect_ok hpvmmodify -P gw2 -l "changed meanwhile"
run hpvmstatus -P gw
assert_exit 0
check "hpvmmigrate still runs after both" kill -0 "$MPID"
release_b
wait "$MPID"
check "hpvmmigrate succeeded (exit $?)" test $? -eq 0
check "it said so" grep -qx "hpvmmigrate: Guest migrated successfully." "$K/mig.out"
expect_sql "SELECT label FROM guests WHERE name = 'gw2'" "changed meanwhile"
expect_sql "SELECT runnable FROM guests WHERE name = 'gw'" "0"
check "B has gw, runnable" test "$(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT runnable FROM guests WHERE name = 'gw'")" = 1

section "offline: a guest changed meanwhile is not migrated"
use_root "$ROOT_B"
db_snapshot # B as it is: without gw2
use_root "$ROOT_A"
# changed_midway GUEST: hpvmmigrate of GUEST to B, which waits for B's held
# database while the guest is changed here, fails and says why.
changed_midway() {
  check "B's database is held" hold_b
  hpvmmigrate -P "$1" -h hostb >"$K/mig.out" 2>"$K/mig.err" {hold_fd}>&- &
  MPID=$!
  track_pid "$MPID"
  check "the target's side runs" receiving
  expect_ok hpvmmodify -P "$1" -l "changed during the migration"
  release_b
  wait "$MPID"
  check "hpvmmigrate failed (exit $?)" test $? -eq 1
  expect_stdout - cat "$K/mig.err" <<EOF
hpvmmigrate: ERROR ($1): The guest's configuration changed during the migration; migrate it again.
hpvmmigrate: Unable to migrate the guest.
EOF
}
changed_midway gw2
expect_sql "SELECT label, runnable, modifiable, visible FROM guests WHERE name = 'gw2'" \
  "changed during the migration|1|1|1"
use_root "$ROOT_B"
LAST="hpvmmigrate -P gw2 -h hostb, on B"
expect_db_unchanged
use_root "$ROOT_A"

section "offline: a change made just as hpvmmigrate read the guest is not lost"
# strace holds hpvmmigrate at its first flock of the guest's run directory
# (it has read the guest; the change number comes after) for 3 s; the label
# changed meanwhile is not in what it read, so the migration is refused
# (it used to send the old definition and mark the new one migrated).
truncate -s 16M "$S/race.img"
expect_ok hpvmcreate -P grace -a "disk:avio_stor::file:$S/race.img"
RUN_RACE="$ROOT_A/uuids/$(uuid_of grace)"
mkdir -p "$RUN_RACE"
ASAN_OPTIONS="$NO_LEAKS" strace -f -qq --seccomp-bpf -o /dev/null -P "$RUN_RACE" -e trace=flock \
  -e inject=flock:delay_enter=3000000:when=1 hpvmmigrate -P grace -h hostb >"$K/mig.out" 2>"$K/mig.err" &
MPID=$!
track_pid "$MPID"
# The tracee stopped by strace at that flock: state 't'.
race_held() {
  local pid
  pid=$(pgrep -P "$MPID" -x hpvmmigrate) && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == t ]]
}
check "hpvmmigrate is held at the run directory's lock" until_true 20 race_held
expect_ok hpvmmodify -P grace -l "changed as it was read"
wait "$MPID"
check "hpvmmigrate failed (exit $?)" test $? -eq 1
expect_stdout - cat "$K/mig.err" <<'EOF'
hpvmmigrate: ERROR (grace): The guest's configuration changed during the migration; migrate it again.
hpvmmigrate: Unable to migrate the guest.
EOF
expect_sql "SELECT label, runnable FROM guests WHERE name = 'grace'" "changed as it was read|1"
check "B has no grace" test -z "$(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT name FROM guests WHERE name = 'grace'")"
expect_ok hpvmremove -P grace -Q

section "offline: back to a host that kept a runnable copy (it ran the guest before a failover)"
# B ran gw and went down; A started it (the cluster's agent makes A's
# copy runnable again) and changed it. B, back, still has its old copy, Off
# and runnable: a migration to B replaces it; a failed one leaves it runnable.
expect_ok hpvmmodify -P gw -x modify_status=enabled
expect_ok hpvmmodify -P gw -x runnable_status=enabled -x visible_status=enabled
expect_ok hpvmmodify -P gw -l "after the failover"
sized_file "$S/gw.img" 8M
expect_ok hpvmmodify -P gw -a "disk:avio_stor:0,1,0:file:$S/gw.img"
gave_way="hpvmmigrate: WARNING (gw): The target's own copy of the guest ('gw', Off and runnable: it ran there before it was started on another VM Host) gives way to this definition."
changed_midway gw
use_root "$ROOT_B"
expect_sql "SELECT runnable, modifiable, visible FROM guests WHERE name = 'gw'" "1|1|1"
expect_sql "SELECT count(*) FROM guest_extended WHERE keyword IN ('migrating_from', 'replaces_runnable', 'migrated_to')" "0"
run on_b hpvmdevmgmt -l all
check "B's runnable copy holds its device-database entries" grep -qE "^$S/gw.img:CONFIG=gdev.*:gw:\$" "$OUT"
use_root "$ROOT_A"
expect_sql "SELECT runnable FROM guests WHERE name = 'gw'" "1"
run hpvmmigrate -P gw -h hostb
assert_exit 0
assert_stdout "hpvmmigrate: Guest migrated successfully."
assert_stderr "$gave_way"
expect_sql "SELECT runnable, modifiable, visible FROM guests WHERE name = 'gw'" "0|0|0"
use_root "$ROOT_B"
expect_sql "SELECT label, runnable, modifiable, visible FROM guests WHERE name = 'gw'" \
  "changed during the migration|1|1|1"
expect_sql "SELECT count(*) FROM guest_extended WHERE keyword IN ('migrating_from', 'replaces_runnable', 'migrated_to')" "0"
use_root "$ROOT_A"

section "offline -D -b: this host's copy removed, the guest started on the target"
expect_ok hpvmcreate -P gdel -r 64M
UD=$(uuid_of gdel)
run hpvmmigrate -P gdel -h hostb -D -b
assert_exit 0
assert_stdout "hpvmmigrate: Guest migrated successfully."
assert_stderr ""
expect_sql "SELECT count(*) FROM guests WHERE uuid = '$UD'" "0"
check "A has no run directory or link of gdel" test ! -e "$ROOT_A/uuids/$UD" -a ! -L "$ROOT_A/guests/gdel"
PD=$(cat "$ROOT_B/uuids/$UD/qemu.pid" 2>/dev/null)
[[ -n $PD ]] && track_pid "$PD"
check "gdel's QEMU runs on B" alive "${PD:-none}"
run on_b hpvmstatus -P gdel -M
assert_stdout_has "^gdel:$UD:[0-9]+:.*:enabled:enabled:On:"
expect_ok on_b hpvmstop -P gdel -F -q
# Started by the target's hpvmstart, which may refuse: the guest is
# migrated all the same, and the error says so.
expect_ok hpvmcreate -P gbig -r 1000G
# targets_counted: the migrations to B hpvmstatus -m counts.
targets_counted() { hpvmstatus -m -M | awk -F: '$2 == "Target" { print $6 }'; }
targets_before=$(targets_counted)
before_big=$(log_lines)
run hpvmmigrate -P gbig -h hostb -F -b
assert_exit 1
assert_stderr_has "^hpvmmigrate: ERROR \(gbig\): The guest was migrated to 'hostb', but it did not start there: The guest needs 1024064 MB"
expect_logged "$before_big" "FAILURE(1)" "hpvmmigrate -P gbig -h hostb -F -b # to $HOST_B\$"
check "hpvmstatus -m counts it: the guest went there" \
  test "$(targets_counted)" -eq "$((targets_before + 1))"
expect_sql "SELECT runnable FROM guests WHERE name = 'gbig'" "0"
check "B has gbig, runnable" test "$(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT runnable FROM guests WHERE name = 'gbig'")" = 1

# -l -c -e -r: the guest as the target is to have it; this host's copy keeps
# its own. Checked before the target is asked.
expect_ok hpvmcreate -P gch -r 64M -l before
UCH=$(uuid_of gch)
mig_refused gch "Invalid number of vCPUs '0': expected 1-256." -- -P gch -h hostb -c 0
expect_stdout "hpvmmigrate: Guest migrated successfully." hpvmmigrate -P gch -h hostb -l after -c 2 -e 20 -r 128M
expect_sql "SELECT label, vcpus, entitlement_min, memory_mb, runnable FROM guests WHERE uuid = '$UCH'" "before|1|10.0|64|0"
check "B has gch as changed" test "$(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT label, vcpus, entitlement_min, memory_mb, runnable FROM guests WHERE uuid = '$UCH'")" = "after|2|20.0|128|1"
expect_stderr 2 "hpvmmigrate: ERROR: -c, -e, -E and -r change the guest's virtual hardware: not with -o (a live migration keeps the running guest's).
Run 'hpvmmigrate --help' for usage." hpvmmigrate -P g1 -h hostb -o -r 1G
expect_stderr 2 "hpvmmigrate: ERROR: -b starts the guest after an offline migration; with -o it runs on.
Run 'hpvmmigrate --help' for usage." \
  hpvmmigrate -P g1 -h hostb -o -b

# ------------------------------------------------------------------ online
if ! command -v qemu-system-x86_64 >/dev/null || [[ ! -e /dev/net/tun ]]; then
  skip "qemu-system-x86_64 or /dev/net/tun is missing: online migration not tested"
  finish
fi
QMP="python3 $HPVM_SOURCE/tests/runtime/qmp.py"
qemu_of() { cat "$1/uuids/$UG/qemu.pid" 2>/dev/null; }
qmp_of() { $QMP "$1/uuids/$UG/qmp.sock" "${@:2}"; }
# b_clean: B is as before the migration: only the copy it kept when the guest
# left it (not runnable), and no QEMU for the guest (waits up to 15 s: the
# target cleans up after its source went away).
# b_receives: the pids of B's hpvmmigrate --receive (its root; other suites
# running at once have their own), in pid order: the newest last.
b_receives() {
  local pid
  for pid in $(pgrep -f -- "hpvmmigrate --receive\$"); do
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "HPVM_ROOT=$ROOT_B" && echo "$pid"
  done
}
b_clean() {
  local i pid
  for i in $(seq 150); do
    pid=$(qemu_of "$ROOT_B")
    # Also no target command still running, so that the next section's
    # kill finds only its own.
    if [[ $(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT name, runnable, modifiable, visible FROM guests WHERE uuid = '$UG'") == "go|0|0|0" ]] &&
      ! { [[ -n $pid ]] && alive "$pid" && grep -qa -- "$UG" "/proc/$pid/cmdline"; } &&
      [[ -z $(b_receives) ]]; then
      return 0
    fi
    sleep 0.1
  done
  sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT name, runnable, modifiable, visible FROM guests WHERE uuid = '$UG'"
  echo "B's QEMU: ${pid:-none}; B's command log ends:"
  tail -n 3 "$ROOT_B/common/command.log"
  return 1
}
# wait_migrating: B's QEMU is up, waiting for the stream (10 s at most); the
# stream starts at once after. (A's monitor is hpvmmigrate's meanwhile: QMP
# takes one client at a time.)
wait_migrating() {
  local i pid
  for i in $(seq 100); do
    pid=$(qemu_of "$ROOT_B")
    if [[ -n $pid ]] && alive "$pid" && [[ $(qmp_of "$ROOT_B" migration 2>/dev/null) == active ]]; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}
a_runs() { [[ $(qmp_of "$ROOT_A" status) == running ]]; }
# The failed hpvmmigrate's last words: the guest runs on the source as before.
says_runs_as_before() {
  if grep -q "The guest runs on this host as before\.\$" "$K/mig.err"; then
    pass
  else
    fail "hpvmmigrate does not say the guest runs on the source as before" "$(cat "$K/mig.err")"
  fi
}

section "online: a running guest moves there and back"
expect_ok hpvmcreate -P go -r 64M
UG=$(uuid_of go)
run hpvmstart -P go
assert_exit 0
PA=$(qemu_of "$ROOT_A")
track_pid "$PA"
run hpvmmigrate -o -P go -h hostb
assert_exit 0
assert_stdout_has '^hpvmmigrate: Guest migrated successfully\.$'
assert_stdout_has '^hpvmmigrate: Downtime [0-9]+ ms, total time [0-9]+ ms\.$'
check "the command log has the times" grep -qE \
  " SUCCESS hpvmmigrate -o -P go -h hostb # to $HOST_B\\. Downtime [0-9]+ ms, total time [0-9]+ ms\.\$" "$ROOT_A/common/command.log"
PB=$(qemu_of "$ROOT_B")
[[ -n $PB ]] && track_pid "$PB"
check "the source's QEMU is gone" bash -c "! readlink /proc/$PA/exe >/dev/null 2>&1"
check "B's QEMU has the guest's UUID" grep -qa -- "$UG" "/proc/$PB/cmdline"
check "and runs it" test "$(qmp_of "$ROOT_B" status)" = running
expect_sql "SELECT runnable, modifiable, visible FROM guests WHERE uuid = '$UG'" "0|0|0"
run hpvmstatus
assert_stdout_has '^go +[0-9]+ UNKNOWN +Off'
run on_b hpvmstatus
assert_stdout_has '^go +[0-9]+ UNKNOWN +On'
# On a terminal (script(1) gives it one), -q draws no progress bar and
# prints nothing on success.
run on_b script -qec "hpvmmigrate -o -q -P go -h hosta" /dev/null
assert_exit 0
check "-q on a terminal prints nothing" test "$(tr -d '\r\n' <"$OUT")" = ""
PA=$(qemu_of "$ROOT_A")
[[ -n $PA ]] && track_pid "$PA"
check "B's QEMU is gone" bash -c "! readlink /proc/$PB/exe >/dev/null 2>&1"
check "A runs the guest again" a_runs
expect_sql "SELECT runnable FROM guests WHERE uuid = '$UG'" "1"

section "online: refused when the guest says so, or is not running"
expect_ok hpvmmodify -P go -x online_migration=disabled
mig_refused go "Online migration is disabled for the guest (hpvmmodify -x online_migration=enabled allows it)." \
  -- -o -P go -h hostb
expect_ok hpvmmodify -P go -x online_migration=enabled
mig_refused gl "The guest is not running; migrate it without -o." -- -o -P gl -h hostb

# A slow stream leaves time to kill things: the idle firmware-only guest sends
# about 600 KB (zero pages cost a few bytes each), so about 6 s.
qmp_of "$ROOT_A" bandwidth 100000

section "online: the target's QEMU killed midway"
hpvmmigrate -o -P go -h hostb >"$K/mig.out" 2>"$K/mig.err" &
MPID=$!
track_pid "$MPID"
check "the migration started" wait_migrating
PB=$(qemu_of "$ROOT_B")
[[ -n $PB ]] && kill -9 "$PB"
wait "$MPID"
check "hpvmmigrate failed (exit 1)" test $? -eq 1
says_runs_as_before
check "the guest runs on A" a_runs
check "nothing is left on B" b_clean
expect_sql "SELECT runnable FROM guests WHERE uuid = '$UG'" "1"

section "online: the source's hpvmmigrate killed midway"
hpvmmigrate -o -P go -h hostb >"$K/mig.out" 2>"$K/mig.err" &
MPID=$!
track_pid "$MPID"
check "the migration started" wait_migrating
for pid in $(pgrep -P "$MPID"); do track_pid "$pid"; done # its ssh
{
  kill -9 "$MPID"
  wait "$MPID"
} 2>/dev/null # no "Killed" from the shell
check "nothing is left on B" b_clean
check "the guest runs on A" a_runs
expect_sql "SELECT runnable FROM guests WHERE uuid = '$UG'" "1"

section "online: the target's hpvmmigrate killed midway"
hpvmmigrate -o -P go -h hostb >"$K/mig.out" 2>"$K/mig.err" &
MPID=$!
track_pid "$MPID"
check "the migration started" wait_migrating
RPID=$(b_receives | tail -n 1) # this migration's: the newest
check "the target's hpvmmigrate found" test -n "$RPID"
[[ -n $RPID ]] && kill -9 $RPID
wait "$MPID"
check "hpvmmigrate failed (exit 1)" test $? -eq 1
says_runs_as_before
check "the guest runs on A" a_runs
check "nothing is left on B" b_clean
qmp_of "$ROOT_A" bandwidth 1073741824

# held PATH CALLS WHEN CMD...: CMD runs under strace, which holds each of the
# CALLS on PATH for 120 s, WHEN being delay_enter (before the call) or
# delay_exit (after it): CMD stops at exactly that point, to be killed there.
# HELD is CMD's pid (strace's child), once it runs.
held() {
  local path=$1 calls=$2 when=$3 i
  shift 3
  ASAN_OPTIONS="$NO_LEAKS" strace -f -qq --seccomp-bpf -o /dev/null -P "$path" -e trace="$calls" \
    -e inject="$calls:$when=120000000" "$@" >"$K/mig.out" 2>"$K/mig.err" &
  SPID=$!
  track_pid "$SPID"
  HELD=
  for i in $(seq 50); do
    HELD=$(pgrep -P "$SPID" -x "$(basename "$1")") && break
    sleep 0.1
  done
  track_pid "$HELD"
}
# kill_held: HELD killed (SIGKILL), then strace: it would keep the killed
# process's pid until the held call's delay ran out; killed, it kills what
# it still traces (ssh), as the end of the command's session would.
kill_held() {
  kill -9 "$HELD"
  kill -9 "$SPID"
  wait "$SPID" 2>/dev/null
}
b_runs() { [[ $(qmp_of "$ROOT_B" status 2>/dev/null) == running ]]; }
MARK="$ROOT_A/uuids/$UG/migration.commit"
# strace -P matches a rename by its first path: the marker's draft.
DRAFT="$MARK.tmp"
PA=$(qemu_of "$ROOT_A")

section "online: the source's hpvmmigrate killed after the stream, before the marker"
# Held as it is about to write the hand-over marker: QEMU has sent the guest,
# B was told nothing and drops its copy when the session ends; A's QEMU is
# paused (postmigrate) with no marker, and hpvmstart resumes it without -F.
held "$DRAFT" open,openat delay_enter hpvmmigrate -o -P go -h hostb
check "hpvmmigrate runs under strace" test -n "$HELD"
a_paused() { [[ $(qmp_of "$ROOT_A" status 2>/dev/null) == postmigrate ]]; }
check "the source's QEMU has sent the guest" until_true 30 a_paused
kill_held
check "nothing is left on B" until_true 10 b_clean
check "no marker" test ! -e "$MARK"
check "A's QEMU (pid $PA) is still there, paused" a_paused
expect_sql "SELECT runnable FROM guests WHERE uuid = '$UG'" "1"
run hpvmstatus
assert_stdout_has "^go : paused after an interrupted migration; hpvmstatus -P go says more$"
run hpvmstart -P go
assert_exit 0
assert_stdout "hpvmstart: Guest 'go' resumed: its QEMU (pid $PA) had stayed paused after an interrupted migration."
assert_stderr ""
check "A runs the guest again" a_runs

section "online: the source's hpvmmigrate killed after the stream, before 'commit'"
# Held just after it moved the hand-over marker into place, before it sends
# "commit": B never gets it and drops its copy when the session ends; A's
# QEMU stays paused (postmigrate), and the marker says B may have been told.
held "$DRAFT" rename,renameat,renameat2 delay_exit hpvmmigrate -o -P go -h hostb
check "hpvmmigrate runs under strace" test -n "$HELD"
check "the hand-over marker is written" until_true 30 test -e "$MARK"
check "the source's QEMU has sent the guest" test "$(qmp_of "$ROOT_A" status)" = postmigrate
kill_held
check "nothing is left on B" b_clean
check "A's QEMU (pid $PA) is still there" alive "$PA"
check "and paused" test "$(qmp_of "$ROOT_A" status)" = postmigrate
# ssh, killed with it, left its end of the stream; the guest's next start
# (here: resumed) or stop removes it.
SOCK_OUT=/run/hpvm-migrate-out-$UG.sock
check "the killed hpvmmigrate's end of the stream is left" test -S "$SOCK_OUT"
check "the marker names B" test "$(cat "$MARK")" = hostb
expect_sql "SELECT runnable FROM guests WHERE uuid = '$UG'" "1"
run hpvmstatus
assert_stdout_has "^go +[0-9]+ UNKNOWN +Invalid "
assert_stdout_has "^go : interrupted after handing over to hostb; hpvmstatus -P go says more$"
refused hpvmstart go "QEMU sent the guest away and is paused (postmigrate): a migration was interrupted after it told the VM Host 'hostb' to take the guest over, and 'hostb' may run it. Check 'hostb': if the guest runs there, 'hpvmstop -P go -F' and 'hpvmremove -P go' remove this copy (hpvmmigrate on 'hostb' can bring the guest back); if not, 'hpvmstart -P go -F' resumes it here." --
# B does not run it (checked above): resumed here, same QEMU.
run hpvmstart -P go -F
assert_exit 0
assert_stdout "hpvmstart: Guest 'go' resumed: its QEMU (pid $PA) had stayed paused after an interrupted migration."
assert_stderr "hpvmstart: WARNING (go): Forced: the interrupted migration had told the VM Host 'hostb' to take the guest over; make sure it does not run the guest there."
check "A runs the guest again" a_runs
check "the marker is gone" test ! -e "$MARK"
check "and the stream's end the killed hpvmmigrate left" test ! -e "$SOCK_OUT"

section "online: the source's hpvmmigrate killed after 'commit', before marking its copy"
# Held before its first write to the database's log, which marks its copy
# migrated: B got "commit" and runs the guest; A's copy is still runnable.
held "$ROOT_A/hpvm.db-wal" pwrite64 delay_enter hpvmmigrate -o -P go -h hostb
check "hpvmmigrate runs under strace" test -n "$HELD"
check "B runs the guest" until_true 30 b_runs
check "A's copy is not marked yet" test "$(sqlite3 -readonly "$ROOT_A/hpvm.db" "SELECT runnable FROM guests WHERE uuid = '$UG'")" = 1
kill_held
PB=$(qemu_of "$ROOT_B")
[[ -n $PB ]] && track_pid "$PB"
check "B still runs the guest" b_runs
check "A's QEMU is paused" test "$(qmp_of "$ROOT_A" status)" = postmigrate
expect_sql "SELECT runnable FROM guests WHERE uuid = '$UG'" "1"
# What a source that lost its session asks B: B keeps a guest it runs.
feed "$UG"
run on_b hpvmmigrate --receive-abort
assert_exit 1
assert_stderr "hpvmmigrate: ERROR (go): The guest has been handed over to this host and is not removed."
check "B still runs it after --receive-abort" b_runs
run hpvmstatus -P go
assert_stdout_has "^QEMU state : unknown \(QEMU sent the guest away and is paused \(postmigrate\): a migration was interrupted after it told the VM Host 'hostb' to take the guest over, and 'hostb' may run it\. "
refused hpvmstart go "QEMU sent the guest away and is paused (postmigrate): a migration was interrupted after it told the VM Host 'hostb' to take the guest over, and 'hostb' may run it. Check 'hostb': if the guest runs there, 'hpvmstop -P go -F' and 'hpvmremove -P go' remove this copy (hpvmmigrate on 'hostb' can bring the guest back); if not, 'hpvmstart -P go -F' resumes it here." --
# It runs on B: this copy goes as the message says, and the guest can come back.
expect_ok hpvmstop -P go -F -q
check "A's paused QEMU is gone" bash -c "! readlink /proc/$PA/exe >/dev/null 2>&1"
refused hpvmstart go "A migration was interrupted after it told the VM Host 'hostb' to take the guest over, and 'hostb' may run it. Check 'hostb': if the guest runs there, 'hpvmremove -P go' removes this copy (hpvmmigrate on 'hostb' can bring the guest back); if not, 'hpvmstart -P go -F' starts it here." --
expect_ok hpvmremove -P go -Q
run on_b hpvmmigrate -o -P go -h hosta
assert_exit 0
PA=$(qemu_of "$ROOT_A")
[[ -n $PA ]] && track_pid "$PA"
check "A runs the guest again" a_runs
check "no marker" test ! -e "$MARK"
expect_sql "SELECT runnable FROM guests WHERE uuid = '$UG'" "1"

section "offline: killed after the marker, before 'commit'"
# The same window offline: the guest is Off; A's copy keeps the marker and
# is not started until someone has looked at B.
expect_ok hpvmstop -P go -F -q
held "$DRAFT" rename,renameat,renameat2 delay_exit hpvmmigrate -P go -h hostb
check "the hand-over marker is written" until_true 30 test -e "$MARK"
kill_held
check "nothing is left on B" b_clean
expect_sql "SELECT runnable FROM guests WHERE uuid = '$UG'" "1"
refused hpvmstart go "A migration was interrupted after it told the VM Host 'hostb' to take the guest over, and 'hostb' may run it. Check 'hostb': if the guest runs there, 'hpvmremove -P go' removes this copy (hpvmmigrate on 'hostb' can bring the guest back); if not, 'hpvmstart -P go -F' starts it here." --
mig_refused go "An interrupted migration told the VM Host 'hostb' to take the guest over; check 'hostb' first (hpvmstatus -P go says how)." -- -P go -h hostb
run hpvmstart -P go -F
assert_exit 0
assert_stderr "hpvmstart: WARNING (go): Forced: the interrupted migration had told the VM Host 'hostb' to take the guest over; make sure it does not run the guest there."
PA=$(qemu_of "$ROOT_A")
[[ -n $PA ]] && track_pid "$PA"
check "A runs the guest" a_runs
check "the marker is gone" test ! -e "$MARK"

# ------------------------------------------------------------------ -d
RUN_A="$ROOT_A/uuids/$UG"
EVENTS_A="$ROOT_A/common/runtime_events.log"
b_receiving() { [[ -n $(b_receives) ]]; }
# same_qemu: A still runs the guest in the QEMU it ran before (pid $PA).
same_qemu() { [[ $(qemu_of "$ROOT_A") == "$PA" ]] && alive "$PA" && a_runs; }

section "-d: nothing is stopped before both hosts accepted the guest"
both_states >"$K/before"
expect_stdout "hpvmmigrate: The guest can be migrated to 'hostb' as 'go'." hpvmmigrate -P go -h hostb -d -s
both_states >"$K/after"
check "-d -s changed nothing on either host" cmp -s "$K/before" "$K/after"
check "-d -s stopped nothing (QEMU pid $PA)" same_qemu
# The target refuses (its guest g1b has the name): the guest runs on here.
mig_refused go "Target VM Host error - A guest named 'g1b' already exists." \
  "See HPVM command log file on target VM Host for more detail." -- -P go -h hostb -d -N g1b
check "the refused -d stopped nothing (QEMU pid $PA)" same_qemu
expect_stderr 2 "hpvmmigrate: ERROR: -d stops the guest for an offline migration; with -o it runs on.
Run 'hpvmmigrate --help' for usage." hpvmmigrate -P go -h hostb -d -o

section "-d: the stop fails (another command holds the guest); the target drops its copy"
# hpvmmigrate lets the guest's runtime lock go once the target accepted the
# guest, for stop_guest to take it; strace holds that second flock for 2 s,
# and meanwhile the test takes the lock (flock(1) on a descriptor of this
# shell, waiting from the start): the stop gives up after its 3 s.
both_states >"$K/before"
before=$(log_lines)
ASAN_OPTIONS="$NO_LEAKS" strace -f -qq --seccomp-bpf -o /dev/null -P "$RUN_A" -e trace=flock \
  -e inject=flock:delay_enter=2000000:when=2 hpvmmigrate -P go -h hostb -d >"$K/mig.out" 2>"$K/mig.err" &
MPID=$!
track_pid "$MPID"
check "the target's side runs" until_true 10 b_receiving
exec {lock_fd}<"$RUN_A"
flock "$lock_fd" &
LPID=$!
track_pid "$LPID"
wait "$MPID"
check "hpvmmigrate failed (exit $?)" test $? -eq 1
wait "$LPID"
check "the test took the runtime lock (exit $?)" test $? -eq 0
exec {lock_fd}<&-
expect_stdout - cat "$K/mig.err" <<'EOF'
hpvmmigrate: ERROR (go): The guest could not be stopped: another command is starting, stopping or changing it. It was not migrated; it runs on this host as before.
EOF
check "nothing is left on B" b_clean
both_states >"$K/after"
check "both hosts are as they were" cmp -s "$K/before" "$K/after"
check "the guest runs on A as before (QEMU pid $PA)" same_qemu
expect_logged "$before" "FAILURE(1)" "hpvmmigrate -P go -h hostb -d\$"

section "-d: the guest started again between the stop and the migration"
# strace holds the flock that takes the runtime lock back after the stop
# (the third) for 3 s; hpvmstart gets in first.
both_states >"$K/before"
ASAN_OPTIONS="$NO_LEAKS" strace -f -qq --seccomp-bpf -o /dev/null -P "$RUN_A" -e trace=flock \
  -e inject=flock:delay_enter=3000000:when=3 hpvmmigrate -P go -h hostb -d >"$K/mig.out" 2>"$K/mig.err" &
MPID=$!
track_pid "$MPID"
check "hpvmmigrate -d stopped the guest" until_true 15 bash -c "! readlink /proc/$PA/exe >/dev/null 2>&1"
run hpvmstart -P go
assert_exit 0
PA=$(qemu_of "$ROOT_A")
[[ -n $PA ]] && track_pid "$PA"
wait "$MPID"
check "hpvmmigrate failed (exit $?)" test $? -eq 1
expect_stdout - cat "$K/mig.err" <<'EOF'
hpvmmigrate: ERROR (go): The guest was started again after hpvmmigrate -d stopped it; migrate it again.
hpvmmigrate: Unable to migrate the guest.
EOF
check "nothing is left on B" b_clean
both_states >"$K/after"
check "both databases are as they were" cmp -s "$K/before" "$K/after"
check "A runs the guest hpvmstart started" same_qemu

section "-d: the running guest stopped as hpvmstop stops it, migrated offline (-b: started on B)"
before=$(log_lines)
run hpvmmigrate -P go -h hostb -d -b
assert_exit 0
assert_stdout "hpvmmigrate: Guest migrated successfully."
assert_stderr ""
expect_logged "$before" SUCCESS "hpvmmigrate -P go -h hostb -d -b # to $HOST_B\$"
check "A's QEMU (pid $PA) is gone" bash -c "! readlink /proc/$PA/exe >/dev/null 2>&1"
check "its stop is a runtime event" grep -qE "^[0-9TZ:-]+ - STOPPED go: QEMU \(pid $PA\) stopped\$" "$EVENTS_A"
expect_sql "SELECT runnable, modifiable, visible FROM guests WHERE uuid = '$UG'" "0|0|0"
check "no run files of a QEMU are left on A" test ! -e "$RUN_A/qemu.pid" -a ! -e "$RUN_A/qmp.sock"
check "B has go, runnable" test "$(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT runnable, modifiable, visible FROM guests WHERE uuid = '$UG'")" = "1|1|1"
PB=$(qemu_of "$ROOT_B")
[[ -n $PB ]] && track_pid "$PB"
check "B runs it" b_runs

section "-d on an Off guest is an offline migration; the hand-over marker is flushed to disk"
expect_ok hpvmcreate -P gdoff -r 64M
UO=$(uuid_of gdoff)
ASAN_OPTIONS="$NO_LEAKS" strace -f -qq -y -o "$K/sync.trace" -e trace=fsync,rename,renameat,renameat2 \
  hpvmmigrate -P gdoff -h hostb -d >"$K/mig.out" 2>"$K/mig.err"
check "hpvmmigrate -d of an Off guest succeeded (exit $?)" test $? -eq 0
check "it said so" grep -qx "hpvmmigrate: Guest migrated successfully." "$K/mig.out"
expect_sql "SELECT runnable FROM guests WHERE uuid = '$UO'" "0"
check "B has gdoff, runnable" test "$(sqlite3 -readonly "$ROOT_B/hpvm.db" "SELECT runnable FROM guests WHERE uuid = '$UO'")" = 1
check "no stop was recorded for it" bash -c "! grep -q ' STOPPED gdoff:' '$EVENTS_A'"
# In order: the marker's draft flushed, renamed into place, its directory
# flushed (before the target is told to commit).
marker_syncs() {
  grep -E "migration\.commit|<$ROOT_A/uuids/$UO>" "$K/sync.trace" | sed -nE \
    -e 's/^[0-9]+ +fsync\([0-9]+<.*migration\.commit\.tmp>\).*/file/p' \
    -e 's/^[0-9]+ +fsync\([0-9]+<.*>\).*/dir/p' \
    -e 's/^[0-9]+ +rename[a-z0-9]*\(.*migration\.commit\.tmp.*/rename/p' | head -3 | tr '\n' ' '
}
check "the marker is written to disk" test "$(marker_syncs)" = "file rename dir "

finish

#!/usr/bin/env bash
# No command hangs on a guest's monitor: a monitor another client holds
# (with more connections queued behind it), a stopped (SIGSTOP) QEMU, and a
# $HPVM_ROOT too long for a unix socket path. Read-only commands answer
# within a few seconds and say the runtime state is unknown and why;
# changing commands refuse within a bound, the database unchanged; the
# write lock is not held for ever; hpvmstop -F stops the guest regardless.
# Real QEMU guests (firmware only) in a private network namespace.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/runtime_lib.sh
source "$(dirname "$0")/runtime_lib.sh"

# Runs a command and records how long it took, in whole seconds ($SECS); a
# command that hangs is killed after 60 s (and fails its bound).
timed() {
  local start=$EPOCHREALTIME
  run timeout -s KILL 60 "$@"
  SECS=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%d", b - a }')
}
within() { # seconds label
  echo "  $2: ${SECS}s (bound ${1}s)"
  if ((SECS <= $1)); then pass; else fail "$2 took ${SECS}s (bound ${1}s)"; fi
}

sized_file "$S/new.img" 8M
sized_file "$S/other.img" 8M

start_guest() { # name
  expect_ok hpvmcreate -P "$1" -O linux -r 128M -a disk:avio_stor::file:"$S/$1.img"
  expect_exit 0 hpvmstart -P "$1"
  started "$1"
}
qemu_pid() { cat "$(run_dir "$1")/qemu.pid"; }

section "a monitor another client holds, with one more connection queued"
sized_file "$S/busy.img" 8M
start_guest busy
python3 "$HPVM_SOURCE/tests/runtime/qmp_hold.py" "$(run_dir busy)/qmp.sock" 3 >"$S/hold.out" &
holder=$!
track_pid "$holder"
for ((i = 0; i < 100; i++)); do [[ -s $S/hold.out ]] && break; sleep 0.1; done
expect_stdout "held" cat "$S/hold.out"
timed hpvmstatus -P busy
assert_exit 0
within 8 "hpvmstatus -P on a busy monitor"
assert_stdout_has "^QEMU state : unknown \(The guest's monitor (is busy|did not answer within)"
timed hpvmstatus
assert_exit 0
within 8 "hpvmstatus on a busy monitor"
assert_stdout_has "^busy +[0-9]+ +"
db_snapshot
timed hpvmmodify -P busy -a disk:avio_stor::file:"$S/new.img"
assert_exit 1
within 10 "hpvmmodify -a on a busy monitor"
assert_stderr_has "^hpvmmodify: ERROR \(busy\): .*monitor"
expect_db_unchanged
# While a command waits on the busy monitor, another guest can be created:
# the write lock is held only for the bounded wait.
hpvmmodify -P busy -a disk:avio_stor::file:"$S/new.img" >/dev/null 2>&1 &
waiter=$!
track_pid "$waiter"
sleep 0.5
timed hpvmcreate -P other -O linux -r 128M -a disk:avio_stor::file:"$S/other.img"
assert_exit 0
within 12 "hpvmcreate while a command waits on a busy monitor"
wait "$waiter" || true
expect_sql "SELECT count(*) FROM guests WHERE name = 'other'" 1
pid=$(qemu_pid busy)
timed hpvmstop -P busy -F -q
assert_exit 0
within 15 "hpvmstop -F on a busy monitor"
if alive "$pid"; then fail "the QEMU (pid $pid) survived hpvmstop -F"; else pass; fi
expect_exit 0 hpvmstatus -M -P busy
assert_stdout_has ":Off:"
kill "$holder" 2>/dev/null
expect_exit 0 hpvmstart -P busy
started busy
expect_ok hpvmstop -P busy -F -q

section "a stopped (SIGSTOP) QEMU"
sized_file "$S/frozen.img" 8M
start_guest frozen
pid=$(qemu_pid frozen)
kill -STOP "$pid"
timed hpvmstatus -P frozen
assert_exit 0
within 2 "hpvmstatus -P on a stopped QEMU"
assert_stdout_has "^QEMU state : unknown \(QEMU \(pid $pid\) is stopped \(SIGSTOP or a debugger\) and cannot answer its monitor; 'kill -CONT $pid' resumes it, 'hpvmstop -P frozen -F' stops it\)$"
db_snapshot
for attempt in 1 2 3; do # more than the listen queue holds
  timed hpvmmodify -P frozen -a disk:avio_stor::file:"$S/new.img"
  assert_exit 1
  within 10 "hpvmmodify -a on a stopped QEMU (attempt $attempt)"
  assert_stderr_has "^hpvmmodify: ERROR \(frozen\): The running guest (did not answer|cannot be changed)"
done
expect_db_unchanged
timed hpvmstatus -M -P frozen
assert_exit 0
within 8 "hpvmstatus -M after three timeouts"
timed hpvmstop -P frozen -F -q
assert_exit 0
within 15 "hpvmstop -F on a stopped QEMU"
if alive "$pid"; then fail "the stopped QEMU (pid $pid) survived hpvmstop -F"; else pass; fi
expect_exit 0 hpvmstart -P frozen
started frozen
pid=$(qemu_pid frozen)
kill -STOP "$pid"
timed hpvmstop -P frozen -g -t 5 -q
assert_exit 0
within 20 "hpvmstop -g on a stopped QEMU"
assert_stderr_has "stopped hard"
if alive "$pid"; then fail "the stopped QEMU (pid $pid) survived hpvmstop -g"; else pass; fi

section "an HPVM_ROOT longer than a unix socket path"
deep="$(new_tmpdir)/$(printf 'a%.0s' {1..60})/$(printf 'b%.0s' {1..60})"
mkdir -p "$deep"
use_root "$deep"
sized_file "$S/deep.img" 8M
start_guest deep
expect_exit 0 hpvmstatus -P deep
assert_stdout_has "^QEMU state : running"
expect_ok hpvmmodify -P deep -a disk:avio_stor::file:"$S/new.img"
expect_ok hpvmstop -P deep -F -q

finish

# shellcheck shell=bash
# Harness for the CLI suites (tests/cli/test_*.sh). Source it; it
#  * puts $HPVM_BIN first on PATH and makes a private HPVM_ROOT and scratch
#    dir ($S), removed on exit together with every loop device attached
#    (track_loop), file system mounted (track_mount), swap area turned on
#    (track_swap), LVM volume group made (track_vg) and background process
#    started (track_pid);
#  * runs commands with `run` (stdin is /dev/null unless `feed` gave text),
#    keeping stdout, stderr and the exit status of the last run;
#  * checks them: assert_* look at the last run, expect_* run and check;
#    refuse (and refused, for the ERROR (guest) form) checks a refusal:
#    exit status, exact stderr, no stdout, database unchanged, command log;
#  * fake_qemu starts a QEMU process that makes a guest look running;
#  * counts checks, prints every failure with a diff, and `finish` prints a
#    summary and exits non-zero when a check failed.
#
# Expected text is given without its final newline (one is added unless it
# is empty), or as "-" to read it from stdin (a here-document).

# shellcheck source=tests/cli/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
for _tool in hpvmcreate hpvmstatus hpvmremove hpvminfo; do
  if [[ ! -x "$HPVM_BIN/$_tool" ]]; then
    echo "$HPVM_BIN/$_tool is missing or not executable" >&2
    exit 1
  fi
done
if ! command -v sqlite3 >/dev/null; then
  echo "SKIP: the sqlite3 command-line tool is not installed; the CLI suites need it to inspect the database."
  exit 77
fi
export PATH="$HPVM_BIN:$PATH"
export LC_ALL=C

SUITE=$(basename "$0" .sh)
_checks=0
_failures=0
_skips=0
_section=""
_cleanup_pids=()
_cleanup_loops=()
_cleanup_mounts=()
_cleanup_swaps=()
_cleanup_vgs=()
_cleanup_dirs=()

_cleanup() {
  local pid dev dir
  for pid in "${_cleanup_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
    fi
  done
  for dir in "${_cleanup_mounts[@]}"; do
    if mountpoint -q "$dir"; then
      umount "$dir" || echo "warning: could not unmount $dir" >&2
    fi
  done
  for dev in "${_cleanup_swaps[@]}"; do
    if grep -q "^$dev " /proc/swaps; then
      swapoff "$dev" || echo "warning: could not turn off the swap area $dev" >&2
    fi
  done
  for dev in "${_cleanup_vgs[@]}"; do
    if LVM_SUPPRESS_FD_WARNINGS=1 vgs "$dev" >/dev/null 2>&1; then
      LVM_SUPPRESS_FD_WARNINGS=1 vgremove -q -f "$dev" >/dev/null 2>&1 ||
        echo "warning: could not remove the volume group $dev" >&2
    fi
  done
  for dev in "${_cleanup_loops[@]}"; do
    LVM_SUPPRESS_FD_WARNINGS=1 pvremove -q -y "$dev" >/dev/null 2>&1
    losetup -d "$dev" 2>/dev/null || echo "warning: could not detach $dev" >&2
  done
  for dir in "${_cleanup_dirs[@]}"; do
    rm -rf -- "$dir"
  done
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# Everything the suite creates lives under one directory, removed at exit.
_BASE=$(mktemp -d "${TMPDIR:-/tmp}/hpvm-$SUITE.XXXXXX") || { echo "mktemp failed" >&2; exit 1; }
_cleanup_dirs+=("$_BASE")

# A new empty directory (under the suite's base directory).
new_tmpdir() { mktemp -d "$_BASE/d.XXXXXX"; }

# use_root DIR: HPVM_ROOT (exported), DB and LOG for DIR.
use_root() {
  HPVM_ROOT=$1
  export HPVM_ROOT
  DB="$HPVM_ROOT/hpvm.db"
  LOG="$HPVM_ROOT/common/command.log"
}

# Switches to a new, empty HPVM_ROOT (the directory exists, the database not).
new_root() { use_root "$(new_tmpdir)"; }

# shellcheck disable=SC2034 # used by the suites
S=$(new_tmpdir)        # scratch: backing files and the like
_H=$(new_tmpdir)       # the harness's own files
new_root

track_pid() { _cleanup_pids+=("$1"); }
track_loop() { _cleanup_loops+=("$1"); }
track_mount() { _cleanup_mounts+=("$1"); }
track_swap() { _cleanup_swaps+=("$1"); }
track_vg() { _cleanup_vgs+=("$1"); }

# new_loop VAR FILE SIZE [losetup options]: attaches a loop device to a new
# file of SIZE, sets VAR to its path and detaches it at exit (not in a
# subshell: the clean-up list must see it). Fails when no loop device can be
# attached.
new_loop() {
  local var=$1 file=$2 size=$3 dev
  shift 3
  truncate -s "$size" "$file" || return 1
  dev=$(losetup -f --show "$@" "$file" 2>/dev/null) || return 1
  track_loop "$dev"
  printf -v "$var" '%s' "$dev"
}

# --------------------------------------------------------------- reporting

section() {
  _section=$1
  printf -- '--- %s\n' "$1"
}

_label() { printf '%s' "$*"; }

pass() { _checks=$((_checks + 1)); }

fail() {
  _checks=$((_checks + 1))
  _failures=$((_failures + 1))
  printf 'FAIL [%s] %s\n' "$_section" "$1"
  if [[ $# -gt 1 ]]; then
    printf '%s\n' "$2" | sed 's/^/    /'
  fi
}

# check "description" condition-command...: one check that passes when the
# command succeeds.
check() {
  local what=$1
  shift
  if "$@"; then pass; else fail "$what"; fi
}

skip() {
  _skips=$((_skips + 1))
  printf 'SKIP [%s] %s\n' "$_section" "$1"
}

finish() {
  printf '%s: %d checks, %d failed, %d skipped\n' "$SUITE" "$_checks" "$_failures" "$_skips"
  [[ $_failures -eq 0 ]] && exit 0
  exit 1
}

# ------------------------------------------------------------------ running

OUT="$_H/stdout"
ERR="$_H/stderr"
RC=0
LAST=""
_stdin=/dev/null

# feed TEXT: the next `run` gets TEXT (plus a newline) on stdin.
# feed --raw TEXT: exactly TEXT.
feed() {
  if [[ $1 == --raw ]]; then printf '%s' "$2" >"$_H/stdin"; else printf '%s\n' "$1" >"$_H/stdin"; fi
  _stdin="$_H/stdin"
}

run() {
  LAST="$*"
  "$@" <"$_stdin" >"$OUT" 2>"$ERR"
  RC=$?
  _stdin=/dev/null
  return 0
}

# The expected text (argument, or stdin for "-") into a file.
_expected() {
  local file=$1 text=$2
  if [[ $text == - ]]; then
    cat >"$file"
  elif [[ -z $text ]]; then
    : >"$file"
  else
    printf '%s\n' "$text" >"$file"
  fi
}

_compare() { # what expected-file actual-file
  if cmp -s "$2" "$3"; then
    pass
  else
    fail "$LAST: $1 differs (--- expected, +++ actual)" "$(diff -u "$2" "$3" | tail -n +3)"
  fi
}

assert_exit() {
  if [[ $RC -eq $1 ]]; then
    pass
  else
    fail "$LAST: exit status $RC, expected $1" "$(printf 'stdout:\n%s\nstderr:\n%s' "$(head -20 "$OUT")" "$(head -20 "$ERR")")"
  fi
}

assert_stdout() { _expected "$_H/exp" "$1"; _compare stdout "$_H/exp" "$OUT"; }
assert_stderr() { _expected "$_H/exp" "$1"; _compare stderr "$_H/exp" "$ERR"; }
# assert_stdout_raw TEXT: stdout is exactly TEXT, with no newline added.
assert_stdout_raw() { printf '%s' "$1" >"$_H/exp"; _compare stdout "$_H/exp" "$OUT"; }

assert_stdout_has() { # regex (grep -E)
  if grep -qE -- "$1" "$OUT"; then pass; else fail "$LAST: stdout has no line matching /$1/" "$(head -20 "$OUT")"; fi
}
assert_stderr_has() {
  if grep -qE -- "$1" "$ERR"; then pass; else fail "$LAST: stderr has no line matching /$1/" "$(head -20 "$ERR")"; fi
}

# expect_exit N cmd...: runs cmd, checks only the exit status.
expect_exit() {
  local n=$1
  shift
  run "$@"
  assert_exit "$n"
}

# expect_stdout TEXT cmd...: exit 0, stdout exactly TEXT, stderr empty.
expect_stdout() {
  local text=$1
  shift
  if [[ $text == - ]]; then _expected "$_H/exp_out" -; else _expected "$_H/exp_out" "$text"; fi
  run "$@"
  assert_exit 0
  _compare stdout "$_H/exp_out" "$OUT"
  _expected "$_H/exp" ""
  _compare stderr "$_H/exp" "$ERR"
}

# expect_stderr N TEXT cmd...: exit N, stderr exactly TEXT (stdout not checked).
expect_stderr() {
  local n=$1 text=$2
  shift 2
  if [[ $text == - ]]; then _expected "$_H/exp_err" -; else _expected "$_H/exp_err" "$text"; fi
  run "$@"
  assert_exit "$n"
  _compare stderr "$_H/exp_err" "$ERR"
}

# expect_ok cmd...: exit 0, nothing printed.
expect_ok() {
  run "$@"
  assert_exit 0
  _expected "$_H/exp" ""
  _compare stdout "$_H/exp" "$OUT"
  _compare stderr "$_H/exp" "$ERR"
}

# ----------------------------------------------------------------- database

# The state a refused command must leave alone: the database dump, the
# header fields .dump leaves out (the schema version PRAGMA user_version,
# application_id) and the run directories (uuids/, guests/). The command log
# is checked separately.
db_dump() {
  if [[ -e $DB ]]; then
    sqlite3 -readonly "$DB" .dump
    sqlite3 -readonly "$DB" "SELECT 'user_version ' || user_version FROM pragma_user_version;
                             SELECT 'application_id ' || application_id FROM pragma_application_id;"
  else
    echo "(no database)"
  fi
}

state_dump() {
  db_dump
  echo "--- files"
  if [[ -d $HPVM_ROOT ]]; then
    (cd "$HPVM_ROOT" && find uuids guests -printf '%p %y %m %l\n' 2>/dev/null | sort)
  else
    echo "(no $HPVM_ROOT)"
  fi
}

db_snapshot() { state_dump >"$_H/snapshot"; }

expect_db_unchanged() {
  state_dump >"$_H/snapshot.after"
  if cmp -s "$_H/snapshot" "$_H/snapshot.after"; then
    pass
  else
    fail "$LAST: the database or run directories changed" "$(diff -u "$_H/snapshot" "$_H/snapshot.after" | tail -n +3)"
  fi
}

# sql "SELECT ...": the query's output (| separated).
sql() { sqlite3 -readonly "$DB" "$1"; }

# expect_sql "SELECT ..." "expected output": one check.
expect_sql() {
  local got
  got=$(sql "$1")
  if [[ $got == "$2" ]]; then
    pass
  else
    fail "SQL $1" "$(printf 'expected: %s\nactual:   %s' "$2" "$got")"
  fi
}

uuid_of() { sql "SELECT uuid FROM guests WHERE name = '$1'"; }

# ------------------------------------------------------------- command log

log_lines() { if [[ -e $LOG ]]; then wc -l <"$LOG"; else echo 0; fi; }

# expect_logged BEFORE OUTCOME COMMAND: exactly one line was appended since
# the log had BEFORE lines; it records OUTCOME (SUCCESS, FAILURE(1)) and
# starts the command line with COMMAND (a regex).
expect_logged() {
  local before=$1 outcome=$2 command=$3 after last user
  after=$(log_lines)
  user=$(id -un)
  if [[ $after -ne $((before + 1)) ]]; then
    fail "$LAST: command log grew by $((after - before)) lines, expected 1"
    return
  fi
  last=$(tail -n 1 "$LOG")
  local outcome_re=${outcome//(/\\(}
  outcome_re=${outcome_re//)/\\)}
  if [[ $last =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\ $user\ $outcome_re\ $command ]]; then
    pass
  else
    fail "$LAST: command log line" "$(printf 'expected: <time> %s %s %s\nactual:   %s' "$user" "$outcome" "$command" "$last")"
  fi
}

expect_not_logged() {
  local before=$1 after
  after=$(log_lines)
  if [[ $after -eq $before ]]; then pass; else fail "$LAST: wrote $((after - before)) command log lines, expected none"; fi
}

# -------------------------------------------------------------- refusals

# refuse N TEXT cmd...: cmd exits N, prints nothing on stdout and exactly
# TEXT on stderr, leaves the database and run directories byte-identical,
# and (the mutating commands failing with status 1, or a changing mode of
# hpvmdevmgmt/hpvmhostrdev/hpvmnet) logs one FAILURE(n) line.
refuse() {
  local n=$1 text=$2 before
  shift 2
  if [[ $text == - ]]; then _expected "$_H/exp_err" -; else _expected "$_H/exp_err" "$text"; fi
  db_snapshot
  before=$(log_lines)
  run "$@"
  assert_exit "$n"
  _compare stderr "$_H/exp_err" "$ERR"
  _expected "$_H/exp" ""
  _compare stdout "$_H/exp" "$OUT"
  expect_db_unchanged
  case "$1" in
  hpvmcreate | hpvmremove | hpvmimport | hpvmmodify | hpvmclone | hpvmstart | hpvmstop | hpvmmigrate)
    if [[ $n -eq 1 ]]; then
      expect_logged "$before" "FAILURE(1)" "$1 "
    fi
    ;;
  hpvmconvert) # a plan only reads; -C and -U are logged
    if [[ " $* " == *" -C "* || " $* " == *" -U "* ]]; then
      expect_logged "$before" "FAILURE($n)" "$1 "
    else
      expect_not_logged "$before"
    fi
    ;;
  hpvmdevmgmt | hpvmhostrdev) # every mode that may change something is logged
    if [[ $1 == hpvmdevmgmt && (" $* " =~ \ -[lrv]\  || ! " $* " =~ \ -[admnSI]\ ) ]] ||
      [[ $1 == hpvmhostrdev && " $* " == *" -h "* ]]; then
      expect_not_logged "$before"
    else
      expect_logged "$before" "FAILURE($n)" "$1 "
    fi
    ;;
  hpvmnet) # a mode that changes something is logged, unless the command line is wrong
    if [[ $n -eq 1 && " $* " =~ \ -[cbhdru]\  ]]; then
      expect_logged "$before" "FAILURE(1)" "hpvmnet "
    else
      expect_not_logged "$before"
    fi
    ;;
  hpvmstatus) # logged only when -P registers a guest copied from another host
    if grep -qF "Unable to register the guest's configuration copied to this host." "$_H/exp_err"; then
      expect_logged "$before" "FAILURE(1)" "hpvmstatus "
    else
      expect_not_logged "$before"
    fi
    ;;
  *) expect_not_logged "$before" ;;
  esac
}

# refused COMMAND GUEST "ERROR line"... -- args: COMMAND -P GUEST args is
# refused (exit 1) with exactly these problems, each tagged with GUEST
# ("COMMAND: ERROR (GUEST): line"), and the summary line "COMMAND: Unable to
# VERB the guest." (VERB: the command name without "hpvm": create, modify,
# clone, ...); checked by refuse (nothing on stdout, database and run
# directories unchanged, one FAILURE(1) log line).
refused() {
  local cmd=$1 guest=$2
  shift 2
  local lines=()
  while [[ $# -gt 0 && $1 != -- ]]; do
    lines+=("$cmd: ERROR ($guest): $1")
    shift
  done
  if [[ $# -eq 0 ]]; then
    fail "refused $cmd $guest: no -- before the arguments (a bug in the suite)"
    return
  fi
  shift
  lines+=("$cmd: Unable to ${cmd#hpvm} the guest.")
  refuse 1 "$(printf '%s\n' "${lines[@]}")" "$cmd" -P "$guest" "$@"
}

# ------------------------------------------------------------ fake QEMU

# fake_qemu VAR GUEST: a QEMU process with no machine (no QMP socket, no
# devices) stands in for GUEST's, so that the commands see the guest running:
# it carries the guest's -uuid (how the commands know a QEMU is the guest's),
# its pid goes into the guest's run directory (uuids/<uuid>/qemu.pid), VAR is
# set to it, and it is killed at exit (track_pid). Call it in the suite's
# shell, not in $(...): the clean-up list must see the pid. Fails (one failed
# check, with QEMU's output) when QEMU does not start within 5 s; check
# `command -v qemu-system-x86_64` first.
fake_qemu() {
  local var=$1 guest=$2 uuid pid i log
  uuid=$(uuid_of "$guest")
  if [[ -z $uuid || ! -d $HPVM_ROOT/uuids/$uuid ]]; then
    fail "fake_qemu: the guest '$guest' has no run directory"
    return 1
  fi
  log=$(mktemp "$_H/qemu-$guest.XXXXXX.log")
  qemu-system-x86_64 -machine none -S -display none -nodefaults -monitor none -serial none \
    -uuid "$uuid" </dev/null >"$log" 2>&1 &
  pid=$!
  track_pid "$pid"
  for ((i = 0; i < 100; i++)); do
    [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == *qemu-system* ]] && break
    sleep 0.05
  done
  if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) != *qemu-system* ]]; then
    fail "fake_qemu: QEMU did not start for '$guest'" "$(cat "$log")"
    return 1
  fi
  echo "$pid" >"$HPVM_ROOT/uuids/$uuid/qemu.pid"
  printf -v "$var" '%s' "$pid"
}

# stop_fake_qemu PID: kills a process fake_qemu started and waits for it
# (its pid file stays, as a crashed QEMU's would).
stop_fake_qemu() {
  kill "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}

# -------------------------------------------------------------- utilities

# A file of exactly N bytes (sparse).
sized_file() {
  rm -f -- "$1"
  truncate -s "$2" "$1"
}

# file_mode PATH: octal permission bits.
file_mode() { stat -c '%a' "$1"; }

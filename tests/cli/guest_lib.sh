# shellcheck shell=bash
# What the suites with the real test guest (scripts/guest-image) share;
# sourced after lib.sh and runtime_lib.sh. A guest's shell is driven through
# hpvmconsole on a pty by tests/runtime/guest_console.py, one driver per
# guest, talked to over two fifos:
#   console_open g1               attach (call it right after hpvmstart)
#   console_wait g1 SECS REGEX    a console line matching REGEX; sets GLINE
#   console_sync g1               the shell at its prompt, old output gone
#   gsh g1 COMMAND [SECS]         run COMMAND in the guest: GOUT, GRC
#   expect_guest g1 TEXT COMMAND  one check: exit 0 and output exactly TEXT
#   console_close g1              detach (Ctrl-B); sets GRC to its exit status
# Commands are typed on one line: keep them under ~200 characters.

GUEST_CONSOLE="$HPVM_SOURCE/tests/runtime/guest_console.py"

# build_guest_image: the test guest's image (built, or taken from the cache)
# in $GUEST_IMAGE, status 0; status 77 when the machine cannot build it
# (what it is made of cannot be had here), 1 when the build failed; the
# reason in $GUEST_IMAGE_WHY.
build_guest_image() {
  local build_dir=$HPVM_BIN/.. log=$_H/guest-image.log image
  if image=$("$HPVM_SOURCE/scripts/guest-image" "$build_dir" 2>"$log" | tail -n 1) && [[ -f $image ]]; then
    GUEST_IMAGE=$image
    return 0
  fi
  GUEST_IMAGE_WHY=$(tail -n 5 "$log")
  if grep -qE 'no \.deb of|cannot download|cannot tell which kernel|installing host packages needs root|Unable to locate package|Could not resolve|Temporary failure resolving|Failed to fetch' "$log"; then
    return 77
  fi
  GUEST_IMAGE_WHY=$(cat "$log")
  return 1
}

# guest_image: build_guest_image, or the suite ends: skipped (77) when the
# machine cannot build the image, failed otherwise.
guest_image() {
  local rc=0
  build_guest_image || rc=$?
  case $rc in
  0) return 0 ;;
  77)
    echo "SKIP: the test guest image cannot be built on this machine (packages unavailable):"
    echo "$GUEST_IMAGE_WHY"
    exit 77
    ;;
  *)
    echo "scripts/guest-image failed:" >&2
    echo "$GUEST_IMAGE_WHY" >&2
    exit 1
    ;;
  esac
}

_console_dir() { printf '%s/console.%s' "$_H" "$1"; }

console_open() {
  local guest=$1 dir in_fd out_fd fd
  dir=$(_console_dir "$guest")
  rm -rf -- "$dir"
  mkdir -p "$dir"
  mkfifo "$dir/in" "$dir/out"
  # The driver must not inherit the other drivers' fifo ends: a driver only
  # ends when its request fifo has no writer left.
  (
    for fd in "${_console_fds[@]}"; do exec {fd}>&-; done
    exec python3 "$GUEST_CONSOLE" --log "$dir/log" hpvmconsole -P "$guest"
  ) <"$dir/in" >"$dir/out" &
  track_pid $!
  exec {in_fd}>"$dir/in" {out_fd}<"$dir/out"
  _console_fds+=("$in_fd" "$out_fd")
  printf '%s %s %s\n' "$in_fd" "$out_fd" $! >"$dir/fds"
}
_console_fds=()

# _console_request GUEST SECS REQUEST: GOUT (the answer's lines), GRC (its
# status: a number, timeout or closed).
_console_request() {
  local guest=$1 secs=$2 request=$3 in_fd out_fd line
  read -r in_fd out_fd _ <"$(_console_dir "$guest")/fds"
  printf '%s\n' "$request" >&"$in_fd"
  GOUT=
  GRC=
  while IFS= read -r -t "$((${secs%.*} + 15))" line <&"$out_fd"; do
    if [[ $line == $'\x1e'END\ * ]]; then
      GRC=${line#$'\x1e'END }
      GOUT=${GOUT%$'\n'}
      return 0
    fi
    GOUT+=$line$'\n'
  done
  GRC=noanswer
  GOUT=${GOUT%$'\n'}
}

# The console as the terminal showed it (last lines), for failure messages.
console_tail() { tail -n "${2:-15}" "$(_console_dir "$1")/log" 2>/dev/null | tr -d '\r' | sed 's/\x1b\[6n//g'; }

console_wait() {
  _console_request "$1" "$2" "wait $2 $3"
  # shellcheck disable=SC2034 # for the suites
  GLINE=$GOUT
  [[ $GRC == 0 ]]
}

console_sync() { _console_request "$1" "${2:-30}" "sync ${2:-30}"; [[ $GRC == 0 ]]; }

gsh() { _console_request "$1" "${3:-30}" "run ${3:-30} $2"; }

# expect_guest GUEST TEXT COMMAND [SECS]: COMMAND exits 0 in the guest and
# prints exactly TEXT ("-" reads it from stdin).
expect_guest() {
  local guest=$1 text=$2 command=$3 secs=${4:-30}
  [[ $text == - ]] && text=$(cat)
  gsh "$guest" "$command" "$secs"
  if [[ $GRC == 0 && $GOUT == "$text" ]]; then
    pass
  else
    fail "guest $guest: $command (exit $GRC)" "$(diff -u <(printf '%s\n' "$text") <(printf '%s\n' "$GOUT") | tail -n +3)
console:
$(console_tail "$guest")"
  fi
}

# check_guest DESCRIPTION GUEST COMMAND [SECS]: COMMAND exits 0 in the guest.
check_guest() {
  gsh "$2" "$3" "${4:-30}"
  if [[ $GRC == 0 ]]; then pass; else fail "$1: guest $2: $3 (exit $GRC)" "$GOUT"; fi
}

console_close() {
  local dir in_fd out_fd pid
  dir=$(_console_dir "$1")
  _console_request "$1" 10 "detach 10"
  read -r in_fd out_fd pid <"$dir/fds"
  local status=$GRC
  exec {in_fd}>&- {out_fd}<&-
  local fd open=()
  for fd in "${_console_fds[@]}"; do [[ $fd == "$in_fd" || $fd == "$out_fd" ]] || open+=("$fd"); done
  _console_fds=("${open[@]}")
  local i
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  GRC=$status
}

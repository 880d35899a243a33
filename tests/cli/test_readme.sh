#!/usr/bin/env bash
# README.md's walkthroughs are scripts/demo's real output: runs the demo
# (and scripts/demo --guest, with the real test guest) with this build's
# commands and compares its output with the block between
# <!-- demo:begin --> and <!-- demo:end --> (<!-- guest-demo:... -->) in
# README.md, the parts that vary from run to run masked. Checks that each
# demo leaves nothing behind: no QEMU it started still running, no scratch
# directory, no new interface in this namespace. Regenerate a block with:
# scripts/demo [--guest] --update-readme
# shellcheck source=tests/cli/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/guest_lib.sh
source "$(dirname "$0")/guest_lib.sh"

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: scripts/demo needs root (bridges, taps, a network namespace)."
  exit 77
fi
if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "SKIP: qemu-system-x86_64 is not installed (scripts/bootstrap installs it)."
  exit 77
fi
if [[ ! -e /dev/net/tun ]]; then
  echo "SKIP: /dev/net/tun is missing: the demo's vNIC needs a tap device."
  exit 77
fi
if ! unshare -n true 2>/dev/null; then
  echo "SKIP: cannot make a private network namespace (unshare -n)."
  exit 77
fi

README="$HPVM_SOURCE/README.md"
DEMO="$HPVM_SOURCE/scripts/demo"

# The text between a marker's lines, without the ```console fence lines.
readme_block() {
  awk -v begin="<!-- $1:begin -->" -v end="<!-- $1:end -->" '
       $0 == begin { on = 1; next }
       $0 == end { on = 0 }
       on && !/^```/ { print }' "$README"
}

# mask FILE: the transcript with what varies between runs replaced. The
# scratch directory (mktemp) is taken from the "# export HPVM_ROOT=" line.
mask() {
  local scratch text
  scratch=$(sed -n 's|^# export HPVM_ROOT=\(.*\)/root$|\1|p' "$1" | head -n 1)
  text=$(cat "$1")
  [[ -n $scratch ]] && text=${text//"$scratch"/<scratch>}
  printf '%s\n' "$text" | sed -E \
    -e 's/\(QEMU pid [0-9]+\)/(QEMU pid <pid>)/' \
    -e 's/, (KVM|TCG[^(]*) \(qemu-system/, <accel> (qemu-system/' \
    -e 's/\b[0-9a-f]{2}(-[0-9a-f]{2}){5}\b/<mac>/g' \
    -e 's/\b0x[0-9A-F]{12}\b/<mac>/g' \
    -e 's/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/<uuid>/g' \
    -e 's/\b[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/<time>/g'
}

hpv_links() { ip -br link | awk '{ sub(/@.*/, "", $1); print $1 }' | grep '^hpv' | sort; }
# shellcheck disable=SC2317 # called through check
qemu_gone() { [[ $(readlink "/proc/$1/exe" 2>/dev/null) != *qemu* ]]; }

# check_demo MARKER [DEMO OPTIONS]: one demo against its README block.
check_demo() {
  local marker=$1 how
  shift
  how="regenerate it with: scripts/demo $* --update-readme (with the build's commands: HPVM_BIN=build/cmd scripts/demo $* --update-readme)"
  section "README.md has the block <!-- $marker:begin -->"
  readme_block "$marker" >"$_H/readme"
  check "README.md has a non-empty block between <!-- $marker:begin --> and <!-- $marker:end -->" test -s "$_H/readme"

  section "scripts/demo $* runs every step"
  hpv_links >"$_H/links.before"
  # /tmp, not the harness's deeper directory: the guest's QMP socket path
  # under the scratch root must fit in a socket address (108 bytes).
  run env TMPDIR=/tmp HPVM_BIN="$HPVM_BIN" "$DEMO" "$@"
  assert_exit 0
  assert_stderr ""
  local pids
  pids=$(sed -n 's/^Daemonizing.* (QEMU pid \([0-9]*\))$/\1/p' "$OUT")
  check "the demo started one QEMU" test -n "$pids"

  section "the demo's output is README.md's block <!-- $marker:begin -->"
  mask "$_H/readme" >"$_H/readme.masked"
  mask "$OUT" >"$_H/demo.masked"
  if cmp -s "$_H/readme.masked" "$_H/demo.masked"; then
    pass
  else
    fail "README.md's <!-- $marker --> block is not scripts/demo $*'s output (--- README.md, +++ scripts/demo; masked); $how" \
      "$(diff -u "$_H/readme.masked" "$_H/demo.masked" | tail -n +3)"
  fi

  section "the demo leaves nothing behind"
  local pid scratch
  for pid in $pids; do
    check "QEMU pid $pid (started by the demo) is gone" qemu_gone "$pid"
  done
  scratch=$(sed -n 's|^# export HPVM_ROOT=\(.*\)/root$|\1|p' "$OUT" | head -n 1)
  check "the demo printed its scratch directory" test -n "$scratch"
  check "the demo's scratch directory $scratch is removed" test ! -e "${scratch:-/nonexistent}"
  hpv_links >"$_H/links.after"
  check "no new hpv* interface in the test's network namespace" cmp -s "$_H/links.before" "$_H/links.after"
}

check_demo demo
# The real guest's demo needs the test guest's image (built into this
# build directory; cached after the first time).
rc=0
build_guest_image || rc=$?
case $rc in
0) check_demo guest-demo --guest ;;
77) skip "scripts/demo --guest: the test guest image cannot be built on this machine: $GUEST_IMAGE_WHY" ;;
*) fail "scripts/guest-image failed" "$GUEST_IMAGE_WHY" ;;
esac

finish

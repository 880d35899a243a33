# What the suites with real QEMU guests share; sourced after lib.sh. The
# suite runs in its own network namespace (the caller re-executes itself
# with unshare first) so guests' taps and bridges stay private.
if ! command -v qemu-system-x86_64 >/dev/null; then
  echo "SKIP: qemu-system-x86_64 is not installed (scripts/bootstrap installs it)."
  exit 77
fi
if [[ ! -e /dev/net/tun ]]; then
  echo "SKIP: /dev/net/tun is missing: guests' vNICs need tap devices."
  exit 77
fi
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]]; then
  echo "SKIP: cannot make a private network namespace (unshare -n): the suite would touch the host's interfaces."
  exit 77
fi
HOTPLUG=${HPVM_TEST_BIN:-$HPVM_BIN/../tests}/hpvm-hotplug
QMP="python3 $HPVM_SOURCE/tests/runtime/qmp.py"

# Every QEMU a test starts is killed at exit (by pid, through track_pid).
started() { local pid; pid=$(cat "$(run_dir "$1")/qemu.pid") && track_pid "$pid"; }
run_dir() { echo "$HPVM_ROOT/uuids/$(uuid_of "$1")"; }
qmp() { local g=$1; shift; $QMP "$(run_dir "$g")/qmp.sock" "$@"; }
# block [GUEST]: the block devices QEMU has for GUEST (default g1), sorted.
block() { qmp "${1:-g1}" block | sort; }
# A QEMU that exited may linger as a zombie until its parent reaps it.
alive() { readlink "/proc/$1/exe" >/dev/null 2>&1; }
accel() { if [[ -w /dev/kvm ]]; then echo KVM; else echo "TCG, /dev/kvm is not usable"; fi; }

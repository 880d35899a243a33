#!/usr/bin/env bash
# hpvminfo: host / not-a-host answers, -V, and that it only reads.
source "$(dirname "$0")/lib.sh"

if [[ $(cat /sys/class/dmi/id/sys_vendor 2>/dev/null) == HPVM &&
  $(cat /sys/class/dmi/id/product_name 2>/dev/null) == "HPVM Guest" ]]; then
  section "inside an HPVM guest"
  expect_stdout "hpvminfo: Running inside an HPVM guest." hpvminfo
  echo "This machine is an HPVM guest: the host checks below do not apply."
  finish
fi

no_db() { # root
  echo "hpvminfo: ERROR: Not running on an HPVM host or inside an HPVM guest (no configuration database under '$1')."
}

section "an empty HPVM_ROOT is not a host"
refuse 1 "$(no_db "$HPVM_ROOT")" hpvminfo
refuse 1 "$(no_db "$HPVM_ROOT")" hpvminfo -V
refuse 1 "$(no_db "$HPVM_ROOT")" hpvminfo -S
refuse 1 "$(no_db "$HPVM_ROOT")" hpvminfo -J
# The version is not a question about this system.
expect_stdout "hpvminfo: Version $(sed -n 's/^project(hpvm VERSION \([0-9.]*\).*/\1/p' "$HPVM_SOURCE/CMakeLists.txt")" hpvminfo -v
check "hpvminfo created nothing in HPVM_ROOT" test -z "$(ls -A "$HPVM_ROOT")"

section "a missing HPVM_ROOT is not a host, and is not created"
use_root "$S/missing/root"
refuse 1 "$(no_db "$HPVM_ROOT")" hpvminfo
check "hpvminfo did not create $HPVM_ROOT" test ! -e "$S/missing"

section "the default root /var/opt/hpvm"
if [[ ! -e /var/opt/hpvm/hpvm.db ]]; then
  expect_stderr 1 "$(no_db /var/opt/hpvm)" env -u HPVM_ROOT hpvminfo
  expect_stderr 1 "$(no_db /var/opt/hpvm)" env HPVM_ROOT= hpvminfo
else
  skip "/var/opt/hpvm/hpvm.db exists on this machine: the default-root answer is not predictable"
fi

section "with a configuration database: a host"
new_root
expect_ok hpvmcreate -P g1
db_snapshot
log_before=$(log_lines)
expect_stdout "hpvminfo: Running on an HPVM host." hpvminfo
expect_stdout "hpvminfo: Running on an HPVM host.
Hostname: $(uname -n)
HPVM root: $HPVM_ROOT" hpvminfo -V
version=$(sed -n 's/^project(hpvm VERSION \([0-9.]*\).*/\1/p' "$HPVM_SOURCE/CMakeLists.txt")
expect_stdout "hpvminfo: Version $version" hpvminfo -v
# -S: -V's lines, the version, the guests (g1 is stopped; a fake QEMU below
# makes it run), CPUs and the memory available (which moves: compared apart).
summary_head="hpvminfo: Running on an HPVM host.
Hostname: $(uname -n)
HPVM root: $HPVM_ROOT
Version: $version"
run hpvminfo -S
assert_exit 0
assert_stderr ""
check "-S: the -V lines and the version" test "$(head -n 4 <"$OUT")" = "$summary_head"
check "-S: one guest, stopped; the host's CPUs" test "$(sed -n 5,6p <"$OUT")" = "Guests: 1 configured, 0 running
CPUs: $(getconf _NPROCESSORS_ONLN)"
avail=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo)
shown=$(sed -n 's/^Available memory: \([0-9]*\) MB$/\1/p' <"$OUT")
check "-S: available memory $shown MB, /proc/meminfo says $avail MB" \
  test -n "$shown" -a "$(wc -l <"$OUT")" -eq 7 -a "$((shown - avail))" -lt 256 -a "$((avail - shown))" -lt 256
run hpvminfo -J
assert_exit 0
check "-J: the -S facts" python3 -c '
import json, sys
j = json.loads(sys.argv[1])
assert list(j) == ["role", "hostname", "hpvm_root", "version", "guests", "running", "cpus", "available_memory_mb"], j
assert (j["role"], j["hostname"], j["hpvm_root"], j["version"]) == ("host", sys.argv[2], sys.argv[3], sys.argv[4]), j
assert (j["guests"], j["running"], j["cpus"]) == (1, 0, int(sys.argv[5])), j
assert isinstance(j["available_memory_mb"], int) and j["available_memory_mb"] > 0, j
' "$(cat "$OUT")" "$(uname -n)" "$HPVM_ROOT" "$version" "$(getconf _NPROCESSORS_ONLN)"
run hpvminfo --json
assert_exit 0
check "--json is -J" python3 -c 'import json, sys; assert json.loads(sys.argv[1])["guests"] == 1' "$(cat "$OUT")"
LAST="hpvminfo"
expect_db_unchanged
expect_not_logged "$log_before"
if command -v qemu-system-x86_64 >/dev/null; then
  # A running guest: its QEMU's pid file and its running/ index entry, as hpvmstart leaves them.
  fake_qemu pid1 g1
  mkdir -p "$HPVM_ROOT/running" && touch "$HPVM_ROOT/running/$(uuid_of g1)"
  run hpvminfo -S
  check "-S counts the running guest" test "$(sed -n 5p <"$OUT")" = "Guests: 1 configured, 1 running"
  stop_fake_qemu "$pid1"
  rm -f -- "$HPVM_ROOT/uuids/$(uuid_of g1)/qemu.pid" "$HPVM_ROOT/running/$(uuid_of g1)"
else
  skip "qemu-system-x86_64 is not installed: -S's running count is not checked"
fi
# Still a host once the last guest is gone: the database is what counts.
expect_ok hpvmremove -Q -P g1
expect_stdout "hpvminfo: Running on an HPVM host." hpvminfo

section "usage"
refuse 2 "hpvminfo: ERROR: The following argument was not expected: -Z
Run 'hpvminfo --help' for usage." hpvminfo -Z
for pair in "-V -S" "-v -S" "-S -J" "-V --json"; do
  # shellcheck disable=SC2086
  run hpvminfo $pair
  assert_exit 2
  assert_stderr_has "^hpvminfo: ERROR: "
done
refuse 2 "hpvminfo: ERROR: The following argument was not expected: extra
Run 'hpvminfo --help' for usage." hpvminfo extra
run hpvminfo --help
assert_exit 0
assert_stdout_has '^ *-V'
run hpvminfo --version
assert_exit 0
assert_stdout "$(sed -n 's/^project(hpvm VERSION \([0-9.]*\).*/\1/p' "$HPVM_SOURCE/CMakeLists.txt")"

finish

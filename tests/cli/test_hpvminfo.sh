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
LAST="hpvminfo"
expect_db_unchanged
expect_not_logged "$log_before"
# Still a host once the last guest is gone: the database is what counts.
expect_ok hpvmremove -Q -P g1
expect_stdout "hpvminfo: Running on an HPVM host." hpvminfo

section "usage"
refuse 2 "hpvminfo: ERROR: The following argument was not expected: -Z
Run 'hpvminfo --help' for usage." hpvminfo -Z
refuse 2 "hpvminfo: ERROR: The following argument was not expected: extra
Run 'hpvminfo --help' for usage." hpvminfo extra
run hpvminfo --help
assert_exit 0
assert_stdout_has '^ *-V'
run hpvminfo --version
assert_exit 0
assert_stdout "$(sed -n 's/^project(hpvm VERSION \([0-9.]*\).*/\1/p' "$HPVM_SOURCE/CMakeLists.txt")"

finish

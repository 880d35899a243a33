#!/usr/bin/env bash
# Issue 15, "Pacemaker": the OCF resource agent ocf:hpvm:guest
# (share/ocf/guest.in) passes ocf-tester (Debian's resource-agents) against a
# real firmware-only guest; its monitor exits 0 for a running guest, 7 for a
# stopped one and 1 for one whose QEMU was killed, and a stop cleans that up;
# configuration errors exit 5 or 6; parameters never reach a shell (a stub
# hpvmmigrate records the arguments migrate_to gives it). migrate_to and
# migrate_from then move a firmware-only guest between two hosts with the
# real hpvmmigrate -o, in the order Pacemaker runs them (the two hosts of
# tests/cli/two_hosts.sh). Runs in its own network namespace.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/runtime_lib.sh
source "$(dirname "$0")/runtime_lib.sh"
if ! command -v ocf-tester >/dev/null || [[ ! -f /usr/share/resource-agents/ra-api-1.dtd ]]; then
  echo "SKIP: ocf-tester is not installed (Debian's resource-agents; scripts/bootstrap installs it)."
  exit 77
fi

# ocf-tester runs the agent's meta-data as user nobody: the agent lives in a
# directory everyone may read, with the built commands as its default.
agent_dir=$(mktemp -d "${TMPDIR:-/tmp}/hpvm-ocf.XXXXXX")
_cleanup_dirs+=("$agent_dir")
chmod 755 "$agent_dir"
AGENT=$agent_dir/guest
sed "s|@HPVM_BINDIR@|$HPVM_BIN|g" "$HPVM_SOURCE/share/ocf/guest.in" >"$AGENT"
chmod 755 "$AGENT"

# ocf ACTION [VAR=value...]: the agent as Pacemaker runs it, for guest g1
# (ocf_b: on host B of the two-host section; ocf_where and ocf_root are
# where the agent runs and the root it is given).
ocf_where=()
ocf() {
  local action=$1
  shift
  run "${ocf_where[@]}" env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=hpvm_g1 OCF_RESKEY_guest=g1 \
    OCF_RESKEY_hpvm_root="${ocf_root:-$HPVM_ROOT}" OCF_RESKEY_stop_timeout=1 "$@" sh "$AGENT" "$action"
}
ocf_b() {
  local ocf_where=(ip netns exec "$NS") ocf_root=$ROOT_B
  ocf "$@"
}
state() { hpvmstatus -M -P g1 | cut -d: -f11; }
runnable_state() { hpvmstatus -M -P g1 | cut -d: -f9,11; }

sized_file "$S/d1.img" 8M
expect_ok hpvmcreate -P g1 -r 256M -a disk:avio_stor:0,1,0:file:"$S/d1.img" \
  -a network:avio_lan:0,5,0x02AABBCC0001:vswitch:localnet

section "ocf-tester passes against a real guest"
run ocf-tester -n hpvm_g1 -o guest=g1 -o hpvm_root="$HPVM_ROOT" -o stop_timeout=1 "$AGENT"
assert_exit 0
assert_stdout_has "^$AGENT passed all tests$"
expect_stdout "Off" state

section "monitor: running 0, stopped 7, QEMU killed 1"
ocf monitor
assert_exit 7
ocf start
assert_exit 0
started g1
expect_stdout "On" state
ocf monitor
assert_exit 0
ocf start # already running
assert_exit 0
pid=$(cat "$(run_dir g1)/qemu.pid")
kill -9 "$pid"
for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.05; done
ocf monitor
assert_exit 1
assert_stderr_has "QEMU exited without hpvmstop"
ocf stop
assert_exit 0
check "the stop removed the dead QEMU's run files" test ! -e "$(run_dir g1)/qemu.pid"
ocf monitor
assert_exit 7
ocf stop # already stopped
assert_exit 0
# A start after a crash cleans up first.
ocf start
assert_exit 0
started g1
pid=$(cat "$(run_dir g1)/qemu.pid")
kill -9 "$pid"
for ((i = 0; i < 100; i++)); do alive "$pid" || break; sleep 0.05; done
ocf start
assert_exit 0
started g1
expect_stdout "On" state
ocf stop
assert_exit 0
expect_stdout "Off" state

section "monitor: paused after an interrupted migration 1; the stop does not wait"
ocf start
assert_exit 0
started g1
run python3 "$HPVM_SOURCE/tests/runtime/qmp.py" "$(run_dir g1)/qmp.sock" migrate-away
assert_stdout "postmigrate"
ocf monitor
assert_exit 1
assert_stderr_has "the guest is paused here after an interrupted migration: paused after an interrupted migration"
t0=$(date +%s)
ocf stop OCF_RESKEY_stop_timeout=60 # its hpvmstop -g does not wait for a paused guest
assert_exit 0
check "the stop took $(($(date +%s) - t0)) s (at most 10)" test $(($(date +%s) - t0)) -le 10
expect_stdout "Off" state

section "configuration errors: 6 for a bad parameter, 5 for what is missing here"
ocf validate-all
assert_exit 0
ocf validate-all OCF_RESKEY_guest=
assert_exit 6
ocf validate-all 'OCF_RESKEY_guest=g1$(touch '"$S"'/pwned)'
assert_exit 6
check "the name was never run" test ! -e "$S/pwned"
ocf validate-all OCF_RESKEY_stop_timeout=soon
assert_exit 6
ocf validate-all OCF_RESKEY_bindir=/nonexistent
assert_exit 5
ocf validate-all OCF_RESKEY_guest=nosuch
assert_exit 5
ocf monitor OCF_RESKEY_guest=nosuch # a probe where the guest is not defined
assert_exit 7
ocf stop OCF_RESKEY_guest=nosuch
assert_exit 0
ocf monitor OCF_RESKEY_bindir=/nonexistent # a probe on a node without the suite
assert_exit 7
ocf frobnicate
assert_exit 3

section "meta-data: valid for ra-api-1.dtd, as user nobody"
run su nobody -s /bin/sh -c '"$0" meta-data' "$AGENT"
assert_exit 0
check "the meta-data is valid" bash -c \
  'cd /usr/share/resource-agents && xmllint --noout --valid - <"$0"' "$OUT"
assert_stdout_has '<parameter name="guest" unique="1" required="1">'
assert_stdout_has '<action name="migrate_to" timeout="600s"/>'

section "migrate_to and migrate_from (a stub hpvmmigrate records its arguments)"
stub=$(new_tmpdir)
for c in hpvmstart hpvmstop hpvmstatus; do ln -s "$HPVM_BIN/$c" "$stub/$c"; done
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s/migrate.args"\n' "$S" >"$stub/hpvmmigrate"
chmod 755 "$stub/hpvmmigrate"
ocf migrate_to OCF_RESKEY_bindir="$stub"
assert_exit 6 # Pacemaker names the target
ocf migrate_to OCF_RESKEY_bindir="$stub" OCF_RESKEY_CRM_meta_migrate_target=node2
assert_exit 1 # the guest is not running here
ocf start
assert_exit 0
started g1
ocf migrate_to OCF_RESKEY_bindir="$stub" OCF_RESKEY_CRM_meta_migrate_target=node2 \
  'OCF_RESKEY_migration_options=-q  $(touch '"$S"'/pwned) *'
assert_exit 0
expect_stdout - cat "$S/migrate.args" <<EOF
-o
-q
\$(touch
$S/pwned)
*
-P
g1
-h
node2
EOF
check "no option was run or expanded" test ! -e "$S/pwned"
ocf migrate_from
assert_exit 0
rm "$stub/hpvmmigrate"
ocf migrate_to OCF_RESKEY_bindir="$stub" OCF_RESKEY_CRM_meta_migrate_target=node2
assert_exit 5 # no hpvmmigrate among the commands
ocf stop
assert_exit 0
ocf migrate_from
assert_exit 1

section "migrate_to and migrate_from with the real hpvmmigrate between two hosts"
# shellcheck source=tests/cli/two_hosts.sh
source "$(dirname "$0")/two_hosts.sh"
if why=$(two_hosts_missing); then
  skip "$why"
  finish
fi
two_hosts_up
use_root "$ROOT_A"
expect_ok hpvmcreate -P g1 -r 64M
ocf_b monitor # Pacemaker's probe: g1 is not defined on B
assert_exit 7
ocf start
assert_exit 0
started g1
# A live migration as Pacemaker runs it: migrate_to on the source,
# migrate_from on the target, then stop on the source.
move_to_b() { # g1 from A to B, as Pacemaker moves it
  ocf migrate_to OCF_RESKEY_CRM_meta_migrate_target=hostb
  assert_exit 0
  assert_stderr_has "^hpvm guest g1: migrated to hostb: hpvmmigrate: Guest migrated successfully\.$"
  pid_b=$(cat "$ROOT_B/uuids/$(uuid_of g1)/qemu.pid")
  [[ -n $pid_b ]] && track_pid "$pid_b"
  ocf_b migrate_from
  assert_exit 0
  ocf stop
  assert_exit 0
}
move_to_b
ocf monitor
assert_exit 7
ocf_b monitor
assert_exit 0
expect_sql "SELECT runnable FROM guests WHERE name = 'g1'" "0"
# And back.
ocf_b migrate_to OCF_RESKEY_CRM_meta_migrate_target=hosta
assert_exit 0
started g1
ocf migrate_from
assert_exit 0
ocf_b stop
assert_exit 0
ocf_b monitor
assert_exit 7
ocf monitor
assert_exit 0
expect_sql "SELECT runnable FROM guests WHERE name = 'g1'" "1"
# A migration that fails leaves the guest running here.
ocf migrate_to OCF_RESKEY_CRM_meta_migrate_target=hostdown
assert_exit 1
assert_stderr_has "^hpvm guest g1: hpvmmigrate to hostdown failed: hpvmmigrate: ERROR \(g1\): SSH execution error\."
ocf monitor
assert_exit 0
ocf stop
assert_exit 0

section "start on the node a migration left: the copy there is taken back"
# Pacemaker moved the guest to B, then B went down (its QEMU killed, as at a
# power-off) and Pacemaker starts the guest on A again: A's copy, which the
# migration left not runnable, is made runnable and started.
ocf start
assert_exit 0
started g1
move_to_b
expect_stdout "disabled:Off" runnable_state
run hpvmstatus -V -P g1
assert_stdout_has "^migrated_to : hostb$"
kill -9 "$pid_b"
for ((i = 0; i < 100; i++)); do alive "$pid_b" || break; sleep 0.05; done
ocf start
assert_exit 0
assert_stderr_has "^hpvm guest g1: the guest was migrated to hostb; Pacemaker starts it here: this copy is made runnable again$"
started g1
expect_stdout "enabled:On" runnable_state
run hpvmstatus -V -P g1
assert_exit 0
check "the copy no longer says it went to hostb" bash -c '! grep -q migrated_to "$0"' "$OUT"
ocf monitor
assert_exit 0
# A copy disabled by hand (no migration) is not the agent's to enable.
ocf stop
assert_exit 0
expect_ok hpvmmodify -P g1 -x runnable_status=disabled
ocf start
assert_exit 1
assert_stderr_has "hpvmstart failed: .*The guest's runnable status is disabled"
expect_stdout "disabled:Off" runnable_state

finish

#!/usr/bin/env bash
# Issue 15, "Pacemaker": a live migration and a failover of a guest through a
# real two-node cluster on this machine. bench/pacemaker does it (its header
# says how: crm_resource --move runs migrate_to and migrate_from, the guest
# runs on node2 in the QEMU that received it, node1's copy is not runnable;
# node2 killed at once, node1 starts the guest) and checks each step; this
# suite runs it (~40 s) and checks that every step passed, that it exited 0,
# and that nothing of it is left: no process holding or naming a file of its
# directory (sshds, QEMUs), no corosync or pacemakerd, no network namespace.
# shellcheck source=tests/cli/env.sh
source "$(dirname "$0")/env.sh"
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: needs root (network namespaces, sshds, a cluster)."
  exit 77
fi
for tool in corosync pacemakerd cibadmin crm_mon crm_resource qemu-system-x86_64 \
  /usr/sbin/sshd xmllint; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (scripts/bootstrap installs it)."
    exit 77
  fi
done
if ! unshare -n true 2>/dev/null; then
  echo "SKIP: cannot create a network namespace (unshare -n)."
  exit 77
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/hpvm-test_pacemaker.XXXXXX")
# After a failure the logs the bench kept stay there.
trap '((status == 0)) && rm -rf "$dir"' EXIT
status=0
fail() {
  echo "FAIL: $*"
  status=1
}
daemons() { pgrep -x 'corosync|pacemakerd' | sort; }
namespaces() { ip netns list | awk '/^hpvm-two-/ { print $1 }' | sort; }
daemons_before=$(daemons)
namespaces_before=$(namespaces)

out=$(TMPDIR=$dir "$HPVM_SOURCE/bench/pacemaker" "$(dirname "$HPVM_BIN")" 2>&1)
rc=$?
printf '%s\n' "$out"
((rc == 0)) || fail "bench/pacemaker exited $rc"
for step in "cluster online (2 nodes, DC)" "(a) guest started on node1" \
  "(b) migration to node2" "    runs in the incoming QEMU" "    node1's copy not runnable" \
  "    after --clear" "(c) failover to node1"; do
  grep -qxF -- "$(printf '%-34s PASS  ' "$step")" < <(cut -c1-41 <<<"$out") ||
    fail "no PASS for '$step'"
done
grep -q "^# Fencing is disabled here" <<<"$out" || fail "the output does not say that fencing is disabled"

# What it started is gone: every process that named its directory or held a
# file there (the sshds, the QEMUs), its daemons, node2's namespace.
for p in /proc/[0-9]*; do
  if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF "$dir/" ||
    find "$p/fd" -lname "$dir/*" 2>/dev/null | grep -q .; then
    fail "process ${p#/proc/} is left: $(tr '\0' ' ' <"$p/cmdline")"
  fi
done
[[ $(daemons) == "$daemons_before" ]] || fail "corosync or pacemakerd left: $(daemons)"
[[ $(namespaces) == "$namespaces_before" ]] || fail "a network namespace is left: $(namespaces)"
left=$(find "$dir" -mindepth 1 -maxdepth 1 ! -name 'hpvm-bench-pacemaker-logs.*')
[[ -z $left ]] || fail "left in its directory: $left"
if ((status == 0)); then
  echo "PASS: a live migration and a failover through Pacemaker"
else
  echo "The bench's directory (logs after a failure) is kept: $dir"
fi
exit $status

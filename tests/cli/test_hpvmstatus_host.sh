#!/usr/bin/env bash
# hpvmstatus -r -s -S -m -e -A -C -v (hpvmstatus(1M), HOST AND RESOURCE
# VIEWS): each in its text, -M and -J forms, with exact output; the figures
# that depend on the host are computed here from /proc (or masked when they
# change by the second), and a running firmware-only guest under TCG gives
# -S and -r real vCPU threads, checked against QEMU's own answer.
if [[ -z ${HPVM_RUNTIME_NETNS:-} ]] && command -v unshare >/dev/null && unshare -n true 2>/dev/null; then
  HPVM_RUNTIME_NETNS=1 exec unshare -n bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/cli/runtime_lib.sh
source "$(dirname "$0")/runtime_lib.sh"

# expect_masked SED TEXT cmd...: exit 0, nothing on stderr, and stdout with
# the sed expression applied is exactly TEXT ("-": stdin).
expect_masked() {
  local expr=$1 text=$2
  shift 2
  if [[ $text == - ]]; then cat >"$S/exp_masked"; else printf '%s\n' "$text" >"$S/exp_masked"; fi
  run "$@"
  assert_exit 0
  sed -E "$expr" "$OUT" >"$S/masked"
  LAST="$* (masked)"
  _compare stdout "$S/exp_masked" "$S/masked"
  : >"$S/empty"
  _compare stderr "$S/empty" "$ERR"
}

HOST=$(hostname)
CPUS=$(grep -c '^processor' /proc/cpuinfo)
MHZ=$(awk -F: '/^cpu MHz/ { printf "%.0f", $2; exit }' /proc/cpuinfo)
MHZ=${MHZ:-0}
MODEL=$(awk -F: '/^model name/ { sub(/^[ \t]+/, "", $2); sub(/[ \t]+$/, "", $2); print $2; exit }' /proc/cpuinfo)
TOTAL=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
NODES=$(cat /sys/devices/system/node/online 2>/dev/null || echo 0)
# How many nodes that list names ("0-1,3": 3).
NODE_COUNT=$(tr ',' '\n' <<<"$NODES" | awk -F- '{ n += (NF == 2 ? $2 - $1 + 1 : 1) } END { print n }')
if [[ -r /dev/kvm && -w /dev/kvm ]]; then ACCEL=KVM; else ACCEL=TCG; fi
VERSION=$(hpvmstatus --version)

section "-v: the version, without a configuration"
expect_stdout "hpvmstatus version $VERSION" hpvmstatus -v
expect_stdout "hpvmstatus:$VERSION" hpvmstatus -v -M
expect_stdout "{
  \"command\": \"hpvmstatus\",
  \"version\": \"$VERSION\"
}" hpvmstatus -v -J
check "hpvmstatus -v created no database" test ! -e "$DB"

section "an empty configuration"
expect_stdout "[Virtual Machine Resource Entitlements]
Virtual Machine Name VM #  State     #VCPUs Entitlement Maximum Memory  Usage
==================== ===== ========= ====== =========== ======= ======= =======" hpvmstatus -r
expect_stdout "" hpvmstatus -r -M
expect_stdout '{
  "guests": []
}' hpvmstatus -C -J
expect_stdout "[Multi Server Environment]
Server Name          Role    State #VMs  Running Migrations
==================== ======= ===== ===== ======= ==========
$(printf '%-20s Local   Up        0       0          -' "$HOST")" hpvmstatus -m
expect_stdout '{
  "events": []
}' hpvmstatus -e -J
check "reading an empty configuration created no database" test ! -e "$DB"

section "set-up: g1 runs (firmware only), g2 and g3 do not"
sized_file "$S/cd.iso" 4096
expect_ok hpvmcreate -P g1 -c 2 -r 256M -e 20:80 -u root:admin -g adm -a "dvd:avio_stor::file:$S/cd.iso"
expect_ok hpvmcreate -P g2 -O hpux -E 1500 -r 1536M -u daemon
expect_ok hpvmcreate -P g3
run hpvmstart -P g1
assert_exit 0
started g1
PID=$(cat "$(run_dir g1)/qemu.pid")
db_snapshot
log_before=$(log_lines)

section "-r: entitlements and real CPU usage"
USAGE='s/ +[0-9]+\.[0-9]%$/ U%/'
expect_masked "$USAGE" - hpvmstatus -r <<EOF
[Virtual Machine Resource Entitlements]
Virtual Machine Name VM #  State     #VCPUs Entitlement Maximum Memory  Usage
==================== ===== ========= ====== =========== ======= ======= =======
g1                       1 On             2       20.0%   80.0%  256 MB U%
g2                       2 Off            1     1500MHz       - 1536 MB       -
g3                       3 Off            1       10.0%  100.0%    2 GB       -
EOF
expect_masked 's/:[0-9]+\.[0-9]$/:U/' - hpvmstatus -r -M <<EOF
g1:1:On:2:20.0%:80.0%:256:U
g2:2:Off:1:1500MHz:-:1536:
g3:3:Off:1:10.0%:100.0%:2048:
EOF
expect_masked 's/"cpu_usage_percent": [0-9]+(\.[0-9])?$/"cpu_usage_percent": U/' - hpvmstatus -r -J -P g1 <<EOF
{
  "guests": [
    {
      "name": "g1",
      "vm_number": 1,
      "state": "On",
      "vcpus": 2,
      "entitlement": {
        "unit": "percent",
        "minimum": 20.0,
        "maximum": 80.0
      },
      "memory_mb": 256,
      "cpu_usage_percent": U
    }
  ]
}
EOF
run hpvmstatus -r -p 2
assert_exit 0
assert_stdout_has '^g2 +2 Off +1 +1500MHz +- +1536 MB +-$'
check "-r -p 2 shows only g2" test "$(wc -l <"$OUT")" -eq 4

section "-s: the host, computed here from /proc"
# Available memory, QEMU's resident memory and (with frequency scaling)
# the processor speed change by the second.
SYS_MASK='s/^(Available memory for VMs|QEMU resident memory|QEMU overhead memory) : [0-9]+ MB$/\1 : N MB/; s/^Processor speed : [0-9]+ MHz$/Processor speed : N MHz/'
expect_masked "$SYS_MASK" - hpvmstatus -s <<EOF
[HPVM Server System Resources]
Host name : $HOST
Physical CPUs : $CPUS
Processor speed : N MHz
Processor model : $MODEL
Accelerator : $ACCEL
NUMA nodes : $NODE_COUNT
NUMA node list : $NODES
Total physical memory : $TOTAL MB
Available memory for VMs : N MB
Virtual machines configured : 3
Virtual machines running : 1
vCPUs of running VMs : 2
Memory of running VMs : 256 MB
QEMU resident memory : N MB
QEMU overhead memory : N MB
EOF
run hpvmstatus -s
rss=$(sed -n 's/^QEMU resident memory : \([0-9]*\) MB$/\1/p' "$OUT")
real_rss=$(awk '/^VmRSS:/ { print int($2 / 1024) }' "/proc/$PID/status")
check "QEMU resident memory ($rss MB) is the QEMU's VmRSS ($real_rss MB, within 8 MB)" \
  test "${rss:-0}" -gt 0 -a $((rss - real_rss)) -le 8 -a $((real_rss - rss)) -le 8
expect_masked 's/^([^:]*:[^:]*:)[0-9]+:/\1N:/; s/^(([^:]*:){7})[0-9]+:(([^:]*:){4})[0-9]+:[0-9]+$/\1N:\3N:N/' \
  "${HOST}:${CPUS}:N:${MODEL//:/ }:${ACCEL}:${NODE_COUNT};${NODES}:${TOTAL}:N:3:1:2:256:N:N" hpvmstatus -s -M
mhz=$(cut -d: -f3 "$OUT")
check "the processor speed ($mhz MHz) is /proc/cpuinfo's ($MHZ MHz, within a quarter)" \
  test $((mhz * 4)) -ge $((MHZ * 3)) -a $((mhz * 4)) -le $((MHZ * 5))
run hpvmstatus -s -J
assert_exit 0
json_fields() { # file python-expression over j
  python3 -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}
check "-s -J has the same figures as -s -M" test "$(json_fields "$OUT" '":".join(str(j[k]) for k in ["host_name", "cpus", "accelerator", "numa_node_count", "numa_nodes", "memory_total_mb", "guests", "running", "running_vcpus", "running_memory_mb"])')" = "$HOST:$CPUS:$ACCEL:$NODE_COUNT:$NODES:$TOTAL:3:1:2:256"
expect_stderr 2 "hpvmstatus: ERROR: -s, -m and -v show the host, not a guest: they take neither -P nor -p.
Run 'hpvmstatus --help' for usage." hpvmstatus -s -P g1

section "-S: the vCPU threads of g1's QEMU, as QEMU names them"
mapfile -t threads < <(qmp g1 cpus)
check "QEMU reports 2 vCPUs" test "${#threads[@]}" -eq 2
expected_S="[Virtual CPU Scheduling]
Virtual Machine Name VM #  vCPU Thread   Host CPU CPU Time   Usage   Accel
==================== ===== ==== ======== ======== ========== ======= ====="
expected_M=""
for t in "${threads[@]}"; do
  read -r index tid <<<"$t"
  expected_S+=$'\n'$(printf 'g1                       1 %4s %8s C T U %s' "$index" "$tid" "$ACCEL")
  expected_M+="g1:1:$index:$tid:C:T:U:$ACCEL"$'\n'
done
# The host CPU, CPU time and usage columns change as the guest runs.
expect_masked 's/^(.{40}) +[0-9]+ +[0-9]+\.[0-9]{2}s +[0-9]+\.[0-9]% /\1 C T U /' \
  "$expected_S" hpvmstatus -S
expect_masked 's/^([^:]*:[^:]*:[^:]*:[^:]*):[0-9]+:[0-9]+\.[0-9]{2}:[0-9]+\.[0-9]:/\1:C:T:U:/' \
  "${expected_M%$'\n'}" hpvmstatus -S -M
while IFS=: read -r _ _ _ tid cpu _ usage _; do
  check "thread $tid is a thread of QEMU pid $PID" test -d "/proc/$PID/task/$tid"
  check "host CPU $cpu of thread $tid is one of the $CPUS CPUs" test "$cpu" -ge 0 -a "$cpu" -lt "$CPUS"
  check "usage $usage% of thread $tid is at most 100%" awk -v u="$usage" 'BEGIN { exit !(u >= 0 && u <= 100) }'
done <"$OUT"
# vCPU 0 ran the firmware: it has used CPU time, which only grows.
first=$(awk -F: 'NR == 1 { print $6 }' "$OUT")
sleep 1
run hpvmstatus -S -M -P g1
second=$(awk -F: 'NR == 1 { print $6 }' "$OUT")
check "vCPU 0's CPU time is real ($first s, then $second s)" awk -v a="$first" -v b="$second" 'BEGIN { exit !(a > 0 && b >= a) }'
run hpvmstatus -S -J -P g1
assert_exit 0
check "-S -J lists the same threads" test "$(json_fields "$OUT" '"\n".join("%s %s" % (c["vcpu"], c["thread"]) for c in j["vcpus"])')" = "$(printf '%s\n' "${threads[@]}")"
expect_stdout "[Virtual CPU Scheduling]
Virtual Machine Name VM #  vCPU Thread   Host CPU CPU Time   Usage   Accel
==================== ===== ==== ======== ======== ========== ======= =====" hpvmstatus -S -P g2

section "-m: this host alone (no migrations; test_hpvmmigrate has them)"
expect_stdout "[Multi Server Environment]
Server Name          Role    State #VMs  Running Migrations
==================== ======= ===== ===== ======= ==========
$(printf '%-20s Local   Up        3       1          -' "$HOST")" hpvmstatus -m
expect_stdout "${HOST}:Local:Up:3:1::" hpvmstatus -m -M
expect_stdout "{
  \"servers\": [
    {
      \"name\": \"$HOST\",
      \"role\": \"Local\",
      \"state\": \"Up\",
      \"guests\": 3,
      \"running\": 1,
      \"migrations\": null,
      \"last_migration\": null
    }
  ]
}" hpvmstatus -m -J

section "-e: the command log and the running QEMU"
TIME='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
# The QEMU starts during hpvmstart, which logs when it ends: its event
# comes before that record even within one second.
expect_masked "s/^$TIME/TIME/" - hpvmstatus -e <<EOF
[Event Log]
Date/Time (UTC)      Source  User     Outcome     Event
==================== ======= ======== =========== =====
TIME command root     SUCCESS     hpvmcreate -P g1 -c 2 -r 256M -e 20:80 -u root:admin -g adm -a dvd:avio_stor::file:$S/cd.iso
TIME command root     SUCCESS     hpvmcreate -P g2 -O hpux -E 1500 -r 1536M -u daemon
TIME command root     SUCCESS     hpvmcreate -P g3
TIME runtime -        STARTED     g1: QEMU (pid $PID) started
TIME command root     SUCCESS     hpvmstart -P g1
EOF
start_time=$(date -u -d "@$(($(awk '/^btime/ { print $2 }' /proc/stat) + $(awk '{ print $22 }' "/proc/$PID/stat") / $(getconf CLK_TCK)))" +%Y-%m-%dT%H:%M:%SZ)
run hpvmstatus -e
check "the runtime event's time is the QEMU's start ($start_time)" grep -q "^$start_time runtime" "$OUT"
expect_masked 's/^[0-9]{8}T[0-9]{6}Z:/TIME:/' - hpvmstatus -e -M -P g2 <<EOF
TIME:command:root:SUCCESS:hpvmcreate -P g2 -O hpux -E 1500 -r 1536M -u daemon
EOF
expect_masked "s/\"time\": \"$TIME\"/\"time\": \"T\"/" - hpvmstatus -e -J -P g3 <<EOF
{
  "events": [
    {
      "time": "T",
      "source": "command",
      "user": "root",
      "outcome": "SUCCESS",
      "text": "hpvmcreate -P g3"
    }
  ]
}
EOF
run hpvmremove -P nosuch
expect_masked 's/^[0-9]{8}T[0-9]{6}Z:/TIME:/' - bash -c 'hpvmstatus -e -M | tail -1'  <<EOF
TIME:command:root:FAILURE(1):hpvmremove -P nosuch
EOF

section "-A: console users and groups of every guest"
expect_stdout "[Authorized Administrators]
Virtual Machine Name VM #  Type  Role  Name
==================== ===== ===== ===== ====
g1                       1 user  admin root
g1                       1 group oper  adm
g2                       2 user  oper  daemon" hpvmstatus -A
expect_stdout "g1:1:user:admin:root
g1:1:group:oper:adm" hpvmstatus -A -M -P g1
expect_stdout '{
  "guests": [
    {
      "name": "g3",
      "vm_number": 3,
      "console_access": []
    }
  ]
}' hpvmstatus -A -J -p 3

section "-C: memory type (NUMA placement of the QEMU)"
expect_stdout "[Virtual Machine Memory Type]
Virtual Machine Name VM #  State     Memory  Memory Type NUMA Nodes
==================== ===== ========= ======= =========== ==========
g1                       1 On         256 MB Interleaved $NODES
g2                       2 Off       1536 MB Interleaved -
g3                       3 Off          2 GB Interleaved -" hpvmstatus -C
expect_stdout "g1:1:On:256:Interleaved:$NODES" hpvmstatus -C -M -P g1
expect_stdout "{
  \"guests\": [
    {
      \"name\": \"g1\",
      \"vm_number\": 1,
      \"state\": \"On\",
      \"memory_mb\": 256,
      \"memory_type\": \"Interleaved\",
      \"numa_nodes\": \"$NODES\"
    }
  ]
}" hpvmstatus -C -J -P g1

section "-d: the DVD media as they are now; -D: the configured statements"
DEVICES="[Virtual Machine Devices]

[Storage Interface Details]
dvd:avio_stor:0,0,0:file:$S/cd.iso

[Network Interface Details]

[Misc Interface Details]
serial:com1::tty:console"
expect_stdout "$DEVICES" hpvmstatus -d -P g1
expect_stdout "$DEVICES" hpvmstatus -D -P g1
qmp g1 eject "$(qmp g1 block | awk '{ print $1 }')"
check "QEMU has no medium in g1's DVD drive" test "$(qmp g1 block | awk '{ print $2 }')" = -
expect_stdout "${DEVICES/file:$S\/cd.iso/null:}" hpvmstatus -d -P g1
expect_stdout "$DEVICES" hpvmstatus -D -P g1
expect_stderr 2 "hpvmstatus: ERROR: -D needs a guest: give -P name or -p number.
Run 'hpvmstatus --help' for usage." hpvmstatus -D

section "option errors"
for o in -r -s -S -m -e -A -C -v; do
  expect_stderr 2 "hpvmstatus: ERROR: -V excludes $o
Run 'hpvmstatus --help' for usage." hpvmstatus "$o" -V
done
expect_stderr 2 "hpvmstatus: ERROR: -r excludes -s
Run 'hpvmstatus --help' for usage." hpvmstatus -r -s
expect_stderr 2 "hpvmstatus: ERROR: -X excludes -C
Run 'hpvmstatus --help' for usage." hpvmstatus -X -C
expect_stderr 1 "hpvmstatus: ERROR (nosuch): The guest 'nosuch' does not exist." hpvmstatus -S -P nosuch

section "hpvmstatus changed nothing and logged nothing"
expect_db_unchanged
check "the command log has only hpvmremove's refusal" test "$(log_lines)" -eq $((log_before + 1))

section "-e: a guest's runs stay listed after it stopped"
expect_ok hpvmstop -P g1 -F
expect_masked "s/^$TIME/TIME/" - hpvmstatus -e -P g1 <<EOF
[Event Log]
Date/Time (UTC)      Source  User     Outcome     Event
==================== ======= ======== =========== =====
TIME command root     SUCCESS     hpvmcreate -P g1 -c 2 -r 256M -e 20:80 -u root:admin -g adm -a dvd:avio_stor::file:$S/cd.iso
TIME runtime -        STARTED     g1: QEMU (pid $PID) started
TIME command root     SUCCESS     hpvmstart -P g1
TIME runtime -        STOPPED     g1: QEMU (pid $PID) stopped
TIME command root     SUCCESS     hpvmstop -P g1 -F
EOF
expect_masked 's/^[0-9]{8}T[0-9]{6}Z:/TIME:/' "TIME:runtime:-:STOPPED:g1: QEMU (pid $PID) stopped
TIME:command:root:SUCCESS:hpvmstop -P g1 -F" bash -c 'hpvmstatus -e -M | tail -2'
EVENTS=$HPVM_ROOT/common/runtime_events.log
check "the runtime events are a file of their own, not command-log records" \
  test "$(grep -c " - STARTED g1: QEMU (pid $PID) started\$" "$EVENTS")" -eq 1 -a \
  "$(grep -c ' - STARTED ' "$LOG")" -eq 0
# Bounded: once the file has 256 KB it becomes runtime_events.log.old and a
# new one begins; -e reads both, the older first.
head -c 262144 /dev/zero | tr '\0' '\n' >>"$EVENTS"
run hpvmstart -P g1
assert_exit 0
started g1
PID2=$(cat "$(run_dir g1)/qemu.pid")
check "the full file became runtime_events.log.old" \
  grep -q " - STOPPED g1: QEMU (pid $PID) stopped\$" "$EVENTS.old"
check "the new file holds only the new start" \
  test "$(cut -d' ' -f2- "$EVENTS")" = "- STARTED g1: QEMU (pid $PID2) started"
run hpvmstatus -e -P g1
check "-e lists both files' runtime events, older first" \
  test "$(grep ' runtime ' "$OUT" | cut -c22-)" = "runtime -        STARTED     g1: QEMU (pid $PID) started
runtime -        STOPPED     g1: QEMU (pid $PID) stopped
runtime -        STARTED     g1: QEMU (pid $PID2) started"
expect_ok hpvmstop -P g1 -F
finish

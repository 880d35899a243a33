#!/usr/bin/env bash
# bench/peers (the suite against libvirt) at its smallest size, so that the
# benchmark cannot rot: 2 guests, 1 run per job. Its figures are not
# checked (one run on a shared machine); its table is, row for row, with
# the exit status that goes with its verdicts, and so is what it leaves:
# no daemon, work directory, mount point or host interface of its own.
source "$(dirname "$0")/lib.sh"
bench=$HPVM_SOURCE/bench/peers
if [[ $(id -u) != 0 ]]; then
  echo "SKIP: bench/peers runs libvirtd's QEMU driver as root; this suite is not root."
  exit 77
fi
for tool in virsh /usr/sbin/libvirtd /usr/sbin/virtlogd qemu-system-x86_64; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed (scripts/bootstrap installs libvirt-daemon, libvirt-clients and QEMU)."
    exit 77
  fi
done
if [[ ! -e /dev/net/tun ]]; then
  echo "SKIP: /dev/net/tun is missing: the guests' NICs need tap devices."
  exit 77
fi
if ! unshare -n -m true 2>/dev/null; then
  echo "SKIP: cannot make a private network and mount namespace (unshare -n -m): libvirtd would run on the host's."
  exit 77
fi

libvirt_dirs=(/etc/libvirt /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt)
host_state() {
  ip -o link show | cut -d: -f2
  for d in "${libvirt_dirs[@]}"; do [[ -d $d ]] && echo "$d"; done
  ls -d /tmp/hpvm-bench-peers.*/ 2>/dev/null
  true
}
host_state >"$S/before"

section "bench/peers at 2 guests, 1 run per job"
run env BENCH_SIZES=2 BENCH_RUNS=1 timeout 600 "$bench" "$(dirname "$HPVM_BIN")"
assert_stderr ""
number='[0-9]+\.[0-9] \([0-9]+\.[0-9]\)'
ratio='[0-9]+\.[0-9]{2} \([0-9]+\.[0-9]{2}\)'
rows=(
  "Inventory of 2, summary|hpvmstatus|virsh list --all|0.2"
  "Inventory of 2, every guest's devices|hpvmstatus -M|one virsh: list --all \+ domblklist x 2|0.1"
  "Define one guest into 2|hpvmcreate|virsh define|0.2"
  "Start \(2 disks, 1 NIC\)|hpvmstart|virsh start|0.5"
  "Stop hard|hpvmstop -F|virsh destroy|0.5"
  "Hot-add a disk|hpvmmodify -a disk|virsh attach-disk --live|0.5"
  "Hot-remove it|hpvmmodify -d disk|virsh detach-disk --live|0.5"
)
table='^\| Job \| Ours \| ms, median \(p90\) \| libvirt \| ms, median \(p90\) \| ours / libvirt, median \(p90\) \| Target \|$'
assert_stdout_has "^bench/peers: (KVM|TCG) on both sides.*, libvirt [0-9.]+; 1 runs per job and side"
assert_stdout_has "$table"
for row in "${rows[@]}"; do
  IFS='|' read -r text ours theirs target <<<"$row"
  assert_stdout_has "^\| $text \| \`$ours\` \| $number \| \`$theirs\` \| $number \| $ratio \| <= $target \|$"
  assert_stdout_has "^(PASS|MISS) $text: $ours [0-9.]+x $theirs \(median; p90 [0-9.]+x; target <= $target\)$"
done
check "one table row and one verdict per job" test "$(grep -c '^| [A-Z]' "$OUT")" = 8 -a \
  "$(grep -cE '^(PASS|MISS) ' "$OUT")" = 7
# The exit status follows the verdicts: 1 with a MISS, 0 without.
if grep -q '^MISS ' "$OUT"; then assert_exit 1; else assert_exit 0; fi

section "what bench/peers leaves behind"
read -r libvirtd virtlogd < <(sed -n 's/^bench\/peers: libvirtd (pid \([0-9]*\)) and virtlogd (pid \([0-9]*\)).*/\1 \2/p' "$OUT")
check "the daemons' pids are printed" test -n "$libvirtd" -a -n "$virtlogd"
# (Gone: no executable; a zombie waits for the host's init to reap it.)
for pid in $libvirtd $virtlogd; do
  check "daemon pid $pid is gone" bash -c "! readlink /proc/$pid/exe"
done
host_state >"$S/after"
check "host interfaces, libvirt's directories and /tmp are as before" diff "$S/before" "$S/after"

finish

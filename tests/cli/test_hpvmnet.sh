#!/usr/bin/env bash
# hpvmnet: the vswitch table, port allocation for vNICs, refusals (exact
# messages, database unchanged), and, inside a private network namespace
# (a veth pair stands in for the physical NIC), real bridges, taps, halt and
# boot, re-attachment, statistics and clean-up.
source "$(dirname "$0")/lib.sh"

HEADER="Name     Number State   Mode      NamePPA  MAC Address    IP Address
======== ====== ======= ========= ======== ============== ==============="
PORTS_HEADER="[Port Configuration Details]
Port    Port         Port     Untagged Number of    Active VM
Number  State        Adaptor  VLANID   Reserved VMs
======= ============ ======== ======== ============ ============"

STATS_HEADER="[Port Statistics]
Port    Interface       Active VM    Frames In    Bytes In       Frames Out   Bytes Out      Dropped
======= =============== ============ ============ ============== ============ ============== ========"
# net_refused N TEXT [in_ns] hpvmnet ARGS...: exit N, exactly TEXT on stderr,
# nothing (or only the question) on stdout, database and run directories
# unchanged, and one FAILURE(1) line in the command log when the command
# would have changed something (usage errors, status 2, are not logged).
net_refused() {
  local n=$1 text=$2 before logged=0 arg
  shift 2
  for arg in "$@"; do
    [[ $arg == -[cbhdru] && $n == 1 ]] && logged=1
  done
  db_snapshot
  before=$(log_lines)
  run "$@"
  assert_exit "$n"
  assert_stderr "$text"
  if ! grep -q '? \[n\]: $' "$OUT"; then assert_stdout ""; fi
  expect_db_unchanged
  if ((logged)); then
    expect_logged "$before" "FAILURE($n)" "hpvmnet "
  else
    expect_not_logged "$before"
  fi
}

# ------------------------------------------------------------------------
section "a new host has localnet, number 1, Up (its bridge comes with the first port)"
expect_stdout "$HEADER
localnet      1 Up      Shared             N/A            N/A" hpvmnet
expect_sql "SELECT name, number, uplink, up, mode FROM vswitches" "localnet|1||1|Shared"

section "create local vswitches"
before=$(log_lines)
expect_ok hpvmnet -c -S lan1
expect_logged "$before" SUCCESS "hpvmnet -c -S lan1\$"
expect_ok hpvmnet -c -S lan2
expect_sql "SELECT name, number, uplink, up FROM vswitches ORDER BY number" "localnet|1||1
lan1|2||0
lan2|3||0"
expect_stdout "$HEADER
localnet      1 Up      Shared             N/A            N/A
lan1          2 Down    Shared             N/A            N/A
lan2          3 Down    Shared             N/A            N/A" hpvmnet
before=$(log_lines)
expect_stdout "$HEADER
lan1          2 Down    Shared             N/A            N/A

$STATS_HEADER" hpvmnet -S lan1 -A
expect_not_logged "$before"

section "refusals change nothing"
net_refused 1 "hpvmnet: ERROR (lan1): The vswitch 'lan1' already exists." hpvmnet -c -S lan1
net_refused 1 "hpvmnet: ERROR (a/b): Invalid vswitch name 'a/b' may contain only letters, digits, '_', '.' and '-'." hpvmnet -c -S a/b
# Names are at most 8 characters, as on HPVM: the table's Name column is 8 wide.
net_refused 1 "hpvmnet: ERROR (vswitch12): Invalid vswitch name 'vswitch12' is longer than 8 characters." hpvmnet -c -S vswitch12
net_refused 1 "hpvmnet: ERROR (vswitch12): Invalid vswitch name 'vswitch12' is longer than 8 characters." hpvmnet -S vswitch12
net_refused 1 "hpvmnet: ERROR (nosuch): The vswitch 'nosuch' does not exist." hpvmnet -S nosuch
net_refused 1 "hpvmnet: ERROR (nosuch): The vswitch 'nosuch' does not exist." hpvmnet -b -S nosuch
net_refused 1 "hpvmnet: ERROR (localnet): The vswitch 'localnet' always exists; it cannot be deleted." hpvmnet -d -F -S localnet
net_refused 1 "hpvmnet: ERROR (lan9): Cannot use 'no-such-nic0' as the uplink: the host interface 'no-such-nic0' does not exist." hpvmnet -c -S lan9 -n no-such-nic0
net_refused 1 "hpvmnet: ERROR (lan9): Cannot use 'lo' as the uplink: 'lo' is the loopback interface." hpvmnet -c -S lan9 -n lo
net_refused 1 "hpvmnet: ERROR (lan9): Cannot use '../x' as the uplink: '../x' is not a valid Linux interface name." hpvmnet -c -S lan9 -n ../x
net_refused 2 "hpvmnet: ERROR: This action needs a vswitch: give -S name.
Run 'hpvmnet --help' for usage." hpvmnet -c
for bad in "portid:1" "port:1:vlanid:2" "portid:x:vlanid:2" "portid:512:vlanid:2" "portid:1:vlanid:1" \
  "portid:1:vlanid:4095" "portid:1:vlanid:" "portid:-1:vlanid:5"; do
  case $bad in
  portid:1 | port:*) why="expected portid:N:vlanid:V or portid:N:vlanid:none" ;;
  portid:x:*) why="port number 'x' is not a number" ;;
  portid:512:*) why="port number 512 is out of range (0-511)" ;;
  portid:-1:*) why="port number -1 is out of range (0-511)" ;;
  *:vlanid:) why="VLAN ID '' is not a number" ;;
  *:vlanid:1) why="VLAN ID 1 is out of range (2-4094; VLAN 1 carries the untagged network)" ;;
  *) why="VLAN ID 4095 is out of range (2-4094; VLAN 1 carries the untagged network)" ;;
  esac
  net_refused 2 "hpvmnet: ERROR: Invalid port setting '$bad': $why.
Run 'hpvmnet --help' for usage." hpvmnet -S lan1 -u "$bad"
done
# Answering anything but y to the questions changes nothing.
feed "n"
net_refused 1 "hpvmnet: ERROR (lan2): The vswitch was not halted." hpvmnet -h -S lan2
feed ""
net_refused 1 "hpvmnet: ERROR (lan2): The vswitch was not deleted." hpvmnet -d -S lan2
feed "n"
run hpvmnet -d -S lan2
check "the delete question is asked on stdout" test "$(cat "$OUT")" = "hpvmnet: Delete the vswitch 'lan2'? [n]: "

# ------------------------------------------------------------------------
section "vNIC ports: allocated per vswitch, pinned with portid, refused when taken"
expect_ok hpvmcreate -P g1 -a network:lan:0,1,0x020000000001:vswitch:lan1 \
  -a network:avio_lan:0,2,0x020000000002:vswitch:lan1 -a network:avio_lan::vswitch:localnet
expect_ok hpvmcreate -P g2 -a network:lan:0,1,0x020000000003:vswitch:lan1:portid:5 \
  -a network:lan:0,2,0x020000000004:vswitch:lan1
nic_ports() {
  sql "SELECT g.name, n.bus || ',' || n.slot, n.vswitch, ifnull(n.port, '-'), ifnull(n.vswitch_port, '-')
       FROM network_devices n JOIN guests g ON g.id = n.guest_id ORDER BY g.vm_number, n.bus, n.slot"
}
check "ports 0, 1 (g1), 5 pinned and 2 (g2) on lan1; 0 on localnet" test "$(nic_ports)" = "g1|0,0|localnet|-|0
g1|0,1|lan1|-|0
g1|0,2|lan1|-|1
g2|0,1|lan1|5|5
g2|0,2|lan1|-|2"
# hpvmstatus -d shows only the pinned portid, as HPVM does.
run hpvmstatus -d -P g2
assert_stdout_has '^network:lan:0,1,0x020000000003:vswitch:lan1:portid:5$'
assert_stdout_has '^network:lan:0,2,0x020000000004:vswitch:lan1$'
refused hpvmcreate g3 "Unable to add 'network:lan::vswitch:lan1:portid:5': port 5 of vswitch 'lan1' is already reserved by guest 'g2'." -- \
  -a network:lan::vswitch:lan1:portid:5
refused hpvmcreate g3 "Unable to add 'network:lan::vswitch:lan1:portid:7': port 7 of vswitch 'lan1' is already given to another vNIC." -- \
  -a network:lan::vswitch:lan1:portid:7 -a network:lan::vswitch:lan1:portid:7
refused hpvmcreate g3 "Unable to add 'network:lan:,,0x020000000001:vswitch:lan2': MAC address 0x020000000001 is already used by guest 'g1'." -- \
  -a network:lan:,,0x020000000001:vswitch:lan2
# A tap's MAC is the guest's with first octet fe: no guest MAC starts with
# fe, and no two guest MACs differ only in the first octet, so taps never
# share a MAC with each other or with a guest.
refused hpvmcreate g3 "Unable to add 'network:lan:,,0x060000000001:vswitch:lan2': MAC address 0x060000000001 differs from 0x020000000001 of guest 'g1' only in the first octet (both taps would have the MAC fe:00:00:00:00:01)." -- \
  -a network:lan:,,0x060000000001:vswitch:lan2
refused hpvmcreate g3 "Unable to add 'network:lan:,,0xfe0000000001:vswitch:lan2': MAC address 0xFE0000000001 has the first octet FE, which is reserved for the host's taps." -- \
  -a network:lan:,,0xfe0000000001:vswitch:lan2

section "a vNIC on an unknown vswitch is a warning; its port comes with the vswitch"
expect_stderr 0 "hpvmcreate: WARNING (g3): The vswitch 'later' does not exist; create it with hpvmnet -c before the guest starts." \
  hpvmcreate -P g3 -a network:lan:0,1,0x020000000011:vswitch:later -a network:lan:0,2,0x020000000012:vswitch:later \
  -a network:lan:0,3,0x020000000013:vswitch:later:portid:0
expect_sql "SELECT n.bus || ',' || n.slot, ifnull(n.vswitch_port, '-') FROM network_devices n JOIN guests g
            ON g.id = n.guest_id WHERE g.name = 'g3' ORDER BY n.slot" "0,1|-
0,2|-
0,3|0"
expect_ok hpvmnet -c -S later
expect_sql "SELECT n.bus || ',' || n.slot, ifnull(n.vswitch_port, '-') FROM network_devices n JOIN guests g
            ON g.id = n.guest_id WHERE g.name = 'g3' ORDER BY n.slot" "0,1|1
0,2|2
0,3|0"

section "-S shows the ports; -u sets a port's untagged VLAN"
expect_ok hpvmnet -S lan1 -u portid:5:vlanid:120
expect_ok hpvmnet -S lan1 -u portid:9:vlanid:4094
expect_ok hpvmnet -S lan1 -u portid:1:vlanid:2
expect_ok hpvmnet -S lan1 -u portid:1:vlanid:none
expect_sql "SELECT p.port, p.untagged_vlan FROM vswitch_ports p JOIN vswitches v ON v.id = p.vswitch_id
            WHERE v.name = 'lan1' ORDER BY p.port" "5|120
9|4094"
expect_stdout "$HEADER
lan1          2 Down    Shared             N/A            N/A

$PORTS_HEADER
0       Reserved     lan      none     1
1       Reserved     avio_lan none     1
2       Reserved     lan      none     1
5       Reserved     lan      120      1
9       Available             4094     0" hpvmnet -S lan1
# -V: every vswitch as -S shows it, a blank line between; with -S, that one.
expected_v=""
for v in $(hpvmnet | awk 'NR > 2 {print $1}'); do
  [[ -n $expected_v ]] && expected_v+=$'\n\n'
  expected_v+=$(hpvmnet -S "$v")
done
check "hpvmnet lists more than one vswitch for -V to show" test "$(hpvmnet | awk 'NR > 2' | wc -l)" -gt 1
expect_stdout "$expected_v" hpvmnet -V
expect_stdout "$(hpvmnet -S lan1)" hpvmnet -V -S lan1
refuse 2 "hpvmnet: ERROR: -A excludes -V
Run 'hpvmnet --help' for usage." hpvmnet -V -A
# A port with a VLAN but no vNIC is not given out; pinning takes it.
expect_ok hpvmcreate -P g4 -a network:lan:0,1,0x020000000021:vswitch:lan1 \
  -a network:lan:0,2,0x020000000022:vswitch:lan1:portid:9
check "g4 gets ports 3 and 9" test "$(nic_ports | grep '^g4')" = "g4|0,1|lan1|-|3
g4|0,2|lan1|9|9"
expect_ok hpvmremove -Q -P g4
expect_sql "SELECT count(*) FROM network_devices WHERE vswitch = 'lan1' AND vswitch_port IN (3, 9)" 0

section "-d: refused while guests use the vswitch, unless -F"
net_refused 1 "hpvmnet: ERROR (lan1): The vswitch 'lan1' is configured on 2 guest(s); remove their vNICs first, or use -F." hpvmnet -d -Q -S lan1
expect_ok hpvmnet -d -Q -S lan2
expect_sql "SELECT count(*) FROM vswitches WHERE name = 'lan2'" 0
expect_stderr 0 "hpvmnet: WARNING (later): 1 guest(s) keep vNICs on the deleted vswitch 'later'." hpvmnet -d -F -S later
# Unpinned vNICs lose their port; the pinned one keeps its portid.
expect_sql "SELECT n.slot, ifnull(n.vswitch_port, '-') FROM network_devices n JOIN guests g
            ON g.id = n.guest_id WHERE g.name = 'g3' ORDER BY n.slot" "1|-
2|-
3|0"

section "vswitch numbers (and bridge names) are never given again"
# 'later' had 4, the highest; the next vswitch gets 5, not 4 again.
expect_ok hpvmnet -c -S next
expect_sql "SELECT number FROM vswitches WHERE name = 'next'" 5
expect_ok hpvmnet -d -Q -S next
expect_ok hpvmnet -c -S next
expect_sql "SELECT number FROM vswitches WHERE name = 'next'" 6
expect_ok hpvmnet -d -Q -S next

section "vswitch names: 8 characters fill the Name column"
expect_ok hpvmnet -c -S abcdefgh
run hpvmnet
assert_stdout_has "^abcdefgh      7 Down    Shared             N/A            N/A\$"
refused hpvmcreate g9 "Invalid resource statement 'network:lan::vswitch:abcdefghi': vswitch name 'abcdefghi' is longer than 8 characters." -- \
  -a network:lan::vswitch:abcdefghi
expect_ok hpvmnet -d -Q -S abcdefgh
# A vswitch recorded under a longer name (earlier versions allowed 32
# characters) can still be shown and deleted.
sqlite3 "$DB" "INSERT INTO vswitches (name, number) VALUES ('legacy-long-name', 99)"
run hpvmnet -S legacy-long-name
assert_exit 0
assert_stdout_has "^legacy-long-name     99 Down "
expect_ok hpvmnet -d -Q -S legacy-long-name

# ------------------------------------------------------------------------
# Real bridges and taps, in a network namespace of our own.
NS=hpvmtest-net-$$
if ! ip netns add "$NS" 2>"$S/netns.err"; then
  skip "cannot create a network namespace ($(cat "$S/netns.err")): bridges and taps not tested"
  finish
fi
trap 'ip netns del "$NS" 2>/dev/null; _cleanup' EXIT
in_ns() { ip netns exec "$NS" "$@"; }
link_json() { in_ns ip -j -d link show "$1" 2>/dev/null; }
# link_field IF EXPR: a field of `ip -j -d link show IF` (python expression on l).
link_field() {
  link_json "$1" | python3 -c "import json, sys; l = json.load(sys.stdin)[0]; print($2)" 2>/dev/null
}
exists_in_ns() { in_ns ip link show "$1" >/dev/null 2>&1; }

in_ns ip link set lo up
# A fixed MAC: the kernel's random one has the first octet fe one time in 64,
# and hpvmcreate then refuses it for that (reserved for taps), not as up0's.
in_ns ip link add up0 address 06:5b:c9:9e:2f:ad type veth peer name up0p
in_ns ip addr add 192.0.2.10/24 dev up0
in_ns ip link set up0p up
UP0_MAC=$(in_ns cat /sys/class/net/up0/address)
UP0_HEX=0x${UP0_MAC//:/}

section "netns: an uplink vswitch; the uplink's MAC is never a guest's"
expect_ok in_ns hpvmnet -c -S wan -n up0
net_refused 1 "hpvmnet: ERROR (wan2): The host interface 'up0' is already the uplink of the vswitch 'wan'." \
  in_ns hpvmnet -c -S wan2 -n up0
UP0_DASHED=${UP0_MAC//:/-}
UP0_CANON=0x$(tr a-f A-F <<<"${UP0_MAC//:/}")
db_snapshot
run in_ns hpvmcreate -P g5 -a "network:lan:,,$UP0_DASHED:vswitch:wan"
assert_exit 1
assert_stderr "hpvmcreate: ERROR (g5): Unable to add 'network:lan:,,$UP0_DASHED:vswitch:wan': MAC address $UP0_CANON belongs to the host interface 'up0'.
hpvmcreate: Unable to create the guest."
expect_db_unchanged
WAN=$(sql "SELECT number FROM vswitches WHERE name = 'wan'")
BR=hpvsw$WAN
expect_stdout "$HEADER
wan           $WAN Down    Shared    up0      $UP0_HEX 192.0.2.10

$STATS_HEADER" in_ns hpvmnet -S wan -A

section "netns: an uplink with a guest's MAC (or a guest's tap's) is refused by -c and -b"
in_ns ip link add up2 type veth peer name up2p
in_ns ip link set up2 address 02:00:00:00:00:01 # g1's vNIC at 0,1
net_refused 1 "hpvmnet: ERROR (swx): Cannot use 'up2' as the uplink: 'up2' has the MAC address 0x020000000001 of guest 'g1' (vNIC at bus 0 device 1)." \
  in_ns hpvmnet -c -S swx -n up2
in_ns ip link set up2 address fe:00:00:00:00:02 # the tap of g1's vNIC at 0,2
net_refused 1 "hpvmnet: ERROR (swx): Cannot use 'up2' as the uplink: 'up2' has the MAC address 0xFE0000000002 of the tap of guest 'g1' (vNIC at bus 0 device 2)." \
  in_ns hpvmnet -c -S swx -n up2
in_ns ip link set up2 address 02:00:00:00:aa:01
expect_ok in_ns hpvmnet -c -S swx -n up2
in_ns ip link set up2 address 02:00:00:00:00:03 # g2's vNIC at 0,1, after -c
net_refused 1 "hpvmnet: ERROR (swx): Cannot boot the vswitch 'swx': 'up2' has the MAC address 0x020000000003 of guest 'g2' (vNIC at bus 0 device 1)." \
  in_ns hpvmnet -b -S swx
check "no bridge was made for swx" test -z "$(link_field up2 "l.get('master') or ''")"
expect_ok in_ns hpvmnet -d -Q -S swx
# The other way round: a new vNIC's tap may not take a host interface's MAC.
in_ns ip link set up2 address fe:00:00:00:bb:01
db_snapshot
run in_ns hpvmcreate -P g6 -a network:lan:,,0x02000000BB01:vswitch:wan
assert_exit 1
assert_stderr "hpvmcreate: ERROR (g6): Unable to add 'network:lan:,,0x02000000BB01:vswitch:wan': MAC address 0x02000000BB01 would give its tap the MAC fe:00:00:00:bb:01, which belongs to the host interface 'up2'.
hpvmcreate: Unable to create the guest."
expect_db_unchanged
in_ns ip link del up2

section "netns: boot makes the bridge and enslaves the uplink"
expect_ok in_ns hpvmnet -b -S wan
check "bridge $BR exists" exists_in_ns "$BR"
check "$BR is a bridge" test "$(link_field "$BR" "l['linkinfo']['info_kind']")" = bridge
check "$BR is up" test "$(link_field "$BR" "'UP' in l['flags']")" = True
check "up0 is a port of $BR" test "$(link_field up0 "l.get('master')")" = "$BR"
check "up0 is up" test "$(link_field up0 "'UP' in l['flags']")" = True
expect_sql "SELECT up FROM vswitches WHERE name = 'wan'" 1
run in_ns hpvmnet
assert_stdout_has "^wan +$WAN Up +Shared +up0 +$UP0_HEX 192.0.2.10\$"
expect_ok in_ns hpvmnet -b -S wan # booting a booted vswitch is fine

section "netns: guests' taps follow the running guests (hpvmnet -r)"
expect_ok in_ns hpvmcreate -P n1 -a network:avio_lan:0,1,0x020000000101:vswitch:wan \
  -a network:lan:0,2,0x020000000102:vswitch:wan -a network:lan:0,0,0x020000000103:vswitch:localnet
expect_ok in_ns hpvmcreate -P n2 -a network:lan:1,4,0x020000000201:vswitch:wan
N1=$(sql "SELECT vm_number FROM guests WHERE name = 'n1'")
N2=$(sql "SELECT vm_number FROM guests WHERE name = 'n2'")
T1=hpv${N1}n01
T2=hpv${N1}n02
T3=hpv${N2}n14
# A real QEMU process (no machine) stands in for n1's guest (fake_qemu).
if ! command -v qemu-system-x86_64 >/dev/null; then
  skip "qemu-system-x86_64 is not installed: running guests' taps not tested (scripts/bootstrap installs it)"
  finish
fi
fake_qemu Q1 n1
expect_ok in_ns hpvmnet -r
for t in "$T1" "$T2"; do
  check "tap $t exists" exists_in_ns "$t"
  check "$t is a tap" test "$(link_field "$t" "l['linkinfo']['info_kind']")" = tun
  check "$t is a port of $BR" test "$(link_field "$t" "l.get('master')")" = "$BR"
  check "$t is up" test "$(link_field "$t" "'UP' in l['flags']")" = True
done
check "$T1's MAC is the guest's with fe first" test "$(link_field "$T1" "l['address']")" = fe:00:00:00:01:01
check "$T2's MAC is the guest's with fe first" test "$(link_field "$T2" "l['address']")" = fe:00:00:00:01:02
# localnet is Up without hpvmnet -b: its bridge is made for n1's port.
check "localnet's bridge hpvsw1 was made for n1's port" test "$(link_field hpvsw1 "'UP' in l['flags']")" = True
check "n1's localnet tap is on hpvsw1" test "$(link_field "hpv${N1}n00" "l.get('master')")" = hpvsw1
expect_stdout "$HEADER
localnet      1 Up      Shared             N/A            N/A

$PORTS_HEADER
0       Reserved     avio_lan none     1
1       Active       lan      none     1            n1" in_ns hpvmnet -S localnet
check "n2 is not running: no tap $T3" test -z "$(in_ns ip -br link show "$T3" 2>/dev/null)"
expect_stdout "$HEADER
wan           $WAN Up      Shared    up0      $UP0_HEX 192.0.2.10

$PORTS_HEADER
0       Active       avio_lan none     1            n1
1       Active       lan      none     1            n1
2       Reserved     lan      none     1" in_ns hpvmnet -S wan

section "netns: port VLANs: each VLAN has its own bridge, and a port's tap moves to it"
# The uplink joins a VLAN's bridge through an 802.1Q interface where the
# kernel makes them (8021q); where it does not, -u and -b say the VLAN stays
# on this host. Which one this kernel is, asked of the kernel itself:
if in_ns ip link add link up0p name up0p.9 type vlan id 9 2>/dev/null; then
  in_ns ip link del up0p.9
  has_8021q=1
else
  has_8021q=0
fi
echo "    802.1Q interfaces: $( ((has_8021q)) && echo yes || echo "no (VLANs stay local)")"
local_vlan() { # VLAN: the warning for a VLAN wan's uplink cannot carry
  echo "VLAN $1 of the vswitch 'wan' is local to this host: its uplink 'up0' does not carry it (no 802.1Q VLAN interface can be made on it: this kernel has no 8021q, or the interface cannot carry VLANs)."
}
# set_vlan PORT VLAN: hpvmnet -u on wan, with the warning this kernel gives.
set_vlan() {
  if [[ $2 == none ]] || ((has_8021q)); then
    expect_ok in_ns hpvmnet -S wan -u "portid:$1:vlanid:$2"
  else
    expect_stderr 0 "hpvmnet: WARNING (wan): $(local_vlan "$2")" in_ns hpvmnet -S wan -u "portid:$1:vlanid:$2"
  fi
}
master() { link_field "$1" "l.get('master') or ''"; }
# vlan_links: every VLAN bridge and 802.1Q interface of wan, with its master.
vlan_links() {
  in_ns ip -j -d link show | python3 -c '
import json, sys
for l in json.load(sys.stdin):
    if l["ifname"].startswith(sys.argv[1]) and l["ifname"] != sys.argv[1]:
        print(l["ifname"], l["linkinfo"]["info_kind"], l.get("master", "-"), "UP" in l["flags"])' "$BR" | sort
}
# uplink_vlan VLAN: the 802.1Q interface for VLAN on up0, in VLAN's bridge.
uplink_vlan() { ((has_8021q)) && printf '%s vlan %s True\n' "$BR.$1" "${BR}v$1"; }
set_vlan 0 120
check "$T1 is on VLAN 120's bridge ${BR}v120" test "$(master "$T1")" = "${BR}v120"
check "$T2 and up0 stay on $BR" test "$(master "$T2") $(master up0)" = "$BR $BR"
check "wan has ${BR}v120, up, and the uplink's VLAN 120 only where 8021q is" \
  test "$(vlan_links)" = "$(printf '%s\n' "$(uplink_vlan 120)" "${BR}v120 bridge - True" | sed '/^$/d')"
if ((has_8021q)); then
  check "$BR.120 is VLAN 120 of up0" \
    test "$(link_field "$BR.120" "l['link'], l['linkinfo']['info_data']['id']")" = "('up0', 120)"
fi
expect_stdout "$HEADER
wan           $WAN Up      Shared    up0      $UP0_HEX 192.0.2.10

$PORTS_HEADER
0       Active       avio_lan 120      1            n1
1       Active       lan      none     1            n1
2       Reserved     lan      none     1" in_ns hpvmnet -S wan
set_vlan 1 120
check "$T1 and $T2 are both on ${BR}v120" test "$(master "$T1") $(master "$T2")" = "${BR}v120 ${BR}v120"
set_vlan 0 130
check "$T1 moved to ${BR}v130; $T2 stays on ${BR}v120" \
  test "$(master "$T1") $(master "$T2")" = "${BR}v130 ${BR}v120"
set_vlan 1 none
check "$T2 is back on $BR" test "$(master "$T2")" = "$BR"
check "no port is on VLAN 120: its bridge is gone, ${BR}v130 is left" \
  test "$(vlan_links)" = "$(printf '%s\n' "$(uplink_vlan 130)" "${BR}v130 bridge - True" | sed '/^$/d')"
# A failed step is undone: VLAN 77's bridge cannot be made (its name is
# taken), after VLAN 130's, now unused, was deleted; 130 comes back with the
# tap on it.
in_ns ip link add "${BR}v77" type veth peer name hpvtest77
net_refused 1 "hpvmnet: ERROR (wan): The interface '${BR}v77' exists and is not a bridge." \
  in_ns hpvmnet -S wan -u portid:0:vlanid:77
check "$T1 is on ${BR}v130 again" test "$(master "$T1")" = "${BR}v130"
in_ns ip link del "${BR}v77"
check "only VLAN 130's links are left" \
  test "$(vlan_links)" = "$(printf '%s\n' "$(uplink_vlan 130)" "${BR}v130 bridge - True" | sed '/^$/d')"

section "netns: statistics come from the ports' counters"
in_ns ping -c 2 -W 1 -I up0p 192.0.2.77 >/dev/null 2>&1 # ARP broadcasts into the uplink
run in_ns hpvmnet -A -S wan
assert_exit 0
counters() { # ifname: the row -A prints for it
  local d=/sys/class/net/$1/statistics
  in_ns sh -c "cat $d/rx_packets $d/rx_bytes $d/tx_packets $d/tx_bytes $d/rx_dropped $d/tx_dropped" |
    paste -sd' '
}
read -r rxp rxb txp txb rxd txd <<<"$(counters up0)"
check "up0 received the ARP frames ($rxp)" test "$rxp" -gt 0
assert_stdout "$(printf '%s\n' "$HEADER" "$(sed -n 3p "$OUT")" "" "$STATS_HEADER"
  printf '%-7s %-15s %-12s %12s %14s %12s %14s %8s\n' 512 up0 "" "$rxp" "$rxb" "$txp" "$txb" $((rxd + txd)) | sed 's/ *$//'
  for t in "$T1" "$T2"; do
    read -r rxp rxb txp txb rxd txd <<<"$(counters "$t")"
    port=$([[ $t == "$T1" ]] && echo 0 || echo 1)
    printf '%-7s %-15s %-12s %12s %14s %12s %14s %8s\n' "$port" "$t" n1 "$rxp" "$rxb" "$txp" "$txb" $((rxd + txd))
  done)"

section "netns: halt deletes the bridge; boot re-attaches running guests"
feed y
run in_ns hpvmnet -h -S wan
assert_exit 0
assert_stdout_raw "hpvmnet: Halt the vswitch 'wan'? [n]: "
check "bridge $BR is gone" test -z "$(in_ns ip -br link show "$BR" 2>/dev/null)"
check "up0 is released" test -z "$(link_field up0 "l.get('master') or ''")"
check "tap $T1 stays, detached" test -z "$(link_field "$T1" "l.get('master') or ''")"
check "VLAN 130's bridge (and 802.1Q interface) are gone" test -z "$(vlan_links)"
expect_sql "SELECT up FROM vswitches WHERE name = 'wan'" 0
run in_ns hpvmnet
assert_stdout_has "^wan +$WAN Down "
# n1 still runs, but its taps are no longer ports of wan: not Active.
expect_stdout "$HEADER
wan           $WAN Down    Shared    up0      $UP0_HEX 192.0.2.10

$PORTS_HEADER
0       Reserved     avio_lan 130      1
1       Reserved     lan      none     1
2       Reserved     lan      none     1" in_ns hpvmnet -S wan
net_refused 1 "hpvmnet: ERROR (wan): The vswitch 'wan' is down; boot it with hpvmnet -b." in_ns hpvmnet -r -S wan
# What -b says of VLAN 130 on this kernel.
boot_warning=""
((has_8021q)) || boot_warning="hpvmnet: WARNING (wan): $(local_vlan 130)"
expect_stderr 0 "$boot_warning" in_ns hpvmnet -b -S wan
check "$T1 is on ${BR}v130 again" test "$(master "$T1")" = "${BR}v130"
check "$T2 is a port of $BR again" test "$(link_field "$T2" "l.get('master')")" = "$BR"

section "netns: after a host reboot, hpvmnet -b boots every vswitch recorded Up"
# Port 2 (n2's, not running) on VLAN 140 too: its bridge comes with the
# vswitch, with no tap on it.
set_vlan 2 140
# A reboot loses bridges and taps; the database keeps wan and localnet Up.
for ifname in "$BR" "${BR}v130" "${BR}v140" hpvsw1 "$T1" "$T2" "hpv${N1}n00"; do in_ns ip link del "$ifname"; done
if ((has_8021q)); then
  expect_ok in_ns hpvmnet -b
else
  expect_stderr 0 "hpvmnet: WARNING: VLANs 130, 140 of the vswitch 'wan' are local to this host: its uplink 'up0' does not carry them (no 802.1Q VLAN interface can be made on it: this kernel has no 8021q, or the interface cannot carry VLANs)." \
    in_ns hpvmnet -b
fi
check "VLAN 130's and 140's bridges are back" test "$(vlan_links | awk '$2 == "bridge" {print $1}' | paste -sd' ')" = "${BR}v130 ${BR}v140"
check "bridge $BR is back" test "$(link_field up0 "l.get('master')")" = "$BR"
check "localnet's bridge hpvsw1 is up" test "$(link_field hpvsw1 "'UP' in l['flags']")" = True
check "$T1 is back on ${BR}v130" test "$(master "$T1")" = "${BR}v130"
check "n1's localnet tap is on hpvsw1" test "$(link_field "hpv${N1}n00" "l.get('master')")" = hpvsw1

section "netns: a stopped guest's taps are removed by -r"
stop_fake_qemu "$Q1"
expect_ok in_ns hpvmnet -r
for t in "$T1" "$T2" "hpv${N1}n00"; do
  check "tap $t is gone" test -z "$(in_ns ip -br link show "$t" 2>/dev/null)"
done
run in_ns hpvmnet -S wan
assert_stdout_has "^0       Reserved     avio_lan 130      1\$"

section "netns: -d -F removes the taps of the vswitch's guests"
expect_ok in_ns hpvmnet -c -S tmpsw
TMPBR=hpvsw$(sql "SELECT number FROM vswitches WHERE name = 'tmpsw'")
expect_ok in_ns hpvmcreate -P n3 -a network:lan:0,1,0x020000000301:vswitch:tmpsw
T4=hpv$(sql "SELECT vm_number FROM guests WHERE name = 'n3'")n01
fake_qemu Q3 n3
expect_ok in_ns hpvmnet -b -S tmpsw
check "$T4 is a port of $TMPBR" test "$(link_field "$T4" "l.get('master')")" = "$TMPBR"
expect_stderr 0 "hpvmnet: WARNING (tmpsw): 1 guest(s) keep vNICs on the deleted vswitch 'tmpsw'.
hpvmnet: WARNING (tmpsw): The running guest 'n3' is no longer connected: its vNIC at bus 0 device 1 was on the vswitch 'tmpsw'." \
  in_ns hpvmnet -d -F -S tmpsw
check "tap $T4 is gone" test -z "$(in_ns ip -br link show "$T4" 2>/dev/null)"
check "bridge $TMPBR is gone" test -z "$(in_ns ip -br link show "$TMPBR" 2>/dev/null)"
stop_fake_qemu "$Q3"
expect_ok in_ns hpvmremove -Q -P n3

section "netns: deleting a vswitch deletes its bridge"
expect_ok in_ns hpvmremove -Q -P n1
expect_ok in_ns hpvmremove -Q -P n2
expect_ok in_ns hpvmnet -d -Q -S wan
check "bridge $BR is gone" test -z "$(in_ns ip -br link show "$BR" 2>/dev/null)"
expect_ok in_ns hpvmnet -h -Q -S localnet
check "only lo and the veth pair are left" \
  test "$(in_ns ip -br link show | awk '{print $1}' | sort | paste -sd' ')" = "lo up0@up0p up0p@up0"

finish

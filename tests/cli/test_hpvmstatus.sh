#!/usr/bin/env bash
# hpvmstatus: the exact text of every format (summary, -P, -p, -V, -d, -M,
# -X, -J), schema and parser checks, -d statements accepted back by
# hpvmcreate, option errors, and that hpvmstatus changes and logs nothing.
source "$(dirname "$0")/lib.sh"

sized_file "$S/d1.img" 1M
sized_file "$S/cd.iso" 4096
mkdir "$S/dir"

section "an empty configuration"
expect_stdout "[Virtual Machines]
Virtual Machine Name VM #  OS Type State     #VCPUs #Devs #Nets Memory  Runsysid
==================== ===== ======= ========= ====== ===== ===== ======= ========" hpvmstatus
expect_stdout "" hpvmstatus -M
expect_stdout '{
  "guests": []
}' hpvmstatus -J
run hpvmstatus -X
assert_exit 0
assert_stdout '<?xml version="1.0" encoding="UTF-8"?>
<hpvm version="1.0">
  <pman/>
</hpvm>'
XSD="$HPVM_SOURCE/share/xml/hpvmstatus.xsd"
validate_xml() { # what
  if [[ ! -f $XSD ]]; then
    skip "$XSD does not exist yet: -X output not validated"
  elif ! command -v xmllint >/dev/null; then
    skip "xmllint is not installed: -X output not validated"
  elif xmllint --noout --schema "$XSD" "$OUT" 2>"$S/xmllint.err"; then
    pass
  else
    fail "$1: -X output does not validate against hpvmstatus.xsd" "$(cat "$S/xmllint.err")"
  fi
}
validate_xml "empty configuration"
check "reading an empty configuration created no database" test ! -e "$DB"

section "a host that was never set up stays untouched"
saved_root=$HPVM_ROOT
use_root "$(new_tmpdir)/never"
expect_stdout "" hpvmstatus -M
run hpvmremove -Q -P g
assert_exit 1
assert_stderr "hpvmremove: ERROR (g): The guest 'g' does not exist."
expect_ok hpvmcreate -s -P g
check "hpvmstatus, hpvmremove and hpvmcreate -s created nothing" test ! -e "$HPVM_ROOT"
run hpvminfo
assert_exit 1
use_root "$saved_root"

# ------------------------------------------------------------------------
section "set-up"
# The vswitches the vNICs name exist (a vNIC on an unknown one is a warning).
for vsw in sw1 sw2; do expect_ok hpvmnet -c -S $vsw; done
expect_ok hpvmcreate -P g1 -O linux:5.10 -c 2 -e 20:80 -r 4G -l "web server" -B manual \
  -u root:admin -u daemon -g root -x ram_dyn_type=driver -x visible_status=disabled \
  -a disk:avio_stor::file:"$S/d1.img" -a dvd:scsi::file:"$S/cd.iso" -a dvd:scsi::null:"$S/dir" \
  -a dvd:aviostor::null: -a network:lan:,,0x020000000001:vswitch:sw1 \
  -a network:aviolan:1,0,02-00-00-00-00-0a:vswitch:sw2:portid:4
expect_ok hpvmcreate -P g2 -O hpux:11.31 -E 1500 -r 1536M
expect_ok hpvmcreate -P g3
U1=$(uuid_of g1)
U2=$(uuid_of g2)
U3=$(uuid_of g3)
for u in "$U1" "$U2" "$U3"; do
  check "uuid '$u' looks like a UUID" grep -qE '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' <<<"$u"
done
check "the three UUIDs differ" test "$U1" != "$U2" -a "$U2" != "$U3" -a "$U1" != "$U3"

# From here on hpvmstatus must change nothing and log nothing.
db_snapshot
log_before=$(log_lines)

# ------------------------------------------------------------------------
section "summary"
expect_stdout - hpvmstatus <<EOF
[Virtual Machines]
Virtual Machine Name VM #  OS Type State     #VCPUs #Devs #Nets Memory  Runsysid
==================== ===== ======= ========= ====== ===== ===== ======= ========
g1                       1 LINUX   Off            2     4     2    4 GB        0
g2                       2 HPUX    Off            1     0     0 1536 MB        0
g3                       3 UNKNOWN Off            1     0     0    2 GB        0
EOF

section "-P: details"
G1_DETAILS=$(cat <<EOF
[Virtual Machine Details]
Virtual Machine Name VM #  OS Type State
==================== ===== ======= ========
g1                       1 LINUX   Off

[Authorized Administrators]
Oper Groups: root
Admin Groups:
Oper Users: daemon
Admin Users: root

[Virtual CPU Details]
#vCPUs Entitlement Maximum
====== =========== =======
 2       20.0%   80.0%

[Memory Details]
Total    Reserved
Memory   Memory
=======  ========
 4 GB     64 MB

[Storage Interface Details]
Guest                                 Physical
Device  Adaptor    Bus Dev Ftn Tgt Lun Storage   Device
======= ========== === === === === === ========= =========================
disk    avio_stor    0   0   0   0   0 file      $S/d1.img
dvd     avio_stor    0   0   0   1   0 null
dvd     scsi         0   1   0   0   0 file      $S/cd.iso
dvd     scsi         0   1   0   1   0 null      $S/dir

[Network Interface Details]
Interface Adaptor    Name/Num   PortNum Bus Dev Ftn Mac Address
========= ========== ========== ======= === === === =================
vswitch   lan        sw1        -         0   2   0 02-00-00-00-00-01
vswitch   avio_lan   sw2        4         1   0   0 02-00-00-00-00-0a

[Misc Interface Details]
Guest                                 Physical
Device  Adaptor    Bus Dev Ftn Tgt Lun Storage   Device
======= ========== === === === === === ========= =========================
serial  com1                           tty       console
EOF
)
expect_stdout "$G1_DETAILS" hpvmstatus -P g1

section "-p: details by VM number"
expect_stdout "$G1_DETAILS" hpvmstatus -p 1
expect_stdout - hpvmstatus -p 2 <<EOF
[Virtual Machine Details]
Virtual Machine Name VM #  OS Type State
==================== ===== ======= ========
g2                       2 HPUX    Off

[Authorized Administrators]
Oper Groups:
Admin Groups:
Oper Users:
Admin Users:

[Virtual CPU Details]
#vCPUs Entitlement Maximum
====== =========== =======
 1     1500MHz       -

[Memory Details]
Total    Reserved
Memory   Memory
=======  ========
1536 MB     64 MB

[Storage Interface Details]
Guest                                 Physical
Device  Adaptor    Bus Dev Ftn Tgt Lun Storage   Device
======= ========== === === === === === ========= =========================

[Network Interface Details]
Interface Adaptor    Name/Num   PortNum Bus Dev Ftn Mac Address
========= ========== ========== ======= === === === =================

[Misc Interface Details]
Guest                                 Physical
Device  Adaptor    Bus Dev Ftn Tgt Lun Storage   Device
======= ========== === === === === === ========= =========================
serial  com1                           tty       console
EOF
run hpvmstatus -P g2
cp "$OUT" "$S/p-g2"
run hpvmstatus -p 2
check "-P g2 and -p 2 print the same" cmp -s "$S/p-g2" "$OUT"

section "-V: verbose"
G1_VERBOSE=$(cat <<EOF
[Virtual Machines Details]
Virtual Machine Name : g1
Virtual Machine UUID : $U1
Virtual Machine ID : 1
Virtual Machine Label : web server
Operating System : LINUX
Operating System Version : 5.10
State : Off
Start type : Manual
Runnable status : Enabled
Modify status : Enabled
Visible status : Disabled

[Authorized Administrators]
Oper Groups : root
Admin Groups :
Oper Users : daemon
Admin Users : root

[Virtual CPU Details]
Number of virtual CPUs : 2
Entitlement : 20.0%
Maximum entitlement : 80.0%

[Memory Details]
Total memory : 4 GB
Reserved memory : 64 MB

[Dynamic Memory Information]
Type : driver
Minimum memory : 1024 MB
Target memory : 4096 MB
Maximum memory : 4096 MB
Current memory : -
Boot memory : 4096 MB
Free memory : -
Available memory : -
Memory chunksize : 4 KB

[Extended Attributes]
ram_dyn_type : driver

[Storage Interface Details]
Device type :disk
Adapter type :avio_stor
Bus :0
Device :0
Function :0
Target :0
Lun :0
Physical Storage type :file
Physical Device :$S/d1.img

Device type :dvd
Adapter type :avio_stor
Bus :0
Device :0
Function :0
Target :1
Lun :0
Physical Storage type :null
Physical Device :

Device type :dvd
Adapter type :scsi
Bus :0
Device :1
Function :0
Target :0
Lun :0
Physical Storage type :file
Physical Device :$S/cd.iso

Device type :dvd
Adapter type :scsi
Bus :0
Device :1
Function :0
Target :1
Lun :0
Physical Storage type :null
Physical Device :$S/dir

[Network Interface Details]
Physical Storage type :vswitch
Guest Adaptor type :lan
Backing :sw1
Vswitch Port :-
Bus :0
Device :2
Function :0
Mac Address :02-00-00-00-00-01

Physical Storage type :vswitch
Guest Adaptor type :avio_lan
Backing :sw2
Vswitch Port :4
Bus :1
Device :0
Function :0
Mac Address :02-00-00-00-00-0a

[Misc Interface Details]
Device type :serial
Adapter type :com1
Physical Storage type :tty
Physical Device :console
EOF
)
expect_stdout "$G1_VERBOSE" hpvmstatus -V -P g1
expect_stdout "$G1_VERBOSE" hpvmstatus -p 1 -V
G2_VERBOSE=$(cat <<EOF
[Virtual Machines Details]
Virtual Machine Name : g2
Virtual Machine UUID : $U2
Virtual Machine ID : 2
Virtual Machine Label :
Operating System : HPUX
Operating System Version : 11.31
State : Off
Start type : Auto
Runnable status : Enabled
Modify status : Enabled
Visible status : Enabled

[Authorized Administrators]
Oper Groups :
Admin Groups :
Oper Users :
Admin Users :

[Virtual CPU Details]
Number of virtual CPUs : 1
Entitlement : 1500MHz
Maximum entitlement : -

[Memory Details]
Total memory : 1536 MB
Reserved memory : 64 MB

[Storage Interface Details]

[Network Interface Details]

[Misc Interface Details]
Device type :serial
Adapter type :com1
Physical Storage type :tty
Physical Device :console
EOF
)
expect_stdout "$G2_VERBOSE" hpvmstatus -V -P g2
# Without a guest: every guest, in VM-number order, separated by a blank line.
run hpvmstatus -V -P g3
G3_VERBOSE=$(cat "$OUT")
expect_stdout "$G1_VERBOSE

$G2_VERBOSE

$G3_VERBOSE" hpvmstatus -V

section "-d / -D: resource statements"
G1_DEVICES=$(cat <<EOF
[Virtual Machine Devices]

[Storage Interface Details]
disk:avio_stor:0,0,0:file:$S/d1.img
dvd:avio_stor:0,0,1:null:
dvd:scsi:0,1,0:file:$S/cd.iso
dvd:scsi:0,1,1:null:$S/dir

[Network Interface Details]
network:lan:0,2,0x020000000001:vswitch:sw1
network:avio_lan:1,0,0x02000000000A:vswitch:sw2:portid:4

[Misc Interface Details]
serial:com1::tty:console
EOF
)
expect_stdout "$G1_DEVICES" hpvmstatus -d -P g1
expect_stdout "$G1_DEVICES" hpvmstatus -D -P g1
expect_stdout "$G1_DEVICES" hpvmstatus -p 1 -d
expect_stdout "[Virtual Machine Devices]

[Storage Interface Details]

[Network Interface Details]

[Misc Interface Details]
serial:com1::tty:console" hpvmstatus -d -P g3
# OpenSVC reads field [3] as the storage type and [4] as the path.
run hpvmstatus -d -P g1
check "-d storage lines: fields 4 and 5 are storage type and path" \
  test "$(grep '^disk:' "$OUT" | cut -d: -f4,5)" = "file:$S/d1.img"

section "-M: machine-readable"
G1_M="g1:$U1:1::Integrity VM:LINUX:5.10:web server:enabled:enabled:Off:Manual:disabled:4:2:percent:0:shared:driver:2;20.0%;80.0%:4GB;64MB;1GB;4GB;4GB;"
G2_M="g2:$U2:2::Integrity VM:HPUX:11.31::enabled:enabled:Off:Auto:enabled:0:0:cycles:0:shared:none:1;1500MHz;-:1536MB;64MB"
G3_M="g3:$U3:3::Integrity VM:UNKNOWN:::enabled:enabled:Off:Auto:enabled:0:0:percent:0:shared:none:1;10.0%;100.0%:2GB;64MB"
expect_stdout "$G1_M
$G2_M
$G3_M" hpvmstatus -M
expect_stdout "$G1_M" hpvmstatus -M -P g1
expect_stdout "$G2_M" hpvmstatus -M -p 2
# The fields OpenSVC reads: [0] name, [10] state, [11] start type, [19] vCPUs;..., [20] memory;...
run hpvmstatus -M
check "-M: every line has 21 fields" test "$(awk -F: 'NF != 21' "$OUT" | wc -l)" = 0
check "-M field 0 lists the guests" test "$(cut -d: -f1 "$OUT" | paste -sd,)" = "g1,g2,g3"
check "-M field 1 is the UUID" test "$(cut -d: -f2 "$OUT" | paste -sd,)" = "$U1,$U2,$U3"
check "-M field 10 is the state" test "$(cut -d: -f11 "$OUT" | paste -sd,)" = "Off,Off,Off"
check "-M field 11 is the start type" test "$(cut -d: -f12 "$OUT" | paste -sd,)" = "Manual,Auto,Auto"
check "-M field 19 starts with the vCPU count" test "$(cut -d: -f20 "$OUT" | cut -d';' -f1 | paste -sd,)" = "2,1,1"
check "-M field 20 starts with the memory" test "$(cut -d: -f21 "$OUT" | cut -d';' -f1 | paste -sd,)" = "4GB,1536MB,2GB"

section "-X: XML"
expect_stdout - hpvmstatus -X -P g1 <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<hpvm version="1.0">
  <pman>
    <virtual_machine name="g1">
      <local_id>1</local_id>
      <uuid>$U1</uuid>
      <vm_state>Off</vm_state>
      <os_type>LINUX</os_type>
      <os_version>5.10</os_version>
      <label>web server</label>
      <start_type>Manual</start_type>
      <runnable_status>enabled</runnable_status>
      <modify_status>enabled</modify_status>
      <visible_status>disabled</visible_status>
      <vcpu_number>2</vcpu_number>
      <entitlement unit="percent" minimum="20.0" maximum="80.0"/>
      <memory>
        <total unit="GB">4</total>
        <reserved unit="MB">64</reserved>
        <dynamic type="driver" unit="MB" minimum="1024" target_start="4096" maximum="4096"/>
      </memory>
      <storage>
        <device type="disk" adapter="avio_stor" bus="0" slot="0" target="0" storage="file" location="$S/d1.img">disk:avio_stor:0,0,0:file:$S/d1.img</device>
        <device type="dvd" adapter="avio_stor" bus="0" slot="0" target="1" storage="null" location="">dvd:avio_stor:0,0,1:null:</device>
        <device type="dvd" adapter="scsi" bus="0" slot="1" target="0" storage="file" location="$S/cd.iso">dvd:scsi:0,1,0:file:$S/cd.iso</device>
        <device type="dvd" adapter="scsi" bus="0" slot="1" target="1" storage="null" location="$S/dir">dvd:scsi:0,1,1:null:$S/dir</device>
      </storage>
      <network>
        <nic adapter="lan" bus="0" slot="2" mac="0x020000000001" vswitch="sw1">network:lan:0,2,0x020000000001:vswitch:sw1</nic>
        <nic adapter="avio_lan" bus="1" slot="0" mac="0x02000000000A" vswitch="sw2" port="4">network:avio_lan:1,0,0x02000000000A:vswitch:sw2:portid:4</nic>
      </network>
    </virtual_machine>
  </pman>
</hpvm>
EOF
validate_xml "-X -P g1"
expect_stdout - hpvmstatus -X -p 2 <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<hpvm version="1.0">
  <pman>
    <virtual_machine name="g2">
      <local_id>2</local_id>
      <uuid>$U2</uuid>
      <vm_state>Off</vm_state>
      <os_type>HPUX</os_type>
      <os_version>11.31</os_version>
      <label></label>
      <start_type>Auto</start_type>
      <runnable_status>enabled</runnable_status>
      <modify_status>enabled</modify_status>
      <visible_status>enabled</visible_status>
      <vcpu_number>1</vcpu_number>
      <entitlement unit="MHz" minimum="1500.0"/>
      <memory>
        <total unit="MB">1536</total>
        <reserved unit="MB">64</reserved>
      </memory>
      <storage/>
      <network/>
    </virtual_machine>
  </pman>
</hpvm>
EOF
validate_xml "-X -p 2"
run hpvmstatus -X
assert_exit 0
validate_xml "-X (all guests)"
if command -v xmllint >/dev/null; then
  xp() { xmllint --xpath "$1" "$OUT" 2>/dev/null; }
  check "-X: three virtual_machine elements" test "$(xp 'count(/hpvm/pman/virtual_machine)')" = 3
  check "-X: names in VM-number order" test "$(xp 'string(/hpvm/pman/virtual_machine[1]/@name)')$(xp 'string(/hpvm/pman/virtual_machine[3]/@name)')" = g1g3
  check "-X: g1's uuid is the database's" test "$(xp 'string(/hpvm/pman/virtual_machine[@name="g1"]/uuid)')" = "$U1"
  check "-X: g3's uuid is the database's" test "$(xp 'string(/hpvm/pman/virtual_machine[@name="g3"]/uuid)')" = "$U3"
  check "-X: g2's local_id" test "$(xp 'string(/hpvm/pman/virtual_machine[@name="g2"]/local_id)')" = 2
  check "-X: g3's memory" test "$(xp 'string(/hpvm/pman/virtual_machine[@name="g3"]/memory/total)')$(xp 'string(/hpvm/pman/virtual_machine[@name="g3"]/memory/total/@unit)')" = 2GB
  check "-X: g1 has 4 storage devices" test "$(xp 'count(/hpvm/pman/virtual_machine[@name="g1"]/storage/device)')" = 4
fi

# Read the way the inventory agents (FusionInventory, GLPI; XML::Simple drops
# the root element) read it: {pman}{virtual_machine}{<name>}{uuid}, {local_id},
# {vm_state}, {vcpu_number}, {memory}{total}{content} and {unit}. A variant
# that keeps the root reads {hpvm}{pman}{virtual_machine}: both hold.
if command -v python3 >/dev/null; then
  cat >"$S/agent.py" <<'PY'
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "hpvm", root.tag
pman = root.find("pman")  # what XML::Simple's {pman} is
assert pman is not None and len(root.findall("pman")) == 1
vms = {vm.get("name"): vm for vm in pman.findall("virtual_machine")}
for name, vm in vms.items():
    total = vm.find("memory/total")
    assert total.get("unit") in ("MB", "GB"), total.get("unit")
    assert vm.findtext("vm_state") in ("On", "Off", "Invalid")
    print("|".join([name, vm.findtext("local_id"), vm.findtext("uuid"), vm.findtext("vm_state"),
                    vm.findtext("vcpu_number"), total.text, total.get("unit")]))
PY
  check "-X: the agents' reading of the document" test "$(python3 "$S/agent.py" "$OUT" 2>&1)" = "g1|1|$U1|Off|2|4|GB
g2|2|$U2|Off|1|1536|MB
g3|3|$U3|Off|1|2|GB"
else
  skip "python3 is not installed: -X not read the agents' way"
fi

section "-J: JSON"
jq_check() { # description python-expression [extra args: sys.argv[3:]] (j = parsed output)
  if python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$OUT" "$2" "${@:3}" 2>"$S/py.err"; then
    pass
  else
    fail "-J: $1 ($2)" "$(cat "$S/py.err")"
  fi
}
run hpvmstatus -J
assert_exit 0
if command -v python3 >/dev/null; then
  jq_check "three guests in VM-number order" '[g["name"] for g in j["guests"]] == ["g1", "g2", "g3"]'
  jq_check "UUIDs are the database's" "[g['uuid'] for g in j['guests']] == ['$U1', '$U2', '$U3']"
  jq_check "VM numbers" '[g["vm_number"] for g in j["guests"]] == [1, 2, 3]'
  jq_check "states" 'all(g["state"] == "Off" for g in j["guests"])'
  jq_check "g1 scalars" '[j["guests"][0][k] for k in ("os_type", "os_version", "label", "start_type", "vcpus", "memory_mb", "reserved_memory_mb", "runnable_status", "modify_status", "visible_status")] == ["LINUX", "5.10", "web server", "manual", 2, 4096, 64, "enabled", "enabled", "disabled"]'
  jq_check "g1 entitlement" 'j["guests"][0]["entitlement"] == {"unit": "percent", "minimum": 20.0, "maximum": 80.0}'
  jq_check "g2 entitlement in MHz" 'j["guests"][1]["entitlement"] == {"unit": "MHz", "minimum": 1500.0, "maximum": None}'
  jq_check "g1 extended" 'j["guests"][0]["extended"] == {"ram_dyn_type": "driver"}'
  jq_check "g1 dynamic memory" 'j["guests"][0]["dynamic_memory"] == {"type": "driver", "minimum_mb": 1024, "target_mb": 4096, "target_start_mb": 4096, "maximum_mb": 4096, "current_mb": None}'
  jq_check "g2 no dynamic memory" 'j["guests"][1]["dynamic_memory"] is None'
  jq_check "g1 console access" 'j["guests"][0]["console_access"] == [{"kind": "user", "name": "root", "role": "admin"}, {"kind": "user", "name": "daemon", "role": "oper"}, {"kind": "group", "name": "root", "role": "oper"}]'
  jq_check "g1 storage statements" "[d['statement'] for d in j['guests'][0]['storage']] == ['disk:avio_stor:0,0,0:file:$S/d1.img', 'dvd:avio_stor:0,0,1:null:', 'dvd:scsi:0,1,0:file:$S/cd.iso', 'dvd:scsi:0,1,1:null:$S/dir']"
  jq_check "g1 first disk" "j['guests'][0]['storage'][0] == {'statement': 'disk:avio_stor:0,0,0:file:$S/d1.img', 'device': 'disk', 'adapter': 'avio_stor', 'bus': 0, 'slot': 0, 'target': 0, 'storage': 'file', 'location': '$S/d1.img'}"
  jq_check "g1 network" 'j["guests"][0]["network"] == [{"statement": "network:lan:0,2,0x020000000001:vswitch:sw1", "adapter": "lan", "bus": 0, "slot": 2, "mac": "0x020000000001", "vswitch": "sw1", "port": None}, {"statement": "network:avio_lan:1,0,0x02000000000A:vswitch:sw2:portid:4", "adapter": "avio_lan", "bus": 1, "slot": 0, "mac": "0x02000000000A", "vswitch": "sw2", "port": 4}]'
  jq_check "g3 has no devices" 'j["guests"][2]["storage"] == [] and j["guests"][2]["network"] == [] and j["guests"][2]["console_access"] == []'
else
  skip "python3 is not installed: -J output not parsed"
fi
expect_stdout - hpvmstatus -J -P g2 <<EOF
{
  "guests": [
    {
      "name": "g2",
      "vm_number": 2,
      "uuid": "$U2",
      "state": "Off",
      "os_type": "HPUX",
      "os_version": "11.31",
      "label": "",
      "start_type": "auto",
      "runnable_status": "enabled",
      "modify_status": "enabled",
      "visible_status": "enabled",
      "vcpus": 1,
      "entitlement": {
        "unit": "MHz",
        "minimum": 1500.0,
        "maximum": null
      },
      "memory_mb": 1536,
      "reserved_memory_mb": 64,
      "dynamic_memory": null,
      "extended": {},
      "console_access": [],
      "storage": [],
      "network": []
    }
  ]
}
EOF
run hpvmstatus --json -p 2
cp "$OUT" "$S/json-p2"
run hpvmstatus -J -P g2
check "--json -p 2 and -J -P g2 print the same" cmp -s "$S/json-p2" "$OUT"

section "hpvmstatus changed and logged nothing"
LAST="all hpvmstatus runs above"
expect_db_unchanged
expect_not_logged "$log_before"

# ------------------------------------------------------------------------
section "-d statements are accepted back by hpvmcreate"
run hpvmstatus -d -P g1
# Only the storage and network sections hold -a statements; new MACs, and
# new pinned ports (a vswitch port belongs to one vNIC).
awk '/^\[Storage Interface Details\]/ || /^\[Network Interface Details\]/ {keep = 1; next}
     /^\[/ {keep = 0} keep && NF' "$OUT" |
  sed -E -e 's/,0x020000000/,0x020000001/' -e 's/:portid:4$/:portid:5/' >"$S/statements"
check "6 statements taken from -d" test "$(wc -l <"$S/statements")" = 6
args=()
while IFS= read -r st; do args+=(-a "$st"); done <"$S/statements"
# The copies share g1's backing stores, deliberately.
for shared in "$S/d1.img" "$S/cd.iso" "$S/dir"; do
  expect_ok hpvmdevmgmt -m "gdev:$shared:attr:SHARE=YES"
done
expect_ok hpvmcreate -P copy "${args[@]}"
sed -E -e 's/,0x020000000/,0x020000001/' -e 's/:portid:4$/:portid:5/' <<<"$G1_DEVICES" >"$S/copy-devices"
expect_stdout "$(cat "$S/copy-devices")" hpvmstatus -d -P copy
# The copy's -d output, once more through hpvmcreate, is a fixed point.
sed -E -e 's/,0x020000001/,0x020000002/' -e 's/:portid:5$/:portid:6/' "$S/statements" >"$S/statements2"
args=()
while IFS= read -r st; do args+=(-a "$st"); done <"$S/statements2"
expect_ok hpvmcreate -P copy2 "${args[@]}"
run hpvmstatus -d -P copy2
check "copy2's statements are the ones given" \
  test "$(awk '/^(disk|dvd|network):/' "$OUT")" = "$(cat "$S/statements2")"

section "paths with XML, JSON and statement metacharacters"
ODD="$S/a&<b>:c\"d'e.img"
sized_file "$ODD" 4096
expect_ok hpvmcreate -P odd -a disk:scsi::file:"$ODD"
run hpvmstatus -d -P odd
check "-d prints the path as given" test "$(grep '^disk:' "$OUT")" = "disk:scsi:0,0,0:file:$ODD"
run hpvmstatus -X -P odd
assert_exit 0
validate_xml "-X with an odd path"
if command -v xmllint >/dev/null; then
  check "-X: the location attribute round-trips" \
    test "$(xmllint --xpath 'string(//device/@location)' "$OUT")" = "$ODD"
  check "-X: the statement text round-trips" \
    test "$(xmllint --xpath 'string(//device)' "$OUT")" = "disk:scsi:0,0,0:file:$ODD"
fi
run hpvmstatus -J -P odd
if command -v python3 >/dev/null; then
  jq_check "the location round-trips" "j['guests'][0]['storage'][0]['location'] == sys.argv[3]" "$ODD"
fi
# The statement, with its ':' inside the path, goes back into hpvmcreate
# (sharing the image with odd, deliberately).
expect_ok hpvmdevmgmt -m "gdev:$ODD:attr:SHARE=YES"
expect_ok hpvmcreate -P odd2 -a "disk:scsi:0,0,0:file:$ODD"
run hpvmstatus -d -P odd2
check "a path containing ':' survives the round trip" test "$(grep '^disk:' "$OUT")" = "disk:scsi:0,0,0:file:$ODD"

# ------------------------------------------------------------------------
section "errors"
refuse 1 "hpvmstatus: ERROR (nosuch): The guest 'nosuch' does not exist." hpvmstatus -P nosuch
refuse 1 "hpvmstatus: ERROR (nosuch): The guest 'nosuch' does not exist." hpvmstatus -V -P nosuch
refuse 1 "hpvmstatus: ERROR: The guest '' does not exist." hpvmstatus -P ""
refuse 1 "hpvmstatus: ERROR: No guest has the VM number 99." hpvmstatus -p 99
refuse 1 "hpvmstatus: ERROR: No guest has the VM number 0." hpvmstatus -M -p 0
refuse 2 "hpvmstatus: ERROR: Could not convert: -p = x
Run 'hpvmstatus --help' for usage." hpvmstatus -p x
refuse 2 "hpvmstatus: ERROR: -P excludes -p
Run 'hpvmstatus --help' for usage." hpvmstatus -P g1 -p 1
refuse 2 "hpvmstatus: ERROR: -d needs a guest: give -P name or -p number.
Run 'hpvmstatus --help' for usage." hpvmstatus -d
# CLI11 names -J by its long name.
for pair in "-V -M -V -M" "-V -d -V -d" "-M -X -M -X" "-X -J -X --json" "-J -V -V --json" "-d -M -d -M"; do
  set -- $pair
  refuse 2 "hpvmstatus: ERROR: $3 excludes $4
Run 'hpvmstatus --help' for usage." hpvmstatus -P g1 "$1" "$2"
done
refuse 2 "hpvmstatus: ERROR: The following argument was not expected: -Z
Run 'hpvmstatus --help' for usage." hpvmstatus -Z
refuse 2 "hpvmstatus: ERROR: The following argument was not expected: g1
Run 'hpvmstatus --help' for usage." hpvmstatus g1
run hpvmstatus --help
assert_exit 0
for o in -P -p -V -d -M -X -J; do assert_stdout_has "^ *${o}[ ,]"; done
run hpvmstatus --version
assert_exit 0
assert_stdout "$(sed -n 's/^project(hpvm VERSION \([0-9.]*\).*/\1/p' "$HPVM_SOURCE/CMakeLists.txt")"

section "a run pid file for a process that is not QEMU does not make a guest On"
sleep 300 &
sleeper=$!
track_pid "$sleeper"
echo "$sleeper" >"$HPVM_ROOT/uuids/$U3/qemu.pid"
mkdir -p "$HPVM_ROOT/running" && touch "$HPVM_ROOT/running/$U3"
run hpvmstatus -M -P g3
check "-M field 10 is Off for a non-QEMU pid" test "$(cut -d: -f11 "$OUT")" = Off
run hpvmstatus -M
check "-M (all guests) field 10 is Off for a non-QEMU pid" test "$(grep '^g3:' "$OUT" | cut -d: -f11)" = Off
echo "not-a-pid" >"$HPVM_ROOT/uuids/$U3/qemu.pid"
run hpvmstatus -M -P g3
check "-M field 10 is Off for a garbage pid file" test "$(cut -d: -f11 "$OUT")" = Off
kill "$sleeper"
wait "$sleeper" 2>/dev/null
rm -f "$HPVM_ROOT/uuids/$U3/qemu.pid" "$HPVM_ROOT/running/$U3"

finish

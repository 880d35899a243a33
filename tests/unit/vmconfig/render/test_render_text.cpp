// Tests for libvmconfig/vmconfig/render/render_text.cpp: the exact text of
// hpvmstatus's table (render_summary), -P (render_details), -P -V
// (render_verbose) and -P -d (render_devices) for small guests built here,
// running or not, with and without what QEMU reports of a running guest.
#include <vmconfig/render/render.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace vmconfig;

namespace {

// A guest with something in every section: console access of each kind, a
// disk and an empty DVD (the row with no location ends without blanks), a
// vNIC with no port and one with a port, extended attributes.
Guest web1() {
  Guest g;
  g.name = "web1";
  g.vm_number = 3;
  g.uuid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
  g.os_type = "LINUX";
  g.os_version = "5.10";
  g.vcpus = 2;
  g.entitlement = {false, 20.0, 80.0};
  g.memory_mb = 4096;
  g.label = "web server";
  g.start = StartAttr::manual;
  g.visible = false;
  g.extended = {{"vm_type", "shared"}, {"graceful_stop_timeout", "30"}};
  g.access = {{ConsoleAccess::Kind::group, "wheel", false},
              {ConsoleAccess::Kind::user, "daemon", false},
              {ConsoleAccess::Kind::user, "root", true},
              {ConsoleAccess::Kind::user, "ops", false}};
  g.storage = {
      {DeviceType::disk, StorageAdapter::avio_stor, {0, 0, 0}, StorageType::file, "/img/web1.img"},
      {DeviceType::dvd, StorageAdapter::scsi, {1, 2, 3}, StorageType::null, ""}};
  g.networks = {{NetAdapter::lan, {0, 1}, avio::MacAddress(0x020000000001), "sw1", {}},
                {NetAdapter::avio_lan, {2, 7}, avio::MacAddress(0x02AABBCCDD0A), "vlan02", 12}};
  return g;
}

// A guest with nothing but defaults: CPU entitlement in cycles, no maximum.
Guest bare() {
  Guest g;
  g.name = "b";
  g.vm_number = 12;
  g.uuid = "00000000-0000-0000-0000-000000000001";
  g.os_type = "UNKNOWN";
  g.entitlement = {true, 1500.0, 0.0};
  g.memory_mb = 1536;
  return g;
}

GuestStatus status(Guest g, bool on = false) {
  return {std::move(g), RunState{on}, std::nullopt, std::nullopt};
}

const char* const k_web1_details = R"([Virtual Machine Details]
Virtual Machine Name VM #  OS Type State
==================== ===== ======= ========
web1                     3 LINUX   Off

[Authorized Administrators]
Oper Groups: wheel
Admin Groups:
Oper Users: daemon ops
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
disk    avio_stor    0   0   0   0   0 file      /img/web1.img
dvd     scsi         1   2   0   3   0 null

[Network Interface Details]
Interface Adaptor    Name/Num   PortNum Bus Dev Ftn Mac Address
========= ========== ========== ======= === === === =================
vswitch   lan        sw1        -         0   1   0 02-00-00-00-00-01
vswitch   avio_lan   vlan02     12        2   7   0 02-aa-bb-cc-dd-0a

[Misc Interface Details]
Guest                                 Physical
Device  Adaptor    Bus Dev Ftn Tgt Lun Storage   Device
======= ========== === === === === === ========= =========================
serial  com1                           tty       console
)";

} // namespace

TEST_CASE("render_summary: one row per guest, memory in GB or MB, the run state") {
  CHECK(render_summary({}) ==
        "[Virtual Machines]\n"
        "Virtual Machine Name VM #  OS Type State     #VCPUs #Devs #Nets Memory  Runsysid\n"
        "==================== ===== ======= ========= ====== ===== ===== ======= ========\n");
  const GuestSummary a{"web1", "u1", 3, "LINUX", 2, 2, 1, 4096};
  const GuestSummary b{"a-rather-long-name-20", "u2", 12345, "WINDOWS", 16, 30, 8, 1536};
  CHECK(render_summary({{a, RunState{true}}, {b, RunState{false}}}) ==
        "[Virtual Machines]\n"
        "Virtual Machine Name VM #  OS Type State     #VCPUs #Devs #Nets Memory  Runsysid\n"
        "==================== ===== ======= ========= ====== ===== ===== ======= ========\n"
        "web1                     3 LINUX   On             2     2     1    4 GB        0\n"
        "a-rather-long-name-20 12345 WINDOWS Off           16    30     8 1536 MB        0\n");
}

TEST_CASE("render_details: every section of a stopped guest") {
  CHECK(render_details(status(web1())) == k_web1_details);
}

TEST_CASE("render_details: a guest with no devices and an entitlement in cycles") {
  CHECK(render_details(status(bare(), true)) == R"([Virtual Machine Details]
Virtual Machine Name VM #  OS Type State
==================== ===== ======= ========
b                       12 UNKNOWN On

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
)");
}

TEST_CASE("render_details: a running guest's [Runtime State]") {
  GuestStatus gs = status(web1(), true);
  const std::string on = [&] {
    std::string text = k_web1_details;
    text.replace(text.find("LINUX   Off"), 11, "LINUX   On");
    return text;
  }();

  SUBCASE("as configured") {
    gs.live = LiveState{"running", {}, {}, "", "", {}, {}, {}, {}, ""};
    CHECK(render_details(gs) == on + "\n[Runtime State]\nQEMU state : running\n"
                                     "Devices : as configured\n");
  }
  SUBCASE("differences, pending removals and the repair, each on its line") {
    gs.live = LiveState{"paused",
                        {"disk:avio_stor:0,0,0:file:/img/web1.img: QEMU has /img/old.img",
                         "network:lan:0,1,0x020000000001:vswitch:sw1: not in the guest"},
                        {"hpvm.nic.b0s3"},
                        "",
                        "hpvmmodify -P web1 -R",
                        {},
                        {},
                        {},
                        {},
                        ""};
    CHECK(render_details(gs) ==
          on + "\n[Runtime State]\nQEMU state : paused\n"
               "Difference : disk:avio_stor:0,0,0:file:/img/web1.img: QEMU has /img/old.img\n"
               "Difference : network:lan:0,1,0x020000000001:vswitch:sw1: not in the guest\n"
               "Pending : hpvm.nic.b0s3\n"
               "Repair : hpvmmodify -P web1 -R brings the running guest in line with its "
               "configuration\n");
  }
  SUBCASE("QEMU could not be asked") {
    gs.live = LiveState{"", {"ignored"}, {}, "Cannot connect to the guest's QMP socket", "", {}, {},
                        {}, {},          ""};
    CHECK(render_details(gs) == on + "\n[Runtime State]\n"
                                     "QEMU state : unknown (Cannot connect to the guest's QMP "
                                     "socket)\n");
    gs.live->qemu_status = "running";
    CHECK(render_details(gs) == on + "\n[Runtime State]\n"
                                     "QEMU state : running (Cannot connect to the guest's QMP "
                                     "socket)\n");
  }
}

TEST_CASE("render_verbose: key : value lines, one block per device") {
  CHECK(render_verbose(status(web1())) == R"([Virtual Machines Details]
Virtual Machine Name : web1
Virtual Machine UUID : 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0
Virtual Machine ID : 3
Virtual Machine Label : web server
Operating System : LINUX
Operating System Version : 5.10
State : Off
Start type : Manual
Runnable status : Enabled
Modify status : Enabled
Visible status : Disabled

[Authorized Administrators]
Oper Groups : wheel
Admin Groups :
Oper Users : daemon ops
Admin Users : root

[Virtual CPU Details]
Number of virtual CPUs : 2
Entitlement : 20.0%
Maximum entitlement : 80.0%

[Memory Details]
Total memory : 4 GB
Reserved memory : 64 MB

[Extended Attributes]
graceful_stop_timeout : 30
vm_type : shared

[Storage Interface Details]
Device type :disk
Adapter type :avio_stor
Bus :0
Device :0
Function :0
Target :0
Lun :0
Physical Storage type :file
Physical Device :/img/web1.img

Device type :dvd
Adapter type :scsi
Bus :1
Device :2
Function :0
Target :3
Lun :0
Physical Storage type :null
Physical Device :

[Network Interface Details]
Physical Storage type :vswitch
Guest Adaptor type :lan
Backing :sw1
Vswitch Port :-
Bus :0
Device :1
Function :0
Mac Address :02-00-00-00-00-01

Physical Storage type :vswitch
Guest Adaptor type :avio_lan
Backing :vlan02
Vswitch Port :12
Bus :2
Device :7
Function :0
Mac Address :02-aa-bb-cc-dd-0a

[Misc Interface Details]
Device type :serial
Adapter type :com1
Physical Storage type :tty
Physical Device :console
)");
}

TEST_CASE("render_verbose: no [Extended Attributes] without any; the runtime section at the end") {
  GuestStatus gs = status(bare(), true);
  gs.guest.start = StartAttr::automatic;
  gs.guest.runnable = false;
  gs.live = LiveState{"running", {}, {"hpvm.hba.b1s1"}, "", "", {}, {}, {}, {}, ""};
  CHECK(render_verbose(gs) == R"([Virtual Machines Details]
Virtual Machine Name : b
Virtual Machine UUID : 00000000-0000-0000-0000-000000000001
Virtual Machine ID : 12
Virtual Machine Label :
Operating System : UNKNOWN
Operating System Version :
State : On
Start type : Auto
Runnable status : Disabled
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

[Runtime State]
QEMU state : running
Pending : hpvm.hba.b1s1
)");
}

TEST_CASE("render_devices: canonical resource statements") {
  CHECK(render_devices(web1()) == R"([Virtual Machine Devices]

[Storage Interface Details]
disk:avio_stor:0,0,0:file:/img/web1.img
dvd:scsi:1,2,3:null:

[Network Interface Details]
network:lan:0,1,0x020000000001:vswitch:sw1
network:avio_lan:2,7,0x02AABBCCDD0A:vswitch:vlan02:portid:12

[Misc Interface Details]
serial:com1::tty:console
)");
  CHECK(render_devices(bare()) == "[Virtual Machine Devices]\n\n[Storage Interface Details]\n"
                                  "\n[Network Interface Details]\n"
                                  "\n[Misc Interface Details]\nserial:com1::tty:console\n");
}

TEST_CASE("render_verbose: [Dynamic Memory Information] after [Memory Details]") {
  Guest g = bare();
  g.memory_mb = 2048;
  g.extended = {
      {"ram_dyn_type", "driver"}, {"ram_dyn_min", "1G"}, {"ram_dyn_target_start", "1536M"}};
  const auto block = [](const std::string& target, const std::string& current,
                        const std::string& free = "-", const std::string& available = "-") {
    return "[Memory Details]\nTotal memory : 2 GB\nReserved memory : 64 MB\n\n"
           "[Dynamic Memory Information]\n"
           "Type : driver\n"
           "Minimum memory : 1024 MB\n"
           "Target memory : " +
           target +
           "\n"
           "Maximum memory : 2048 MB\n"
           "Current memory : " +
           current +
           "\n"
           "Boot memory : 2048 MB\n"
           "Free memory : " +
           free + "\nAvailable memory : " + available +
           "\n"
           "Memory chunksize : 4 KB\n\n"
           "[Extended Attributes]\n";
  };
  const auto contains = [](const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  };
  // Off: the start target, no current size.
  CHECK(contains(render_verbose(status(g)), block("1536 MB", "-")));
  // Running: the target last asked and the size QEMU reports.
  GuestStatus on = status(g, true);
  on.live = LiveState{"running", {}, {}, "", "", 1280, 1024, {}, {}, ""};
  CHECK(contains(render_verbose(on), block("1024 MB", "1280 MB", "unknown", "unknown")));
  // The guest's driver reported its figures.
  on.live->guest_free_mb = 700;
  on.live->guest_available_mb = 900;
  CHECK(contains(render_verbose(on), block("1024 MB", "1280 MB", "700 MB", "900 MB")));
  // Running, QEMU did not say: unknown, and the start target.
  on.live =
      LiveState{"unknown", {}, {}, "QEMU did not answer", "", {}, {}, {}, {}, "not responding"};
  CHECK(contains(render_verbose(on), block("1536 MB", "unknown", "unknown", "unknown")));
  // No dynamic memory: no section.
  g.extended["ram_dyn_type"] = "none";
  CHECK_FALSE(contains(render_verbose(status(g)), "[Dynamic Memory Information]"));
}

TEST_CASE("render_machine: field 20 gains the dynamic memory range and current size") {
  Guest g = bare();
  CHECK(render_machine(status(g)).ends_with(":1536MB;64MB\n"));
  g.extended = {{"ram_dyn_type", "any"}, {"ram_dyn_min", "512M"}};
  // Off: the current size is empty.
  CHECK(render_machine(status(g)).ends_with(":any:1;1500MHz;-:1536MB;64MB;512MB;1536MB;1536MB;\n"));
  GuestStatus on = status(g, true);
  on.live = LiveState{};
  CHECK(render_machine(on).ends_with(";512MB;1536MB;1536MB;\n")); // QEMU did not say
  on.live->balloon_mb = 1024;
  CHECK(render_machine(on).ends_with(":1536MB;64MB;512MB;1536MB;1536MB;1GB\n"));
}

TEST_CASE("render_xml: <dynamic> has the running guest's current size") {
  Guest g = bare();
  g.extended = {{"ram_dyn_type", "any"}, {"ram_dyn_min", "512M"}};
  const std::string off = render_xml({status(g)});
  CHECK(off.find("<dynamic type=\"any\" unit=\"MB\" minimum=\"512\" target_start=\"1536\" "
                 "maximum=\"1536\"/>") != std::string::npos);
  GuestStatus on = status(g, true);
  on.live = LiveState{};
  on.live->balloon_mb = 1000;
  CHECK(render_xml({on}).find("maximum=\"1536\" current=\"1000\"/>") != std::string::npos);
}

TEST_CASE("render_machine: a running guest's unknown state and repair, after HPVM's fields") {
  GuestStatus gs = status(bare(), true);
  gs.state.unknown = "QEMU stopped, pid 42";
  const std::string line = render_machine(gs);
  CHECK(line.find(":Invalid:") != std::string::npos);
  CHECK(line.ends_with(":1536MB;64MB;unknown=QEMU stopped, pid 42\n"));
  CHECK(std::count(line.begin(), line.end(), ':') == 20);
  gs.state.unknown.clear();
  gs.live = LiveState{"running", {"x : y"}, {}, "", "hpvmmodify -P web1 -R", {}, {}, {}, {}, ""};
  CHECK(render_machine(gs).ends_with(":1536MB;64MB;repair=hpvmmodify -P web1 -R\n"));
  CHECK(render_machine(gs).find(":On:") != std::string::npos);
}

TEST_CASE("render_summary: Invalid, and why below the table") {
  GuestSummary a{"web1", "u1", 3, "LINUX", 1, 1, 0, 1536};
  GuestSummary b{"db1", "u2", 4, "LINUX", 1, 0, 0, 1024};
  RunState unknown(true);
  unknown.unknown = "monitor busy";
  const std::string out = render_summary({{a, unknown}, {b, RunState{true}}});
  CHECK(
      out.find(
          "\nweb1                     3 LINUX   Invalid        1     1     0 1536 MB        0\n") !=
      std::string::npos);
  CHECK(out.ends_with("\n\n[Runtime State Unknown]\nweb1 : monitor busy; hpvmstatus -P web1 says "
                      "more\n"));
  CHECK(render_summary({{b, RunState{true}}}).find("Unknown") == std::string::npos);
}

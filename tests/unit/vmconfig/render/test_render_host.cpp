// Tests for libvmconfig/vmconfig/render/render_host.cpp: the host views of
// hpvmstatus (-r -s -S -m -e -A -C -v) in their three forms.
#include <vmconfig/render/render_host.hpp>

#include <doctest/doctest.h>

using namespace vmconfig;

namespace {

GuestHostStatus running_guest() {
  GuestHostStatus g;
  g.guest.name = "g1";
  g.guest.vm_number = 1;
  g.guest.vcpus = 2;
  g.guest.memory_mb = 256;
  g.guest.entitlement = {false, 20.0, 80.0};
  g.guest.access = {{ConsoleAccess::Kind::user, "root", true},
                    {ConsoleAccess::Kind::group, "adm", false}};
  g.state = RunState{true};
  QemuUsage q;
  q.pid = 100;
  q.rss_mb = 300;
  q.memory_nodes = "0";
  q.vcpus = {{0, "TCG", 101, 1, 12.345, 50.0}, {1, "TCG", 102, 0, 0.5, 10.0}};
  g.qemu = q;
  return g;
}

GuestHostStatus stopped_guest() {
  GuestHostStatus g;
  g.guest.name = "g2";
  g.guest.vm_number = 2;
  g.guest.memory_mb = 1536;
  g.guest.entitlement = {true, 1500.0, 0.0};
  return g;
}

HostSystem host() {
  HostSystem h;
  h.host_name = "vmhost1";
  h.cpus = 4;
  h.cpu_mhz = 2449.6;
  h.cpu_model = "CPU: model 7";
  h.kvm = true;
  h.numa_node_count = 2;
  h.numa_nodes = "0-1";
  h.memory_total_mb = 16000;
  h.memory_available_mb = 12000;
  h.guests = 2;
  h.running = 1;
  h.running_vcpus = 2;
  h.running_memory_mb = 256;
  h.qemu_rss_mb = 300;
  h.overhead_mb = 44;
  return h;
}

} // namespace

TEST_CASE("render_resources: usage is the vCPU threads' average; '-' when off") {
  const std::vector guests{running_guest(), stopped_guest()};
  CHECK(render_resources(guests, HostFormat::text) ==
        "[Virtual Machine Resource Entitlements]\n"
        "Virtual Machine Name VM #  State     #VCPUs Entitlement Maximum Memory  Usage\n"
        "==================== ===== ========= ====== =========== ======= ======= =======\n"
        "g1                       1 On             2       20.0%   80.0%  256 MB   30.0%\n"
        "g2                       2 Off            1     1500MHz       - 1536 MB       -\n");
  CHECK(render_resources(guests, HostFormat::machine) == "g1:1:On:2:20.0%:80.0%:256:30.0\n"
                                                         "g2:2:Off:1:1500MHz:-:1536:\n");
  const auto json = render_resources({stopped_guest()}, HostFormat::json);
  CHECK(json.find("\"maximum\": null") != std::string::npos);
  CHECK(json.find("\"cpu_usage_percent\": null") != std::string::npos);
  CHECK(render_resources({running_guest()}, HostFormat::json).find("\"cpu_usage_percent\": 30.0") !=
        std::string::npos);
}

TEST_CASE("render_system: text, -M without colons in fields, JSON") {
  CHECK(render_system(host(), HostFormat::text) == "[HPVM Server System Resources]\n"
                                                   "Host name : vmhost1\n"
                                                   "Physical CPUs : 4\n"
                                                   "Processor speed : 2450 MHz\n"
                                                   "Processor model : CPU: model 7\n"
                                                   "Accelerator : KVM\n"
                                                   "NUMA nodes : 2\n"
                                                   "NUMA node list : 0-1\n"
                                                   "Total physical memory : 16000 MB\n"
                                                   "Available memory for VMs : 12000 MB\n"
                                                   "Virtual machines configured : 2\n"
                                                   "Virtual machines running : 1\n"
                                                   "vCPUs of running VMs : 2\n"
                                                   "Memory of running VMs : 256 MB\n"
                                                   "QEMU resident memory : 300 MB\n"
                                                   "QEMU overhead memory : 44 MB\n");
  CHECK(render_system(host(), HostFormat::machine) ==
        "vmhost1:4:2450:CPU  model 7:KVM:2;0-1:16000:12000:2:1:2:256:300:44\n");
  const auto json = render_system(host(), HostFormat::json);
  CHECK(
      json.starts_with("{\n  \"host_name\": \"vmhost1\",\n  \"cpus\": 4,\n  \"cpu_mhz\": 2449.6,"));
  CHECK(json.ends_with("  \"overhead_mb\": 44\n}\n"));
}

TEST_CASE("render_scheduler: one row per vCPU thread of running guests") {
  auto single = running_guest();
  single.guest.name = "g3";
  single.guest.vm_number = 3;
  single.qemu->vcpus = {{-1, "TCG", 300, 2, 1.0, 5.0}};
  const std::vector guests{running_guest(), stopped_guest(), single};
  CHECK(render_scheduler(guests, HostFormat::text) ==
        "[Virtual CPU Scheduling]\n"
        "Virtual Machine Name VM #  vCPU Thread   Host CPU CPU Time   Usage   Accel\n"
        "==================== ===== ==== ======== ======== ========== ======= =====\n"
        "g1                       1    0      101        1     12.35s   50.0% TCG\n"
        "g1                       1    1      102        0      0.50s   10.0% TCG\n"
        "g3                       3  all      300        2      1.00s    5.0% TCG\n");
  CHECK(render_scheduler(guests, HostFormat::machine) == "g1:1:0:101:1:12.35:50.0:TCG\n"
                                                         "g1:1:1:102:0:0.50:10.0:TCG\n"
                                                         "g3:3:all:300:2:1.00:5.0:TCG\n");
  const auto json = render_scheduler(guests, HostFormat::json);
  CHECK(json.find("\"vcpu\": \"all\"") != std::string::npos);
  CHECK(json.find("\"cpu_seconds\": 12.35") != std::string::npos);
  CHECK(render_scheduler({stopped_guest()}, HostFormat::json) == "{\n  \"vcpus\": []\n}\n");
}

TEST_CASE("render_servers: this host alone") {
  CHECK(render_servers(host(), {}, HostFormat::text) ==
        "[Multi Server Environment]\n"
        "Server Name          Role    State #VMs  Running Migrations\n"
        "==================== ======= ===== ===== ======= ==========\n"
        "vmhost1              Local   Up        2       1          -\n");
  CHECK(render_servers(host(), {}, HostFormat::machine) == "vmhost1:Local:Up:2:1::\n");
  CHECK(render_servers(host(), {}, HostFormat::json) == "{\n"
                                                        "  \"servers\": [\n"
                                                        "    {\n"
                                                        "      \"name\": \"vmhost1\",\n"
                                                        "      \"role\": \"Local\",\n"
                                                        "      \"state\": \"Up\",\n"
                                                        "      \"guests\": 2,\n"
                                                        "      \"running\": 1,\n"
                                                        "      \"migrations\": null,\n"
                                                        "      \"last_migration\": null\n"
                                                        "    }\n"
                                                        "  ]\n"
                                                        "}\n");
}

TEST_CASE("render_servers: the hosts guests were migrated to and came from") {
  const std::vector<MigrationPeer> peers{{"vmhost2", true, 2, "2026-12-05T16:14:01Z"},
                                         {"vmhost2", false, 1, "2026-12-05T16:15:00Z"}};
  CHECK(render_servers(host(), peers, HostFormat::text) ==
        "[Multi Server Environment]\n"
        "Server Name          Role    State #VMs  Running Migrations\n"
        "==================== ======= ===== ===== ======= ==========\n"
        "vmhost1              Local   Up        2       1          -\n"
        "vmhost2              Target  -         -       -          2\n"
        "vmhost2              Source  -         -       -          1\n");
  CHECK(render_servers(host(), peers, HostFormat::machine) ==
        "vmhost1:Local:Up:2:1::\n"
        "vmhost2:Target::::2:20261205T161401Z\n"
        "vmhost2:Source::::1:20261205T161500Z\n");
  CHECK(render_servers(host(), {peers[1]}, HostFormat::json)
            .ends_with("    {\n"
                       "      \"name\": \"vmhost2\",\n"
                       "      \"role\": \"Source\",\n"
                       "      \"state\": null,\n"
                       "      \"guests\": null,\n"
                       "      \"running\": null,\n"
                       "      \"migrations\": 1,\n"
                       "      \"last_migration\": \"2026-12-05T16:15:00Z\"\n"
                       "    }\n"
                       "  ]\n"
                       "}\n"));
}

TEST_CASE("render_events: -M's time has no colons, the event keeps its own") {
  const std::vector<StatusEvent> events{
      {"2026-12-05T16:14:01Z", "command", "root", "SUCCESS", "hpvmcreate -P g1 -u root:admin"},
      {"2026-12-05T16:14:02Z", "runtime", "-", "STARTED", "g1: QEMU (pid 7) started"}};
  CHECK(render_events(events, HostFormat::text) ==
        "[Event Log]\n"
        "Date/Time (UTC)      Source  User     Outcome     Event\n"
        "==================== ======= ======== =========== =====\n"
        "2026-12-05T16:14:01Z command root     SUCCESS     hpvmcreate -P g1 -u root:admin\n"
        "2026-12-05T16:14:02Z runtime -        STARTED     g1: QEMU (pid 7) started\n");
  CHECK(render_events(events, HostFormat::machine) ==
        "20261205T161401Z:command:root:SUCCESS:hpvmcreate -P g1 -u root:admin\n"
        "20261205T161402Z:runtime:-:STARTED:g1: QEMU (pid 7) started\n");
  CHECK(render_events({}, HostFormat::json) == "{\n  \"events\": []\n}\n");
}

TEST_CASE("render_admins and render_memory_type") {
  const std::vector guests{running_guest(), stopped_guest()};
  CHECK(render_admins(guests, HostFormat::text) == "[Authorized Administrators]\n"
                                                   "Virtual Machine Name VM #  Type  Role  Name\n"
                                                   "==================== ===== ===== ===== ====\n"
                                                   "g1                       1 user  admin root\n"
                                                   "g1                       1 group oper  adm\n");
  CHECK(render_admins(guests, HostFormat::machine) == "g1:1:user:admin:root\n"
                                                      "g1:1:group:oper:adm\n");
  CHECK(render_admins({stopped_guest()}, HostFormat::json).find("\"console_access\": []") !=
        std::string::npos);
  // Bound to node 0 of a two-node host: cell-local.
  CHECK(render_memory_type(guests, "0-1", HostFormat::text) ==
        "[Virtual Machine Memory Type]\n"
        "Virtual Machine Name VM #  State     Memory  Memory Type NUMA Nodes\n"
        "==================== ===== ========= ======= =========== ==========\n"
        "g1                       1 On         256 MB Cell local  0\n"
        "g2                       2 Off       1536 MB Interleaved -\n");
  CHECK(render_memory_type(guests, "0", HostFormat::machine) == "g1:1:On:256:Interleaved:0\n"
                                                                "g2:2:Off:1536:Interleaved:-\n");
}

TEST_CASE("render_version") {
  CHECK(render_version("1.2.3", HostFormat::text) == "hpvmstatus version 1.2.3\n");
  CHECK(render_version("1.2.3", HostFormat::machine) == "hpvmstatus:1.2.3\n");
  CHECK(render_version("1.2.3", HostFormat::json) ==
        "{\n  \"command\": \"hpvmstatus\",\n  \"version\": \"1.2.3\"\n}\n");
}

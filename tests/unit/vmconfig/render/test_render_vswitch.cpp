// Tests for libvmconfig/vmconfig/render/render_vswitch.cpp: hpvmnet's tables
// from plain values (no database, no host).
#include <vmconfig/render/render_vswitch.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace vmconfig;

namespace {

const std::string k_header =
    "Name     Number State   Mode      NamePPA  MAC Address    IP Address\n"
    "======== ====== ======= ========= ======== ============== ===============\n";

VswitchStatus local(const std::string& name, int number, bool up) {
  VswitchStatus s;
  s.vswitch.name = name;
  s.vswitch.number = number;
  s.up = up;
  return s;
}

VswitchStatus uplinked() {
  VswitchStatus s;
  s.vswitch.name = "wan";
  s.vswitch.number = 4;
  s.vswitch.uplink = "eth0";
  s.up = true;
  s.uplink_mac = avio::MacAddress::parse("0x56E9E3096A22");
  s.ip = "192.0.2.10";
  return s;
}

} // namespace

TEST_CASE("render_vswitch: the vswitch table") {
  CHECK(render_vswitch_list({}) == k_header);
  auto no_address = uplinked();
  no_address.ip.clear();
  no_address.uplink_mac.reset();
  CHECK(render_vswitch_list({local("localnet", 1, true), uplinked(), no_address}) ==
        k_header + "localnet      1 Up      Shared             N/A            N/A\n"
                   "wan           4 Up      Shared    eth0     0x56e9e3096a22 192.0.2.10\n"
                   "wan           4 Up      Shared    eth0     N/A\n");
}

TEST_CASE("render_vswitch: -S name, the port configuration") {
  auto s = uplinked();
  s.ports.push_back({0, "g1", NetAdapter::avio_lan, 120, true});
  s.ports.push_back({3, "g2", NetAdapter::lan, std::nullopt, false});
  s.ports.push_back({7, std::nullopt, NetAdapter::lan, 5, false});
  const std::string ports = "\n[Port Configuration Details]\n"
                            "Port    Port         Port     Untagged Number of    Active VM\n"
                            "Number  State        Adaptor  VLANID   Reserved VMs\n"
                            "======= ============ ======== ======== ============ ============\n";
  CHECK(render_vswitch_ports({s}) ==
        k_header + "wan           4 Up      Shared    eth0     0x56e9e3096a22 192.0.2.10\n" +
            ports +
            "0       Active       avio_lan 120      1            g1\n"
            "3       Reserved     lan      none     1\n"
            "7       Available             5        0\n");
  // Two vswitches: a blank line between them, each with its own header.
  CHECK(render_vswitch_ports({local("lan1", 2, false), local("lan2", 3, false)}) ==
        k_header + "lan1          2 Down    Shared             N/A            N/A\n" + ports +
            "\n" + k_header + "lan2          3 Down    Shared             N/A            N/A\n" +
            ports);
}

TEST_CASE("render_vswitch: -A, the port statistics") {
  auto s = uplinked();
  s.statistics.push_back({512, "eth0", "", 10, 2000, 30, 4000, 1});
  s.statistics.push_back({0, "hpv1n00", "g1", 5, 600, 7, 800, 0});
  CHECK(render_vswitch_statistics({s}) ==
        k_header + "wan           4 Up      Shared    eth0     0x56e9e3096a22 192.0.2.10\n"
                   "\n[Port Statistics]\n"
                   "Port    Interface       Active VM    Frames In    Bytes In       Frames Out   "
                   "Bytes Out      Dropped\n"
                   "======= =============== ============ ============ ============== ============ "
                   "============== ========\n"
                   "512     eth0                                   10           2000           30 "
                   "          4000        1\n"
                   "0       hpv1n00         g1                      5            600            7 "
                   "           800        0\n");
}

TEST_CASE("render_vswitch: -J, ports or statistics, null where the table says N/A") {
  auto s = uplinked();
  s.ports.push_back({0, "g1", NetAdapter::avio_lan, 120, true});
  s.ports.push_back({7, std::nullopt, NetAdapter::lan, std::nullopt, false});
  CHECK(render_vswitch_json({s, local("localnet", 1, false)}, false) == R"({
  "vswitches": [
    {
      "name": "wan",
      "number": 4,
      "state": "Up",
      "mode": "Shared",
      "uplink": "eth0",
      "mac": "0x56e9e3096a22",
      "ip": "192.0.2.10",
      "ports": [
        {
          "port": 0,
          "state": "Active",
          "adaptor": "avio_lan",
          "untagged_vlan": 120,
          "reserved_vms": 1,
          "active_vm": "g1"
        },
        {
          "port": 7,
          "state": "Available",
          "adaptor": null,
          "untagged_vlan": null,
          "reserved_vms": 0,
          "active_vm": null
        }
      ]
    },
    {
      "name": "localnet",
      "number": 1,
      "state": "Down",
      "mode": "Shared",
      "uplink": null,
      "mac": null,
      "ip": null,
      "ports": []
    }
  ]
}
)");
  s.statistics.push_back({512, "eth0", "", 10, 2000, 30, 4000, 1});
  CHECK(render_vswitch_json({s}, true).find(R"("statistics": [
        {
          "port": 512,
          "interface": "eth0",
          "active_vm": null,
          "frames_in": 10,
          "bytes_in": 2000,
          "frames_out": 30,
          "bytes_out": 4000,
          "dropped": 1
        }
      ])") != std::string::npos);
  CHECK(render_vswitch_json({}, false) == "{\n  \"vswitches\": []\n}\n");
}

// Tests for libvmconfig/vmconfig/ops/vswitch.cpp and store_vswitch.cpp: -u
// parsing, port planning and the runtime's port requests, on a real
// database in a temporary HPVM_ROOT (no host interfaces are touched).
#include "temp_dir.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/guests.hpp>
#include <vmconfig/ops/vswitch.hpp>

#include <doctest/doctest.h>

using namespace vmconfig;

TEST_CASE("vswitch: -u values") {
  CHECK(parse_port_vlan("portid:5:vlanid:120").port == 5);
  CHECK(parse_port_vlan("portid:5:vlanid:120").vlan == 120);
  CHECK_FALSE(parse_port_vlan("portid:0:vlanid:none").vlan);
  CHECK(parse_port_vlan("portid:511:vlanid:4094").port == 511);
  CHECK(parse_port_vlan("portid:1:vlanid:2").vlan == 2);
  for (const char* bad :
       {"", "portid:1", "portid:1:vlanid", "portid::vlanid:5", "portid:1:vlan:5",
        "portid:512:vlanid:5", "portid:1:vlanid:1", "portid:1:vlanid:0", "portid:1:vlanid:4095",
        "portid:1:vlanid:5:x", "portid:1x:vlanid:5", "portid:1:vlanid:NONE"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(parse_port_vlan(bad), hpvm::UsageError);
  }
}

// Found by the hostile input corpus (tests/cli/hostile/hpvmnet.tsv): a
// number too large for an int was "not a number".
TEST_CASE("vswitch: -u numbers out of an int's range are out of range, not 'not a number'") {
  CHECK_THROWS_WITH_AS(parse_port_vlan("portid:99999999999999999999:vlanid:5"),
                       "Invalid port setting 'portid:99999999999999999999:vlanid:5': port number "
                       "99999999999999999999 is out of range (0-511).",
                       hpvm::UsageError);
  CHECK_THROWS_WITH_AS(parse_port_vlan("portid:1:vlanid:-99999999999999999999"),
                       "Invalid port setting 'portid:1:vlanid:-99999999999999999999': VLAN ID "
                       "-99999999999999999999 is out of range (2-4094; VLAN 1 carries the "
                       "untagged network).",
                       hpvm::UsageError);
}

TEST_CASE("vswitch: port planning and port requests") {
  const hpvm_test::TempDir root("unit-vswitch"); // a fresh HPVM_ROOT
  Store store(root.path());
  CHECK(require_vswitch(store, "localnet").number == 1);
  CHECK_THROWS_AS(require_vswitch(store, "nosuch"), hpvm::Error);
  create_vswitch(store, "v1", std::nullopt);
  CHECK(require_vswitch(store, "v1").number == 2);

  SUBCASE("lowest free port, skipping ports this command gave out and configured ones") {
    CHECK(plan_vswitch_port(store, "v1", std::nullopt, {}).port == 0);
    CHECK(plan_vswitch_port(store, "v1", std::nullopt, {0, 1}).port == 2);
    set_port_vlan(store, "v1", "portid:0:vlanid:7");
    CHECK(plan_vswitch_port(store, "v1", std::nullopt, {}).port == 1);
    // A pinned port may take a configured port no vNIC holds.
    CHECK(plan_vswitch_port(store, "v1", 0, {}).port == 0);
    CHECK(plan_vswitch_port(store, "v1", 3, {3}).error ==
          "port 3 of vswitch 'v1' is already given to another vNIC");
  }
  SUBCASE("an unknown vswitch: a warning, a pinned port kept") {
    const PortPlan plan = plan_vswitch_port(store, "later", std::nullopt, {});
    CHECK_FALSE(plan.port);
    CHECK_FALSE(plan.error);
    CHECK(plan.warning == "The vswitch 'later' does not exist; create it with hpvmnet -c before "
                          "the guest starts.");
    CHECK(plan_vswitch_port(store, "later", 4, {}).port == 4);
  }
  SUBCASE("a held port is refused; the runtime gets bridge, tap, MAC and VLAN") {
    CreateRequest req;
    req.name = "g1";
    req.resources = {"network:lan:0,3,0x020000000001:vswitch:v1:portid:7",
                     "network:avio_lan:1,2,0x020000000002:vswitch:v1",
                     "network:lan:2,0,0x020000000003:vswitch:later"};
    const Report report = create_guest(store, req);
    REQUIRE(report.warnings.size() == 1);
    CHECK(plan_vswitch_port(store, "v1", 7, {}).error ==
          "port 7 of vswitch 'v1' is already reserved by guest 'g1'");
    set_port_vlan(store, "v1", "portid:7:vlanid:300");
    const Guest g = find_guest(store, "g1");
    const auto requests = port_requests(store, g);
    REQUIRE(requests.size() == 2); // the vNIC on 'later' has no vswitch yet
    CHECK(requests[0].bridge == "hpvsw2");
    CHECK(requests[0].tap == avio::tap_name(g.vm_number, 0, 3));
    CHECK(requests[0].guest_mac == avio::MacAddress(0x020000000001ULL));
    CHECK(requests[0].untagged_vlan == 300);
    CHECK_FALSE(requests[0].uplink); // v1 is local
    CHECK(requests[1].tap == avio::tap_name(g.vm_number, 1, 2));
    CHECK_FALSE(requests[1].untagged_vlan);
    // Creating 'later' gives its waiting vNIC a port and a request.
    create_vswitch(store, "later", std::nullopt);
    CHECK(port_requests(store, find_guest(store, "g1")).size() == 3);
    CHECK(VswitchStore(store).holders("later").count(0) == 1);
  }
}

TEST_CASE("vswitch: the VLANs that have bridges are the ports' VLANs, each once") {
  using Vlans = std::map<int, int>; // port -> untagged VLAN
  using Set = std::set<int>;
  CHECK(configured_vlans({}).empty());
  CHECK(configured_vlans(Vlans{{0, 120}, {5, 120}, {9, 4094}}) == Set{120, 4094});
  CHECK(configured_vlans(Vlans{{5, 130}}) == Set{130});
}

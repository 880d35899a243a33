// Tests for libavio/avio/vswitch.cpp: interface names, tap MACs, and the
// read-only host queries (the netlink changes are tested in
// tests/cli/test_hpvmnet.sh, inside a network namespace).
#include <avio/vswitch.hpp>

#include <doctest/doctest.h>

using namespace avio;

TEST_CASE("vswitch: bridge and tap names fit IFNAMSIZ and do not collide") {
  CHECK(bridge_name(1) == "hpvsw1");
  CHECK(bridge_name(123) == "hpvsw123");
  CHECK(tap_name(12, 0, 2) == "hpv12n02");
  CHECK(tap_name(1, 7, 7) == "hpv1n77");
  // The widest numbers still fit in 15 characters.
  CHECK(bridge_name(2147483647).size() <= k_max_ifname);
  CHECK(tap_name(999999999, 7, 7).size() <= k_max_ifname);
  // Bus and slot are one digit each (0-7), so the last two characters are
  // always bus and slot and what lies between "hpv" and "n" the VM number.
  CHECK(tap_name(1, 1, 2) != tap_name(11, 2, 0));
  CHECK(tap_name(11, 1, 2) == "hpv11n12");
  CHECK(tap_name(1, 1, 2) == "hpv1n12");
}

TEST_CASE("vswitch: a port's bridge is its VLAN's, beside the vswitch's; names fit IFNAMSIZ") {
  CHECK(port_bridge("hpvsw2", std::nullopt) == "hpvsw2");
  CHECK(port_bridge("hpvsw2", 120) == "hpvsw2v120");
  CHECK(uplink_vlan_interface("hpvsw2", 120) == "hpvsw2.120");
  // 'v' and '.' end the vswitch number: no VLAN bridge is another's.
  CHECK(port_bridge(bridge_name(1), 23) != port_bridge(bridge_name(12), 3));
  CHECK(port_bridge(bridge_name(12), 3) == "hpvsw12v3");
  // The widest VLAN ID on the highest vswitch number that has VLANs.
  CHECK(port_bridge(bridge_name(99999), k_max_port_vlan).size() == k_max_ifname);
  CHECK(uplink_vlan_interface(bridge_name(99999), k_max_port_vlan).size() == k_max_ifname);
}

TEST_CASE("vswitch: a tap's MAC is the guest's with first octet fe") {
  CHECK(tap_mac(MacAddress(0x020000000101ULL)) == MacAddress(0xFE0000000101ULL));
  CHECK(tap_mac(MacAddress(0x56E9E3096A22ULL)) == MacAddress(0xFEE9E3096A22ULL));
  CHECK(tap_mac(MacAddress(0x56E9E3096A22ULL)).locally_administered());
  CHECK_FALSE(tap_mac(MacAddress(0x56E9E3096A22ULL)).multicast());
}

TEST_CASE("vswitch: host queries of interfaces that cannot exist") {
  CHECK_FALSE(link_state("no-such-if0").exists);
  CHECK_FALSE(link_state("../etc").exists);
  CHECK_FALSE(link_state("a-name-far-too-long").exists);
  CHECK(ipv4_addresses("no-such-if0").empty());
  CHECK_FALSE(port_counters("no-such-if0"));
  CHECK_FALSE(port_counters("../../etc"));
  CHECK(uplink_problem("", "hpvsw2") == "'' is not a valid Linux interface name");
  CHECK(uplink_problem("a/b", "hpvsw2") == "'a/b' is not a valid Linux interface name");
  CHECK(uplink_problem("with space", "hpvsw2") ==
        "'with space' is not a valid Linux interface name");
  CHECK(uplink_problem("no-such-if0", "hpvsw2") ==
        "the host interface 'no-such-if0' does not exist");
  CHECK(uplink_problem("lo", "hpvsw2") == "'lo' is the loopback interface");
}

TEST_CASE("vswitch: loopback is seen as it is") {
  const LinkState lo = link_state("lo");
  REQUIRE(lo.exists);
  CHECK(lo.loopback);
  CHECK(lo.master.empty());
  CHECK(port_counters("lo"));
}

TEST_CASE("vswitch: removing a tap that does not exist is fine") {
  CHECK_NOTHROW(remove_port_tap("no-such-tap0"));
  CHECK_NOTHROW(halt_bridge("no-such-br0"));
}

TEST_CASE("vswitch: the host's own interface addresses, as the interfaces themselves have them") {
  for (const auto& [name, mac] : avio::host_interface_macs()) {
    CAPTURE(name);
    CHECK(name != "lo"); // no Ethernet address
    CHECK(mac.value() != 0);
    const auto state = avio::link_state(name);
    CHECK(state.exists);
    CHECK(state.mac == mac);
  }
}

// Tests for libvmconfig/vmconfig/ops/planner.cpp: removing (-d), replacing (-m)
// and switching adapters (-m hba:) on a guest's existing devices.
#include "temp_dir.hpp"

#include <vmconfig/model/grammar.hpp>
#include <vmconfig/ops/planner.hpp>
#include <vmconfig/store/store.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

using namespace vmconfig;
namespace fs = std::filesystem;

namespace {

// A private HPVM root with a few backing files, removed afterwards.
struct Scratch : hpvm_test::TempDir {
  const fs::path& dir = TempDir::path();
  Scratch() : TempDir("test_planner") {
    for (const char* name : {"a.img", "b.img", "c.img", "cd1.iso", "cd2.iso"}) {
      fs::resize_file(touch(name), 1 << 20);
    }
  }
  fs::path touch(const char* name) const {
    std::ofstream(dir / name).put('x');
    return dir / name;
  }
  std::string path(const char* name) const { return (dir / name).string(); }
};

StorageDevice disk(StorageAdapter a, int bus, int slot, int target, const std::string& location,
                   DeviceType type = DeviceType::disk, StorageType st = StorageType::file) {
  return {type, a, {bus, slot, target}, st, location};
}

NetworkDevice nic(NetAdapter a, int bus, int slot, std::uint64_t mac, const std::string& vsw,
                  std::optional<int> port = std::nullopt) {
  return {a, {bus, slot}, avio::MacAddress(mac), vsw, port};
}

std::vector<std::string> statements(const DevicePlanner& p) {
  std::vector<std::string> out;
  for (const auto& d : p.storage()) {
    out.push_back(format(d));
  }
  for (const auto& n : p.networks()) {
    out.push_back(format(n));
  }
  return out;
}

using V = std::vector<std::string>;

} // namespace

TEST_CASE("planner: -d removes the device at the statement's address") {
  Scratch s;
  Store store(s.dir / "root");
  Guest g;
  g.name = "g1";
  g.storage = {disk(StorageAdapter::scsi, 0, 0, 0, s.path("a.img")),
               disk(StorageAdapter::scsi, 0, 0, 1, s.path("b.img"))};
  g.networks = {nic(NetAdapter::lan, 0, 1, 0x020000000001, "sw1", 3)};

  SUBCASE("storage and network") {
    DevicePlanner p(store, g, false);
    p.remove("disk:scsi:0,0,0:file:" + s.path("a.img"));
    p.remove("network:lan:0,1:vswitch:sw1");
    CHECK(p.errors().empty());
    CHECK(statements(p) == V{"disk:scsi:0,0,1:file:" + s.path("b.img")});
    CHECK(p.storage_identities().size() == 1);
    // The freed target and slot are placed again.
    p.add("disk:scsi::file:" + s.path("c.img"));
    p.add("network:lan::vswitch:sw2");
    CHECK(p.errors().empty());
    CHECK(p.storage().back().address == avio::StorageAddress{0, 0, 0});
    CHECK(p.networks().back().address == avio::NicAddress{0, 1});
  }
  SUBCASE("the backing store may be named by another path") {
    fs::create_symlink(s.path("a.img"), s.dir / "link.img");
    DevicePlanner p(store, g, false);
    p.remove("disk:scsi:0,0,0:file:" + s.path("link.img"));
    CHECK(p.errors().empty());
    CHECK(p.storage().size() == 1);
  }
  SUBCASE("the rest of the statement must describe the device") {
    DevicePlanner p(store, g, false);
    p.remove("disk:scsi:0,0,0:file:" + s.path("b.img"));
    p.remove("dvd:scsi:0,0,0:file:" + s.path("a.img"));
    p.remove("network:avio_lan:0,1:vswitch:sw1");
    p.remove("network:lan:0,1:vswitch:sw9");
    p.remove("network:lan:0,1,0x020000000002:vswitch:sw1");
    p.remove("network:lan:0,1:vswitch:sw1:portid:4");
    const std::string a = "disk:scsi:0,0,0:file:" + s.path("a.img");
    const std::string n = "network:lan:0,1,0x020000000001:vswitch:sw1:portid:3";
    CHECK(p.errors() ==
          V{"'disk:scsi:0,0,0:file:" + s.path("b.img") +
                "' does not match the device at bus 0 device 0 target 0: " + a + ".",
            "'dvd:scsi:0,0,0:file:" + s.path("a.img") +
                "' does not match the device at bus 0 device 0 target 0: " + a + ".",
            "'network:avio_lan:0,1:vswitch:sw1' does not match the vNIC at bus 0 device 1: " + n +
                ".",
            "'network:lan:0,1:vswitch:sw9' does not match the vNIC at bus 0 device 1: " + n + ".",
            "'network:lan:0,1,0x020000000002:vswitch:sw1' does not match the vNIC at bus 0 device "
            "1: " +
                n + ".",
            "'network:lan:0,1:vswitch:sw1:portid:4' does not match the vNIC at bus 0 device 1: " +
                n + "."});
    CHECK(p.storage().size() == 2);
    CHECK(p.networks().size() == 1);
  }
  SUBCASE("the address must be complete and hold a device") {
    DevicePlanner p(store, g, false);
    p.remove("disk:scsi:0,0:file:" + s.path("a.img"));
    p.remove("disk:scsi:0,0,5:file:" + s.path("a.img"));
    p.remove("network:lan::vswitch:sw1");
    p.remove("network:lan:1,1:vswitch:sw1");
    p.remove("hba:scsi:0,0");
    CHECK(p.errors() ==
          V{"'disk:scsi:0,0:file:" + s.path("a.img") +
                "' does not give the device's address: -d needs bus,device,target as hpvmstatus -d "
                "prints them.",
            "No storage device is at bus 0 device 0 target 5 ('disk:scsi:0,0,5:file:" +
                s.path("a.img") + "').",
            "'network:lan::vswitch:sw1' does not give the vNIC's address: -d needs bus,device as "
            "hpvmstatus -d prints them.",
            "No vNIC is at bus 1 device 1 ('network:lan:1,1:vswitch:sw1').",
            "'hba:scsi:0,0' names an adapter, which cannot be deleted: it goes away with the last "
            "device on it."});
  }
}

TEST_CASE("planner: -m replaces a backing store or DVD media") {
  Scratch s;
  Store store(s.dir / "root");
  Guest g;
  g.name = "g1";
  g.storage = {disk(StorageAdapter::avio_stor, 0, 2, 0, s.path("a.img")),
               disk(StorageAdapter::avio_stor, 0, 2, 1, s.path("cd1.iso"), DeviceType::dvd),
               disk(StorageAdapter::avio_stor, 0, 2, 2, s.path("b.img"))};

  SUBCASE("new backing store, DVD media change and eject") {
    DevicePlanner p(store, g, false);
    p.modify("disk:avio_stor:0,2,0:file:" + s.path("c.img"));
    p.modify("dvd:avio_stor:0,2,1:file:" + s.path("cd2.iso"));
    CHECK(p.errors().empty());
    CHECK(statements(p) == V{"disk:avio_stor:0,2,0:file:" + s.path("c.img"),
                             "dvd:avio_stor:0,2,1:file:" + s.path("cd2.iso"),
                             "disk:avio_stor:0,2,2:file:" + s.path("b.img")});
    p.modify("dvd:avio_stor:0,2,1:null:");
    CHECK(p.errors().empty());
    CHECK(format(p.storage()[1]) == "dvd:avio_stor:0,2,1:null:");
    CHECK(p.storage_identities()[1].empty());
    // The old backing store is free for another device now.
    p.add("disk:avio_stor::file:" + s.path("a.img"));
    CHECK(p.errors().empty());
  }
  SUBCASE("refusals") {
    DevicePlanner p(store, g, false);
    p.modify("disk:avio_stor:0,2,0:file:" + s.path("b.img"));
    p.modify("dvd:avio_stor:0,2,0:file:" + s.path("cd2.iso"));
    p.modify("disk:scsi:0,2,0:file:" + s.path("c.img"));
    p.modify("disk:avio_stor:0,2,0:file:" + s.path("none.img"));
    CHECK(p.errors() ==
          V{"Backing store '" + s.path("b.img") +
                "' is already given to this guest (directly or by another path).",
            "'dvd:avio_stor:0,2,0:file:" + s.path("cd2.iso") +
                "' cannot turn the disk at bus 0 device 2 target 0 into a dvd: delete it (-d) and "
                "add a new device (-a).",
            "'disk:scsi:0,2,0:file:" + s.path("c.img") +
                "' names a scsi adapter, but the device at bus 0 device 2 target 0 is on a "
                "avio_stor adapter; switch the adapter with -m hba:scsi:0,2.",
            "Backing store '" + s.path("none.img") + "' does not exist."});
    CHECK(format(p.storage()[0]) == "disk:avio_stor:0,2,0:file:" + s.path("a.img"));
  }
  SUBCASE("-F: a missing backing store is a warning") {
    DevicePlanner p(store, g, true);
    p.modify("disk:avio_stor:0,2,0:file:" + s.path("none.img"));
    CHECK(p.errors().empty());
    CHECK(p.warnings() == V{"Backing store '" + s.path("none.img") + "' does not exist."});
  }
  SUBCASE("the same value again changes nothing") {
    DevicePlanner p(store, g, false);
    p.modify("disk:avio_stor:0,2,0:file:" + s.path("a.img"));
    CHECK(p.errors().empty());
    CHECK(format(p.storage()[0]) == "disk:avio_stor:0,2,0:file:" + s.path("a.img"));
  }
}

TEST_CASE("planner: -m moves a vNIC or changes its adapter type") {
  Scratch s;
  Store store(s.dir / "root");
  Guest g;
  g.name = "g1";
  g.networks = {nic(NetAdapter::lan, 0, 0, 0x020000000001, "sw1", 3),
                nic(NetAdapter::avio_lan, 0, 1, 0x020000000002, "sw2")};

  SUBCASE("lan <-> avio_lan keeps MAC, vswitch and port") {
    DevicePlanner p(store, g, false);
    p.modify("network:avio_lan:0,0:vswitch:sw1");
    p.modify("network:lan:0,1:vswitch:sw2");
    CHECK(p.errors().empty());
    CHECK(statements(p) == V{"network:avio_lan:0,0,0x020000000001:vswitch:sw1:portid:3",
                             "network:lan:0,1,0x020000000002:vswitch:sw2"});
  }
  SUBCASE("another vswitch drops the port unless one is given; a port may be pinned") {
    DevicePlanner p(store, g, false);
    p.modify("network:lan:0,0:vswitch:sw9");
    p.modify("network:avio_lan:0,1:vswitch:sw2:portid:7");
    CHECK(p.errors().empty());
    CHECK(statements(p) == V{"network:lan:0,0,0x020000000001:vswitch:sw9",
                             "network:avio_lan:0,1,0x020000000002:vswitch:sw2:portid:7"});
  }
  SUBCASE("a new MAC is checked like any other") {
    DevicePlanner p(store, g, false);
    p.modify("network:lan:0,0,0x020000000002:vswitch:sw1");
    p.modify("network:lan:0,0,0x030000000001:vswitch:sw1");
    CHECK(p.errors() ==
          V{"Unable to change 'network:lan:0,0,0x020000000002:vswitch:sw1': MAC address "
            "0x020000000002 is already used by this guest.",
            "Unable to change 'network:lan:0,0,0x030000000001:vswitch:sw1': MAC address "
            "0x030000000001 has the multicast bit set."});
    // Taps' MACs: FE is theirs, and a suffix another vNIC has would share one.
    p.modify("network:lan:0,0,0xFE0000000009:vswitch:sw1");
    p.modify("network:lan:0,0,0x060000000002:vswitch:sw1");
    CHECK(p.errors().size() == 4);
    CHECK(p.errors()[2] == "Unable to change 'network:lan:0,0,0xFE0000000009:vswitch:sw1': MAC "
                           "address 0xFE0000000009 has the first octet FE, which is reserved for "
                           "the host's taps.");
    CHECK(p.errors()[3] == "Unable to change 'network:lan:0,0,0x060000000002:vswitch:sw1': MAC "
                           "address 0x060000000002 differs from 0x020000000002 of this guest only "
                           "in the first octet (both taps would have the MAC fe:00:00:00:00:02).");
    // Its own MAC with another first octet is fine: the vNIC keeps one tap.
    p.modify("network:lan:0,0,0x060000000001:vswitch:sw1");
    CHECK(p.errors().size() == 4);
    p.modify("network:lan:0,0,0x02000000000A:vswitch:sw1");
    CHECK(p.errors().size() == 4);
    CHECK(format(p.networks()[0]) == "network:lan:0,0,0x02000000000A:vswitch:sw1:portid:3");
  }
  SUBCASE("clone: new MACs, no pinned ports") {
    DevicePlanner p(store, g, false);
    p.renew_network_identities();
    REQUIRE(p.networks().size() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
      CHECK(p.networks()[i].mac != g.networks[i].mac);
      CHECK_FALSE(p.networks()[i].mac.rule_violation());
      CHECK_FALSE(p.networks()[i].port);
      CHECK(p.networks()[i].vswitch == g.networks[i].vswitch);
      CHECK(p.networks()[i].address == g.networks[i].address);
    }
  }
}

TEST_CASE("planner: -m hba switches an adapter in place") {
  Scratch s;
  Store store(s.dir / "root");
  Guest g;
  g.name = "g1";
  g.storage = {
      disk(StorageAdapter::scsi, 0, 1, 0, s.path("a.img")),
      disk(StorageAdapter::scsi, 0, 1, 14, s.path("b.img")),
      disk(StorageAdapter::avio_stor, 0, 2, 3, s.path("c.img")),
      disk(StorageAdapter::avio_stor, 0, 2, 20, s.path("cd1.iso"), DeviceType::dvd),
      disk(StorageAdapter::scsi, 1, 0, 0, "/dev/sg-none", DeviceType::tape, StorageType::attach)};

  SUBCASE("scsi to avio_stor keeps bus, slot and targets") {
    DevicePlanner p(store, g, false);
    p.modify("hba:avio_stor:0,1");
    CHECK(p.errors().empty());
    CHECK(statements(p)[0] == "disk:avio_stor:0,1,0:file:" + s.path("a.img"));
    CHECK(statements(p)[1] == "disk:avio_stor:0,1,14:file:" + s.path("b.img"));
    // And back.
    p.modify("hba:scsi:0,1");
    CHECK(p.errors().empty());
    CHECK(statements(p)[0] == "disk:scsi:0,1,0:file:" + s.path("a.img"));
  }
  SUBCASE("refused towards scsi with a target above 14, naming the device") {
    DevicePlanner p(store, g, false);
    p.modify("hba:scsi:0,2");
    CHECK(p.errors() ==
          V{"Unable to switch 'hba:scsi:0,2': dvd:avio_stor:0,2,20:file:" + s.path("cd1.iso") +
            " has target 20, and a scsi adapter has only targets 0-14."});
    CHECK(p.storage()[2].adapter == StorageAdapter::avio_stor);
  }
  SUBCASE("refused while an attached device sits on the adapter, even with -F") {
    DevicePlanner p(store, g, true);
    p.modify("hba:avio_stor:1,0");
    CHECK(p.errors() == V{"Unable to switch 'hba:avio_stor:1,0': the attached tape "
                          "tape:scsi:1,0,0:attach:/dev/sg-none sits on the adapter; delete it "
                          "first."});
  }
  SUBCASE("no adapter there, or already of that type") {
    DevicePlanner p(store, g, false);
    p.modify("hba:avio_stor:3,3");
    p.modify("hba:scsi:0,1");
    CHECK(p.errors() ==
          V{"Unable to switch 'hba:avio_stor:3,3': bus 3 device 3 holds no storage adapter.",
            "Unable to switch 'hba:scsi:0,1': the adapter at bus 0 device 1 is already scsi."});
  }
  SUBCASE("towards scsi within the VIO device limit") {
    Guest many;
    many.name = "m";
    for (int t = 0; t < 15; ++t) {
      many.storage.push_back(disk(StorageAdapter::scsi, 0, 0, t, ""));
      many.storage.push_back(disk(StorageAdapter::scsi, 0, 1, t, ""));
      many.storage.back().device = DeviceType::dvd;
      many.storage.back().storage = StorageType::null;
      many.storage[many.storage.size() - 2].device = DeviceType::dvd;
      many.storage[many.storage.size() - 2].storage = StorageType::null;
    }
    many.storage.push_back(disk(StorageAdapter::avio_stor, 0, 2, 0, s.path("a.img")));
    DevicePlanner p(store, many, false);
    p.modify("hba:scsi:0,2");
    CHECK(p.errors() == V{"Unable to switch 'hba:scsi:0,2': the guest would have 31 VIO (scsi) "
                          "storage devices, more than the maximum of 30."});
  }
}

TEST_CASE("planner: statements apply in order") {
  Scratch s;
  Store store(s.dir / "root");
  Guest g;
  g.name = "g1";
  g.storage = {disk(StorageAdapter::scsi, 0, 0, 0, s.path("a.img"))};
  DevicePlanner p(store, g, false);
  // Delete, then add the same backing store at the same address.
  p.remove("disk:scsi:0,0,0:file:" + s.path("a.img"));
  p.add("disk:avio_stor:0,0,0:file:" + s.path("a.img"));
  CHECK(p.errors().empty());
  CHECK(statements(p) == V{"disk:avio_stor:0,0,0:file:" + s.path("a.img")});
  // Removing the last device on an adapter frees its slot for a vNIC.
  p.remove("disk:avio_stor:0,0,0:file:" + s.path("a.img"));
  p.add("network:lan:0,0:vswitch:sw1");
  CHECK(p.errors().empty());
  CHECK(p.storage().empty());
}

TEST_CASE("planner: add_all reserves given addresses before allocating") {
  Scratch s;
  Store store(s.dir / "root");
  Guest g;
  g.name = "g1";
  const std::string a = "disk:scsi::file:" + s.path("a.img");
  const std::string n = "network:lan:0,0,0x020000000001:vswitch:sw1";
  const V placed{"disk:scsi:0,1,0:file:" + s.path("a.img"),
                 "network:lan:0,0,0x020000000001:vswitch:sw1"};
  SUBCASE("an omitted address first, the slot it would take given later") {
    DevicePlanner p(store, g, false);
    p.add_all({a, n});
    CHECK(p.errors().empty());
    CHECK(statements(p) == placed);
  }
  SUBCASE("the other order gives the same devices") {
    DevicePlanner p(store, g, false);
    p.add_all({n, a});
    CHECK(p.errors().empty());
    CHECK(statements(p) == placed);
  }
  SUBCASE("one add at a time still goes in order (hpvmmodify -a)") {
    DevicePlanner p(store, g, false);
    p.add(a);
    p.add(n);
    REQUIRE(p.errors().size() == 1);
    CHECK(p.errors()[0].find("bus 0 slot 0 is already in use by a scsi adapter") !=
          std::string::npos);
  }
}

TEST_CASE("planner: add_all places full addresses, then bus,device, then the rest") {
  Scratch s;
  Store store(s.dir / "root");
  Guest g;
  g.name = "g1";
  DevicePlanner p(store, g, false);
  p.add_all({"disk:scsi::file:" + s.path("c.img"), "disk:scsi:0,0:file:" + s.path("b.img"),
             "disk:scsi:0,0,0:file:" + s.path("a.img")});
  CHECK(p.errors().empty());
  std::vector<std::string> got = statements(p);
  std::sort(got.begin(), got.end());
  CHECK(got == V{"disk:scsi:0,0,0:file:" + s.path("a.img"),
                 "disk:scsi:0,0,1:file:" + s.path("b.img"),
                 "disk:scsi:0,0,2:file:" + s.path("c.img")});
}

TEST_CASE("planner: add_all reports problems in command-line order") {
  Scratch s;
  Store store(s.dir / "root");
  Guest g;
  g.name = "g1";
  DevicePlanner p(store, g, false);
  p.add_all({"disk:scsi::file:" + s.path("missing1.img"), "disk:scsi:0,0,0:file:bogus?",
             "disk:scsi:0,1,0:file:" + s.path("missing2.img")});
  REQUIRE(p.errors().size() == 3);
  CHECK(p.errors()[0].find("missing1.img") != std::string::npos);
  CHECK(p.errors()[1].find("bogus?") != std::string::npos);
  CHECK(p.errors()[2].find("missing2.img") != std::string::npos);
}

// Tests for libvmconfig/vmconfig/model/avio_conversion.cpp: scsi/lan statements
// onto AVIO with every address kept; attached devices block.
#include <vmconfig/model/avio_conversion.hpp>
#include <vmconfig/model/grammar.hpp>

#include <doctest/doctest.h>

using namespace vmconfig;

namespace {

std::string converted(const char* text) {
  const auto c = convert_to_avio(parse_resource(text));
  REQUIRE_FALSE(c.blocker);
  return format(c.converted);
}

} // namespace

TEST_CASE("avio conversion: storage keeps bus, slot, target and backing") {
  CHECK(converted("disk:scsi:0,4,1:lv:/dev/vg01/lvol1") ==
        "disk:avio_stor:0,4,1:lv:/dev/vg01/lvol1");
  CHECK(converted("dvd:scsi:0,4,5:file:/iso/a.iso") == "dvd:avio_stor:0,4,5:file:/iso/a.iso");
  CHECK(converted("dvd:scsi:1,0,14:null:") == "dvd:avio_stor:1,0,14:null:");
  CHECK(converted("disk:scsi::file:/x.img") == "disk:avio_stor::file:/x.img");
  CHECK(converted("disk:scsi:2,3:disk:/dev/sdb") == "disk:avio_stor:2,3:disk:/dev/sdb");
  // Already AVIO: unchanged.
  CHECK(converted("disk:avio_stor:0,4,100:file:/x.img") == "disk:avio_stor:0,4,100:file:/x.img");
  CHECK(converted("tape:avio_stor:0,4,0:attach_path:/dev/sg2") ==
        "tape:avio_stor:0,4,0:attach_path:/dev/sg2");
}

TEST_CASE("avio conversion: vNICs keep bus, slot, MAC, vswitch and port") {
  CHECK(converted("network:lan:0,2,0x56E9E3096A22:vswitch:vlan02:portid:4") ==
        "network:avio_lan:0,2,0x56E9E3096A22:vswitch:vlan02:portid:4");
  CHECK(converted("network:lan:,,0x56E9E3096A22:vswitch:sw1") ==
        "network:avio_lan:,,0x56E9E3096A22:vswitch:sw1");
  CHECK(converted("network:lan:vswitch:sw1") == "network:avio_lan::vswitch:sw1");
  CHECK(converted("network:avio_lan:1,1:vswitch:sw1") == "network:avio_lan:1,1:vswitch:sw1");
}

TEST_CASE("avio conversion: attached devices block, naming the way through") {
  for (const char* kind : {"tape", "changer", "burner"}) {
    CAPTURE(kind);
    const std::string text = std::string(kind) + ":scsi:0,4,0:attach:/dev/sg3";
    const auto c = convert_to_avio(parse_resource(text));
    REQUIRE(c.blocker);
    CHECK(*c.blocker ==
          "The attached " + std::string(kind) + " '" + text +
              "' cannot move to avio_stor as it is: remove it, and give it again as " + kind +
              ":avio_stor:...:attach_path:/dev/sg3 after the conversion.");
    CHECK(format(c.converted) == text);
  }
}

TEST_CASE("grammar: statements with parts left out print as typed and parse back") {
  for (const char* text :
       {"disk:scsi::file:/x.img", "disk:avio_stor:1:file:/x.img", "disk:avio_stor:1,2:file:/x.img",
        "disk:scsi:1,2,3:file:/x.img", "dvd:scsi::null:", "network:lan::vswitch:sw1",
        "network:lan:,,0x020000000001:vswitch:sw1", "network:avio_lan:0,3:vswitch:sw1:portid:7",
        "network:avio_lan:0,3,0x020000000001:vswitch:sw1"}) {
    CAPTURE(text);
    const std::string printed = format(parse_resource(text));
    CHECK(format(parse_resource(printed)) == printed);
  }
  CHECK(format(parse_resource("network:lan:vswitch:sw1")) == "network:lan::vswitch:sw1");
  CHECK(format(parse_resource("disk:aviostor::file:/x")) == "disk:avio_stor::file:/x");
}

TEST_CASE("avio conversion: a guest's plan switches each scsi adapter once and each lan vNIC") {
  Guest g;
  g.name = "g1";
  g.storage = {
      {DeviceType::disk, StorageAdapter::scsi, {0, 1, 0}, StorageType::file, "/a.img"},
      {DeviceType::dvd, StorageAdapter::scsi, {0, 1, 3}, StorageType::null, ""},
      {DeviceType::disk, StorageAdapter::avio_stor, {1, 0, 0}, StorageType::file, "/b.img"},
      {DeviceType::disk, StorageAdapter::scsi, {2, 5, 14}, StorageType::lv, "/dev/vg/lv"}};
  g.networks = {{NetAdapter::lan, {0, 2}, *avio::MacAddress::parse("0x020000000001"), "sw1", 4},
                {NetAdapter::avio_lan,
                 {0, 3},
                 *avio::MacAddress::parse("0x020000000002"),
                 "sw1",
                 std::nullopt}};
  const auto plan = plan_avio_conversion(g);
  CHECK_FALSE(plan.blocked());
  CHECK(plan.devices.size() == 4);
  CHECK(plan.changes ==
        std::vector<std::string>{"hba:avio_stor:0,1", "hba:avio_stor:2,5",
                                 "network:avio_lan:0,2,0x020000000001:vswitch:sw1:portid:4"});
  CHECK(plan.undo ==
        std::vector<std::string>{"hba:scsi:0,1", "hba:scsi:2,5",
                                 "network:lan:0,2,0x020000000001:vswitch:sw1:portid:4"});
  CHECK(plan.devices[2].after == "disk:avio_stor:2,5,14:lv:/dev/vg/lv");
  CHECK(plan.devices[2].kept.bus == 2);
  CHECK(plan.devices[2].kept.slot == 5);
  CHECK(plan.devices[2].kept.target == 14);
  CHECK_FALSE(plan.devices[2].kept.mac);
  CHECK(plan.devices[3].kept.mac == avio::MacAddress::parse("0x020000000001"));
  CHECK(plan.devices[3].kept.port == 4);
  CHECK(plan.devices[3].kept.port_pinned);
  CHECK_FALSE(plan.devices[3].kept.vlan);
  const auto placed = plan_avio_conversion(g, {{9, 20}, {}});
  CHECK(placed.devices[3].kept.port == 9);
  CHECK(placed.devices[3].kept.vlan == 20);
  g.storage.push_back(
      {DeviceType::changer, StorageAdapter::scsi, {0, 1, 1}, StorageType::attach, "/dev/sg1"});
  const auto blocked = plan_avio_conversion(g);
  CHECK(blocked.blocked());
  CHECK(blocked.devices[3].before == "changer:scsi:0,1,1:attach:/dev/sg1");
  CHECK(blocked.devices[3].blocker);
  CHECK(blocked.devices[3].after.empty());
}

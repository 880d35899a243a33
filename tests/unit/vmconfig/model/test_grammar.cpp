// Tests for libvmconfig/vmconfig/model/grammar.cpp: the hpvmresources(5) statement
// grammar. Every example statement printed in the reference
// (/work/shared/reference/hpvm-commands.md section 2 and elsewhere,
// avio-whitepaper.md section 4.1 and elsewhere, hpvm-commands-gaps.md) appears
// below, either parsed or, where the reference flags it as a typo, rejected.
#include <vmconfig/model/grammar.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using namespace vmconfig;

namespace {

using OptInt = std::optional<int>;
constexpr OptInt none = std::nullopt;

StorageStatement storage_of(std::string_view text) {
  const ResourceStatement r = parse_resource(text);
  REQUIRE(std::holds_alternative<StorageStatement>(r));
  return std::get<StorageStatement>(r);
}

NetworkStatement network_of(std::string_view text) {
  const ResourceStatement r = parse_resource(text);
  REQUIRE(std::holds_alternative<NetworkStatement>(r));
  return std::get<NetworkStatement>(r);
}

HbaStatement hba_of(std::string_view text) {
  const ResourceStatement r = parse_resource(text);
  REQUIRE(std::holds_alternative<HbaStatement>(r));
  return std::get<HbaStatement>(r);
}

// A statement whose address is complete, as the device it describes.
StorageDevice device_of(const StorageStatement& st) {
  REQUIRE(st.address.bus.has_value());
  REQUIRE(st.address.slot.has_value());
  REQUIRE(st.address.target.has_value());
  return StorageDevice{st.device, st.adapter,
                       avio::StorageAddress{*st.address.bus, *st.address.slot, *st.address.target},
                       st.storage, st.location};
}

NetworkDevice device_of(const NetworkStatement& nw) {
  REQUIRE(nw.address.bus.has_value());
  REQUIRE(nw.address.slot.has_value());
  REQUIRE(nw.mac.has_value());
  CHECK_FALSE(nw.address.target.has_value());
  return NetworkDevice{nw.adapter, avio::NicAddress{*nw.address.bus, *nw.address.slot}, *nw.mac,
                       nw.vswitch, nw.port};
}

struct Rejection {
  bool thrown = false;
  std::string field;
  std::string message;
};

Rejection rejection_of(std::string_view text) {
  try {
    (void)parse_resource(text);
  } catch (const StatementError& e) {
    return {true, e.field(), e.what()};
  }
  return {};
}

std::string expected_message(std::string_view text, std::string_view field,
                             std::string_view reason) {
  return fmt::format("Invalid resource statement '{}': {} {}.", text, field, reason);
}

void check_rejected(std::string_view text, std::string_view field, std::string_view reason) {
  CAPTURE(text);
  const Rejection r = rejection_of(text);
  REQUIRE(r.thrown);
  CHECK(r.field == field);
  CHECK(r.message == expected_message(text, field, reason));
}

constexpr std::array k_all_devices{DeviceType::disk, DeviceType::dvd, DeviceType::tape,
                                   DeviceType::changer, DeviceType::burner};
constexpr std::array k_all_storage{StorageType::disk,   StorageType::lv,
                                   StorageType::file,   StorageType::null,
                                   StorageType::attach, StorageType::attach_path};
constexpr std::array k_all_adapters{StorageAdapter::scsi, StorageAdapter::avio_stor};

// ------------------------------------------------------------ reference

struct StorageExample {
  const char* text;
  DeviceType device;
  StorageAdapter adapter;
  OptInt bus;
  OptInt slot;
  OptInt target;
  StorageType storage;
  const char* location;
};

// Every storage statement the reference prints (deduplicated), as printed.
const std::vector<StorageExample> k_storage_examples{
    // hpvm-commands.md 2.1: canonical examples [S14][S19]
    {"disk:scsi::disk:/dev/rdisk/diskX", DeviceType::disk, StorageAdapter::scsi, none, none, none,
     StorageType::disk, "/dev/rdisk/diskX"},
    {"disk:scsi::disk:/dev/rdsk/cXtYdZ", DeviceType::disk, StorageAdapter::scsi, none, none, none,
     StorageType::disk, "/dev/rdsk/cXtYdZ"},
    {"dvd:avio_stor::null:/dev/rdisk/disk#", DeviceType::dvd, StorageAdapter::avio_stor, none, none,
     none, StorageType::null, "/dev/rdisk/disk#"},
    {"disk:scsi::lv:/dev/vg_vmtest/rivm1d1", DeviceType::disk, StorageAdapter::scsi, none, none,
     none, StorageType::lv, "/dev/vg_vmtest/rivm1d1"},
    {"dvd:scsi::disk:/dev/rdsk/c1t4d0", DeviceType::dvd, StorageAdapter::scsi, none, none, none,
     StorageType::disk, "/dev/rdsk/c1t4d0"},
    {"disk:avio_stor::disk:/dev/rdisk/disk7", DeviceType::disk, StorageAdapter::avio_stor, none,
     none, none, StorageType::disk, "/dev/rdisk/disk7"},
    // hpvm-commands.md 3.3: the full form of the [S15] typo
    {"disk:aviostor::disk:/dev/rdisk/disk1", DeviceType::disk, StorageAdapter::avio_stor, none,
     none, none, StorageType::disk, "/dev/rdisk/disk1"},
    // hpvm-commands.md 4.2 / 5.3: the shape of -d / -m storage lines
    {"disk:scsi:0,2,0:lv:/dev/...", DeviceType::disk, StorageAdapter::scsi, 0, 2, 0,
     StorageType::lv, "/dev/..."},
    // hpvm-commands.md 4.4
    {"disk:scsi::lv:/dev/vg_vmtest/ivm1d1", DeviceType::disk, StorageAdapter::scsi, none, none,
     none, StorageType::lv, "/dev/vg_vmtest/ivm1d1"},
    // hpvm-commands.md hpvmclone example
    {"disk:scsi:0,2,0:lv:/dev/vg_vmtest/rivm1d1", DeviceType::disk, StorageAdapter::scsi, 0, 2, 0,
     StorageType::lv, "/dev/vg_vmtest/rivm1d1"},
    {"disk:scsi:0,2,1:lv:/dev/vg_vmtest/rivm1d2", DeviceType::disk, StorageAdapter::scsi, 0, 2, 1,
     StorageType::lv, "/dev/vg_vmtest/rivm1d2"},
    {"disk:scsi::lv:/dev/vg_vmtest/rclone01_d1", DeviceType::disk, StorageAdapter::scsi, none, none,
     none, StorageType::lv, "/dev/vg_vmtest/rclone01_d1"},
    {"disk:scsi::lv:/dev/vg_vmtest/rclone01_d2", DeviceType::disk, StorageAdapter::scsi, none, none,
     none, StorageType::lv, "/dev/vg_vmtest/rclone01_d2"},
    // avio-whitepaper.md 4.1 [WP p.11]
    {"disk:avio_stor::disk:/dev/rdsk/c0t0d0", DeviceType::disk, StorageAdapter::avio_stor, none,
     none, none, StorageType::disk, "/dev/rdsk/c0t0d0"},
    // avio-whitepaper.md 4.1 [WP p.14]
    {"disk:avio_stor:0,7,0:disk:/dev/rdsk/c2t6d0", DeviceType::disk, StorageAdapter::avio_stor, 0,
     7, 0, StorageType::disk, "/dev/rdsk/c2t6d0"},
    // avio-whitepaper.md 4.1 / 5.2: the VIO attached tape
    {"tape:scsi:0,4,0:attach:/dev/pt/pt_tape1", DeviceType::tape, StorageAdapter::scsi, 0, 4, 0,
     StorageType::attach, "/dev/pt/pt_tape1"},
    // avio-whitepaper.md 4.1 [V6.3 p.251]
    {"dvd:avio_stor::null:/var/opt/hpvm/ISO-images/hpux/", DeviceType::dvd,
     StorageAdapter::avio_stor, none, none, none, StorageType::null,
     "/var/opt/hpvm/ISO-images/hpux/"},
    // avio-whitepaper.md 4.2 / 5.2: hpvmstatus -d output [ICA 4.3 p.90]
    {"disk:scsi:0,2,0:lv:/dev/vg00/rlvol1", DeviceType::disk, StorageAdapter::scsi, 0, 2, 0,
     StorageType::lv, "/dev/vg00/rlvol1"},
    {"disk:scsi:0,2,1:disk:/dev/rdisk/disk28", DeviceType::disk, StorageAdapter::scsi, 0, 2, 1,
     StorageType::disk, "/dev/rdisk/disk28"},
    {"disk:avio_stor:0,4,1:lv:/dev/vg01/rlvol1", DeviceType::disk, StorageAdapter::avio_stor, 0, 4,
     1, StorageType::lv, "/dev/vg01/rlvol1"},
    {"disk:avio_stor:0,4,4:disk:/dev/rdisk/disk20", DeviceType::disk, StorageAdapter::avio_stor, 0,
     4, 4, StorageType::disk, "/dev/rdisk/disk20"},
    {"dvd:avio_stor:0,4,5:file:/fdev/0x500000e012afb8d2/file2", DeviceType::dvd,
     StorageAdapter::avio_stor, 0, 4, 5, StorageType::file, "/fdev/0x500000e012afb8d2/file2"},
    // avio-whitepaper.md 4.2: the hpvmstatus table row "disk avio_stor 0 2 0 22 0 disk ..."
    {"disk:avio_stor:0,2,22:disk:/dev/rdsk/c82t15d3", DeviceType::disk, StorageAdapter::avio_stor,
     0, 2, 22, StorageType::disk, "/dev/rdsk/c82t15d3"},
    // hpvm-commands-gaps.md 6 and avio-whitepaper.md 5.2: bus,slot without a target
    {"tape:scsi:0,4:attach:/dev/pt/pt_tape1", DeviceType::tape, StorageAdapter::scsi, 0, 4, none,
     StorageType::attach, "/dev/pt/pt_tape1"},
    // avio-whitepaper.md 4.1/5.2 attach_path statements with HP-UX lunpath
    // hardware paths: valid syntax; the host check refuses them (test_backing.cpp).
    {"tape:avio_stor::attach_path:0/7/1/1.0x500104f00048b29e.0x0", DeviceType::tape,
     StorageAdapter::avio_stor, none, none, none, StorageType::attach_path,
     "0/7/1/1.0x500104f00048b29e.0x0"},
    {"tape:avio_stor:0,5,0:attach_path:0/1/1/0.0x50060b0000332254.0x0", DeviceType::tape,
     StorageAdapter::avio_stor, 0, 5, 0, StorageType::attach_path,
     "0/1/1/0.0x50060b0000332254.0x0"},
    {"changer:avio_stor:0,5,1:attach_path:0/1/1/0.0x50060b0000332253.0x0", DeviceType::changer,
     StorageAdapter::avio_stor, 0, 5, 1, StorageType::attach_path,
     "0/1/1/0.0x50060b0000332253.0x0"},
    {"burner:avio_stor:0,5,2:attach_path:0/1/1/0.0x50060b0000332252.0x0", DeviceType::burner,
     StorageAdapter::avio_stor, 0, 5, 2, StorageType::attach_path,
     "0/1/1/0.0x50060b0000332252.0x0"},
    {"tape:avio_stor:0,4,0:attach_path:0/7/1/1.0x500104f00048b29e.0x0", DeviceType::tape,
     StorageAdapter::avio_stor, 0, 4, 0, StorageType::attach_path,
     "0/7/1/1.0x500104f00048b29e.0x0"},
};

struct NetworkExample {
  const char* text;
  NetAdapter adapter;
  OptInt bus;
  OptInt slot;
  std::optional<std::uint64_t> mac;
  const char* vswitch;
  OptInt port;
};

const std::vector<NetworkExample> k_network_examples{
    // avio-whitepaper.md 4.1 [WP p.11]
    {"network:avio_lan::vswitch:vsw1", NetAdapter::avio_lan, none, none, std::nullopt, "vsw1",
     none},
    // hpvm-commands.md 2.2 / 3.3 and avio-whitepaper.md 4.1 [S15]
    {"network:aviolan::vswitch:swlan1", NetAdapter::avio_lan, none, none, std::nullopt, "swlan1",
     none},
    {"network:avio_lan::vswitch:swlan1", NetAdapter::avio_lan, none, none, std::nullopt, "swlan1",
     none},
    // hpvm-commands.md 2.2 / 4.4: the short form [G1]
    {"network:lan:vswitch:vlan02", NetAdapter::lan, none, none, std::nullopt, "vlan02", none},
    // hpvm-commands.md 2.2 / 4.4 [G3]
    {"network:lan:0,0:vswitch:vlan03", NetAdapter::lan, 0, 0, std::nullopt, "vlan03", none},
    {"network:avio_lan:0,2:vswitch:vlan2:portid:4", NetAdapter::avio_lan, 0, 2, std::nullopt,
     "vlan2", 4},
    // hpvm-commands.md 2.2 / 5.3: hpvmstatus -d output [G3]
    {"network:lan:0,0,0x56E9E3096A22:vswitch:vlan02", NetAdapter::lan, 0, 0, 0x56E9E3096A22ULL,
     "vlan02", none},
    {"network:avio_lan:0,1,0x66F3F84E37D5:vswitch:vlan1:portid:4", NetAdapter::avio_lan, 0, 1,
     0x66F3F84E37D5ULL, "vlan1", 4},
    {"network:lan:0,1,0xAED6F7FA4E3E:vswitch:localnet", NetAdapter::lan, 0, 1, 0xAED6F7FA4E3EULL,
     "localnet", none},
    // hpvm-commands.md 2.2 / avio-whitepaper.md 4.1: the documented MAC
    // spellings 0xaabbcc001122 and aa-bb-cc-00-11-22, and ",,aa-bb-cc-00-11-22"
    {"network:lan:,,aa-bb-cc-00-11-22:vswitch:vsw1", NetAdapter::lan, none, none, 0xAABBCC001122ULL,
     "vsw1", none},
    {"network:avio_lan:,,0xaabbcc001122:vswitch:vsw1", NetAdapter::avio_lan, none, none,
     0xAABBCC001122ULL, "vsw1", none},
};

struct HbaExample {
  const char* text;
  StorageAdapter adapter;
  int bus;
  int slot;
};

// avio-whitepaper.md 4.1 [ICA 4.3 p.90] and 5.2
const std::vector<HbaExample> k_hba_examples{
    {"hba:avio_stor:0,4", StorageAdapter::avio_stor, 0, 4},
    {"hba:scsi:0,4", StorageAdapter::scsi, 0, 4},
};

} // namespace

TEST_CASE("grammar: every storage statement printed in the reference parses") {
  for (const auto& ex : k_storage_examples) {
    CAPTURE(ex.text);
    const StorageStatement st = storage_of(ex.text);
    CHECK(st.device == ex.device);
    CHECK(st.adapter == ex.adapter);
    CHECK(st.address.bus == ex.bus);
    CHECK(st.address.slot == ex.slot);
    CHECK(st.address.target == ex.target);
    CHECK(st.storage == ex.storage);
    CHECK(st.location == ex.location);
  }
}

TEST_CASE("grammar: every network statement printed in the reference parses") {
  for (const auto& ex : k_network_examples) {
    CAPTURE(ex.text);
    const NetworkStatement nw = network_of(ex.text);
    CHECK(nw.adapter == ex.adapter);
    CHECK(nw.address.bus == ex.bus);
    CHECK(nw.address.slot == ex.slot);
    CHECK_FALSE(nw.address.target.has_value());
    REQUIRE(nw.mac.has_value() == ex.mac.has_value());
    if (ex.mac) {
      CHECK(nw.mac->value() == *ex.mac);
    }
    CHECK(nw.vswitch == ex.vswitch);
    CHECK(nw.port == ex.port);
  }
}

TEST_CASE("grammar: the adapter-level hba statements of the reference parse") {
  for (const auto& ex : k_hba_examples) {
    CAPTURE(ex.text);
    const HbaStatement h = hba_of(ex.text);
    CHECK(h.adapter == ex.adapter);
    CHECK(h.bus == ex.bus);
    CHECK(h.slot == ex.slot);
    CHECK(format(h) == ex.text);
  }
}

TEST_CASE("grammar: statements the reference flags as typos are rejected") {
  const std::string few =
      "has too few fields (devicetype:adaptertype:bus,device,target:storage:location)";
  // hpvm-commands.md 3.3 [S15] and avio-whitepaper.md 4.1 [ICA 3.5/4.2]: no ':' before the path.
  check_rejected("disk:aviostor::disk/dev/rdisk/disk1", "statement", few);
  check_rejected("disk:aviostor::disk/dev/rdsk/clt2d0", "statement", few);
  check_rejected("disk:avio_stor::disk/dev/rdsk/clt2d0", "statement", few);
  // avio-whitepaper.md 4.1 [ICA 4.0/4.1]: the same typo with hba as the device word.
  check_rejected("hba:aviostor::disk/dev/rdisk/disk1", "statement",
                 "must be hba:adaptertype:bus,slot");
  check_rejected("hba:avio_stor::disk/dev/rdisk/disk1", "statement",
                 "must be hba:adaptertype:bus,slot");
  // avio-whitepaper.md 4.1 [V6.3 p.251]: svio_stor for avio_stor.
  check_rejected("dvd:svio_stor::null:/var/opt/hpvm/ISO-images/hpux/", "adapter type",
                 "'svio_stor' is not scsi, avio_stor or aviostor");
}

TEST_CASE("grammar: the reference's grammar templates are not statements") {
  const std::string devices = "is not one of disk, dvd, tape, changer, burner, network, hba";
  check_rejected("devicetype:adaptertype:bus,device,target:storage:location", "device type",
                 "'devicetype' " + devices);
  check_rejected("device:adaptertype:pcibus,pcislot,target:storage:location", "device type",
                 "'device' " + devices);
  check_rejected("device:scsi:pcibus,pcislot,scsitgt", "device type", "'device' " + devices);
  check_rejected("device:avio_stor:pcibus,pcislot,aviotgt", "device type", "'device' " + devices);
  check_rejected(
      "tape|changer|burner:avio_stor:bus,device,target:attach_path:<lunpath hardware path>",
      "device type", "'tape|changer|burner' " + devices);
  check_rejected("network:adaptertype:bus,device,mac-addr:vswitch:vswitch-name:portid:portnumber",
                 "adapter type", "'adaptertype' is not lan, avio_lan or aviolan");
  check_rejected("network:avio_lan:<bus>,<dev>,<mac>:vswitch:<vsw>", "bus",
                 "'<bus>' is not a number");
  // avio-whitepaper.md 5.2: "before: disk:scsi:0,4,1..5" is prose shorthand for five statements.
  check_rejected("disk:scsi:0,4,1..5", "statement",
                 "has too few fields (devicetype:adaptertype:bus,device,target:storage:location)");
}

// ------------------------------------------------------------ keywords

TEST_CASE("grammar: keyword spellings, canonical names and aliases") {
  CHECK(to_string(DeviceType::disk) == "disk");
  CHECK(to_string(DeviceType::dvd) == "dvd");
  CHECK(to_string(DeviceType::tape) == "tape");
  CHECK(to_string(DeviceType::changer) == "changer");
  CHECK(to_string(DeviceType::burner) == "burner");
  CHECK(to_string(StorageAdapter::scsi) == "scsi");
  CHECK(to_string(StorageAdapter::avio_stor) == "avio_stor");
  CHECK(to_string(StorageType::disk) == "disk");
  CHECK(to_string(StorageType::lv) == "lv");
  CHECK(to_string(StorageType::file) == "file");
  CHECK(to_string(StorageType::null) == "null");
  CHECK(to_string(StorageType::attach) == "attach");
  CHECK(to_string(StorageType::attach_path) == "attach_path");
  CHECK(to_string(NetAdapter::lan) == "lan");
  CHECK(to_string(NetAdapter::avio_lan) == "avio_lan");

  for (auto d : k_all_devices) {
    CHECK(device_type_from(to_string(d)) == d);
  }
  for (auto s : k_all_storage) {
    CHECK(storage_type_from(to_string(s)) == s);
  }
  for (auto a : k_all_adapters) {
    CHECK(storage_adapter_from(to_string(a)) == a);
  }
  CHECK(storage_adapter_from("aviostor") == StorageAdapter::avio_stor);
  CHECK(net_adapter_from("lan") == NetAdapter::lan);
  CHECK(net_adapter_from("avio_lan") == NetAdapter::avio_lan);
  CHECK(net_adapter_from("aviolan") == NetAdapter::avio_lan);

  // Keywords are lower case and exact.
  for (const char* bad : {"", "DISK", "Disk", "cdrom", "network", "hba", "disk "}) {
    CAPTURE(bad);
    CHECK_FALSE(device_type_from(bad).has_value());
  }
  for (const char* bad : {"", "SCSI", "avio", "avio-stor", "avio_lan", "svio_stor"}) {
    CAPTURE(bad);
    CHECK_FALSE(storage_adapter_from(bad).has_value());
  }
  for (const char* bad : {"", "LV", "npiv", "attach-path", "raw"}) {
    CAPTURE(bad);
    CHECK_FALSE(storage_type_from(bad).has_value());
  }
  for (const char* bad : {"", "LAN", "avio-lan", "avio_stor", "eth"}) {
    CAPTURE(bad);
    CHECK_FALSE(net_adapter_from(bad).has_value());
  }
}

TEST_CASE("grammar: aviostor and aviolan are aliases that print canonically") {
  const StorageStatement a = storage_of("disk:aviostor:0,1,2:file:/vm/a.img");
  const StorageStatement b = storage_of("disk:avio_stor:0,1,2:file:/vm/a.img");
  CHECK(a.adapter == StorageAdapter::avio_stor);
  CHECK(device_of(a) == device_of(b));
  CHECK(format(device_of(a)) == "disk:avio_stor:0,1,2:file:/vm/a.img");
  // The alias has the AVIO target range.
  CHECK(storage_of("disk:aviostor:0,1,127:file:/vm/a.img").address.target == 127);

  const NetworkStatement n = network_of("network:aviolan:0,3,0x0A0000000001:vswitch:sw");
  CHECK(n.adapter == NetAdapter::avio_lan);
  CHECK(format(device_of(n)) == "network:avio_lan:0,3,0x0A0000000001:vswitch:sw");
  CHECK(network_of("network:aviolan:vswitch:sw").adapter == NetAdapter::avio_lan);

  CHECK(hba_of("hba:aviostor:1,2").adapter == StorageAdapter::avio_stor);
  CHECK(format(hba_of("hba:aviostor:1,2")) == "hba:avio_stor:1,2");
}

// ------------------------------------------------------------ matrix

TEST_CASE("grammar: device-type / storage-type matrix, every pair on both adapters") {
  // hpvm-commands.md 2.1 [S16]: disk takes disk/lv/file; dvd takes
  // disk/file/null; tape, changer and burner take the pass-through types.
  struct Row {
    DeviceType device;
    std::array<bool, 6> allowed; // disk, lv, file, null, attach, attach_path
  };
  const std::array<Row, 5> matrix{{
      {DeviceType::disk, {true, true, true, false, false, false}},
      {DeviceType::dvd, {true, false, true, true, false, false}},
      {DeviceType::tape, {false, false, false, false, true, true}},
      {DeviceType::changer, {false, false, false, false, true, true}},
      {DeviceType::burner, {false, false, false, false, true, true}},
  }};
  int accepted = 0;
  int refused = 0;
  for (const auto& row : matrix) {
    for (std::size_t i = 0; i < k_all_storage.size(); ++i) {
      const StorageType storage = k_all_storage[i];
      CHECK(storage_allowed(row.device, storage) == row.allowed[i]);
      for (auto adapter : k_all_adapters) {
        const std::string text = fmt::format("{}:{}::{}:/host/backing", to_string(row.device),
                                             to_string(adapter), to_string(storage));
        CAPTURE(text);
        if (row.allowed[i]) {
          const StorageStatement st = storage_of(text);
          CHECK(st.device == row.device);
          CHECK(st.adapter == adapter);
          CHECK(st.storage == storage);
          CHECK(st.location == "/host/backing");
          ++accepted;
        } else {
          check_rejected(text, "storage type",
                         fmt::format("'{}' cannot back a {} device", to_string(storage),
                                     to_string(row.device)));
          ++refused;
        }
      }
    }
  }
  CHECK(accepted == 2 * 12);
  CHECK(refused == 2 * 18);
}

// ------------------------------------------------------------ forms

TEST_CASE("grammar: omitted and partial storage addresses") {
  SUBCASE("empty hardware field") {
    const StorageStatement st = storage_of("disk:scsi::file:/vm/a.img");
    CHECK_FALSE(st.address.bus.has_value());
    CHECK_FALSE(st.address.slot.has_value());
    CHECK_FALSE(st.address.target.has_value());
  }
  SUBCASE("bus only") {
    const StorageStatement st = storage_of("disk:scsi:3:file:/vm/a.img");
    CHECK(st.address.bus == 3);
    CHECK_FALSE(st.address.slot.has_value());
    CHECK_FALSE(st.address.target.has_value());
  }
  SUBCASE("bus and slot, target omitted") {
    const StorageStatement st = storage_of("disk:avio_stor:1,6:file:/vm/a.img");
    CHECK(st.address.bus == 1);
    CHECK(st.address.slot == 6);
    CHECK_FALSE(st.address.target.has_value());
  }
  SUBCASE("empty parts between commas") {
    const StorageStatement st = storage_of("disk:scsi:2,,:file:/vm/a.img");
    CHECK(st.address.bus == 2);
    CHECK_FALSE(st.address.slot.has_value());
    CHECK_FALSE(st.address.target.has_value());
    const StorageStatement st2 = storage_of("disk:scsi:2,5,:file:/vm/a.img");
    CHECK(st2.address.slot == 5);
    CHECK_FALSE(st2.address.target.has_value());
  }
  SUBCASE("complete") {
    const StorageStatement st = storage_of("disk:scsi:7,7,14:file:/vm/a.img");
    CHECK(st.address.bus == 7);
    CHECK(st.address.slot == 7);
    CHECK(st.address.target == 14);
  }
}

TEST_CASE("grammar: network forms: short, empty, bus,device, MAC only, everything") {
  SUBCASE("short form leaves out the hardware field") {
    const NetworkStatement a = network_of("network:lan:vswitch:vlan02");
    const NetworkStatement b = network_of("network:lan::vswitch:vlan02");
    CHECK(a.adapter == b.adapter);
    CHECK(a.vswitch == b.vswitch);
    CHECK_FALSE(a.address.bus.has_value());
    CHECK_FALSE(a.address.slot.has_value());
    CHECK_FALSE(a.mac.has_value());
    CHECK_FALSE(a.port.has_value());
  }
  SUBCASE("short form with a port") {
    const NetworkStatement a = network_of("network:avio_lan:vswitch:vsw1:portid:7");
    CHECK(a.vswitch == "vsw1");
    CHECK(a.port == 7);
  }
  SUBCASE("MAC only, commas kept") {
    const NetworkStatement a = network_of("network:lan:,,0x0A1B2C3D4E5F:vswitch:vsw1");
    CHECK_FALSE(a.address.bus.has_value());
    CHECK_FALSE(a.address.slot.has_value());
    REQUIRE(a.mac.has_value());
    CHECK(a.mac->value() == 0x0A1B2C3D4E5FULL);
  }
  SUBCASE("bus,device without a MAC, with or without the trailing comma") {
    for (const char* text : {"network:lan:1,5:vswitch:vsw1", "network:lan:1,5,:vswitch:vsw1"}) {
      CAPTURE(text);
      const NetworkStatement a = network_of(text);
      CHECK(a.address.bus == 1);
      CHECK(a.address.slot == 5);
      CHECK_FALSE(a.mac.has_value());
    }
  }
  SUBCASE("empty parts only") {
    for (const char* text : {"network:lan:,:vswitch:vsw1", "network:lan:,,:vswitch:vsw1"}) {
      CAPTURE(text);
      const NetworkStatement a = network_of(text);
      CHECK_FALSE(a.address.bus.has_value());
      CHECK_FALSE(a.address.slot.has_value());
      CHECK_FALSE(a.mac.has_value());
    }
  }
  SUBCASE("everything") {
    const NetworkStatement a =
        network_of("network:avio_lan:7,7,aa-bb-cc-dd-ee-ff:vswitch:vsw1:portid:511");
    CHECK(a.address.bus == 7);
    CHECK(a.address.slot == 7);
    REQUIRE(a.mac.has_value());
    CHECK(a.mac->value() == 0xAABBCCDDEEFFULL);
    CHECK(a.port == 511);
  }
  SUBCASE("a vswitch may be called vswitch or portid") {
    CHECK(network_of("network:lan::vswitch:vswitch").vswitch == "vswitch");
    CHECK(network_of("network:lan:vswitch:vswitch").vswitch == "vswitch");
    CHECK(network_of("network:lan::vswitch:portid").vswitch == "portid");
    CHECK(network_of("network:lan::vswitch:portid:portid:3").port == 3);
  }
  SUBCASE("the grammar does not judge MAC rules; the planner does") {
    // Multicast and universally administered addresses parse; DevicePlanner
    // refuses them with MacAddress::rule_violation().
    CHECK(network_of("network:lan:,,0x010000000001:vswitch:vsw1").mac->multicast());
    CHECK_FALSE(
        network_of("network:lan:,,0x000000000001:vswitch:vsw1").mac->locally_administered());
  }
}

TEST_CASE("grammar: host paths may contain ':'") {
  for (const char* loc : {"/vm/a:b.img", "/vm/a:b:c", "/vm/dir:/x", "/vm/trailing:", "/::"}) {
    const std::string text = fmt::format("disk:avio_stor::file:{}", loc);
    CAPTURE(text);
    CHECK(storage_of(text).location == loc);
  }
  const StorageStatement st = storage_of("dvd:scsi:0,1,2:file:/iso/hp:ux:11.31.iso");
  CHECK(st.location == "/iso/hp:ux:11.31.iso");
  CHECK(format(device_of(st)) == "dvd:scsi:0,1,2:file:/iso/hp:ux:11.31.iso");
  // A path field that looks like a hardware address stays a path.
  CHECK(storage_of("disk:scsi::disk:/dev/disk/by-path/pci-0000:00:1f.2-ata-1").location ==
        "/dev/disk/by-path/pci-0000:00:1f.2-ata-1");
}

TEST_CASE("grammar: null storage may have an empty location (an empty DVD drive)") {
  for (const char* text : {"dvd:scsi::null:", "dvd:avio_stor::null:", "dvd:aviostor:0,3,1:null:"}) {
    CAPTURE(text);
    const StorageStatement st = storage_of(text);
    CHECK(st.device == DeviceType::dvd);
    CHECK(st.storage == StorageType::null);
    CHECK(st.location.empty());
  }
  const StorageStatement st = storage_of("dvd:avio_stor:0,3,1:null:");
  CHECK(format(device_of(st)) == "dvd:avio_stor:0,3,1:null:");
  // null with a directory or a drive is also fine.
  CHECK(storage_of("dvd:scsi::null:/var/opt/iso").location == "/var/opt/iso");
}

TEST_CASE("grammar: numbers with leading zeros are read as decimal") {
  const StorageStatement st = storage_of("disk:avio_stor:00,07,0127:file:/vm/a.img");
  CHECK(st.address.bus == 0);
  CHECK(st.address.slot == 7);
  CHECK(st.address.target == 127);
  CHECK(format(device_of(st)) == "disk:avio_stor:0,7,127:file:/vm/a.img");
  CHECK(network_of("network:lan::vswitch:v:portid:007").port == 7);
}

// ------------------------------------------------------------ edges

TEST_CASE("grammar: address ranges at their edges") {
  SUBCASE("storage bus 0 and 7 accepted, 8 refused") {
    CHECK(storage_of("disk:scsi:0,0,0:file:/f").address.bus == 0);
    CHECK(storage_of("disk:scsi:7,0,0:file:/f").address.bus == 7);
    CHECK(storage_of("disk:scsi:7:file:/f").address.bus == 7);
    check_rejected("disk:scsi:8,0,0:file:/f", "bus", "8 is out of range (0-7)");
    check_rejected("disk:avio_stor:8:file:/f", "bus", "8 is out of range (0-7)");
  }
  SUBCASE("storage slot 0 and 7 accepted, 8 refused") {
    CHECK(storage_of("disk:scsi:0,0,0:file:/f").address.slot == 0);
    CHECK(storage_of("disk:scsi:0,7,0:file:/f").address.slot == 7);
    CHECK(storage_of("disk:avio_stor:0,7:file:/f").address.slot == 7);
    check_rejected("disk:scsi:0,8,0:file:/f", "device", "8 is out of range (0-7)");
    check_rejected("disk:avio_stor:0,8:file:/f", "device", "8 is out of range (0-7)");
  }
  SUBCASE("scsi target 14 accepted, 15 refused (the MPT adapter itself)") {
    CHECK(storage_of("disk:scsi:0,0,0:file:/f").address.target == 0);
    CHECK(storage_of("disk:scsi:0,0,14:file:/f").address.target == 14);
    check_rejected("disk:scsi:0,0,15:file:/f", "target", "15 is out of range (0-14)");
  }
  SUBCASE("avio target 127 accepted, 128 refused") {
    CHECK(storage_of("disk:avio_stor:0,0,15:file:/f").address.target == 15);
    CHECK(storage_of("disk:avio_stor:0,0,127:file:/f").address.target == 127);
    check_rejected("disk:avio_stor:0,0,128:file:/f", "target", "128 is out of range (0-127)");
    check_rejected("disk:aviostor:0,0,128:file:/f", "target", "128 is out of range (0-127)");
  }
  SUBCASE("network bus and device 0 and 7 accepted, 8 refused") {
    const NetworkStatement lo = network_of("network:lan:0,0:vswitch:v");
    CHECK(lo.address.bus == 0);
    CHECK(lo.address.slot == 0);
    const NetworkStatement hi = network_of("network:avio_lan:7,7:vswitch:v");
    CHECK(hi.address.bus == 7);
    CHECK(hi.address.slot == 7);
    check_rejected("network:lan:8,0:vswitch:v", "bus", "8 is out of range (0-7)");
    check_rejected("network:lan:0,8:vswitch:v", "device", "8 is out of range (0-7)");
  }
  SUBCASE("port 0 and 511 accepted, 512 refused") {
    CHECK(network_of("network:lan::vswitch:v:portid:0").port == 0);
    CHECK(network_of("network:lan::vswitch:v:portid:511").port == 511);
    check_rejected("network:lan::vswitch:v:portid:512", "port number",
                   "512 is out of range (0-511)");
  }
  SUBCASE("hba bus and slot 0 and 7 accepted, 8 refused") {
    const HbaStatement lo = hba_of("hba:scsi:0,0");
    CHECK(lo.bus == 0);
    CHECK(lo.slot == 0);
    const HbaStatement hi = hba_of("hba:avio_stor:7,7");
    CHECK(hi.bus == 7);
    CHECK(hi.slot == 7);
    check_rejected("hba:scsi:8,0", "bus", "8 is out of range (0-7)");
    check_rejected("hba:scsi:0,8", "device", "8 is out of range (0-7)");
  }
}

// ------------------------------------------------------------ round trips

TEST_CASE("grammar: canonical statements format back to the same text") {
  const std::vector<std::string> canonical{
      // avio-whitepaper.md 4.2 hpvmstatus -d lines
      "disk:scsi:0,2,0:lv:/dev/vg00/rlvol1",
      "disk:scsi:0,2,1:disk:/dev/rdisk/disk28",
      "disk:avio_stor:0,4,1:lv:/dev/vg01/rlvol1",
      "disk:avio_stor:0,4,4:disk:/dev/rdisk/disk20",
      "dvd:avio_stor:0,4,5:file:/fdev/0x500000e012afb8d2/file2",
      "tape:scsi:0,4,0:attach:/dev/pt/pt_tape1",
      "disk:avio_stor:0,7,0:disk:/dev/rdsk/c2t6d0",
      // others
      "disk:avio_stor:0,1,3:file:/vm/g1.img",
      "changer:avio_stor:0,5,1:attach_path:/dev/sg3",
      "tape:avio_stor:0,4,0:attach_path:0/7/1/1.0x500104f00048b29e.0x0",
      "burner:avio_stor:0,5,2:attach_path:0/1/1/0.0x50060b0000332252.0x0",
      "burner:scsi:7,7,14:attach:/dev/sg4",
      "dvd:scsi:0,0,0:null:",
      "dvd:avio_stor:1,2,127:null:/var/opt/hpvm/ISO-images/hpux/",
  };
  for (const auto& text : canonical) {
    CAPTURE(text);
    CHECK(format(device_of(storage_of(text))) == text);
  }
  const std::vector<std::string> canonical_nets{
      "network:lan:0,0,0x56E9E3096A22:vswitch:vlan02",
      "network:lan:0,1,0xAED6F7FA4E3E:vswitch:localnet",
      "network:avio_lan:0,1,0x66F3F84E37D5:vswitch:vlan1:portid:4",
      "network:avio_lan:7,7,0x0A0000000000:vswitch:v:portid:0",
      "network:lan:3,4,0xFEFFFFFFFFFF:vswitch:sw.1-a_b:portid:511",
  };
  for (const auto& text : canonical_nets) {
    CAPTURE(text);
    CHECK(format(device_of(network_of(text))) == text);
  }
  for (const char* text : {"hba:scsi:0,4", "hba:avio_stor:0,4", "hba:scsi:7,7"}) {
    CAPTURE(text);
    CHECK(format(hba_of(text)) == text);
  }
}

TEST_CASE("grammar: parse(format(device)) gives the same storage device") {
  const std::array<avio::StorageAddress, 4> scsi_addresses{
      {{0, 0, 0}, {7, 7, 14}, {0, 2, 1}, {3, 5, 9}}};
  const std::array<avio::StorageAddress, 4> avio_addresses{
      {{0, 0, 0}, {7, 7, 127}, {0, 4, 5}, {2, 1, 64}}};
  const std::array<const char*, 4> locations{"/dev/rdisk/disk1", "/vm/a:b.img", "/v m/x y",
                                             "/dev/disk/by-id/wwn-0x5000:1"};
  int n = 0;
  for (auto device : k_all_devices) {
    for (auto storage : k_all_storage) {
      if (!storage_allowed(device, storage)) {
        continue;
      }
      for (auto adapter : k_all_adapters) {
        const auto& addresses = adapter == StorageAdapter::scsi ? scsi_addresses : avio_addresses;
        for (const auto& address : addresses) {
          std::vector<std::string> locs(locations.begin(), locations.end());
          if (storage == StorageType::null) {
            locs.emplace_back();
          }
          for (const auto& loc : locs) {
            const StorageDevice d{device, adapter, address, storage, loc};
            const std::string text = format(d);
            CAPTURE(text);
            CHECK(device_of(storage_of(text)) == d);
            CHECK(format(device_of(storage_of(text))) == text);
            ++n;
          }
        }
      }
    }
  }
  CHECK(n == 12 * 2 * 4 * 4 + 2 * 4); // plus the empty null location per address
}

TEST_CASE("grammar: parse(format(device)) gives the same network device") {
  const std::array<avio::NicAddress, 3> addresses{{{0, 0}, {7, 7}, {2, 5}}};
  const std::array<std::uint64_t, 4> macs{0x56E9E3096A22ULL, 0x000000000000ULL, 0xFFFFFFFFFFFFULL,
                                          0x0A0B0C0D0E0FULL};
  const std::array<std::optional<int>, 4> ports{std::nullopt, 0, 4, 511};
  int n = 0;
  for (auto adapter : {NetAdapter::lan, NetAdapter::avio_lan}) {
    for (const auto& address : addresses) {
      for (auto mac : macs) {
        for (auto port : ports) {
          for (const char* vsw : {"vlan02", "localnet", "a", "A-b_c.9"}) {
            const NetworkDevice d{adapter, address, avio::MacAddress(mac), vsw, port};
            const std::string text = format(d);
            CAPTURE(text);
            CHECK(device_of(network_of(text)) == d);
            ++n;
          }
        }
      }
    }
  }
  CHECK(n == 2 * 3 * 4 * 4 * 4);
  // The printed MAC is always 0x and 12 upper-case hex digits.
  CHECK(
      format(NetworkDevice{NetAdapter::lan, {0, 0}, avio::MacAddress(0x1ULL), "v", std::nullopt}) ==
      "network:lan:0,0,0x000000000001:vswitch:v");
}

TEST_CASE("grammar: both MAC spellings normalise to 0x and 12 upper-case hex digits") {
  struct Case {
    const char* in;
    const char* out;
  };
  const std::array<Case, 8> cases{{
      {"network:lan:0,0,56-e9-e3-09-6a-22:vswitch:vlan02",
       "network:lan:0,0,0x56E9E3096A22:vswitch:vlan02"},
      {"network:lan:0,0,56-E9-E3-09-6A-22:vswitch:vlan02",
       "network:lan:0,0,0x56E9E3096A22:vswitch:vlan02"},
      {"network:lan:0,0,0x56e9e3096a22:vswitch:vlan02",
       "network:lan:0,0,0x56E9E3096A22:vswitch:vlan02"},
      {"network:lan:0,0,0X56E9E3096A22:vswitch:vlan02",
       "network:lan:0,0,0x56E9E3096A22:vswitch:vlan02"},
      {"network:lan:0,0,0x56E9E3096A22:vswitch:vlan02",
       "network:lan:0,0,0x56E9E3096A22:vswitch:vlan02"},
      {"network:avio_lan:0,1,66-f3-f8-4e-37-d5:vswitch:vlan1:portid:4",
       "network:avio_lan:0,1,0x66F3F84E37D5:vswitch:vlan1:portid:4"},
      {"network:aviolan:0,1,0x66f3f84e37d5:vswitch:vlan1:portid:4",
       "network:avio_lan:0,1,0x66F3F84E37D5:vswitch:vlan1:portid:4"},
      {"network:lan:0,1,ae-d6-f7-fa-4e-3e:vswitch:localnet",
       "network:lan:0,1,0xAED6F7FA4E3E:vswitch:localnet"},
  }};
  for (const auto& c : cases) {
    CAPTURE(c.in);
    CHECK(format(device_of(network_of(c.in))) == c.out);
  }
  // The two documented spellings of one address are the same address.
  CHECK(network_of("network:lan:,,0xaabbcc001122:vswitch:v").mac ==
        network_of("network:lan:,,aa-bb-cc-00-11-22:vswitch:v").mac);
}

// ------------------------------------------------------------ errors

TEST_CASE("grammar: StatementError is an hpvm::Error whose field() names the field") {
  try {
    (void)parse_resource("disk:scsi:0,0,15:file:/f");
    FAIL("the statement was accepted");
  } catch (const hpvm::Error& e) {
    const auto* se = dynamic_cast<const StatementError*>(&e);
    REQUIRE(se != nullptr);
    CHECK(se->field() == "target");
    CHECK(
        std::string(e.what()) ==
        "Invalid resource statement 'disk:scsi:0,0,15:file:/f': target 15 is out of range (0-14).");
    CHECK(e.guest().empty());
  }
  // A few complete messages spelled out in full.
  CHECK(rejection_of("").message == "Invalid resource statement '': statement is empty.");
  CHECK(rejection_of("disk:scsi::disk").message ==
        "Invalid resource statement 'disk:scsi::disk': statement has too few fields "
        "(devicetype:adaptertype:bus,device,target:storage:location).");
  CHECK(rejection_of("floppy:scsi::disk:/dev/fd0").message ==
        "Invalid resource statement 'floppy:scsi::disk:/dev/fd0': device type 'floppy' is not "
        "one of disk, dvd, tape, changer, burner, network, hba.");
  CHECK(rejection_of("network:lan:,,0x56E9E3096A2:vswitch:v").message ==
        "Invalid resource statement 'network:lan:,,0x56E9E3096A2:vswitch:v': MAC address "
        "'0x56E9E3096A2' is not 0xAABBCCDDEEFF or aa-bb-cc-dd-ee-ff.");
  CHECK(rejection_of("hba:scsi:0,4,0").message ==
        "Invalid resource statement 'hba:scsi:0,4,0': hardware address '0,4,0' must be bus,slot.");
}

namespace {

struct Malformed {
  std::string text;
  const char* field;
  std::string reason;
};

const std::string k_few =
    "has too few fields (devicetype:adaptertype:bus,device,target:storage:location)";
const std::string k_not_device = "is not one of disk, dvd, tape, changer, burner, network, hba";
const std::string k_not_stor_adapter = "is not scsi, avio_stor or aviostor";
const std::string k_not_storage = "is not one of disk, lv, file, null, attach, attach_path";
const std::string k_not_net_adapter = "is not lan, avio_lan or aviolan";
const std::string k_bad_mac = "is not 0xAABBCCDDEEFF or aa-bb-cc-dd-ee-ff";
const std::string k_hba_shape = "must be hba:adaptertype:bus,slot";
const std::string k_together = "must be given together with the other";

// Each row: the statement, the field the message must name, and why.
const std::vector<Malformed> k_malformed{
    // --- the statement as a whole
    {"", "statement", "is empty"},
    {"\n", "statement", "contains a control character"},
    {"disk:scsi::disk:/dev/sda\n", "statement", "contains a control character"},
    {"\tdisk:scsi::disk:/dev/sda", "statement", "contains a control character"},
    {"disk:scsi::file:/vm/a\x01.img", "statement", "contains a control character"},
    {"disk:scsi::file:/vm/a\x7f.img", "statement", "contains a control character"},
    {"network:lan::vswitch:vsw1\r", "statement", "contains a control character"},
    {"hba:scsi:0,4\n", "statement", "contains a control character"},
    // --- device type
    {":scsi::disk:/dev/sda", "device type", "is missing"},
    {":", "device type", "is missing"},
    {"floppy:scsi::disk:/dev/fd0", "device type", "'floppy' " + k_not_device},
    {"Disk:scsi::disk:/dev/sda", "device type", "'Disk' " + k_not_device},
    {"DVD:scsi::file:/iso/a.iso", "device type", "'DVD' " + k_not_device},
    {" disk:scsi::disk:/dev/sda", "device type", "' disk' " + k_not_device},
    {"cdrom:scsi::disk:/dev/sr0", "device type", "'cdrom' " + k_not_device},
    {"lan:vswitch:vsw1", "device type", "'lan' " + k_not_device},
    {"vswitch:vsw1", "device type", "'vswitch' " + k_not_device},
    {"NETWORK:lan::vswitch:vsw1", "device type", "'NETWORK' " + k_not_device},
    {"networks:lan::vswitch:vsw1", "device type", "'networks' " + k_not_device},
    {"HBA:scsi:0,4", "device type", "'HBA' " + k_not_device},
    {"/dev/rdisk/disk1", "device type", "'/dev/rdisk/disk1' " + k_not_device},
    {"npiv:avio_stor::npiv:/dev/fc0", "device type", "'npiv' " + k_not_device},
    // --- too few fields for a storage statement
    {"disk", "statement", k_few},
    {"disk:", "statement", k_few},
    {"disk:scsi", "statement", k_few},
    {"disk:scsi:", "statement", k_few},
    {"disk:scsi::", "statement", k_few},
    {"disk:scsi::disk", "statement", k_few},
    {"dvd:scsi::null", "statement", k_few},
    {"tape:scsi:0,4,0:attach", "statement", k_few},
    {"changer:avio_stor::attach_path", "statement", k_few},
    {"burner:scsi:0,0,0", "statement", k_few},
    {"disk:bogus", "statement", k_few},
    // --- storage adapter type
    {"disk::0,0,0:disk:/dev/sda", "adapter type", "is missing (scsi or avio_stor)"},
    {"disk::::", "adapter type", "is missing (scsi or avio_stor)"},
    {"disk:lan::disk:/dev/sda", "adapter type", "'lan' " + k_not_stor_adapter},
    {"disk:avio_lan::disk:/dev/sda", "adapter type", "'avio_lan' " + k_not_stor_adapter},
    {"disk:SCSI::disk:/dev/sda", "adapter type", "'SCSI' " + k_not_stor_adapter},
    {"disk:avio-stor::disk:/dev/sda", "adapter type", "'avio-stor' " + k_not_stor_adapter},
    {"disk:avio::disk:/dev/sda", "adapter type", "'avio' " + k_not_stor_adapter},
    {"disk: scsi::disk:/dev/sda", "adapter type", "' scsi' " + k_not_stor_adapter},
    {"tape:pt:0,4,0:attach:/dev/sg0", "adapter type", "'pt' " + k_not_stor_adapter},
    // --- storage hardware address
    {"disk:scsi:0,0,0,0:disk:/dev/sda", "hardware address",
     "'0,0,0,0' has more than three parts (bus,device,target)"},
    {"disk:avio_stor:,,,:disk:/dev/sda", "hardware address",
     "',,,' has more than three parts (bus,device,target)"},
    {"disk:scsi:9,9,99:bogus:x", "bus", "9 is out of range (0-7)"},
    {"disk:scsi:-1,0,0:disk:/dev/sda", "bus", "-1 is out of range (0-7)"},
    {"disk:scsi:100:disk:/dev/sda", "bus", "100 is out of range (0-7)"},
    {"disk:scsi:a,0,0:disk:/dev/sda", "bus", "'a' is not a number"},
    {"disk:scsi:0x1,0,0:disk:/dev/sda", "bus", "'0x1' is not a number"},
    {"disk:scsi:+1,0,0:disk:/dev/sda", "bus", "'+1' is not a number"},
    {"disk:scsi: 1,0,0:disk:/dev/sda", "bus", "' 1' is not a number"},
    {"disk:scsi:1 ,0,0:disk:/dev/sda", "bus", "'1 ' is not a number"},
    {"disk:scsi:1.0,0,0:disk:/dev/sda", "bus", "'1.0' is not a number"},
    {"disk:scsi:0;1;2:disk:/dev/sda", "bus", "'0;1;2' is not a number"},
    {"disk:scsi:0 1 2:disk:/dev/sda", "bus", "'0 1 2' is not a number"},
    {"disk:scsi:0,9,99:disk:/dev/sda", "device", "9 is out of range (0-7)"},
    {"disk:scsi:0,-1,0:disk:/dev/sda", "device", "-1 is out of range (0-7)"},
    {"disk:scsi:0,x,0:disk:/dev/sda", "device", "'x' is not a number"},
    {"disk:avio_stor:0,2a:disk:/dev/sda", "device", "'2a' is not a number"},
    {"disk:scsi:0,0,127:disk:/dev/sda", "target", "127 is out of range (0-14)"},
    {"disk:scsi:0,0,-1:disk:/dev/sda", "target", "-1 is out of range (0-14)"},
    {"disk:avio_stor:0,0,-1:disk:/dev/sda", "target", "-1 is out of range (0-127)"},
    {"disk:avio_stor:0,0,1000:disk:/dev/sda", "target", "1000 is out of range (0-127)"},
    {"disk:scsi:0,0,t:disk:/dev/sda", "target", "'t' is not a number"},
    {"dvd:scsi:0,0,0x0:file:/iso/a.iso", "target", "'0x0' is not a number"},
    {"disk:scsi:,1:disk:/dev/sda", "bus", "is missing while a device (slot) is given"},
    {"disk:scsi:,1,2:disk:/dev/sda", "bus", "is missing while a device (slot) is given"},
    {"disk:avio_stor:,7,:disk:/dev/sda", "bus", "is missing while a device (slot) is given"},
    {"disk:scsi:0,,2:disk:/dev/sda", "device", "is missing while a target is given"},
    {"disk:scsi:,,2:disk:/dev/sda", "device", "is missing while a target is given"},
    // --- storage type
    {"disk:scsi:::/dev/sda", "storage type",
     "is missing (disk, lv, file, null, attach or attach_path)"},
    {"disk:scsi:0,0,0::/dev/sda", "storage type",
     "is missing (disk, lv, file, null, attach or attach_path)"},
    {"disk:scsi::LV:/dev/vg00/rlvol1", "storage type", "'LV' " + k_not_storage},
    {"disk:avio_stor::npiv:/dev/fc0", "storage type", "'npiv' " + k_not_storage},
    {"tape:avio_stor::attach-path:/dev/sg0", "storage type", "'attach-path' " + k_not_storage},
    {"disk:scsi::raw:/dev/sda", "storage type", "'raw' " + k_not_storage},
    {"disk:scsi::dvd:/dev/sr0", "storage type", "'dvd' " + k_not_storage},
    {"disk:scsi::/dev/sda:", "storage type", "'/dev/sda' " + k_not_storage},
    {"disk:scsi::null:/dev/sda", "storage type", "'null' cannot back a disk device"},
    {"disk:scsi::null:", "storage type", "'null' cannot back a disk device"},
    {"dvd:scsi::lv:/dev/vg00/rlvol1", "storage type", "'lv' cannot back a dvd device"},
    {"tape:scsi::disk:/dev/sda", "storage type", "'disk' cannot back a tape device"},
    {"changer:avio_stor::file:/vm/changer.img", "storage type",
     "'file' cannot back a changer device"},
    {"burner:scsi::null:", "storage type", "'null' cannot back a burner device"},
    {"disk:avio_stor::attach:/dev/sg0", "storage type", "'attach' cannot back a disk device"},
    {"dvd:avio_stor::attach_path:/dev/sg0", "storage type",
     "'attach_path' cannot back a dvd device"},
    // --- location
    {"disk:scsi::disk:", "location", "is missing"},
    {"disk:scsi:0,0,0:file:", "location", "is missing"},
    {"tape:scsi::attach:", "location", "is missing"},
    {"disk:avio_stor::lv:", "location", "is missing"},
    {"disk:scsi::disk:dev/rdisk/disk1", "location", "'dev/rdisk/disk1' is not an absolute path"},
    {"disk:scsi::file: /vm/a.img", "location", "' /vm/a.img' is not an absolute path"},
    {"disk:scsi::file:~/a.img", "location", "'~/a.img' is not an absolute path"},
    {"disk:scsi::file:./a.img", "location", "'./a.img' is not an absolute path"},
    {"dvd:scsi::null:iso-images", "location", "'iso-images' is not an absolute path"},
    {"dvd:scsi::file:iso:/x.iso", "location", "'iso:/x.iso' is not an absolute path"},
    {"disk:scsi::file::/x", "location", "':/x' is not an absolute path"},
    // --- network adapter type
    {"network", "adapter type", "is missing (lan or avio_lan)"},
    {"network:", "adapter type", "is missing (lan or avio_lan)"},
    {"network::vswitch:vsw1", "adapter type", "is missing (lan or avio_lan)"},
    {"network:::vswitch:vsw1", "adapter type", "is missing (lan or avio_lan)"},
    {"network:eth::vswitch:vsw1", "adapter type", "'eth' " + k_not_net_adapter},
    {"network:LAN::vswitch:vsw1", "adapter type", "'LAN' " + k_not_net_adapter},
    {"network:avio_stor::vswitch:vsw1", "adapter type", "'avio_stor' " + k_not_net_adapter},
    {"network:avio-lan::vswitch:vsw1", "adapter type", "'avio-lan' " + k_not_net_adapter},
    {"network:scsi::vswitch:vsw1", "adapter type", "'scsi' " + k_not_net_adapter},
    {"network:e1000::vswitch:vsw1", "adapter type", "'e1000' " + k_not_net_adapter},
    // --- vswitch keyword
    {"network:lan", "vswitch keyword", "is missing"},
    {"network:lan:", "vswitch keyword", "is missing"},
    {"network:avio_lan:0,0", "vswitch keyword", "is missing"},
    {"network:lan:0,0,0x56E9E3096A22", "vswitch keyword", "is missing"},
    {"network:lan::", "vswitch keyword", "'' is not 'vswitch'"},
    {"network:lan::switch:vsw1", "vswitch keyword", "'switch' is not 'vswitch'"},
    {"network:lan::VSWITCH:vsw1", "vswitch keyword", "'VSWITCH' is not 'vswitch'"},
    {"network:lan:0,0:vsw:vsw1", "vswitch keyword", "'vsw' is not 'vswitch'"},
    {"network:lan::vswitchs:vsw1", "vswitch keyword", "'vswitchs' is not 'vswitch'"},
    {"network:lan::vsw1", "vswitch keyword", "'vsw1' is not 'vswitch'"},
    // --- vswitch name
    {"network:lan::vswitch", "vswitch name", "is missing"},
    {"network:lan::vswitch:", "vswitch name", "is missing"},
    {"network:lan:vswitch", "vswitch name", "is missing"},
    {"network:lan:vswitch:", "vswitch name", "is missing"},
    {"network:lan::vswitch::portid:4", "vswitch name", "is missing"},
    {"network:lan::vswitch:-vsw", "vswitch name", "'-vsw' must start with a letter or digit"},
    {"network:lan:vswitch:_vsw", "vswitch name", "'_vsw' must start with a letter or digit"},
    {"network:lan::vswitch:vsw 1", "vswitch name",
     "'vsw 1' may contain only letters, digits, '_', '.' and '-'"},
    {"network:lan::vswitch:vsw/1", "vswitch name",
     "'vsw/1' may contain only letters, digits, '_', '.' and '-'"},
    {"network:lan::vswitch:vsw\xc3\xa9", "vswitch name",
     "'vsw\xc3\xa9' may contain only letters, digits, '_', '.' and '-'"},
    {"network:lan::vswitch:" + std::string(9, 'v'), "vswitch name",
     "'" + std::string(9, 'v') + "' is longer than 8 characters"},
    // --- portid and port number
    {"network:lan::vswitch:vsw1:", "portid keyword", "'' is not 'portid'"},
    {"network:lan::vswitch:vsw1:port:4", "portid keyword", "'port' is not 'portid'"},
    {"network:lan::vswitch:vsw1:PORTID:4", "portid keyword", "'PORTID' is not 'portid'"},
    {"network:lan::vswitch:vsw1:4", "portid keyword", "'4' is not 'portid'"},
    {"network:lan:vswitch:vsw1:vlan:10", "portid keyword", "'vlan' is not 'portid'"},
    {"network:lan::vswitch:vsw1:portid", "port number", "is missing"},
    {"network:lan::vswitch:vsw1:portid:", "port number", "is missing"},
    {"network:lan::vswitch:vsw1:portid:-1", "port number", "-1 is out of range (0-511)"},
    {"network:lan::vswitch:vsw1:portid:4096", "port number", "4096 is out of range (0-511)"},
    {"network:lan::vswitch:vsw1:portid:four", "port number", "'four' is not a number"},
    {"network:lan::vswitch:vsw1:portid:0x4", "port number", "'0x4' is not a number"},
    {"network:lan::vswitch:vsw1:portid: 4", "port number", "' 4' is not a number"},
    {"network:lan::vswitch:vsw1:portid:4:", "statement", "has fields after the port number"},
    {"network:lan::vswitch:vsw1:portid:4:vlan:10", "statement", "has fields after the port number"},
    {"network:lan:vswitch:vsw1:portid:4:4", "statement", "has fields after the port number"},
    // --- network hardware address
    {"network:lan:0,0,0x56E9E3096A22,1:vswitch:vsw1", "hardware address",
     "'0,0,0x56E9E3096A22,1' has more than three parts (bus,device,mac)"},
    {"network:lan:,,,:vswitch:vsw1", "hardware address",
     "',,,' has more than three parts (bus,device,mac)"},
    {"network:lan:x,0:vswitch:vsw1", "bus", "'x' is not a number"},
    {"network:avio_lan:-1,0:vswitch:vsw1", "bus", "-1 is out of range (0-7)"},
    {"network:avio_lan:0,y:vswitch:vsw1", "device", "'y' is not a number"},
    {"network:lan:0,99:vswitch:vsw1", "device", "99 is out of range (0-7)"},
    {"network:lan:0:vswitch:vsw1", "device", k_together},
    {"network:lan:0,:vswitch:vsw1", "device", k_together},
    {"network:lan:0,,0x56E9E3096A22:vswitch:vsw1", "device", k_together},
    {"network:lan:,0:vswitch:vsw1", "bus", k_together},
    {"network:lan:,1,0x56E9E3096A22:vswitch:vsw1", "bus", k_together},
    // --- MAC address
    {"network:lan:,,0x56E9E3096A2:vswitch:vsw1", "MAC address", "'0x56E9E3096A2' " + k_bad_mac},
    {"network:lan:,,0x56E9E3096A223:vswitch:vsw1", "MAC address", "'0x56E9E3096A223' " + k_bad_mac},
    {"network:lan:,,0x56E9E3096AZ2:vswitch:vsw1", "MAC address", "'0x56E9E3096AZ2' " + k_bad_mac},
    {"network:lan:,,56E9E3096A22:vswitch:vsw1", "MAC address", "'56E9E3096A22' " + k_bad_mac},
    {"network:lan:,,56-e9-e3-09-6a:vswitch:vsw1", "MAC address", "'56-e9-e3-09-6a' " + k_bad_mac},
    {"network:lan:,,56-e9-e3-09-6a-2g:vswitch:vsw1", "MAC address",
     "'56-e9-e3-09-6a-2g' " + k_bad_mac},
    {"network:lan:,,56_e9_e3_09_6a_22:vswitch:vsw1", "MAC address",
     "'56_e9_e3_09_6a_22' " + k_bad_mac},
    {"network:lan:,,56.e9.e3.09.6a.22:vswitch:vsw1", "MAC address",
     "'56.e9.e3.09.6a.22' " + k_bad_mac},
    {"network:lan:,,0x:vswitch:vsw1", "MAC address", "'0x' " + k_bad_mac},
    {"network:lan:,,x56E9E3096A22:vswitch:vsw1", "MAC address", "'x56E9E3096A22' " + k_bad_mac},
    {"network:lan:0,0,aa-bb-cc-00-11-22-33:vswitch:vsw1", "MAC address",
     "'aa-bb-cc-00-11-22-33' " + k_bad_mac},
    {"network:lan:0,0,0x56E9E3096A22 :vswitch:vsw1", "MAC address",
     "'0x56E9E3096A22 ' " + k_bad_mac},
    {"network:lan:0,,zz:vswitch:vsw1", "MAC address", "'zz' " + k_bad_mac},
    // --- adapter-level hba statements
    {"hba", "statement", k_hba_shape},
    {"hba:", "statement", k_hba_shape},
    {"hba:scsi", "statement", k_hba_shape},
    {"hba:scsi:0,4:", "statement", k_hba_shape},
    {"hba:scsi:0,4:disk", "statement", k_hba_shape},
    {"hba:avio_stor:0,4,0:disk:/dev/sda", "statement", k_hba_shape},
    {"hba::0,4", "adapter type", "is missing (scsi or avio_stor)"},
    {"hba:lan:0,4", "adapter type", "'lan' " + k_not_stor_adapter},
    {"hba:avio_lan:0,4", "adapter type", "'avio_lan' " + k_not_stor_adapter},
    {"hba:scsi:", "hardware address", "'' must be bus,slot"},
    {"hba:scsi:0", "hardware address", "'0' must be bus,slot"},
    {"hba:scsi:0,4,0", "hardware address", "'0,4,0' must be bus,slot"},
    {"hba:avio_stor:0,4,", "hardware address", "'0,4,' must be bus,slot"},
    {"hba:scsi:,4", "bus", "is missing"},
    {"hba:scsi:,", "bus", "is missing"},
    {"hba:scsi:0,", "device", "is missing"},
    {"hba:scsi:x,4", "bus", "'x' is not a number"},
    {"hba:scsi:0,y", "device", "'y' is not a number"},
    {"hba:avio_stor:-1,4", "bus", "-1 is out of range (0-7)"},
    {"hba:avio_stor:0,-1", "device", "-1 is out of range (0-7)"},
};

} // namespace

TEST_CASE("grammar: malformed statements are refused with a message naming the field and why") {
  std::set<std::string> distinct;
  for (const auto& row : k_malformed) {
    distinct.insert(row.text);
    check_rejected(row.text, row.field, row.reason);
  }
  CHECK(distinct.size() == k_malformed.size()); // no row is listed twice
  CHECK(k_malformed.size() >= 100);
}

TEST_CASE("grammar: the first wrong field is the one reported") {
  // Fields are checked left to right.
  check_rejected("floppy:lan:9,9,99:bogus:rel", "device type", "'floppy' " + k_not_device);
  check_rejected("disk:lan:9,9,99:bogus:rel", "adapter type", "'lan' " + k_not_stor_adapter);
  check_rejected("disk:scsi:0,9,99:bogus:rel", "device", "9 is out of range (0-7)");
  check_rejected("disk:scsi:0,0,99:bogus:rel", "target", "99 is out of range (0-14)");
  check_rejected("disk:scsi:0,0,0:bogus:rel", "storage type", "'bogus' " + k_not_storage);
  check_rejected("disk:scsi:0,0,0:null:rel", "storage type", "'null' cannot back a disk device");
  check_rejected("disk:scsi:0,0,0:file:rel", "location", "'rel' is not an absolute path");
  check_rejected("network:eth:9,9,zz:switch:-:port:x", "adapter type",
                 "'eth' " + k_not_net_adapter);
  check_rejected("network:lan:9,9,zz:switch:-:port:x", "bus", "9 is out of range (0-7)");
  check_rejected("network:lan:0,9,zz:switch:-:port:x", "device", "9 is out of range (0-7)");
  check_rejected("network:lan:0,0,zz:switch:-:port:x", "MAC address", "'zz' " + k_bad_mac);
  check_rejected("network:lan:0,0:switch:-:port:x", "vswitch keyword", "'switch' is not 'vswitch'");
  check_rejected("network:lan:0,0:vswitch:v:port:x", "portid keyword", "'port' is not 'portid'");
  check_rejected("network:lan:0,0:vswitch:v:portid:x", "port number", "'x' is not a number");
}

TEST_CASE("grammar: numbers are digits only and huge ones are out of range") {
  check_rejected("disk:scsi:-0,0,0:disk:/dev/sda", "bus", "-0 is out of range (0-7)");
  check_rejected("network:lan::vswitch:vsw1:portid:-0", "port number",
                 "-0 is out of range (0-511)");
  check_rejected("disk:scsi:+1,0,0:disk:/dev/sda", "bus", "'+1' is not a number");
  check_rejected("disk:scsi:99999999999,0,0:disk:/dev/sda", "bus",
                 "99999999999 is out of range (0-7)");
  check_rejected("network:lan::vswitch:vsw1:portid:99999999999", "port number",
                 "99999999999 is out of range (0-511)");
}

TEST_CASE("grammar: a misspelt vswitch keyword in the short form is named as such") {
  check_rejected("network:lan:vsw:vsw1", "vswitch keyword", "'vsw' is not 'vswitch'");
  check_rejected("network:avio_lan:switch:vsw1", "vswitch keyword", "'switch' is not 'vswitch'");
  // An all-digit field is still a (bus-only) hardware address.
  check_rejected("network:lan:0:vswitch:vsw1", "device", "must be given together with the other");
}

TEST_CASE("grammar: HP-UX lunpaths are valid attach_path locations, and only there") {
  // The reference's attach_path examples use HP-UX agile lunpaths: valid HPVM
  // syntax, so they parse and print back; the host check refuses them on
  // Linux (avio::check_backing, test_backing.cpp).
  for (const char* text : {"tape:avio_stor::attach_path:0/7/1/1.0x500104f00048b29e.0x0",
                           "changer:avio_stor:0,5,1:attach_path:0/1/1/0.0x50060b0000332253.0x0",
                           "burner:avio_stor:0,5,2:attach_path:0/1/1/0.0x50060b0000332252.0x0"}) {
    CAPTURE(text);
    const std::string location =
        std::string(text).substr(std::string(text).rfind("attach_path:") + 12);
    CHECK(storage_of(text).location == location);
  }
  // Other storage types still need an absolute path.
  check_rejected("tape:avio_stor::attach:0/7/1/1.0x500104f00048b29e.0x0", "location",
                 "'0/7/1/1.0x500104f00048b29e.0x0' is not an absolute path");
  // Something that only looks half like a lunpath is a relative path.
  check_rejected("tape:avio_stor::attach_path:0/7/a/1.0x5", "location",
                 "'0/7/a/1.0x5' is not an absolute path");
  check_rejected("tape:avio_stor::attach_path:sg3", "location", "'sg3' is not an absolute path");
  const auto st =
      std::get<StorageStatement>(parse_resource("tape:avio_stor:0,4,0:attach_path:/dev/sg3"));
  CHECK(st.location == "/dev/sg3");
}

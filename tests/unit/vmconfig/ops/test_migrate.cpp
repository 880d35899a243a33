// Tests for libvmconfig/vmconfig/ops/migrate.cpp: the definition a source
// sends is the guest the target creates (characteristics, devices with their
// addresses, MACs, UUID), and what the target refuses leaves it unchanged.
#include "temp_dir.hpp"

#include <avio/backing.hpp>
#include <vmconfig/model/grammar.hpp>
#include <vmconfig/ops/migrate.hpp>
#include <vmconfig/store/store.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace vmconfig;
namespace fs = std::filesystem;

namespace {

// A channel that hands out `lines` and keeps what is sent.
struct FakeSource {
  std::vector<std::string> lines;
  std::vector<std::string> sent;
  ReceiveChannel channel() {
    return {[this](const std::string& line) { sent.push_back(line); },
            [this](std::chrono::milliseconds) -> std::optional<std::string> {
              if (lines.empty()) {
                return std::nullopt;
              }
              std::string line = lines.front();
              lines.erase(lines.begin());
              return line;
            }};
  }
};

// A 1 MiB backing file.
void make_disk(const std::string& path) {
  std::ofstream(path).put('x');
  fs::resize_file(path, 1 << 20);
}

Guest sample(const std::string& disk) {
  Guest g;
  g.name = "g1";
  g.uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
  g.os_type = "LINUX";
  g.os_version = "12";
  g.vcpus = 2;
  g.entitlement = {false, 12.5, 80.0};
  g.memory_mb = 96;
  g.label = "web server";
  g.start = StartAttr::manual;
  g.extended = {{"graceful_stop_timeout", "30"}};
  g.access = {{ConsoleAccess::Kind::user, "root", true}};
  g.storage = {{DeviceType::disk, StorageAdapter::avio_stor, {0, 1, 3}, StorageType::file, disk}};
  g.networks = {{NetAdapter::avio_lan,
                 {0, 5},
                 avio::MacAddress(0x02AABBCC0042ULL),
                 "localnet",
                 std::nullopt}};
  return g;
}

} // namespace

TEST_CASE("migrate: the target creates the guest the definition describes") {
  hpvm_test::TempDir dir("test_migrate");
  const std::string disk = (dir.path() / "d.img").string();
  make_disk(disk);
  const Guest g = sample(disk);
  const std::string definition =
      export_definition(g, {avio::probe(disk).identity}, {std::nullopt}, "g1", false, false);
  Store store(dir.path() / "root");
  FakeSource source{{definition, "commit"}, {}};
  const ReceiveResult r = receive_guest(store, source.channel());
  CHECK(source.sent == std::vector<std::string>{R"({"ok":true,"ready":true})"});
  CHECK(r.name == "g1");
  CHECK(r.vm_number == 1);
  const auto got = store.load_guest("g1");
  REQUIRE(got);
  CHECK(got->uuid == g.uuid);
  CHECK(got->os_type == "LINUX");
  CHECK(got->os_version == "12");
  CHECK(got->vcpus == 2);
  CHECK(got->entitlement == g.entitlement);
  CHECK(got->memory_mb == 96);
  CHECK(got->label == "web server");
  CHECK(got->start == StartAttr::manual);
  CHECK(got->extended == g.extended);
  CHECK(got->access == g.access);
  CHECK(got->storage == g.storage);
  CHECK(got->networks == g.networks);
  CHECK(got->runnable);
}

TEST_CASE("migrate: a check creates nothing; a different file at the path is refused") {
  hpvm_test::TempDir dir("test_migrate");
  const std::string disk = (dir.path() / "d.img").string();
  make_disk(disk);
  const Guest g = sample(disk);
  Store store(dir.path() / "root");
  FakeSource check{
      {export_definition(g, {avio::probe(disk).identity}, {std::nullopt}, "g1", true, false)}, {}};
  receive_guest(store, check.channel());
  CHECK_FALSE(store.load_guest("g1"));
  // The source saw another file at that path: another inode and size.
  auto sent =
      nlohmann::json::parse(export_definition(g, {"ino:1:2"}, {std::nullopt}, "g1", false, false));
  sent["storage"][0]["shared_identity"] = "file:2:512";
  FakeSource other{{sent.dump()}, {}};
  CHECK_THROWS_AS(receive_guest(store, other.channel()), hpvm::Refused);
  CHECK_FALSE(store.load_guest("g1"));
  FakeSource nothing{{}, {}};
  CHECK_THROWS_AS(receive_guest(store, nothing.channel()), hpvm::Refused);
}

TEST_CASE("migrate: the target removes the guest again unless the source says commit") {
  hpvm_test::TempDir dir("test_migrate");
  const std::string disk = (dir.path() / "d.img").string();
  make_disk(disk);
  const std::string definition = export_definition(sample(disk), {avio::probe(disk).identity},
                                                   {std::nullopt}, "g1", false, false);
  Store store(dir.path() / "root");
  for (const std::vector<std::string>& after :
       {std::vector<std::string>{"abort"}, std::vector<std::string>{}}) {
    std::vector<std::string> lines{definition};
    lines.insert(lines.end(), after.begin(), after.end());
    FakeSource source{lines, {}};
    CHECK_THROWS_AS(receive_guest(store, source.channel()), hpvm::Error);
    CHECK(source.sent.size() == 1); // ready, then nothing
    CHECK_FALSE(store.load_guest("g1"));
  }
}

// Tests for libvmconfig/vmconfig/ops/online.cpp: which hot-plug changes a
// modification of a running guest becomes (in the order the batch runs
// them), and which differences wait for the guest's next start.
#include "string_list.hpp"

#include <vmconfig/ops/online.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

using namespace vmconfig;

namespace {

StorageDevice storage(DeviceType device, StorageAdapter adapter, int bus, int slot, int target,
                      StorageType type, std::string location) {
  return {device, adapter, {bus, slot, target}, type, std::move(location)};
}

StorageDevice disk(int bus, int slot, int target, std::string file) {
  return storage(DeviceType::disk, StorageAdapter::avio_stor, bus, slot, target, StorageType::file,
                 std::move(file));
}

NetworkDevice vnic(int bus, int slot, std::uint64_t mac, std::string vswitch) {
  return {NetAdapter::avio_lan, {bus, slot}, avio::MacAddress(mac), std::move(vswitch), {}};
}

// A running guest: VM number 7, two disks on the adapter at 0,0, a DVD on a
// scsi adapter at 0,1, a vNIC at 0,2.
Guest base_guest() {
  Guest g;
  g.name = "live";
  g.vm_number = 7;
  g.vcpus = 2;
  g.memory_mb = 2048;
  g.storage = {
      disk(0, 0, 0, "/img/root"), disk(0, 0, 1, "/img/data"),
      storage(DeviceType::dvd, StorageAdapter::scsi, 0, 1, 0, StorageType::file, "/img/cd1.iso")};
  g.networks = {vnic(0, 2, 0x020000000002, "sw1")};
  return g;
}

std::vector<std::string> described(const OnlineChanges& plan) {
  std::vector<std::string> out;
  for (const auto& c : plan.changes) {
    out.push_back(avio::describe(c));
  }
  return out;
}

using Lines = std::vector<std::string>;

} // namespace

TEST_CASE("online: the same configuration changes nothing") {
  const OnlineChanges plan = plan_online_changes(base_guest(), base_guest());
  CHECK(plan.changes.empty());
  CHECK(plan.deferred.empty());
  CHECK(plan.added_nics.empty());
  CHECK(plan.removed_nics.empty());
}

TEST_CASE("online: a disk added to a live adapter, one removed from it") {
  Guest after = base_guest();
  after.storage.erase(after.storage.begin() + 1); // /img/data at 0,0,1
  after.storage.push_back(disk(0, 0, 5, "/img/new"));
  const OnlineChanges plan = plan_online_changes(base_guest(), after);
  CHECK(described(plan) == Lines{"remove disk 0,0,1", "add disk 0,0,5"});
  REQUIRE(plan.changes.size() == 2);
  const auto& removed = std::get<avio::RemoveStorage>(plan.changes[0]).disk;
  CHECK(removed.location == "/img/data");
  CHECK(removed.adapter == StorageAdapter::avio_stor);
  const auto& added = std::get<avio::AddStorage>(plan.changes[1]).disk;
  CHECK(added.location == "/img/new");
  CHECK(added.address == avio::StorageAddress{0, 0, 5});
  CHECK(added.storage == StorageType::file);
  CHECK(plan.deferred.empty());
}

TEST_CASE("online: removing an adapter's last device is a PCI removal, after the additions") {
  Guest after = base_guest();
  after.storage.pop_back(); // the DVD, alone on 0,1
  after.storage.push_back(disk(1, 0, 0, "/img/other"));
  const OnlineChanges plan = plan_online_changes(base_guest(), after);
  CHECK(described(plan) == Lines{"add disk 1,0,0", "remove dvd 0,1,0"});
  REQUIRE(plan.changes.size() == 2);
  const auto& dvd = std::get<avio::RemoveStorage>(plan.changes[1]).disk;
  CHECK(dvd.adapter == StorageAdapter::scsi);
  CHECK(dvd.device == DeviceType::dvd);
}

TEST_CASE("online: a new backing store is a replacement; a new device type, remove and add") {
  Guest before = base_guest();
  before.storage.push_back(
      storage(DeviceType::dvd, StorageAdapter::scsi, 0, 1, 1, StorageType::null, "/some/dir"));
  Guest after = before;
  after.storage[0].location = "/img/root2";
  after.storage[1] = storage(DeviceType::dvd, StorageAdapter::avio_stor, 0, 0, 1, StorageType::file,
                             "/img/cd2.iso");
  after.storage[3] =
      storage(DeviceType::dvd, StorageAdapter::scsi, 0, 1, 1, StorageType::file, "/img/cd3.iso");
  const OnlineChanges plan = plan_online_changes(before, after);
  CHECK(described(plan) == Lines{"remove disk 0,0,1", "change the backing store of disk 0,0,0",
                                 "change the backing store of dvd 0,1,1", "add dvd 0,0,1"});
  REQUIRE(plan.changes.size() == 4);
  const auto& root = std::get<avio::ReplaceBacking>(plan.changes[1]);
  CHECK(root.from.location == "/img/root");
  CHECK(root.to.location == "/img/root2");
  // A null DVD has no medium at runtime, whatever its location says.
  const auto& media = std::get<avio::ReplaceBacking>(plan.changes[2]);
  CHECK(media.from.storage == StorageType::null);
  CHECK(media.from.location.empty());
  CHECK(media.to.location == "/img/cd3.iso");
  CHECK(std::get<avio::AddStorage>(plan.changes[3]).disk.device == DeviceType::dvd);
  CHECK(plan.deferred.empty());
}

TEST_CASE("online: an adapter switch waits for the next start, for each of its devices") {
  Guest after = base_guest();
  after.storage[0].adapter = StorageAdapter::scsi;
  after.storage[1].adapter = StorageAdapter::scsi;
  const OnlineChanges plan = plan_online_changes(base_guest(), after);
  CHECK(plan.changes.empty());
  CHECK(plan.deferred ==
        Lines{"The adapter switch of 'disk:avio_stor:0,0,0:file:/img/root' to scsi takes effect at "
              "the guest's next start.",
              "The adapter switch of 'disk:avio_stor:0,0,1:file:/img/data' to scsi takes effect at "
              "the guest's next start."});
}

TEST_CASE("online: vNICs added and removed are hot-plugged, a changed one waits") {
  Guest before = base_guest();
  before.networks.push_back(vnic(0, 3, 0x020000000003, "sw1"));
  Guest after = before;
  after.networks.erase(after.networks.begin()); // 0,2
  after.networks[0].vswitch = "sw2";            // 0,3
  after.networks.push_back(vnic(1, 4, 0x020000000014, "sw3"));
  const OnlineChanges plan = plan_online_changes(before, after);
  // The new vNIC is an addition; the removed one a PCI removal, last.
  CHECK(described(plan) == Lines{"add avio_lan 1,4", "remove avio_lan 0,2"});
  REQUIRE(plan.changes.size() == 2);
  const auto& added = std::get<avio::AddNic>(plan.changes[0]).nic;
  CHECK(added.tap == "hpv7n14");
  CHECK(added.mac == avio::MacAddress(0x020000000014));
  const auto& removed = std::get<avio::RemoveNic>(plan.changes[1]).nic;
  CHECK(removed.tap == "hpv7n02");
  REQUIRE(plan.added_nics.size() == 1);
  CHECK(plan.added_nics[0] == after.networks[1]);
  REQUIRE(plan.removed_nics.size() == 1);
  CHECK(plan.removed_nics[0] == before.networks[0]);
  CHECK(plan.deferred == Lines{"The change of 'network:avio_lan:0,3,0x020000000003:vswitch:sw1' to "
                               "'network:avio_lan:0,3,0x020000000003:vswitch:sw2' takes effect at "
                               "the guest's next start."});
}

TEST_CASE("online: vCPUs and memory wait for the next start") {
  Guest after = base_guest();
  after.vcpus = 4;
  after.memory_mb = 6144;
  after.label = "relabelled"; // not a runtime matter at all
  const OnlineChanges plan = plan_online_changes(base_guest(), after);
  CHECK(plan.changes.empty());
  CHECK(plan.deferred == Lines{"The vCPU count 4 takes effect at the guest's next start.",
                               "The memory size 6144 MB takes effect at the guest's next start."});
}

TEST_CASE("online: one modification of everything: removals, replacements, additions, PCI "
          "removals") {
  Guest after = base_guest();
  after.storage = {disk(0, 0, 0, "/img/root.new"), disk(0, 0, 2, "/img/more"),
                   disk(2, 2, 0, "/img/far")};          // 0,0,1 goes; the DVD's adapter 0,1 empties
  after.networks = {vnic(0, 4, 0x020000000004, "sw1")}; // 0,2 goes
  after.vcpus = 3;
  const OnlineChanges plan = plan_online_changes(base_guest(), after);
  CHECK(described(plan) == Lines{"remove disk 0,0,1", "change the backing store of disk 0,0,0",
                                 "add disk 0,0,2", "add disk 2,2,0", "add avio_lan 0,4",
                                 "remove dvd 0,1,0", "remove avio_lan 0,2"});
  CHECK(plan.deferred == Lines{"The vCPU count 3 takes effect at the guest's next start."});
  REQUIRE(plan.added_nics.size() == 1);
  CHECK(plan.added_nics[0].address == avio::NicAddress{0, 4});
  REQUIRE(plan.removed_nics.size() == 1);
  CHECK(plan.removed_nics[0].address == avio::NicAddress{0, 2});
}

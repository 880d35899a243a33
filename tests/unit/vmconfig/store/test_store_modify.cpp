// Unit tests for libvmconfig/vmconfig/store/store_modify.cpp: update_guest writes
// only what changed between the stored guest and the new one.
#include "temp_dir.hpp"

#include <vmconfig/store/store.hpp>
#include <vmconfig/store/store_modify.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

using namespace vmconfig;

namespace {

struct TempRoot : hpvm_test::TempDir {
  TempRoot() : TempDir("test_store_modify") {}
};

StorageDevice disk(int target, const std::string& location) {
  return {avio::DeviceType::disk,
          avio::StorageAdapter::avio_stor,
          {0, 1, target},
          avio::StorageType::file,
          location};
}

Guest stored_guest(Store& store) {
  Guest g;
  g.name = "g1";
  g.vm_number = 1;
  g.uuid = "6c0d0a52-3f0e-4d55-9c4b-1f3c2a7b9e01";
  g.extended = {{"graphics", "none"}};
  g.access = {{ConsoleAccess::Kind::user, "alice", true}};
  g.storage = {disk(0, "/vm/d0.img"), disk(1, "/vm/d1.img")};
  g.networks = {{avio::NetAdapter::avio_lan, {0, 3}, avio::MacAddress(0x02163e000001), "sw1", {}}};
  store.insert_guest(g, {"id-d0", "id-d1"});
  return g;
}

// Row id of the storage device at target `t`, 0 if there is none.
std::int64_t storage_row(Store& store, int t) {
  SQLite::Statement q(store.database(),
                      "SELECT id FROM storage_devices WHERE bus = 0 AND slot = 1 AND target = ?");
  q.bind(1, t);
  return q.executeStep() ? q.getColumn(0).getInt64() : 0;
}

std::string identity_at(Store& store, int t) {
  SQLite::Statement q(store.database(),
                      "SELECT identity FROM storage_devices WHERE bus = 0 AND slot = 1 AND "
                      "target = ?");
  q.bind(1, t);
  REQUIRE(q.executeStep());
  return q.getColumn(0).getString();
}

// Rows inserted, updated or deleted by `write`.
template <typename F> int rows_written(Store& store, F write) {
  const int before = store.database().getTotalChanges();
  write();
  return store.database().getTotalChanges() - before;
}

} // namespace

TEST_CASE("update_guest: a disk added writes its row and nothing else") {
  TempRoot t;
  Store store(t.path() / "root");
  const Guest stored = stored_guest(store);
  const auto d0 = storage_row(store, 0);
  const auto d1 = storage_row(store, 1);
  Guest after = stored;
  after.storage.push_back(disk(5, "/vm/d5.img"));
  CHECK(rows_written(store, [&] {
          update_guest(store, stored, after, {"id-d0", "id-d1", "id-d5"});
        }) == 1);
  CHECK(storage_row(store, 0) == d0);
  CHECK(storage_row(store, 1) == d1);
  CHECK(storage_row(store, 5) != 0);
  CHECK(identity_at(store, 5) == "id-d5");
  const auto loaded = store.load_guest("g1");
  REQUIRE(loaded);
  CHECK(loaded->storage == after.storage);
  CHECK(loaded->networks == after.networks);
  CHECK(loaded->extended == after.extended);
  CHECK(loaded->access == after.access);
}

TEST_CASE("update_guest: an unchanged guest writes nothing") {
  TempRoot t;
  Store store(t.path() / "root");
  const Guest stored = stored_guest(store);
  CHECK(rows_written(store, [&] { update_guest(store, stored, stored, {"id-d0", "id-d1"}); }) == 0);
}

TEST_CASE("update_guest: a device changed in place keeps its row; a removed one goes") {
  TempRoot t;
  Store store(t.path() / "root");
  const Guest stored = stored_guest(store);
  const auto d0 = storage_row(store, 0);
  Guest after = stored;
  after.storage = {disk(0, "/vm/other.img")};
  CHECK(rows_written(store, [&] { update_guest(store, stored, after, {"id-other"}); }) == 2);
  CHECK(storage_row(store, 0) == d0);
  CHECK(storage_row(store, 1) == 0);
  CHECK(identity_at(store, 0) == "id-other");
  CHECK(store.load_guest("g1")->storage == after.storage);
}

TEST_CASE("update_guest: a new identity for the same backing store is written") {
  TempRoot t;
  Store store(t.path() / "root");
  const Guest stored = stored_guest(store);
  CHECK(rows_written(store, [&] {
          update_guest(store, stored, stored, {"id-d0", "id-new"});
        }) == 1);
  CHECK(identity_at(store, 1) == "id-new");
}

TEST_CASE("update_guest: characteristics, vNICs, keywords and console access are written") {
  TempRoot t;
  Store store(t.path() / "root");
  const Guest stored = stored_guest(store);
  Guest after = stored;
  after.name = "g2";
  after.vcpus = 4;
  after.networks.push_back(
      {avio::NetAdapter::lan, {0, 4}, avio::MacAddress(0x02163e000002), "sw1", 7});
  after.extended["graphics"] = "vnc";
  after.access.push_back({ConsoleAccess::Kind::group, "ops", false});
  update_guest(store, stored, after, {"id-d0", "id-d1"});
  CHECK_FALSE(store.load_guest("g1"));
  const auto loaded = store.load_guest("g2");
  REQUIRE(loaded);
  CHECK(loaded->vcpus == 4);
  CHECK(loaded->storage == after.storage);
  CHECK(loaded->networks == after.networks);
  CHECK(loaded->extended == after.extended);
  CHECK(loaded->access == after.access);
}

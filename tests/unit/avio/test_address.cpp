#include <avio/address.hpp>

#include <doctest/doctest.h>

using namespace avio;

TEST_CASE("storage fills the adapter of the same type, then the next free slot") {
  Topology t;
  auto a = t.place_storage(StorageAdapter::scsi, {}, false);
  REQUIRE(a);
  CHECK(*a.address == StorageAddress{0, 0, 0});
  auto b = t.place_storage(StorageAdapter::scsi, {}, false);
  CHECK(*b.address == StorageAddress{0, 0, 1});
  auto c = t.place_storage(StorageAdapter::avio_stor, {}, false);
  CHECK(*c.address == StorageAddress{0, 1, 0});
  auto n = t.place_nic(NetAdapter::lan, {});
  CHECK(*n.address == NicAddress{0, 2});
  auto d = t.place_storage(StorageAdapter::avio_stor, {}, false);
  CHECK(*d.address == StorageAddress{0, 1, 1});
}

TEST_CASE("a scsi adapter holds 15 targets, then a new adapter is opened") {
  Topology t;
  for (int i = 0; i <= k_max_scsi_target; ++i) {
    auto p = t.place_storage(StorageAdapter::scsi, {}, false);
    CHECK(*p.address == StorageAddress{0, 0, i});
  }
  auto next = t.place_storage(StorageAdapter::scsi, {}, false);
  CHECK(*next.address == StorageAddress{0, 1, 0});
}

TEST_CASE("explicit addresses are honoured and conflicts named") {
  Topology t;
  CHECK(*t.place_storage(StorageAdapter::avio_stor, {0, 5, 100}, false).address ==
        StorageAddress{0, 5, 100});
  auto dup = t.place_storage(StorageAdapter::avio_stor, {0, 5, 100}, false);
  CHECK_FALSE(dup);
  CHECK(dup.problem == "target 100 on bus 0 slot 5 is already in use");
  auto wrong = t.place_storage(StorageAdapter::scsi, {0, 5, 1}, false);
  CHECK(wrong.problem == "bus 0 slot 5 holds a avio_stor adapter, not scsi");
  auto nic = t.place_nic(NetAdapter::avio_lan, {0, 5, {}});
  CHECK(nic.problem == "bus 0 slot 5 is already in use by a avio_stor adapter");
  CHECK(*t.place_storage(StorageAdapter::avio_stor, {0, 5, {}}, false).address ==
        StorageAddress{0, 5, 0});
  CHECK(*t.place_nic(NetAdapter::lan, {3, {}, {}}).address == NicAddress{3, 0});
}

TEST_CASE("limits: VIO devices, file backings, adapters") {
  Topology t;
  for (int i = 0; i < k_max_vio_devices; ++i) {
    REQUIRE(t.place_storage(StorageAdapter::scsi, {}, false));
  }
  CHECK(t.place_storage(StorageAdapter::scsi, {}, false).problem ==
        "the guest already has the maximum of 30 VIO (scsi) storage devices");
  Topology f;
  for (int i = 0; i < k_max_file_backings; ++i) {
    REQUIRE(f.place_storage(StorageAdapter::avio_stor, {}, true));
  }
  CHECK(f.place_storage(StorageAdapter::avio_stor, {}, true).problem ==
        "the guest already has the maximum of 30 file backing stores");
  Topology n;
  for (int i = 0; i < k_max_adapters; ++i) {
    REQUIRE(n.place_nic(NetAdapter::lan, {}));
  }
  CHECK(n.place_nic(NetAdapter::lan, {}).problem == "the guest already has the maximum of 63 adapters");
}

TEST_CASE("an adapter disappears with its last device") {
  Topology t;
  auto a = t.place_storage(StorageAdapter::scsi, {}, false);
  CHECK(t.adapter_count() == 1);
  t.remove_storage(*a.address, false);
  CHECK(t.adapter_count() == 0);
  CHECK_FALSE(t.storage_adapter_at(0, 0));
}

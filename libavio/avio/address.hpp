// The guest's virtual PCI topology (bus 0-7, slot 0-7) and the deterministic
// rule that places devices whose statement leaves the address out.
//
// Allocation rule (documented in hpvmresources(5)):
//  * storage: the lowest free target on the first adapter of the same type
//    (in bus, then slot order) that has room and matches any bus/slot given;
//    otherwise a new adapter in the first free slot (bus, then slot order);
//  * vNIC: the first free slot (bus, then slot order), on the given bus if any.
// Devices are placed one call at a time; DevicePlanner::add_all() orders a
// command's statements so that given addresses are placed first.
#pragma once

#include "avio/types.hpp"

#include <array>
#include <bitset>
#include <compare>
#include <optional>
#include <string>

namespace avio {

struct StorageAddress {
  int bus = 0;
  int slot = 0;
  int target = 0;
  friend bool operator==(const StorageAddress&, const StorageAddress&) = default;
  friend auto operator<=>(const StorageAddress&, const StorageAddress&) = default;
};

struct NicAddress {
  int bus = 0;
  int slot = 0;
  friend bool operator==(const NicAddress&, const NicAddress&) = default;
  friend auto operator<=>(const NicAddress&, const NicAddress&) = default;
};

// What a statement asked for; any part may be left to the allocator.
struct AddressRequest {
  std::optional<int> bus;
  std::optional<int> slot;
  std::optional<int> target; // storage only
};

// Either a placed address or the reason it could not be placed.
template <typename Address> struct Placement {
  std::optional<Address> address;
  std::string problem;
  explicit operator bool() const { return address.has_value(); }
};

class Topology {
public:
  // Places a storage device and records it. `file_backed` counts towards the
  // per-guest limit of file backing stores.
  Placement<StorageAddress> place_storage(StorageAdapter adapter, const AddressRequest& request,
                                          bool file_backed);
  // Places a vNIC in a slot of its own and records it.
  Placement<NicAddress> place_nic(NetAdapter adapter, const AddressRequest& request);

  void remove_storage(const StorageAddress& address, bool file_backed);
  void remove_nic(const NicAddress& address);

  // Switches the storage adapter at bus,slot to another type in place,
  // keeping its targets. Returns why it cannot (no storage adapter there, a
  // target the new type does not have, the VIO device limit), or nullopt
  // once done.
  std::optional<std::string> retype_storage_adapter(int bus, int slot, StorageAdapter adapter);

  int adapter_count() const;
  int storage_count(StorageAdapter adapter) const;
  // The adapter type at bus,slot, or nullopt when the slot holds no storage adapter.
  std::optional<StorageAdapter> storage_adapter_at(int bus, int slot) const;

private:
  enum class SlotUse : unsigned char { free, storage, nic };
  struct Slot {
    SlotUse use = SlotUse::free;
    StorageAdapter adapter = StorageAdapter::scsi;
    NetAdapter nic = NetAdapter::lan;
    std::bitset<k_max_avio_target + 1> targets;
  };
  static constexpr int k_slots = (k_max_bus + 1) * (k_max_slot + 1);
  Slot& at(int bus, int slot) { return m_slots[static_cast<std::size_t>(bus * 8 + slot)]; }
  const Slot& at(int bus, int slot) const {
    return m_slots[static_cast<std::size_t>(bus * 8 + slot)];
  }
  std::optional<std::string> device_limit_problem(StorageAdapter adapter, bool file_backed) const;
  std::optional<int> first_free_target(const Slot& slot) const;
  std::optional<NicAddress> first_free_slot(std::optional<int> bus) const;

  std::array<Slot, k_slots> m_slots{};
  int m_scsi_devices = 0;
  int m_avio_devices = 0;
  int m_file_backings = 0;
};

} // namespace avio

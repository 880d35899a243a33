#include "avio/address.hpp"

#include <fmt/format.h>

namespace avio {

namespace {

const char* adapter_name(StorageAdapter a) {
  return a == StorageAdapter::scsi ? "scsi" : "avio_stor";
}

// "an avio_stor", "a scsi", "a network": adapter names are all lower case.
std::string with_article(std::string_view word) {
  const bool vowel =
      !word.empty() && std::string_view("aeiou").find(word[0]) != std::string_view::npos;
  return fmt::format("{} {}", vowel ? "an" : "a", word);
}

} // namespace

int Topology::adapter_count() const {
  int n = 0;
  for (const auto& s : m_slots) {
    n += s.use != SlotUse::free ? 1 : 0;
  }
  return n;
}

int Topology::storage_count(StorageAdapter adapter) const {
  return adapter == StorageAdapter::scsi ? m_scsi_devices : m_avio_devices;
}

std::optional<StorageAdapter> Topology::storage_adapter_at(int bus, int slot) const {
  const Slot& s = at(bus, slot);
  if (s.use != SlotUse::storage) {
    return std::nullopt;
  }
  return s.adapter;
}

std::optional<std::string> Topology::device_limit_problem(StorageAdapter adapter,
                                                          bool file_backed) const {
  if (adapter == StorageAdapter::scsi && m_scsi_devices >= k_max_vio_devices) {
    return fmt::format("the guest already has the maximum of {} VIO (scsi) storage devices",
                       k_max_vio_devices);
  }
  if (m_scsi_devices + m_avio_devices >= k_max_avio_devices) {
    return fmt::format("the guest already has the maximum of {} storage devices",
                       k_max_avio_devices);
  }
  if (file_backed && m_file_backings >= k_max_file_backings) {
    return fmt::format("the guest already has the maximum of {} file backing stores",
                       k_max_file_backings);
  }
  return std::nullopt;
}

std::optional<int> Topology::first_free_target(const Slot& slot) const {
  for (int t = 0; t <= max_target(slot.adapter); ++t) {
    if (!slot.targets.test(static_cast<std::size_t>(t))) {
      return t;
    }
  }
  return std::nullopt;
}

std::optional<NicAddress> Topology::first_free_slot(std::optional<int> bus) const {
  for (int b = bus.value_or(0); b <= (bus ? *bus : k_max_bus); ++b) {
    for (int s = 0; s <= k_max_slot; ++s) {
      if (at(b, s).use == SlotUse::free) {
        return NicAddress{b, s};
      }
    }
  }
  return std::nullopt;
}

Placement<StorageAddress> Topology::place_storage(StorageAdapter adapter,
                                                  const AddressRequest& request, bool file_backed) {
  if (auto problem = device_limit_problem(adapter, file_backed)) {
    return {std::nullopt, *problem};
  }
  std::optional<StorageAddress> chosen;
  if (request.bus && request.slot) {
    Slot& s = at(*request.bus, *request.slot);
    if (s.use == SlotUse::nic) {
      return {std::nullopt,
              fmt::format("bus {} slot {} holds a network adapter", *request.bus, *request.slot)};
    }
    if (s.use == SlotUse::storage && s.adapter != adapter) {
      return {std::nullopt,
              fmt::format("bus {} slot {} holds {} adapter, not {}", *request.bus, *request.slot,
                          with_article(adapter_name(s.adapter)), adapter_name(adapter))};
    }
    if (s.use == SlotUse::free && adapter_count() >= k_max_adapters) {
      return {std::nullopt,
              fmt::format("the guest already has the maximum of {} adapters", k_max_adapters)};
    }
    if (request.target) {
      if (s.use == SlotUse::storage && s.targets.test(static_cast<std::size_t>(*request.target))) {
        return {std::nullopt, fmt::format("target {} on bus {} slot {} is already in use",
                                          *request.target, *request.bus, *request.slot)};
      }
      chosen = StorageAddress{*request.bus, *request.slot, *request.target};
    } else {
      Slot probe = s;
      probe.adapter = adapter;
      auto t = first_free_target(probe);
      if (!t) {
        return {std::nullopt, fmt::format("the {} adapter at bus {} slot {} has no free target",
                                          adapter_name(adapter), *request.bus, *request.slot)};
      }
      chosen = StorageAddress{*request.bus, *request.slot, *t};
    }
  } else {
    // Fill an existing adapter of the same type first.
    for (int b = request.bus.value_or(0); !chosen && b <= request.bus.value_or(k_max_bus); ++b) {
      for (int sl = 0; !chosen && sl <= k_max_slot; ++sl) {
        const Slot& s = at(b, sl);
        if (s.use == SlotUse::storage && s.adapter == adapter) {
          if (auto t = first_free_target(s)) {
            chosen = StorageAddress{b, sl, *t};
          }
        }
      }
    }
    if (!chosen) {
      if (adapter_count() >= k_max_adapters) {
        return {std::nullopt,
                fmt::format("the guest already has the maximum of {} adapters", k_max_adapters)};
      }
      auto free = first_free_slot(request.bus);
      if (!free) {
        return {std::nullopt, request.bus ? fmt::format("bus {} has no free slot", *request.bus)
                                          : std::string("no free PCI slot is left")};
      }
      chosen = StorageAddress{free->bus, free->slot, 0};
    }
  }
  Slot& s = at(chosen->bus, chosen->slot);
  s.use = SlotUse::storage;
  s.adapter = adapter;
  s.targets.set(static_cast<std::size_t>(chosen->target));
  (adapter == StorageAdapter::scsi ? m_scsi_devices : m_avio_devices) += 1;
  m_file_backings += file_backed ? 1 : 0;
  return {chosen, {}};
}

Placement<NicAddress> Topology::place_nic(NetAdapter adapter, const AddressRequest& request) {
  if (adapter_count() >= k_max_adapters) {
    return {std::nullopt,
            fmt::format("the guest already has the maximum of {} adapters", k_max_adapters)};
  }
  std::optional<NicAddress> chosen;
  if (request.bus && request.slot) {
    const Slot& s = at(*request.bus, *request.slot);
    if (s.use != SlotUse::free) {
      return {
          std::nullopt,
          fmt::format("bus {} slot {} is already in use by {} adapter", *request.bus, *request.slot,
                      with_article(s.use == SlotUse::nic ? "network" : adapter_name(s.adapter)))};
    }
    chosen = NicAddress{*request.bus, *request.slot};
  } else {
    chosen = first_free_slot(request.bus);
    if (!chosen) {
      return {std::nullopt, request.bus ? fmt::format("bus {} has no free slot", *request.bus)
                                        : std::string("no free PCI slot is left")};
    }
  }
  Slot& s = at(chosen->bus, chosen->slot);
  s.use = SlotUse::nic;
  s.nic = adapter;
  return {chosen, {}};
}

void Topology::remove_storage(const StorageAddress& address, bool file_backed) {
  Slot& s = at(address.bus, address.slot);
  if (s.use != SlotUse::storage || !s.targets.test(static_cast<std::size_t>(address.target))) {
    return;
  }
  s.targets.reset(static_cast<std::size_t>(address.target));
  (s.adapter == StorageAdapter::scsi ? m_scsi_devices : m_avio_devices) -= 1;
  m_file_backings -= file_backed ? 1 : 0;
  if (s.targets.none()) {
    s = Slot{}; // an adapter exists only while a device sits on it
  }
}

std::optional<std::string> Topology::retype_storage_adapter(int bus, int slot,
                                                            StorageAdapter adapter) {
  Slot& s = at(bus, slot);
  if (s.use != SlotUse::storage) {
    return fmt::format("bus {} slot {} holds no storage adapter", bus, slot);
  }
  if (s.adapter == adapter) {
    return fmt::format("the adapter at bus {} slot {} is already {}", bus, slot,
                       adapter_name(adapter));
  }
  for (std::size_t t = static_cast<std::size_t>(max_target(adapter)) + 1; t < s.targets.size();
       ++t) {
    if (s.targets.test(t)) {
      return fmt::format("target {} on bus {} slot {} does not exist on a {} adapter (0-{})", t,
                         bus, slot, adapter_name(adapter), max_target(adapter));
    }
  }
  const int moved = static_cast<int>(s.targets.count());
  if (adapter == StorageAdapter::scsi && m_scsi_devices + moved > k_max_vio_devices) {
    return fmt::format(
        "the guest would have {} VIO (scsi) storage devices, more than the maximum of {}",
        m_scsi_devices + moved, k_max_vio_devices);
  }
  (s.adapter == StorageAdapter::scsi ? m_scsi_devices : m_avio_devices) -= moved;
  (adapter == StorageAdapter::scsi ? m_scsi_devices : m_avio_devices) += moved;
  s.adapter = adapter;
  return std::nullopt;
}

void Topology::remove_nic(const NicAddress& address) {
  Slot& s = at(address.bus, address.slot);
  if (s.use == SlotUse::nic) {
    s = Slot{};
  }
}

} // namespace avio

#include "vmconfig/devdb/devdb_rules.hpp"

#include "vmconfig/model/grammar.hpp"
#include "vmconfig/store/store_devdb.hpp"

#include <avio/storage_guard.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace vmconfig {

namespace {

// Whether `path` is below `dir` (at any depth, or directly in it).
bool below(const fs::path& path, const fs::path& dir, bool any_depth) {
  const fs::path rel = path.lexically_relative(dir);
  if (rel.empty() || rel == "." || *rel.begin() == "..") {
    return false;
  }
  return any_depth || std::distance(rel.begin(), rel.end()) == 1;
}

// Why `other` overlaps the storage being given, as the end of a sentence.
std::string explain(const std::string& other, DeviceRules::Relation relation,
                    const std::string& vg) {
  switch (relation) {
  case DeviceRules::Relation::stacked:
    return fmt::format("it shares blocks with '{}' (a partition, device-mapper or md device "
                       "stacked with it)",
                       other);
  case DeviceRules::Relation::lv_on_pv:
    return fmt::format("it is a logical volume of volume group '{}', which is on '{}'", vg, other);
  case DeviceRules::Relation::pv_under_lv:
    return fmt::format("it holds volume group '{}', whose logical volume is '{}'", vg, other);
  }
  return {};
}

} // namespace

DeviceRules::DeviceRules(Store& store, std::string guest)
    : m_store(store), m_guest(std::move(guest)) {
  for (auto& entry : devdb_store::load_entries(store, EntryType::rdev)) {
    avio::HostEntity entity = avio::probe(entry.name);
    m_restricted.push_back({std::move(entry), std::move(entity)});
  }
}

const avio::LvmTopology& DeviceRules::lvm() {
  if (!m_lvm) {
    m_lvm = avio::read_lvm_topology();
  }
  return *m_lvm;
}

namespace {

// Whether `location` may name an LV: only then is LVM asked (lvs and pvs
// cost tens of milliseconds, most of a hot-add's time).
bool may_be_logical_volume(const std::string& location, const avio::HostEntity& e) {
  return e.kind == avio::HostKind::logical_volume ||
         (e.kind == avio::HostKind::missing && location.rfind("/dev/", 0) == 0);
}

} // namespace

std::map<std::string, DeviceRules::Overlap> DeviceRules::overlaps_of(const std::string& location,
                                                                     const avio::HostEntity& e) {
  std::map<std::string, Overlap> out;
  const bool block = !e.block_name.empty();
  if (!block && !may_be_logical_volume(location, e)) {
    return out; // files and directories overlap nothing but themselves
  }
  std::vector<std::string> stack = avio::stacked_block_devices(e.block_name);
  for (const auto& name : stack) {
    out.emplace(avio::block_identity(name), Overlap{Relation::stacked, {}});
  }
  if (lvm().pvs.empty()) {
    return out;
  }
  // An LV overlaps every physical volume of its volume group (and what those
  // are stacked with).
  if (const auto* lv = lvm().logical_volume(location)) {
    for (const auto* pv : lvm().physical_volumes_of(lv->vg)) {
      const avio::HostEntity pe = avio::probe(pv->path);
      // LVM's explanation replaces the device-mapper one for the same device.
      out.insert_or_assign(pe.identity, Overlap{Relation::lv_on_pv, lv->vg});
      for (const auto& name : avio::stacked_block_devices(pe.block_name)) {
        out.insert_or_assign(avio::block_identity(name), Overlap{Relation::lv_on_pv, lv->vg});
      }
    }
  }
  // A physical volume (or a device stacked with one) overlaps every LV of its
  // volume group, active or not.
  stack.push_back(e.block_name);
  for (const auto& pv : lvm().pvs) {
    if (pv.vg.empty()) {
      continue;
    }
    const avio::HostEntity pe = avio::probe(pv.path);
    if (pe.block_name.empty() ||
        std::find(stack.begin(), stack.end(), pe.block_name) == stack.end()) {
      continue;
    }
    for (const auto* lv : lvm().logical_volumes_of(pv.vg)) {
      out.insert_or_assign(avio::probe(lv->path).identity, Overlap{Relation::pv_under_lv, pv.vg});
    }
  }
  out.erase(e.identity);
  return out;
}

std::optional<std::string>
DeviceRules::restricted_problem(const std::string& location, const avio::HostEntity& entity,
                                const std::map<std::string, Overlap>& overlaps) {
  const fs::path path = avio::resolved_path(location);
  for (const auto& r : m_restricted) {
    const std::string& name = r.entry.name;
    if (r.entity.identity == entity.identity) {
      return name == location
                 ? fmt::format("Backing store '{}' is restricted: it is an rdev entry; the host "
                               "uses it.",
                               location)
                 : fmt::format("Backing store '{}' is restricted: it is the rdev entry '{}' by "
                               "another path; the host uses it.",
                               location, name);
    }
    if (r.entity.kind == avio::HostKind::directory) {
      const fs::path dir = avio::resolved_path(name);
      const std::string* recursive = r.entry.attribute("RECURSIVE");
      if (recursive != nullptr && *recursive == "DIR" && below(path, dir, true)) {
        return fmt::format("Backing store '{}' is restricted: it is under the rdev directory '{}' "
                           "(RECURSIVE=DIR).",
                           location, name);
      }
      if (recursive != nullptr && *recursive == "FS" && below(path, dir, true) &&
          avio::file_system_of(path) == avio::file_system_of(dir)) {
        return fmt::format("Backing store '{}' is restricted: it is under the rdev directory '{}' "
                           "on the same file system (RECURSIVE=FS).",
                           location, name);
      }
      if (recursive == nullptr && below(path, dir, false)) {
        return fmt::format("Backing store '{}' is restricted: it is in the rdev directory '{}'.",
                           location, name);
      }
    }
    if (auto it = overlaps.find(r.entity.identity); it != overlaps.end()) {
      return fmt::format(
          "Backing store '{}' is restricted: {}; '{}' is an rdev entry the host uses.", location,
          explain(name, it->second.relation, it->second.vg), name);
    }
  }
  return std::nullopt;
}

std::map<std::string, DeviceRules::Overlap>
DeviceRules::restricting_overlaps(const std::string& location, const avio::HostEntity& entity,
                                  const std::map<std::string, Overlap>& overlaps) {
  if (!may_be_logical_volume(location, entity) || lvm().logical_volume(location) == nullptr) {
    return overlaps;
  }
  // An LV has extents of its own on its physical volumes: the host using
  // another LV of the volume group (its root LV, say), which restricts the
  // PVs, does not restrict this one. Only an rdev entry for the LV itself or
  // for a device built on it does.
  std::map<std::string, Overlap> out;
  for (const auto& name : avio::block_devices_above(entity.block_name)) {
    out.emplace(avio::block_identity(name), Overlap{Relation::stacked, {}});
  }
  return out;
}

std::vector<std::string> DeviceRules::check(avio::DeviceType device, const std::string& location,
                                            const avio::HostEntity& entity) {
  return problems(device, location, entity, true);
}

std::vector<std::string> DeviceRules::check_inherited(avio::DeviceType device,
                                                      const std::string& location,
                                                      const avio::HostEntity& entity) {
  return problems(device, location, entity, false);
}

std::vector<std::string> DeviceRules::problems(avio::DeviceType device, const std::string& location,
                                               const avio::HostEntity& entity, bool share_rule) {
  std::vector<std::string> problems;
  const auto overlaps = overlaps_of(location, entity);
  if (auto p =
          restricted_problem(location, entity, restricting_overlaps(location, entity, overlaps))) {
    problems.push_back(std::move(*p));
    return problems;
  }
  const auto others = devdb_store::storage_with_identity(m_store, entity.identity, m_guest);
  for (const auto& use : others) {
    if (use.device_type != to_string(device)) {
      problems.push_back(fmt::format(
          "Backing store '{}' is used by guest '{}' as a {}; one host storage entity serves one "
          "device type at a time.",
          location, use.guest, use.device_type));
      return problems;
    }
  }
  if (share_rule && !others.empty()) {
    auto entry = devdb_store::find_by_identity(m_store, EntryType::gdev, entity.identity);
    if (!entry) {
      entry = devdb_store::find_entry(m_store, EntryType::gdev, others.front().location);
    }
    if (!entry || !entry->attribute_is("SHARE", "YES")) {
      const std::string entry_name = entry ? entry->name : others.front().location;
      problems.push_back(fmt::format(
          "Backing store '{}' is used by guest '{}'; it can be shared only when its gdev entry "
          "has SHARE=YES (hpvmdevmgmt -m gdev:{}:attr:SHARE=YES).",
          location, others.front().guest, entry_name));
      return problems;
    }
  }
  for (const auto& [identity, overlap] : overlaps) {
    if (auto own = m_own.find(identity); own != m_own.end()) {
      problems.push_back(fmt::format("Backing store '{}' overlaps storage this guest uses: {}.",
                                     location, explain(own->second, overlap.relation, overlap.vg)));
      return problems;
    }
    for (const auto& use : devdb_store::storage_with_identity(m_store, identity, m_guest)) {
      problems.push_back(fmt::format("Backing store '{}' overlaps storage guest '{}' uses: {}.",
                                     location, use.guest,
                                     explain(use.location, overlap.relation, overlap.vg)));
      return problems;
    }
  }
  return problems;
}

void DeviceRules::note(const std::string& location, const avio::HostEntity& entity) {
  m_own.emplace(entity.identity, location);
}

bool admit_guarded(const Store& store, const std::string& location, const avio::HostEntity& entity,
                   bool force, std::vector<std::string>& errors,
                   std::vector<std::string>& warnings) {
  const auto guarded = avio::guarded_storage(location, entity, store.root());
  if (!guarded) {
    return true;
  }
  if (guarded->forceable && force) {
    warnings.push_back(guarded->forced());
    return true;
  }
  errors.push_back(guarded->refusal());
  return false;
}

} // namespace vmconfig

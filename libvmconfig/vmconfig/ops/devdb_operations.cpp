#include "vmconfig/ops/devdb_operations.hpp"

#include "vmconfig/devdb/dependents.hpp"
#include "vmconfig/devdb/devdb_rules.hpp"
#include "vmconfig/model/grammar.hpp"
#include "vmconfig/ops/command_log.hpp"
#include "vmconfig/store/store_devdb.hpp"

#include <avio/backing.hpp>
#include <avio/backing_file.hpp>
#include <avio/error.hpp>
#include <avio/layout.hpp>
#include <avio/storage_guard.hpp>
#include <avio/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

namespace vmconfig {

namespace {

std::string type_name(EntryType t) {
  return std::string(to_string(t));
}

// Entry names that are host paths are probed; others (vswitch names,
// server/env entries) are not host storage.
bool is_path(const std::string& name) {
  return !name.empty() && name.front() == '/';
}

bool exists_on_host(const DevEntry& e) {
  return !is_path(e.name) || avio::probe(e.name).kind != avio::HostKind::missing;
}

DevEntry find_or_fail(Store& store, EntryType type, const std::string& name) {
  if (auto e = devdb_store::find_entry(store, type, name)) {
    return *e;
  }
  throw hpvm::Error(fmt::format("There is no {} entry '{}'.", to_string(type), name));
}

using avio::equal_ignoring_case;
using avio::join;

// Checks an attribute a user sets on `entry` against the host.
Attribute checked_for_entry(const DevEntry& entry, const Attribute& requested) {
  Attribute a = checked_user_attribute(entry.type, requested);
  const auto kind = is_path(entry.name) ? avio::probe(entry.name).kind : avio::HostKind::other;
  if (a.name == "RECURSIVE" && kind != avio::HostKind::directory) {
    throw hpvm::Error(
        fmt::format("RECURSIVE applies to directories; '{}' is not one.", entry.name));
  }
  if (const std::string devtype = devtype_of(kind);
      a.name == "USAGE" && !devtype.empty() && devtype != "FILE") {
    throw hpvm::Error(
        fmt::format("USAGE applies to files only; '{}' is {}.", entry.name, avio::describe(kind)));
  }
  if (a.name == "SHARE" && a.value == "NO" && entry.dependents.size() > 1) {
    throw hpvm::Error(fmt::format("'{}' is shared by the guests {}; remove it from all but one "
                                  "before setting SHARE=NO.",
                                  entry.name, join(entry.dependents, ", ")));
  }
  return a;
}

} // namespace

// The DEVTYPE the host says a path is ("" when it does not exist).
std::string devtype_of(avio::HostKind kind) {
  switch (kind) {
  case avio::HostKind::missing:
    return {};
  case avio::HostKind::regular_file:
    return "FILE";
  case avio::HostKind::directory:
    return "DIR";
  case avio::HostKind::logical_volume:
    return "LV";
  case avio::HostKind::scsi_generic:
    return "ATTACH";
  case avio::HostKind::whole_disk:
  case avio::HostKind::partition:
  case avio::HostKind::device_mapper:
  case avio::HostKind::optical_drive:
  case avio::HostKind::other_block:
    return "DISK";
  case avio::HostKind::other_char:
  case avio::HostKind::other:
    return "FILE";
  }
  return {};
}

std::string list_entries(Store& store, const ListSpec& spec) {
  std::string out;
  bool found = false;
  for (const auto& e : devdb_store::load_entries(store, spec.type)) {
    if (spec.entry && !e.named(*spec.entry)) {
      continue;
    }
    if (spec.dependent && std::find(e.dependents.begin(), e.dependents.end(), *spec.dependent) ==
                              e.dependents.end()) {
      continue;
    }
    const bool exists = exists_on_host(e);
    if (spec.attribute) {
      std::string value;
      if (spec.attribute->name == "CONFIG") {
        value = type_name(e.type);
      } else if (spec.attribute->name == "EXIST") {
        value = exists ? "YES" : "NO";
      } else if (const std::string* v = e.attribute(spec.attribute->name)) {
        value = *v;
      } else {
        continue;
      }
      if (!equal_ignoring_case(value, spec.attribute->value)) {
        continue;
      }
    }
    found = true;
    out += format_entry(e, exists) + "\n";
  }
  if (spec.entry && !found) {
    throw hpvm::Error(fmt::format("There is no {}entry '{}'.",
                                  spec.type ? type_name(*spec.type) + " " : std::string(),
                                  *spec.entry));
  }
  return out;
}

Report add_entry(Store& store, const EntrySpec& spec) {
  Report report;
  Store::WriteTransaction tx(store);
  std::vector<std::string> names{spec.name};
  names.insert(names.end(), spec.aliases.begin(), spec.aliases.end());
  for (const auto& n : names) {
    if (auto existing = devdb_store::find_entry(store, spec.type, n)) {
      throw hpvm::Error(
          existing->name == n
              ? fmt::format("The {} entry '{}' already exists.", to_string(spec.type), n)
              : fmt::format("'{}' is already an alias of the {} entry '{}'.", n,
                            to_string(spec.type), existing->name));
    }
  }
  DevEntry entry;
  entry.type = spec.type;
  entry.name = spec.name;
  entry.aliases = spec.aliases;
  if ((spec.type == EntryType::gdev || spec.type == EntryType::rdev) && is_path(spec.name)) {
    const avio::HostEntity e = avio::probe(spec.name);
    // A restricted path stays restricted: a gdev entry would hand it to guests.
    if (spec.type == EntryType::gdev) {
      for (const auto& n : names) {
        auto rdev = devdb_store::find_entry(store, EntryType::rdev, n);
        if (!rdev && e.kind != avio::HostKind::missing) {
          rdev = devdb_store::find_by_identity(store, EntryType::rdev, e.identity);
        }
        if (rdev) {
          throw hpvm::Error(fmt::format("'{}' is restricted: it is the rdev entry '{}'; the host "
                                        "uses it, so it cannot be a gdev entry too.",
                                        n, rdev->name));
        }
      }
    }
    if (auto same = devdb_store::find_by_identity(store, spec.type, e.identity)) {
      throw hpvm::Error(fmt::format("'{}' is the {} entry '{}' by another path.", spec.name,
                                    to_string(spec.type), same->name));
    }
    // A gdev entry is storage for guests: what no guest may have is
    // refused; a system file is recorded, and the guest-giving commands
    // ask for -F.
    const auto guarded = spec.type == EntryType::gdev
                             ? avio::guarded_storage(spec.name, e, store.root())
                             : std::nullopt;
    if (guarded && !guarded->forceable) {
      throw hpvm::Error(guarded->refusal());
    }
    if (guarded) {
      report.warnings.push_back(guarded->refusal());
    }
    entry.identity = e.identity;
    entry.unique_id = avio::unique_id(e);
    if (e.kind == avio::HostKind::missing) {
      report.warnings.push_back(fmt::format("'{}' does not exist on this host.", spec.name));
    } else {
      entry.attributes.push_back({"DEVTYPE", devtype_of(e.kind)});
    }
    entry.attributes.push_back({"SHARE", "NO"});
    if (spec.type == EntryType::rdev) {
      for (const auto& use : devdb_store::storage_with_identity(store, e.identity, "")) {
        report.warnings.push_back(fmt::format(
            "Guest '{}' uses '{}'; it is restricted now, so it cannot be given to a guest again.",
            use.guest, use.location));
      }
    }
  }
  if (spec.attribute) {
    const Attribute a = checked_for_entry(entry, *spec.attribute);
    auto it = std::find_if(entry.attributes.begin(), entry.attributes.end(),
                           [&](const Attribute& x) { return x.name == a.name; });
    if (it != entry.attributes.end()) {
      it->value = a.value;
    } else {
      entry.attributes.push_back(a);
    }
  }
  devdb_store::insert_entry(store, entry);
  tx.commit();
  return report;
}

Report delete_entry(Store& store, const EntrySpec& spec) {
  Report report;
  Store::WriteTransaction tx(store);
  if (spec.alias_only) {
    auto entry = find_or_fail(store, EntryType::gdev, spec.name);
    if (entry.name == spec.name) {
      throw hpvm::Error(fmt::format("'{}' is the name of its gdev entry, not an alias; delete the "
                                    "entry with -d gdev:{}.",
                                    spec.name, spec.name));
    }
    std::erase(entry.aliases, spec.name);
    devdb_store::set_names(store, entry.id, entry.name, entry.aliases);
  } else if (spec.dependent) {
    std::vector<DevEntry> entries;
    if (spec.name == "all") {
      for (auto& e : devdb_store::entries_of_dependent(store, *spec.dependent)) {
        entries.push_back(std::move(e));
      }
      if (entries.empty()) {
        throw hpvm::Error(fmt::format("No gdev entry has the dependent '{}'.", *spec.dependent));
      }
    } else {
      auto e = find_or_fail(store, EntryType::gdev, spec.name);
      if (std::find(e.dependents.begin(), e.dependents.end(), *spec.dependent) ==
          e.dependents.end()) {
        throw hpvm::Error(fmt::format("'{}' is not a dependent of the gdev entry '{}'.",
                                      *spec.dependent, e.name));
      }
      entries.push_back(std::move(e));
    }
    for (const auto& e : entries) {
      devdb_store::delete_dependent(store, e.id, *spec.dependent);
      if (e.dependents.size() == 1 && !e.attribute_is("PRESERVE", "YES")) {
        devdb_store::delete_entry(store, e.id);
      }
    }
    if (store.load_guest(*spec.dependent)) {
      report.warnings.push_back(fmt::format(
          "Guest '{}' still has the device in its configuration; 'hpvmdevmgmt -r' lists it.",
          *spec.dependent));
    }
  } else if (spec.attribute) {
    const auto entry = find_or_fail(store, spec.type, spec.name);
    const std::string& name = spec.attribute->name;
    if (name == "CONFIG" || name == "EXIST" || name == "AUTORDEV") {
      throw hpvm::Error(fmt::format("The attribute {} cannot be deleted.", name));
    }
    if (entry.attribute(name) == nullptr) {
      throw hpvm::Error(fmt::format("The {} entry '{}' has no attribute {}.", to_string(spec.type),
                                    entry.name, name));
    }
    devdb_store::delete_attribute(store, entry.id, name);
  } else {
    const auto entry = find_or_fail(store, spec.type, spec.name);
    if (!entry.dependents.empty()) {
      throw hpvm::Error(fmt::format(
          "The {} entry '{}' is used by {}; remove it from those guests first (or drop a stale "
          "dependency with -d gdev:{}:depend:guest).",
          to_string(spec.type), entry.name, join(entry.dependents, ", "), entry.name));
    }
    devdb_store::delete_entry(store, entry.id);
  }
  tx.commit();
  return report;
}

Report modify_entry(Store& store, const EntrySpec& spec) {
  Report report;
  Store::WriteTransaction tx(store);
  const auto entry = find_or_fail(store, spec.type, spec.name);
  devdb_store::set_attribute(store, entry.id, checked_for_entry(entry, *spec.attribute));
  tx.commit();
  return report;
}

Report replace_entry(Store& store, const ReplaceSpec& spec) {
  Report report;
  Store::WriteTransaction tx(store);
  const auto entry = find_or_fail(store, spec.type, spec.old_name);
  const std::string& new_name = spec.new_names.front();
  for (const auto& n : spec.new_names) {
    if (auto other = devdb_store::find_entry(store, spec.type, n); other && other->id != entry.id) {
      throw hpvm::Error(
          fmt::format("'{}' is already the {} entry '{}'.", n, to_string(spec.type), other->name));
    }
  }
  const avio::HostEntity fresh = avio::probe(new_name);
  std::vector<std::string> problems;
  // hpvmdevmgmt has no -F: a system file is given with hpvmmodify -m -F.
  if (const auto guarded = spec.type == EntryType::gdev
                               ? avio::guarded_storage(new_name, fresh, store.root())
                               : std::nullopt) {
    throw hpvm::Refused({guarded->refusal()}, fmt::format("Unable to replace '{}'.", entry.name),
                        "");
  }
  std::vector<devdb_store::StorageUse> moved;
  for (const auto& guest : entry.dependents) {
    DeviceRules rules(store, guest);
    const auto uses = devdb_store::storage_uses(store, guest);
    for (const auto& use : uses) {
      if (use.identity != entry.identity && !entry.named(use.location)) {
        rules.note(use.location, avio::probe(use.location));
      }
    }
    for (const auto& use : uses) {
      if (use.identity != entry.identity && !entry.named(use.location)) {
        continue;
      }
      const auto device = *device_type_from(use.device_type);
      const auto storage = *storage_type_from(use.storage_type);
      auto checked = avio::check_backing(device, storage, fresh, false);
      for (auto& p : rules.check(device, new_name, fresh)) {
        checked.errors.push_back(std::move(p));
      }
      for (auto& p : checked.errors) {
        problems.push_back(fmt::format("Guest '{}': {}", guest, p));
      }
      moved.push_back(use);
    }
  }
  if (!problems.empty()) {
    throw hpvm::Refused(std::move(problems), fmt::format("Unable to replace '{}'.", entry.name),
                        "");
  }
  for (const auto& use : moved) {
    devdb_store::set_storage_location(store, use.row_id, new_name, fresh.identity);
  }
  devdb_store::set_names(store, entry.id, new_name,
                         {spec.new_names.begin() + 1, spec.new_names.end()});
  devdb_store::set_host_identity(store, entry.id, fresh.identity, avio::unique_id(fresh));
  if (const auto kind = devtype_of(fresh.kind); !kind.empty() && entry.attribute("DEVTYPE")) {
    devdb_store::set_attribute(store, entry.id, {"DEVTYPE", kind});
  }
  tx.commit();
  return report;
}

Report rebuild_entries(Store& store) {
  Report report;
  Store::WriteTransaction tx(store);
  for (const auto& use : devdb_store::storage_uses(store)) {
    const auto identity = avio::probe(use.location).identity;
    if (identity != use.identity) {
      devdb_store::set_storage_location(store, use.row_id, use.location, identity);
    }
  }
  for (const auto& e : devdb_store::load_entries(store)) {
    if ((e.type == EntryType::gdev || e.type == EntryType::rdev) && is_path(e.name)) {
      const auto fresh = avio::probe(e.name);
      if (fresh.kind != avio::HostKind::missing) {
        devdb_store::set_host_identity(store, e.id, fresh.identity, avio::unique_id(fresh));
      }
    }
  }
  for (const auto& guest : store.load_guests()) {
    sync_guest_dependents(store, guest);
  }
  // Dependencies on guests that no longer exist.
  const auto names = store.guest_names();
  for (const auto& e : devdb_store::load_entries(store, EntryType::gdev)) {
    for (const auto& d : e.dependents) {
      if (std::find(names.begin(), names.end(), d) == names.end()) {
        drop_guest_dependents(store, d);
      }
    }
  }
  tx.commit();
  return report;
}

std::string repair_script(Store& store) {
  std::ostringstream fixes;
  std::set<std::string> seen;
  // A comment holds names as given (entry names, and backing paths from the
  // guests' rows, which an old or edited database may hold unchecked):
  // control characters (a newline would start a command of its own) are
  // shown as '?'.
  auto note = [&](const std::string& text) { fixes << "# " << printable(text) << "\n"; };
  auto fix = [&](const std::string& why, const std::string& command) {
    if (seen.insert(why + command).second) {
      note(why);
      fixes << command << "\n";
    }
  };
  auto quote = [](std::vector<std::string> argv) { return quote_command_line(argv); };
  bool rebuild = false;

  const auto guests = store.guest_names();
  const auto uses = devdb_store::storage_uses(store);
  const auto entries = devdb_store::load_entries(store);
  auto guest_uses = [&](const std::string& guest, const DevEntry& e) {
    return std::any_of(uses.begin(), uses.end(), [&](const devdb_store::StorageUse& u) {
      return u.guest == guest &&
             (e.named(u.location) || (!e.identity.empty() && u.identity == e.identity));
    });
  };
  for (const auto& e : entries) {
    const std::string spec = fmt::format("{}:{}", to_string(e.type), e.name);
    for (const auto& d : e.dependents) {
      if (std::find(guests.begin(), guests.end(), d) == guests.end()) {
        fix(fmt::format("{} entry '{}' lists the dependent '{}', which is not a guest.",
                        to_string(e.type), e.name, d),
            quote({"hpvmdevmgmt", "-d", fmt::format("gdev:{}:depend:{}", e.name, d)}));
      } else if (!guest_uses(d, e)) {
        fix(fmt::format("Guest '{}' depends on '{}' but does not use it.", d, e.name),
            quote({"hpvmdevmgmt", "-d", fmt::format("gdev:{}:depend:{}", e.name, d)}));
      }
    }
    if (!is_path(e.name) || (e.type != EntryType::gdev && e.type != EntryType::rdev)) {
      continue;
    }
    const auto host = avio::probe(e.name);
    if (host.kind == avio::HostKind::missing) {
      if (e.attribute_is("AUTORDEV", "YES")) {
        fix(fmt::format("'{}' (added by hpvmhostrdev) no longer exists.", e.name),
            quote({"hpvmhostrdev", "-u"}));
      } else if (e.dependents.empty()) {
        fix(fmt::format("{} entry '{}' does not exist on this host.", to_string(e.type), e.name),
            quote({"hpvmdevmgmt", "-d", spec}));
      } else {
        fixes << fmt::format("# '{}' does not exist; guests {} use it. Replace it for them with a "
                             "new backing store:\n#   {}\n",
                             printable(e.name), printable(join(e.dependents, ", ")),
                             quote({"hpvmdevmgmt", "-n", spec + ":NEW-BACKING-STORE"}));
      }
    } else if (!e.identity.empty() && host.identity != e.identity) {
      fix(fmt::format("'{}' is now a different host device or file than when it was recorded.",
                      e.name),
          quote({"hpvmdevmgmt", "-I"}));
    }
  }
  for (const auto& u : uses) {
    const auto entry = std::find_if(entries.begin(), entries.end(), [&](const DevEntry& e) {
      return e.type == EntryType::gdev && (e.named(u.location) || e.identity == u.identity);
    });
    if (entry == entries.end() || std::find(entry->dependents.begin(), entry->dependents.end(),
                                            u.guest) == entry->dependents.end()) {
      rebuild = true;
    }
    if (avio::probe(u.location).kind == avio::HostKind::missing) {
      note(fmt::format("Guest '{}' uses '{}' ({}), which does not exist on this host.", u.guest,
                       u.location, u.device_type));
    }
    DeviceRules rules(store, u.guest);
    const auto entity = avio::probe(u.location);
    for (const auto& p : rules.check(*device_type_from(u.device_type), u.location, entity)) {
      note(fmt::format("Guest '{}': {}", u.guest, p));
    }
  }
  if (rebuild) {
    fix("Guest devices are missing from the gdev entries.", quote({"hpvmdevmgmt", "-I"}));
  }
  std::string body = fixes.str();
  return fmt::format("#!/bin/sh\n"
                     "# Repair script from 'hpvmdevmgmt -r' for the device database in {}.\n"
                     "# Review it before running it: commands fix what is certain; comments\n"
                     "# describe what needs a decision.\n"
                     "{}",
                     store.root().string(),
                     body.empty() ? std::string("# No inconsistencies found.\n") : body);
}

DevmgmtResult run_devmgmt(const DevmgmtRequest& request) {
  DevmgmtResult result;
  if (const auto& size = request.size) {
    if (auto problem = size_file_problem(size->file)) {
      throw hpvm::Error(*problem);
    }
    // -S writes zeros: never into the suite's own files or storage the
    // host uses; nor, without a -F here, into a system file.
    const avio::HostEntity entity = avio::probe(size->file);
    if (const auto guarded =
            avio::guarded_storage(size->file, entity, avio::layout::root_from_environment())) {
      throw hpvm::Error(guarded->refusal());
    }
    avio::extend_file(size->file, size->bytes, size->sparse, size->progress);
    result.done = fmt::format("'{}' is {} bytes.", size->file, size->bytes);
    return result;
  }
  Store store;
  if (!request.list.empty()) {
    result.output = list_entries(store, parse_list_spec(request.list));
  } else if (request.repair) {
    result.output = repair_script(store);
  } else if (!request.add.empty()) {
    result.report = add_entry(store, parse_add_spec(request.add));
    result.done = fmt::format("Added '{}'.", request.add);
  } else if (!request.remove.empty()) {
    result.report = delete_entry(store, parse_delete_spec(request.remove));
    result.done = fmt::format("Deleted '{}'.", request.remove);
  } else if (!request.modify.empty()) {
    result.report = modify_entry(store, parse_modify_spec(request.modify));
    result.done = fmt::format("Modified '{}'.", request.modify);
  } else if (!request.replace.empty()) {
    result.report = replace_entry(store, parse_replace_spec(request.replace));
    result.done = fmt::format("Replaced '{}'.", request.replace);
  } else {
    result.report = rebuild_entries(store);
    result.done = "Rebuilt the gdev entries from the guests' devices.";
  }
  return result;
}

} // namespace vmconfig

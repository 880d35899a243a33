#include "vmconfig/ops/hpvm_import.hpp"

#include "vmconfig/model/avio_conversion.hpp"
#include "vmconfig/model/grammar.hpp"

#include <avio/backing.hpp>
#include <avio/error.hpp>
#include <avio/text.hpp>

#include <fmt/format.h>

#include <set>

namespace vmconfig {

namespace {

void take(std::optional<std::string>& into, const std::optional<std::string>& from) {
  if (from) {
    into = from;
  }
}

void merge(CharacteristicsRequest& into, const CharacteristicsRequest& from) {
  take(into.os_type, from.os_type);
  take(into.vcpus, from.vcpus);
  if (from.entitlement || from.cycles) {
    into.entitlement = from.entitlement;
    into.cycles = from.cycles;
  }
  take(into.memory, from.memory);
  take(into.label, from.label);
  take(into.start, from.start);
  into.users.insert(into.users.end(), from.users.begin(), from.users.end());
  into.groups.insert(into.groups.end(), from.groups.begin(), from.groups.end());
  into.extended.insert(into.extended.end(), from.extended.begin(), from.extended.end());
}

// A mapped path may be another kind of store than on HP-UX (an LV becomes an
// image file): the storage type follows what the new path really is.
StorageType storage_type_on_this_host(const StorageStatement& st) {
  switch (avio::probe(st.location).kind) {
  case avio::HostKind::regular_file:
    return StorageType::file;
  case avio::HostKind::whole_disk:
  case avio::HostKind::optical_drive:
    return StorageType::disk;
  case avio::HostKind::logical_volume:
    return StorageType::lv;
  case avio::HostKind::directory:
    return st.device == DeviceType::dvd ? StorageType::null : st.storage;
  default:
    return st.storage;
  }
}

// The statements of `hpvmstatus -d` text, paths mapped, on AVIO when asked;
// `origins` gets, for each, the line it came from (for create_guest's problems).
std::vector<std::string> import_statements(const ImportRequest& request,
                                           const std::map<std::string, std::string>& map,
                                           std::vector<std::string>& origins,
                                           std::vector<std::string>& errors,
                                           std::vector<std::string>& warnings) {
  std::vector<std::string> out;
  std::set<std::string> used;
  for (const auto& [number, line] : device_lines(request.sources.devices)) {
    // The map applies to the HP-UX text: an attach_path lunpath such as
    // 0/7/1/1.0x5...0x0 is no Linux path, and only the mapped statement parses.
    std::string text = line;
    std::string origin = fmt::format("Devices line {} '{}'", number, line);
    const auto mapped = map_line(line, map);
    if (mapped) {
      used.insert(mapped->old_path);
      origin += fmt::format(" ('{}' mapped to '{}')", mapped->old_path, mapped->new_path);
      text = mapped->text;
    }
    ResourceStatement statement;
    try {
      statement = parse_resource(text);
    } catch (const StatementError& e) {
      errors.push_back(fmt::format("Devices line {}: {}", number, e.what()));
      continue;
    }
    if (auto* st = std::get_if<StorageStatement>(&statement); st && !st->location.empty()) {
      if (mapped) {
        if (st->storage != StorageType::attach && st->storage != StorageType::attach_path) {
          st->storage = storage_type_on_this_host(*st);
        }
      } else if (!avio::path_exists(st->location)) {
        errors.push_back(fmt::format("The path '{}' of '{}' has no entry in the map file and "
                                     "does not exist on this host.",
                                     st->location, line));
        continue;
      }
    }
    if (request.to_avio) {
      auto converted = convert_to_avio(statement);
      if (converted.blocker) {
        errors.push_back(fmt::format("{}: {}", origin, *converted.blocker));
        continue;
      }
      statement = converted.converted;
    }
    out.push_back(format(statement));
    origins.push_back(std::move(origin));
  }
  for (const auto& [old_path, new_path] : map) {
    if (!used.contains(old_path)) {
      warnings.push_back(fmt::format("The map entry '{}' was not used.", old_path));
    }
  }
  return out;
}

} // namespace

ImportResult import_guest(Store& store, const ImportRequest& request) {
  std::vector<std::string> errors;
  ImportResult result;
  CharacteristicsRequest characteristics;
  std::optional<std::string> source_name;
  if (request.sources.machine) {
    const auto m = read_status_machine(*request.sources.machine, errors);
    merge(characteristics, m.characteristics);
    take(source_name, m.name);
  }
  if (request.sources.details) {
    const auto d = read_status_details(*request.sources.details, errors);
    merge(characteristics, d.characteristics);
    take(source_name, d.name);
  }
  merge(characteristics, request.overrides);
  result.name = request.name.value_or(source_name.value_or(""));
  if (result.name.empty()) {
    errors.push_back(
        "No guest name: give -P, or the hpvmstatus -P or -M text that names the guest.");
  }
  std::map<std::string, std::string> map;
  if (request.sources.map) {
    map = read_path_map(*request.sources.map, errors);
  }
  std::vector<std::string> origins;
  result.statements = import_statements(request, map, origins, errors, result.report.warnings);

  CreateRequest create{result.name,       characteristics,
                       result.statements, request.check_only || !errors.empty(),
                       request.force,     origins};
  try {
    if (!result.name.empty()) {
      auto report = create_guest(store, create);
      result.report.warnings.insert(result.report.warnings.end(), report.warnings.begin(),
                                    report.warnings.end());
    }
  } catch (const hpvm::Refused& e) {
    errors.insert(errors.end(), e.problems().begin(), e.problems().end());
  }
  if (!errors.empty()) {
    throw hpvm::Refused(std::move(errors), "Unable to import the guest.", result.name);
  }
  return result;
}

} // namespace vmconfig

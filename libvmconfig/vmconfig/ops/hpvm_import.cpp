#include "vmconfig/ops/hpvm_import.hpp"

#include "vmconfig/model/avio_conversion.hpp"
#include "vmconfig/model/grammar.hpp"

#include <avio/backing.hpp>
#include <avio/error.hpp>
#include <avio/text.hpp>

#include <fmt/format.h>

#include <set>
#include <sstream>

namespace vmconfig {

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    out.push_back(line);
  }
  return out;
}

using avio::split;
using avio::trim;

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  for (std::string w; in >> w;) {
    out.push_back(w);
  }
  return out;
}

// The lines of each "[Section]" of hpvmstatus text.
std::map<std::string, std::vector<std::string>> sections_of(const std::string& text) {
  std::map<std::string, std::vector<std::string>> out;
  std::string current;
  for (const auto& raw : lines_of(text)) {
    const std::string line(trim(raw));
    if (line.size() > 2 && line.front() == '[' && line.back() == ']') {
      current = line.substr(1, line.size() - 2);
      out[current];
    } else if (!current.empty()) {
      out[current].push_back(raw);
    }
  }
  return out;
}

// The first row under a table's "=== ===" rule, split into words.
std::optional<std::vector<std::string>> first_row(const std::vector<std::string>& lines) {
  bool ruled = false;
  for (const auto& line : lines) {
    const std::string t(trim(line));
    if (!ruled) {
      ruled = !t.empty() && t.find_first_not_of("= ") == std::string::npos;
    } else if (!t.empty()) {
      return words(t);
    }
  }
  return std::nullopt;
}

std::string without(std::string s, std::string_view tail) {
  return s.ends_with(tail) ? s.substr(0, s.size() - tail.size()) : s;
}

// "4 GB" / "1536 MB" (tables) or "4GB" / "1536MB" (-M) as an -r value.
std::optional<std::string> memory_option(const std::string& amount, const std::string& unit) {
  if (amount.empty() || amount.find_first_not_of("0123456789.") != std::string::npos) {
    return std::nullopt;
  }
  if (unit == "GB") {
    if (amount.find('.') != std::string::npos) {
      return fmt::format("{}M", static_cast<std::uint64_t>(std::stod(amount) * 1024.0 + 0.5));
    }
    return amount + "G";
  }
  if (unit == "MB" && amount.find('.') == std::string::npos) {
    return amount + "M";
  }
  return std::nullopt;
}

void read_access(const std::vector<std::string>& lines, ImportedCharacteristics& out) {
  for (const auto& line : lines) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    const std::string key(trim(line.substr(0, colon)));
    const bool admin = key.starts_with("Admin");
    auto& list = key.ends_with("Groups") ? out.characteristics.groups : out.characteristics.users;
    if (!key.ends_with("Groups") && !key.ends_with("Users")) {
      continue;
    }
    for (const auto& name : words(line.substr(colon + 1))) {
      list.push_back(fmt::format("{}:{}", name, admin ? "admin" : "oper"));
    }
  }
}

} // namespace

ImportedCharacteristics read_status_details(const std::string& text,
                                            std::vector<std::string>& errors) {
  ImportedCharacteristics out;
  const auto sections = sections_of(text);
  const auto section = [&](const char* name) -> const std::vector<std::string>* {
    const auto it = sections.find(name);
    return it == sections.end() ? nullptr : &it->second;
  };
  const auto* details = section("Virtual Machine Details");
  const auto row = details ? first_row(*details) : std::nullopt;
  if (!row || row->size() < 3) {
    errors.push_back("The hpvmstatus -P text has no [Virtual Machine Details] row "
                     "(name, VM #, OS type, state).");
    return out;
  }
  out.name = (*row)[0];
  out.characteristics.os_type = (*row)[2];
  if (const auto* access = section("Authorized Administrators")) {
    read_access(*access, out);
  }
  if (const auto* cpu = section("Virtual CPU Details")) {
    const auto r = first_row(*cpu);
    if (!r || r->size() < 3) {
      errors.push_back("The [Virtual CPU Details] of the hpvmstatus -P text has no "
                       "#vCPUs Entitlement Maximum row.");
    } else {
      out.characteristics.vcpus = (*r)[0];
      const std::string& min = (*r)[1];
      const std::string& max = (*r)[2];
      if (min.ends_with("%")) {
        out.characteristics.entitlement =
            fmt::format("{}:{}", without(min, "%"), without(max, "%"));
      } else if (min.ends_with("MHz")) {
        out.characteristics.cycles =
            max == "-" ? without(min, "MHz")
                       : fmt::format("{}:{}", without(min, "MHz"), without(max, "MHz"));
      } else {
        errors.push_back(fmt::format("The entitlement '{}' in the hpvmstatus -P text is neither "
                                     "a percentage nor MHz.",
                                     min));
      }
    }
  }
  if (const auto* memory = section("Memory Details")) {
    const auto r = first_row(*memory);
    const auto value = r && r->size() >= 2 ? memory_option((*r)[0], (*r)[1]) : std::nullopt;
    if (!value) {
      errors.push_back("The [Memory Details] of the hpvmstatus -P text has no total memory "
                       "such as '4 GB'.");
    } else {
      out.characteristics.memory = value;
    }
  }
  return out;
}

ImportedCharacteristics read_status_machine(const std::string& text,
                                            std::vector<std::string>& errors) {
  ImportedCharacteristics out;
  std::string line;
  for (const auto& l : lines_of(text)) {
    if (!trim(l).empty()) {
      if (!line.empty()) {
        errors.push_back("The hpvmstatus -M text has more than one line: give the -M line of "
                         "one guest (hpvmstatus -M -P name).");
        return out;
      }
      line = l;
    }
  }
  const auto fields = split(line, ':');
  if (fields.size() < 21) {
    errors.push_back(fmt::format(
        "The hpvmstatus -M line has {} fields; at least 21 are expected (0 name ... 20 memory).",
        fields.size()));
    return out;
  }
  out.name = fields[0];
  out.characteristics.start = fields[11] == "Auto"     ? "auto"
                              : fields[11] == "Manual" ? "manual"
                                                       : fields[11];
  out.characteristics.vcpus = split(fields[19], ';').front();
  const std::string memory = split(fields[20], ';').front();
  const auto unit_at = memory.find_first_not_of("0123456789.");
  const auto value = unit_at == std::string::npos
                         ? std::nullopt
                         : memory_option(memory.substr(0, unit_at), memory.substr(unit_at));
  if (!value) {
    errors.push_back(fmt::format("The memory '{}' in field 20 of the hpvmstatus -M line is not "
                                 "a size such as 2GB.",
                                 memory));
  } else {
    out.characteristics.memory = value;
  }
  return out;
}

std::map<std::string, std::string> read_path_map(const std::string& text,
                                                 std::vector<std::string>& errors) {
  std::map<std::string, std::string> out;
  int number = 0;
  for (const auto& raw : lines_of(text)) {
    ++number;
    const std::string line(trim(raw.substr(0, raw.find('#'))));
    if (line.empty()) {
      continue;
    }
    const auto w = words(line);
    if (w.size() != 2) {
      errors.push_back(
          fmt::format("Map file line {}: '{}' is not 'old-path new-path'.", number, line));
      continue;
    }
    if (!out.emplace(w[0], w[1]).second) {
      errors.push_back(fmt::format("Map file line {}: '{}' is mapped twice.", number, w[0]));
    }
  }
  return out;
}

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

// The map entry for the location of a storage statement's text (what
// follows its fourth ':'), if there is one.
std::optional<std::pair<std::string, std::string>>
mapped_location(const std::string& line, const std::map<std::string, std::string>& map) {
  if (line.starts_with("network:") || line.starts_with("hba:")) {
    return std::nullopt;
  }
  std::size_t at = 0;
  for (int i = 0; i < 4; ++i) {
    at = line.find(':', at);
    if (at == std::string::npos) {
      return std::nullopt;
    }
    ++at;
  }
  const auto it = map.find(line.substr(at));
  if (it == map.end()) {
    return std::nullopt;
  }
  return *it;
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
  int number = 0;
  for (const auto& raw : lines_of(request.sources.devices)) {
    ++number;
    const std::string line(trim(raw));
    if (line.empty() || line.front() == '[' || line.front() == '#') {
      continue;
    }
    if (line.starts_with("serial:")) {
      continue; // [Misc Interface Details]: every guest has its console
    }
    // The map applies to the HP-UX text: an attach_path lunpath such as
    // 0/7/1/1.0x5...0x0 is no Linux path, and only the mapped statement parses.
    std::string text = line;
    std::string origin = fmt::format("Devices line {} '{}'", number, line);
    const auto mapped = mapped_location(line, map);
    if (mapped) {
      used.insert(mapped->first);
      origin += fmt::format(" ('{}' mapped to '{}')", mapped->first, mapped->second);
      text = line.substr(0, line.size() - mapped->first.size()) + mapped->second;
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

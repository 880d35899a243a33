#include "vmconfig/ops/hpvm_import_text.hpp"

#include <avio/text.hpp>

#include <fmt/format.h>

#include <charconv>
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
      // "." or "1.2.3" is no amount; a fraction of a GB too large for a
      // megabyte count is none either (-r would refuse it anyway).
      double gb = 0;
      const char* end = amount.data() + amount.size();
      const auto [stop, error] = std::from_chars(amount.data(), end, gb);
      if (error != std::errc() || stop != end || !(gb * 1024.0 < 1e18)) {
        return std::nullopt;
      }
      return fmt::format("{}M", static_cast<std::uint64_t>(gb * 1024.0 + 0.5));
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

std::vector<DeviceLine> device_lines(const std::string& text) {
  std::vector<DeviceLine> out;
  int number = 0;
  for (const auto& raw : lines_of(text)) {
    ++number;
    const std::string line(trim(raw));
    if (line.empty() || line.front() == '[' || line.front() == '#') {
      continue;
    }
    if (line.starts_with("serial:")) {
      continue; // [Misc Interface Details]: every guest has its console
    }
    out.push_back({number, line});
  }
  return out;
}

std::optional<MappedLine> map_line(const std::string& line,
                                   const std::map<std::string, std::string>& map) {
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
  return MappedLine{it->first, it->second, line.substr(0, at) + it->second};
}

} // namespace vmconfig

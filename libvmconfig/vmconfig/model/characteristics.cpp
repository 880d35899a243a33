#include "vmconfig/model/characteristics.hpp"

#include "vmconfig/model/names.hpp"

#include <avio/host.hpp>
#include <avio/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace vmconfig {

namespace {

constexpr int k_max_vcpus = 256;
constexpr std::uint64_t k_min_memory_mb = 32;
constexpr std::uint64_t k_max_memory_mb = 16ULL * 1024 * 1024; // 16 TB

// The whole of `s` as a number, or nullopt.
template <typename Number> std::optional<Number> parse_number(std::string_view s) {
  Number v{};
  const auto* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return v;
}

// Plain decimals only: from_chars would also take "nan", "inf" and exponents.
std::optional<double> parse_double(std::string_view s) {
  if (s.find_first_not_of("0123456789.", s.starts_with('-') ? 1 : 0) != std::string_view::npos) {
    return std::nullopt;
  }
  return parse_number<double>(s);
}

constexpr auto parse_unsigned = parse_number<std::uint64_t>;

void parse_entitlement(const std::string& text, bool cycles, Entitlement& out,
                       std::vector<std::string>& errors) {
  const auto colon = text.find(':');
  const std::string min_text = text.substr(0, colon);
  auto minimum = parse_double(min_text);
  std::optional<double> maximum = colon == std::string::npos
                                      ? std::optional<double>(cycles ? 0.0 : 100.0)
                                      : parse_double(std::string_view(text).substr(colon + 1));
  const char* opt = cycles ? "-E" : "-e";
  if (!minimum || !maximum) {
    errors.push_back(fmt::format("Invalid entitlement '{}' for {}: expected {}[:{}].", text, opt,
                                 cycles ? "cycles" : "percent",
                                 cycles ? "max_cycles" : "max_percent"));
    return;
  }
  if (!cycles && (*minimum < 1.0 || *minimum > 100.0 || *maximum < 1.0 || *maximum > 100.0)) {
    errors.push_back(fmt::format("Entitlement '{}' is out of range: percentages are 1-100.", text));
    return;
  }
  if (cycles && (*minimum < 1.0 || *maximum < 0.0)) {
    errors.push_back(
        fmt::format("Entitlement '{}' is out of range: cycles must be positive.", text));
    return;
  }
  if (*maximum != 0.0 && *maximum < *minimum) {
    errors.push_back(
        fmt::format("Entitlement maximum {} is below the minimum {}.", *maximum, *minimum));
    return;
  }
  out = Entitlement{cycles, *minimum, *maximum};
}

void parse_access(const std::string& text, ConsoleAccess::Kind kind, bool force, Guest& guest,
                  std::vector<std::string>& errors, std::vector<std::string>& warnings) {
  const char* what = kind == ConsoleAccess::Kind::user ? "user" : "group";
  const auto colon = text.find(':');
  ConsoleAccess a;
  a.kind = kind;
  a.name = text.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string role = avio::lower(text.substr(colon + 1));
    if (role != "admin" && role != "oper") {
      errors.push_back(
          fmt::format("Invalid console {} '{}': the role must be admin or oper.", what, text));
      return;
    }
    a.admin = role == "admin";
  }
  if (a.name.empty()) {
    errors.push_back(fmt::format("Invalid console {} '{}': the name is missing.", what, text));
    return;
  }
  const bool known =
      kind == ConsoleAccess::Kind::user ? avio::user_exists(a.name) : avio::group_exists(a.name);
  if (!known) {
    std::string msg = fmt::format("The {} '{}' does not exist on this host.", what, a.name);
    (force ? warnings : errors).push_back(std::move(msg));
    if (!force) {
      return;
    }
  }
  auto same = [&](const ConsoleAccess& x) { return x.kind == a.kind && x.name == a.name; };
  std::erase_if(guest.access, same);
  guest.access.push_back(a);
}

bool parse_enabled(const std::string& value, bool& out) {
  if (value == "enabled") {
    out = true;
    return true;
  }
  if (value == "disabled") {
    out = false;
    return true;
  }
  return false;
}

void apply_extended(const std::string& text, Guest& guest, std::vector<std::string>& errors) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    errors.push_back(fmt::format("Invalid -x argument '{}': expected keyword=value.", text));
    return;
  }
  const std::string key = text.substr(0, eq);
  const std::string value = text.substr(eq + 1);
  auto bad_value = [&](const char* expected) {
    errors.push_back(
        fmt::format("Invalid value '{}' for -x {}: expected {}.", value, key, expected));
  };
  if (key == "runnable_status" || key == "modify_status" || key == "visible_status" ||
      key == "register_status") {
    bool on = false;
    if (!parse_enabled(value, on)) {
      return bad_value("enabled or disabled");
    }
    if (key == "runnable_status" || key == "register_status") {
      guest.runnable = on;
      if (on) {
        // The copy a migration left is taken back (the host it went to is
        // gone, say): it no longer belongs there.
        guest.extended.erase(k_migrated_to);
      }
    }
    if (key == "modify_status" || key == "register_status") {
      guest.modifiable = on;
    }
    if (key == "visible_status" || key == "register_status") {
      guest.visible = on;
    }
    return;
  }
  if (key == "graceful_stop_timeout" || key == "ram_dyn_min" || key == "ram_dyn_max" ||
      key == "ram_dyn_target_start" || key == "ram_dyn_entitlement" || key == "amr_chunk_size") {
    const bool is_memory = key != "graceful_stop_timeout";
    if (is_memory ? !parse_memory_mb(value) : !parse_unsigned(value)) {
      return bad_value(is_memory ? "an amount of memory" : "a number of seconds");
    }
  } else if (key == "dynamic_memory_control" || key == "amr_enable") {
    if (value != "0" && value != "1") {
      return bad_value("0 or 1");
    }
  } else if (key == "ram_dyn_type") {
    if (value != "none" && value != "any" && value != "driver") {
      return bad_value("none, any or driver");
    }
  } else if (key == "sched_preference") {
    if (value != "cell" && value != "ilm") {
      return bad_value("cell or ilm");
    }
  } else if (key == "online_migration") {
    if (value != "enabled" && value != "disabled") {
      return bad_value("enabled or disabled");
    }
  } else if (key == "resources_reserved") {
    if (value != "true" && value != "false") {
      return bad_value("true or false");
    }
  } else if (key == "ram_target") {
    errors.push_back("-x ram_target changes the memory of a running guest: only hpvmmodify takes "
                     "it (-x ram_dyn_target_start sets the memory a guest starts with).");
    return;
  } else if (key == "vm_type") {
    if (value != "shared") {
      return bad_value("shared (vPars do not exist on Linux hosts)");
    }
  } else {
    errors.push_back(fmt::format("Unknown -x keyword '{}'.", key));
    return;
  }
  guest.extended[key] = value;
}

} // namespace

std::optional<std::uint64_t> parse_memory_mb(std::string text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::uint64_t factor = 1;
  std::string upper = avio::upper(text);
  // "4GB" is "4G"; a bare "B" (bytes) is not a unit memory is given in.
  if (upper.size() > 2 && upper.back() == 'B' &&
      std::string_view("MGT").find(upper[upper.size() - 2]) != std::string_view::npos) {
    upper.pop_back();
  }
  switch (upper.back()) {
  case 'M':
    factor = 1;
    upper.pop_back();
    break;
  case 'G':
    factor = 1024;
    upper.pop_back();
    break;
  case 'T':
    factor = 1024 * 1024;
    upper.pop_back();
    break;
  default:
    break;
  }
  auto v = parse_unsigned(upper);
  if (!v || *v > k_max_memory_mb / factor) {
    return std::nullopt;
  }
  return *v * factor;
}

void apply_characteristics(const CharacteristicsRequest& r, bool force, Guest& guest,
                           std::vector<std::string>& errors, std::vector<std::string>& warnings) {
  if (r.os_type) {
    const auto colon = r.os_type->find(':');
    const std::string type = avio::lower(r.os_type->substr(0, colon));
    static const std::vector<std::string> k_types{"hpux", "linux", "windows", "openvms", "unknown"};
    if (std::find(k_types.begin(), k_types.end(), type) == k_types.end()) {
      errors.push_back(fmt::format(
          "Invalid OS type '{}': expected hpux, linux, windows, openvms or unknown.", *r.os_type));
    } else {
      guest.os_type = avio::upper(type);
      const std::string version = colon == std::string::npos ? "" : r.os_type->substr(colon + 1);
      // The version is printed inside -M's colon-separated line: keep it to a safe set.
      const bool safe = std::all_of(version.begin(), version.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
      });
      if (!safe) {
        errors.push_back(fmt::format(
            "Invalid OS version '{}': use only letters, digits, '.', '_' and '-'.", version));
      } else {
        guest.os_version = version;
      }
    }
  }
  if (r.vcpus) {
    auto n = parse_unsigned(*r.vcpus);
    if (!n || *n < 1 || *n > k_max_vcpus) {
      errors.push_back(
          fmt::format("Invalid number of vCPUs '{}': expected 1-{}.", *r.vcpus, k_max_vcpus));
    } else {
      guest.vcpus = static_cast<int>(*n);
      const auto host_cpus = avio::host_cpu_count();
      if (host_cpus != 0 && *n > host_cpus) {
        warnings.push_back(
            fmt::format("The guest has {} vCPUs but this host has only {} CPUs.", *n, host_cpus));
      }
    }
  }
  if (r.entitlement && r.cycles) {
    errors.push_back(
        "Give the entitlement either as a percentage (-e) or in cycles (-E), not both.");
  } else if (r.entitlement) {
    parse_entitlement(*r.entitlement, false, guest.entitlement, errors);
  } else if (r.cycles) {
    parse_entitlement(*r.cycles, true, guest.entitlement, errors);
  }
  bool memory_valid = true; // dynamic memory is checked against a valid -r only
  if (r.memory) {
    auto mb = parse_memory_mb(*r.memory);
    if (!mb || *mb < k_min_memory_mb) {
      errors.push_back(fmt::format(
          "Invalid memory size '{}': expected a size of at least {} MB such as 512M or 4G.",
          *r.memory, k_min_memory_mb));
      memory_valid = false;
    } else {
      guest.memory_mb = *mb;
    }
  }
  if (r.label) {
    if (auto problem = label_problem(*r.label)) {
      errors.push_back(fmt::format("Invalid label: {}.", *problem));
    } else {
      guest.label = *r.label;
    }
  }
  if (r.start) {
    const std::string s = avio::lower(*r.start);
    if (s == "auto") {
      guest.start = StartAttr::automatic;
    } else if (s == "manual") {
      guest.start = StartAttr::manual;
    } else {
      errors.push_back(
          fmt::format("Invalid start attribute '{}': expected auto or manual.", *r.start));
    }
  }
  for (const auto& u : r.users) {
    parse_access(u, ConsoleAccess::Kind::user, force, guest, errors, warnings);
  }
  for (const auto& g : r.groups) {
    parse_access(g, ConsoleAccess::Kind::group, force, guest, errors, warnings);
  }
  bool dynamic_memory_given = r.memory.has_value();
  bool dynamic_memory_valid = memory_valid;
  for (const auto& x : r.extended) {
    const auto before = errors.size();
    apply_extended(x, guest, errors);
    if (x.starts_with("ram_dyn_")) {
      dynamic_memory_given = true;
      dynamic_memory_valid = dynamic_memory_valid && errors.size() == before;
    }
  }
  // dynamic_memory_control is HPVM's switch for dynamic memory and ram_dyn_type
  // says which kind: the switch sets ram_dyn_type (any when it turns it on)
  // and is not stored apart, so the two cannot disagree later.
  std::optional<std::string> control, type;
  for (const auto& x : r.extended) {
    const auto eq = x.find('=');
    const auto key = x.substr(0, eq);
    const auto value = eq == std::string::npos ? std::string() : x.substr(eq + 1);
    if (key == "dynamic_memory_control" && (value == "0" || value == "1")) {
      control = value;
    } else if (key == "ram_dyn_type" && (value == "none" || value == "any" || value == "driver")) {
      type = value;
    }
  }
  if (control) {
    guest.extended.erase("dynamic_memory_control");
    if (type && (*type == "none") != (*control == "0")) {
      errors.push_back(fmt::format("-x dynamic_memory_control={} and -x ram_dyn_type={} "
                                   "contradict each other: dynamic memory is either on or off.",
                                   *control, *type));
    } else if (*control == "0") {
      guest.extended["ram_dyn_type"] = "none";
    } else if (!dynamic_memory(guest)) {
      guest.extended["ram_dyn_type"] = "any";
      dynamic_memory_given = true;
    }
  }
  // Only what this command changes is checked (a guest stored before these
  // rules stays modifiable in other ways), and only once each value parsed.
  if (dynamic_memory_given && dynamic_memory_valid) {
    auto problems = dynamic_memory_problems(guest);
    errors.insert(errors.end(), problems.begin(), problems.end());
  }
}

namespace {

// The value of a ram_dyn_* keyword in MB, or `fallback` when it is not set.
std::uint64_t dynamic_value(const Guest& g, const char* key, std::uint64_t fallback) {
  const auto it = g.extended.find(key);
  const auto mb = it == g.extended.end() ? std::nullopt : parse_memory_mb(it->second);
  return mb.value_or(fallback);
}

std::string mb_text(std::uint64_t mb) {
  return fmt::format("{} MB", mb);
}

} // namespace

std::optional<DynamicMemory> dynamic_memory(const Guest& g) {
  const auto type = g.extended.find("ram_dyn_type");
  if (type == g.extended.end() || type->second == "none") {
    return std::nullopt;
  }
  DynamicMemory m;
  m.type = type->second;
  m.maximum_mb = dynamic_value(g, "ram_dyn_max", g.memory_mb);
  m.minimum_mb = dynamic_value(g, "ram_dyn_min",
                               std::min(m.maximum_mb, std::max(k_min_memory_mb, g.memory_mb / 4)));
  m.target_start_mb = dynamic_value(g, "ram_dyn_target_start", m.maximum_mb);
  return m;
}

std::vector<std::string> dynamic_memory_problems(const Guest& g) {
  std::vector<std::string> problems;
  // Checked whether or not ram_dyn_type enables them yet: they take effect
  // as stored once it does.
  Guest on = g;
  on.extended["ram_dyn_type"] = "driver";
  const DynamicMemory m = *dynamic_memory(on);
  if (m.maximum_mb > g.memory_mb) {
    problems.push_back(fmt::format(
        "ram_dyn_max ({}) is above the guest's memory ({}): the balloon only takes memory back, "
        "it never gives a guest more than -r.",
        mb_text(m.maximum_mb), mb_text(g.memory_mb)));
  }
  if (m.minimum_mb < k_min_memory_mb) {
    problems.push_back(fmt::format("ram_dyn_min ({}) is below the smallest guest memory ({}).",
                                   mb_text(m.minimum_mb), mb_text(k_min_memory_mb)));
  }
  if (m.minimum_mb > m.maximum_mb) {
    problems.push_back(fmt::format("ram_dyn_min ({}) is above ram_dyn_max ({}).",
                                   mb_text(m.minimum_mb), mb_text(m.maximum_mb)));
    // A start target given is still checked against each bound on its own.
    if (g.extended.contains("ram_dyn_target_start") && m.target_start_mb > m.maximum_mb) {
      problems.push_back(fmt::format("ram_dyn_target_start ({}) is above ram_dyn_max ({}).",
                                     mb_text(m.target_start_mb), mb_text(m.maximum_mb)));
    } else if (g.extended.contains("ram_dyn_target_start") && m.target_start_mb < m.minimum_mb) {
      problems.push_back(fmt::format("ram_dyn_target_start ({}) is below ram_dyn_min ({}).",
                                     mb_text(m.target_start_mb), mb_text(m.minimum_mb)));
    }
  } else if (m.target_start_mb < m.minimum_mb || m.target_start_mb > m.maximum_mb) {
    problems.push_back(
        fmt::format("ram_dyn_target_start ({}) is outside ram_dyn_min - ram_dyn_max ({} - {}).",
                    mb_text(m.target_start_mb), mb_text(m.minimum_mb), mb_text(m.maximum_mb)));
  }
  return problems;
}

std::optional<std::uint64_t> ram_target_mb(const DynamicMemory& m, const std::string& value,
                                           std::string& problem) {
  const auto mb = value == "start" ? std::optional(m.target_start_mb) : parse_memory_mb(value);
  if (!mb) {
    problem = fmt::format(
        "Invalid value '{}' for -x ram_target: expected an amount of memory or start.", value);
    return std::nullopt;
  }
  if (*mb < m.minimum_mb || *mb > m.maximum_mb) {
    problem = fmt::format("ram_target ({}) is outside ram_dyn_min - ram_dyn_max ({} - {}).",
                          mb_text(*mb), mb_text(m.minimum_mb), mb_text(m.maximum_mb));
    return std::nullopt;
  }
  return mb;
}

std::string memory_compact(std::uint64_t mb) {
  return mb % 1024 == 0 ? fmt::format("{}GB", mb / 1024) : fmt::format("{}MB", mb);
}

std::string memory_spaced(std::uint64_t mb) {
  return mb % 1024 == 0 ? fmt::format("{} GB", mb / 1024) : fmt::format("{} MB", mb);
}

std::string entitlement_text(const Entitlement& e, bool maximum) {
  const double v = maximum ? e.maximum : e.minimum;
  if (e.cycles) {
    return maximum && v == 0.0 ? std::string("-") : fmt::format("{:.0f}MHz", v);
  }
  return fmt::format("{:.1f}%", v);
}

} // namespace vmconfig

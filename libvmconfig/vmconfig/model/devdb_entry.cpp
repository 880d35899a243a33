#include "vmconfig/model/devdb_entry.hpp"

#include "vmconfig/model/grammar.hpp"

#include <avio/backing.hpp>
#include <avio/error.hpp>
#include <avio/text.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <set>

namespace vmconfig {

namespace {

// PATH_MAX: the longest path the kernel takes, with its final NUL.
constexpr std::size_t k_max_path = 4096;

using avio::join;
using avio::split;
using avio::upper;

[[noreturn]] void usage(std::string message) {
  throw hpvm::UsageError(std::move(message));
}

// "type:rest" -> the type and the rest; `what` names the option for messages.
std::pair<EntryType, std::string> split_type(std::string_view text, const char* what) {
  const auto colon = text.find(':');
  const auto type = entry_type_from(text.substr(0, colon));
  if (!type) {
    usage(fmt::format("Invalid {} argument '{}': it must start with gdev:, rdev:, server: or env:.",
                      what, text));
  }
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    usage(fmt::format("Invalid {} argument '{}': no entry name after '{}:'.", what, text,
                      to_string(*type)));
  }
  return {*type, std::string(text.substr(colon + 1))};
}

void check_entry_name(std::string_view name, std::string_view text, const char* what) {
  if (name.empty()) {
    usage(fmt::format("Invalid {} argument '{}': an entry name is empty.", what, text));
  }
}

// What a new entry may be called: no control characters (they would reach
// terminals and the -r repair script); a gdev or rdev entry names a host
// path, so it is absolute and no longer than the kernel takes.
bool has_control_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::optional<std::string> path_length_problem(std::string_view path) {
  if (path.size() >= k_max_path) {
    return fmt::format("The path is {} characters long; the host takes at most {}.", path.size(),
                       k_max_path - 1);
  }
  return std::nullopt;
}

void check_new_entry_name(EntryType type, std::string_view name) {
  if (has_control_character(name)) {
    throw hpvm::Error("An entry name may not contain control characters.");
  }
  if (type != EntryType::gdev && type != EntryType::rdev) {
    return;
  }
  if (name.front() != '/') {
    throw hpvm::Error(fmt::format("'{}' is not an absolute path: {} entries name host paths.", name,
                                  to_string(type)));
  }
  if (auto problem = path_length_problem(name)) {
    throw hpvm::Error(*problem);
  }
}

// An entry's names (name and aliases) are all different: a repeated one
// would be stored twice under one entry.
void check_distinct(const std::vector<std::string>& names) {
  for (auto it = names.begin(); it != names.end(); ++it) {
    if (std::find(names.begin(), it, *it) != it) {
      throw hpvm::Error(fmt::format("'{}' is given twice: an entry's names and aliases must all "
                                    "differ.",
                                    *it));
    }
  }
}

// "NAME=VALUE" -> the attribute.
Attribute split_attribute(std::string_view text, std::string_view whole, const char* what) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    usage(
        fmt::format("Invalid {} argument '{}': expected an attribute as NAME=VALUE.", what, whole));
  }
  return {upper(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

bool is_attribute_filter(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return false;
  }
  return std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(eq), [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
  });
}

constexpr std::string_view k_attr_marker = ":attr:";
constexpr std::string_view k_depend_marker = ":depend:";

} // namespace

std::string_view to_string(EntryType t) {
  switch (t) {
  case EntryType::gdev:
    return "gdev";
  case EntryType::rdev:
    return "rdev";
  case EntryType::server:
    return "server";
  case EntryType::env:
    return "env";
  }
  return "gdev";
}

std::optional<EntryType> entry_type_from(std::string_view s) {
  for (auto t : {EntryType::gdev, EntryType::rdev, EntryType::server, EntryType::env}) {
    if (s == to_string(t)) {
      return t;
    }
  }
  return std::nullopt;
}

const std::string* DevEntry::attribute(std::string_view attr_name) const {
  for (const auto& a : attributes) {
    if (a.name == attr_name) {
      return &a.value;
    }
  }
  return nullptr;
}

bool DevEntry::attribute_is(std::string_view attr_name, std::string_view value) const {
  const std::string* v = attribute(attr_name);
  return v != nullptr && *v == value;
}

bool DevEntry::named(std::string_view name_or_alias) const {
  return name == name_or_alias ||
         std::find(aliases.begin(), aliases.end(), name_or_alias) != aliases.end();
}

std::string format_entry(const DevEntry& e, bool exists) {
  std::vector<std::string> names{e.name};
  names.insert(names.end(), e.aliases.begin(), e.aliases.end());
  std::vector<std::string> attrs{fmt::format("CONFIG={}", to_string(e.type)),
                                 fmt::format("EXIST={}", exists ? "YES" : "NO")};
  for (const auto& a : e.attributes) {
    attrs.push_back(a.name + "=" + a.value);
  }
  return fmt::format("{}:{}:{}:{}", join(names, ","), join(attrs, ","), join(e.dependents, ","),
                     e.unique_id);
}

DevEntry parse_entry_line(std::string_view line) {
  auto fields = split(line, ':');
  if (fields.size() < 4) {
    throw hpvm::Error(
        fmt::format("'{}' is not a device-database line (name:attributes:dependents:id).", line));
  }
  // Only the names may hold ':' (the other fields never do).
  const std::size_t n = fields.size();
  DevEntry e;
  e.unique_id = fields[n - 1];
  if (!fields[n - 2].empty()) {
    e.dependents = split(fields[n - 2], ',');
  }
  bool typed = false;
  if (!fields[n - 3].empty()) {
    for (const auto& a : split(fields[n - 3], ',')) {
      const auto eq = a.find('=');
      Attribute attr{a.substr(0, eq), eq == std::string::npos ? std::string() : a.substr(eq + 1)};
      if (attr.name == "CONFIG") {
        if (auto t = entry_type_from(attr.value)) {
          e.type = *t;
          typed = true;
        }
      } else if (attr.name != "EXIST") {
        e.attributes.push_back(std::move(attr));
      }
    }
  }
  if (!typed) {
    throw hpvm::Error(fmt::format("'{}' has no CONFIG=type attribute.", line));
  }
  fields.resize(n - 3);
  auto names = split(join(fields, ":"), ',');
  e.name = names.front();
  e.aliases.assign(names.begin() + 1, names.end());
  return e;
}

ListSpec parse_list_spec(std::string_view text) {
  ListSpec spec;
  const auto colon = text.find(':');
  const std::string_view type = text.substr(0, colon);
  if (type != "all") {
    spec.type = entry_type_from(type);
    if (!spec.type) {
      usage(fmt::format(
          "Invalid -l argument '{}': it must start with all, gdev, rdev, server or env.", text));
    }
  }
  if (colon == std::string_view::npos) {
    return spec;
  }
  const std::string_view rest = text.substr(colon + 1);
  if (rest.rfind("depend:", 0) == 0) {
    spec.dependent = std::string(rest.substr(7));
    if (spec.dependent->empty()) {
      usage(fmt::format("Invalid -l argument '{}': no guest name after 'depend:'.", text));
    }
  } else if (is_attribute_filter(rest)) {
    spec.attribute = split_attribute(rest, text, "-l");
  } else if (rest.empty()) {
    usage(fmt::format("Invalid -l argument '{}': nothing after ':'.", text));
  } else {
    spec.entry = std::string(rest);
  }
  return spec;
}

EntrySpec parse_add_spec(std::string_view text) {
  auto [type, rest] = split_type(text, "-a");
  EntrySpec spec;
  spec.type = type;
  if (const auto at = rest.rfind(k_attr_marker); at != std::string::npos) {
    spec.attribute =
        split_attribute(std::string_view(rest).substr(at + k_attr_marker.size()), text, "-a");
    rest.resize(at);
  }
  auto names = split(rest, ',');
  for (const auto& n : names) {
    check_entry_name(n, text, "-a");
    check_new_entry_name(type, n);
  }
  check_distinct(names);
  spec.name = names.front();
  spec.aliases.assign(names.begin() + 1, names.end());
  return spec;
}

EntrySpec parse_delete_spec(std::string_view text) {
  EntrySpec spec;
  if (text.rfind("gdev_alias:", 0) == 0) {
    spec.alias_only = true;
    spec.name = std::string(text.substr(11));
    check_entry_name(spec.name, text, "-d");
    return spec;
  }
  auto [type, rest] = split_type(text, "-d");
  spec.type = type;
  if (const auto at = rest.rfind(k_depend_marker); at != std::string::npos) {
    if (type != EntryType::gdev) {
      usage(fmt::format("Invalid -d argument '{}': only gdev entries have dependents.", text));
    }
    spec.dependent = rest.substr(at + k_depend_marker.size());
    rest.resize(at);
    if (spec.dependent->empty()) {
      usage(fmt::format("Invalid -d argument '{}': no guest name after 'depend:'.", text));
    }
  } else if (const auto a = rest.rfind(k_attr_marker); a != std::string::npos) {
    spec.attribute = Attribute{upper(std::string_view(rest).substr(a + k_attr_marker.size())), {}};
    rest.resize(a);
    if (spec.attribute->name.empty() || spec.attribute->name.find('=') != std::string::npos) {
      usage(
          fmt::format("Invalid -d argument '{}': expected an attribute name after 'attr:'.", text));
    }
  } else if (const auto w = rest.rfind(":IGNOREWWID");
             w != std::string::npos && w + 11 == rest.size()) {
    spec.attribute = Attribute{"IGNOREWWID", {}}; // HPVM's form without attr:
    rest.resize(w);
  }
  check_entry_name(rest, text, "-d");
  spec.name = rest;
  return spec;
}

EntrySpec parse_modify_spec(std::string_view text) {
  auto [type, rest] = split_type(text, "-m");
  EntrySpec spec;
  spec.type = type;
  if (const auto at = rest.rfind(k_attr_marker); at != std::string::npos) {
    spec.attribute =
        split_attribute(std::string_view(rest).substr(at + k_attr_marker.size()), text, "-m");
    rest.resize(at);
  } else if (const auto w = rest.rfind(":IGNOREWWID="); w != std::string::npos) {
    spec.attribute = split_attribute(std::string_view(rest).substr(w + 1), text, "-m");
    rest.resize(w);
  } else {
    usage(fmt::format("Invalid -m argument '{}': expected type:entry:attr:NAME=VALUE.", text));
  }
  check_entry_name(rest, text, "-m");
  spec.name = rest;
  return spec;
}

ReplaceSpec parse_replace_spec(std::string_view text) {
  auto [type, rest] = split_type(text, "-n");
  if (type != EntryType::gdev && type != EntryType::rdev) {
    usage(
        fmt::format("Invalid -n argument '{}': only gdev and rdev entries can be replaced.", text));
  }
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
    usage(fmt::format("Invalid -n argument '{}': expected {}:old:new.", text, to_string(type)));
  }
  ReplaceSpec spec;
  spec.type = type;
  spec.old_name = rest.substr(0, colon);
  spec.new_names = split(std::string_view(rest).substr(colon + 1), ',');
  for (const auto& n : spec.new_names) {
    check_entry_name(n, text, "-n");
    check_new_entry_name(type, n);
  }
  check_distinct(spec.new_names);
  return spec;
}

std::uint64_t parse_file_size(std::string_view text) {
  std::uint64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  std::string suffix = upper(text.substr(static_cast<std::size_t>(end - text.data())));
  if (suffix.size() == 2 && suffix[1] == 'B') {
    suffix.pop_back();
  }
  int shift = 0;
  if (suffix.empty() || suffix == "M") {
    shift = 20;
  } else if (suffix == "K") {
    shift = 10;
  } else if (suffix == "G") {
    shift = 30;
  } else if (suffix == "T") {
    shift = 40;
  } else {
    shift = -1;
  }
  if (ec != std::errc() || end == text.data() || shift < 0 || number == 0 ||
      number > (std::uint64_t{1} << (63 - shift))) {
    usage(fmt::format("Invalid file size '{}': expected a number with K, M, G or T, such as 512M "
                      "or 20G (no unit means megabytes).",
                      text));
  }
  return number << shift;
}

std::optional<std::string> size_file_problem(std::string_view path) {
  if (has_control_character(path)) {
    return "The file name for -S may not contain control characters.";
  }
  if (path.empty() || path.front() != '/') {
    return fmt::format("'{}' is not an absolute path: -S makes a backing store, which "
                       "statements name by its absolute path.",
                       path);
  }
  return path_length_problem(path);
}

Attribute checked_user_attribute(EntryType type, const Attribute& attribute) {
  struct Known {
    std::string_view name;
    std::array<std::string_view, 5> values;
  };
  static constexpr Known k_known[] = {
      {"SHARE", {"YES", "NO"}},
      {"PRESERVE", {"YES", "NO"}},
      {"USAGE", {"DISK", "DVD"}},
      {"RECURSIVE", {"FS", "DIR"}},
      {"DEVTYPE", {"DISK", "FILE", "LV", "DIR", "ATTACH"}},
      {"IGNOREWWID", {"YES", "NO"}},
      {"SHARE_LUNPATHS", {"YES", "NO"}},
  };
  const std::string name = upper(attribute.name);
  if (name == "CONFIG" || name == "EXIST") {
    throw hpvm::Error(
        fmt::format("The attribute {} is computed from the host; it cannot be set.", name));
  }
  if (name == "AUTORDEV") {
    throw hpvm::Error("The attribute AUTORDEV is set only by hpvmhostrdev.");
  }
  for (const auto& k : k_known) {
    if (k.name != name) {
      continue;
    }
    if (name == "RECURSIVE" && type != EntryType::rdev) {
      throw hpvm::Error("The attribute RECURSIVE applies to rdev directories only.");
    }
    const std::string value = upper(attribute.value);
    std::vector<std::string> allowed;
    for (auto v : k.values) {
      if (v.empty()) {
        continue;
      }
      if (v == value) {
        return {name, value};
      }
      allowed.emplace_back(v);
    }
    throw hpvm::Error(fmt::format("Invalid value '{}' for the attribute {}: expected {}.",
                                  attribute.value, name, join(allowed, "|")));
  }
  throw hpvm::Error(fmt::format(
      "Unknown attribute '{}': expected SHARE, PRESERVE, USAGE, RECURSIVE, DEVTYPE, IGNOREWWID "
      "or SHARE_LUNPATHS.",
      attribute.name));
}
std::string devtype_of(avio::StorageType storage) {
  switch (storage) {
  case avio::StorageType::disk:
    return "DISK";
  case avio::StorageType::lv:
    return "LV";
  case avio::StorageType::file:
    return "FILE";
  case avio::StorageType::null:
    return "DIR";
  case avio::StorageType::attach:
  case avio::StorageType::attach_path:
    return "ATTACH";
  }
  return "DISK";
}

} // namespace vmconfig

#include "vmconfig/model/guest_config.hpp"

#include "vmconfig/model/grammar.hpp"

#include <avio/text.hpp>

#include <fmt/format.h>

#include <charconv>
#include <set>

namespace vmconfig {

namespace {

constexpr const char* k_header =
    "# The configuration of an HPVM guest, written by the HPVM commands after each change;\n"
    "# do not edit. A copy of this directory on another host registers the guest there\n"
    "# when hpvmstart -P or hpvmstatus -P first names it.\n";

std::string escape(std::string_view value) {
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> unescape(std::string_view value) {
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\') {
      out += value[i];
    } else if (i + 1 < value.size() && value[i + 1] == '\\') {
      out += '\\';
      ++i;
    } else if (i + 3 < value.size() && value[i + 1] == 'x') {
      unsigned byte = 0;
      const char* first = value.data() + i + 2;
      const auto [end, ec] = std::from_chars(first, first + 2, byte, 16);
      if (ec != std::errc() || end != first + 2) {
        return std::nullopt;
      }
      out += static_cast<char>(byte);
      i += 3;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

void line(std::string& out, std::string_view key, std::string_view value) {
  out += fmt::format("{} {}\n", key, escape(value));
}

std::string access_text(const ConsoleAccess& a) {
  return a.name + (a.admin ? ":admin" : ":oper");
}

} // namespace

bool is_uuid(std::string_view text) {
  if (text.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string guest_config_body(const Guest& g) {
  std::string out;
  line(out, "name", g.name);
  line(out, "uuid", g.uuid);
  line(out, "os", g.os_version.empty() ? g.os_type : g.os_type + ":" + g.os_version);
  line(out, "vcpus", std::to_string(g.vcpus));
  line(out, g.entitlement.cycles ? "cycles" : "entitlement",
       fmt::format("{}:{}", g.entitlement.minimum, g.entitlement.maximum));
  line(out, "memory", fmt::format("{}M", g.memory_mb));
  if (!g.label.empty()) {
    line(out, "label", g.label);
  }
  line(out, "start", g.start == StartAttr::automatic ? "auto" : "manual");
  // Users before groups, each in the order given: the order hpvmcreate applies them in.
  for (const auto kind : {ConsoleAccess::Kind::user, ConsoleAccess::Kind::group}) {
    for (const auto& a : g.access) {
      if (a.kind == kind) {
        line(out, kind == ConsoleAccess::Kind::user ? "user" : "group", access_text(a));
      }
    }
  }
  for (const auto& [key, value] : g.extended) {
    line(out, "x", key + "=" + value);
  }
  for (const auto& d : g.storage) {
    line(out, "device", format(d));
  }
  for (const auto& n : g.networks) {
    line(out, "device", format(n));
  }
  return out;
}

std::string guest_config_file(const std::string& body, std::int64_t change) {
  return fmt::format("{}format {}\nchange {}\n{}", k_header, k_guest_config_format, change, body);
}

GuestConfig read_guest_config(const std::string& text, std::vector<std::string>& errors) {
  GuestConfig out;
  auto& ch = out.characteristics;
  std::set<std::string> seen;
  bool format_seen = false;
  bool change_seen = false;
  int number = 0;
  for (const auto& raw : avio::split(text, '\n')) {
    ++number;
    if (raw.empty() || raw.front() == '#') {
      continue;
    }
    const auto space = raw.find(' ');
    const std::string key = raw.substr(0, space);
    const auto value = unescape(space == std::string::npos ? "" : raw.substr(space + 1));
    auto problem = [&](const std::string& what) {
      errors.push_back(fmt::format("line {}: {}", number, what));
    };
    if (!value) {
      problem(fmt::format("the value of '{}' has a bad escape sequence", key));
      continue;
    }
    const bool repeatable = key == "user" || key == "group" || key == "x" || key == "device";
    if (!repeatable && !seen.insert(key).second) {
      problem(fmt::format("'{}' is given twice", key));
      continue;
    }
    if (!format_seen) {
      if (key != "format") {
        problem("the file does not start with its format line");
        return out;
      }
      format_seen = true;
      if (*value != std::to_string(k_guest_config_format)) {
        problem(fmt::format("format '{}' is not format {}, the one this version of the suite "
                            "reads (a newer version wrote it?)",
                            *value, k_guest_config_format));
        return out;
      }
      continue;
    }
    if (!change_seen) {
      const auto* first = value->data();
      const auto [end, ec] = std::from_chars(first, first + value->size(), out.change);
      if (key != "change" || ec != std::errc() || end != first + value->size() || out.change < 1) {
        problem("the format line is not followed by 'change N' (N a positive number)");
        return out;
      }
      change_seen = true;
      continue;
    }
    out.body += raw + "\n";
    if (key == "name") {
      out.name = *value;
    } else if (key == "uuid") {
      out.uuid = *value;
      if (!is_uuid(*value)) {
        problem(fmt::format("'{}' is not a UUID", *value));
      }
    } else if (key == "os") {
      ch.os_type = value;
    } else if (key == "vcpus") {
      ch.vcpus = value;
    } else if (key == "entitlement") {
      ch.entitlement = value;
    } else if (key == "cycles") {
      ch.cycles = value;
    } else if (key == "memory") {
      ch.memory = value;
    } else if (key == "label") {
      ch.label = value;
    } else if (key == "start") {
      ch.start = value;
    } else if (key == "user") {
      ch.users.push_back(*value);
    } else if (key == "group") {
      ch.groups.push_back(*value);
    } else if (key == "x") {
      ch.extended.push_back(*value);
    } else if (key == "device") {
      out.devices.push_back(*value);
    } else {
      problem(fmt::format("unknown key '{}'", key));
    }
  }
  if (!format_seen) {
    errors.emplace_back("the file is empty");
  } else if (!change_seen) {
    errors.emplace_back("the format line is not followed by 'change N' (N a positive number)");
  } else if (out.name.empty() || out.uuid.empty()) {
    errors.emplace_back("the file names no guest (its name and uuid lines are missing)");
  }
  return out;
}

} // namespace vmconfig

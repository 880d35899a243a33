#include "vmconfig/render/render_vswitch.hpp"

#include "vmconfig/model/grammar.hpp"

#include <avio/text.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vmconfig {

namespace {

using avio::append_line;

constexpr const char* k_list_header =
    "Name     Number State   Mode      NamePPA  MAC Address    IP Address\n"
    "======== ====== ======= ========= ======== ============== ===============\n";

constexpr const char* k_ports_header =
    "\n[Port Configuration Details]\n"
    "Port    Port         Port     Untagged Number of    Active VM\n"
    "Number  State        Adaptor  VLANID   Reserved VMs\n"
    "======= ============ ======== ======== ============ ============\n";

constexpr const char* k_statistics_header =
    "\n[Port Statistics]\n"
    "Port    Interface       Active VM    Frames In    Bytes In       Frames Out   "
    "Bytes Out      Dropped\n"
    "======= =============== ============ ============ ============== ============ "
    "============== ========\n";

using json = nlohmann::ordered_json;

const char* port_state(const VswitchPortStatus& p) {
  return p.active ? "Active" : p.guest ? "Reserved" : "Available";
}

std::string mac_text(const VswitchStatus& s) {
  if (s.vswitch.uplink.empty() || !s.uplink_mac) {
    return "N/A";
  }
  return fmt::format("0x{:012x}", s.uplink_mac->value());
}

void list_row(std::string& out, const VswitchStatus& s) {
  const Vswitch& v = s.vswitch;
  append_line(out, fmt::format("{:<8} {:>6} {:<7} {:<9} {:<8} {:<14} {}", v.name, v.number,
                               s.up ? "Up" : "Down", v.mode, v.uplink, mac_text(s),
                               v.uplink.empty() ? std::string("N/A") : s.ip));
}

void ports_table(std::string& out, const VswitchStatus& s) {
  out += k_ports_header;
  for (const auto& p : s.ports) {
    const bool held = p.guest.has_value();
    append_line(out, fmt::format("{:<7} {:<12} {:<8} {:<8} {:<12} {}", p.port, port_state(p),
                                 held ? std::string(to_string(p.adapter)) : "",
                                 p.vlan ? std::to_string(*p.vlan) : "none", held ? 1 : 0,
                                 p.active ? *p.guest : ""));
  }
}

void statistics_table(std::string& out, const VswitchStatus& s) {
  out += k_statistics_header;
  for (const auto& c : s.statistics) {
    append_line(out, fmt::format("{:<7} {:<15} {:<12} {:>12} {:>14} {:>12} {:>14} {:>8}", c.port,
                                 c.interface, c.guest, c.frames_in, c.bytes_in, c.frames_out,
                                 c.bytes_out, c.dropped));
  }
}

template <typename Table>
std::string render_each(const std::vector<VswitchStatus>& vswitches, Table table) {
  std::string out;
  for (const auto& s : vswitches) {
    if (!out.empty()) {
      out += '\n';
    }
    out += k_list_header;
    list_row(out, s);
    table(out, s);
  }
  return out;
}

} // namespace

std::string render_vswitch_list(const std::vector<VswitchStatus>& vswitches) {
  std::string out = k_list_header;
  for (const auto& s : vswitches) {
    list_row(out, s);
  }
  return out;
}

std::string render_vswitch_ports(const std::vector<VswitchStatus>& vswitches) {
  return render_each(vswitches, ports_table);
}

std::string render_vswitch_statistics(const std::vector<VswitchStatus>& vswitches) {
  return render_each(vswitches, statistics_table);
}

std::string render_vswitch_json(const std::vector<VswitchStatus>& vswitches, bool statistics) {
  const auto text_or_null = [](bool known, const std::string& text) {
    return known ? json(text) : json(nullptr);
  };
  json list = json::array();
  for (const auto& s : vswitches) {
    const Vswitch& v = s.vswitch;
    const bool uplinked = !v.uplink.empty();
    json j = {{"name", v.name},
              {"number", v.number},
              {"state", s.up ? "Up" : "Down"},
              {"mode", v.mode},
              {"uplink", text_or_null(uplinked, v.uplink)},
              {"mac", text_or_null(uplinked && s.uplink_mac, mac_text(s))},
              {"ip", text_or_null(uplinked && !s.ip.empty(), s.ip)}};
    if (statistics) {
      j["statistics"] = json::array();
      for (const auto& c : s.statistics) {
        j["statistics"].push_back({{"port", c.port},
                                   {"interface", c.interface},
                                   {"active_vm", text_or_null(!c.guest.empty(), c.guest)},
                                   {"frames_in", c.frames_in},
                                   {"bytes_in", c.bytes_in},
                                   {"frames_out", c.frames_out},
                                   {"bytes_out", c.bytes_out},
                                   {"dropped", c.dropped}});
      }
    } else {
      j["ports"] = json::array();
      for (const auto& p : s.ports) {
        j["ports"].push_back(
            {{"port", p.port},
             {"state", port_state(p)},
             {"adaptor", text_or_null(p.guest.has_value(), std::string(to_string(p.adapter)))},
             {"untagged_vlan", p.vlan ? json(*p.vlan) : json(nullptr)},
             {"reserved_vms", p.guest ? 1 : 0},
             {"active_vm", text_or_null(p.active, p.guest.value_or(""))}});
      }
    }
    list.push_back(std::move(j));
  }
  return json{{"vswitches", list}}.dump(2) + "\n";
}

} // namespace vmconfig

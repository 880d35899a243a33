#include "vmconfig/render/render_devinfo.hpp"

#include <avio/text.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vmconfig {

namespace {

using avio::append_line;

constexpr const char* k_unknown = "unknown";

// hpvmstatus's [Storage Interface Details] columns, with the guest's two
// between the address and the backing store.
constexpr const char* k_table_header =
    "Guest                                                                  Physical\n"
    "Device  Adaptor    Bus Dev Tgt Guest Device     Guest Address      Storage   Device\n"
    "======= ========== === === === ================ ================== ========= "
    "=========================\n";

const char* agent_text(AgentState agent) {
  switch (agent) {
  case AgentState::answered:
    return "answered";
  case AgentState::silent:
    return "no answer";
  case AgentState::not_running:
    break;
  }
  return "guest not running";
}

std::string target_text(const MappedDevice& d) {
  return d.target ? std::to_string(*d.target) : "";
}

} // namespace

std::string render_devinfo(const std::vector<GuestDeviceMap>& guests, bool verbose) {
  std::string out;
  for (const auto& g : guests) {
    if (!out.empty()) {
      out += '\n';
    }
    out += "[Virtual Machine Device Mapping]\n";
    append_line(out, "Virtual Machine Name : " + g.guest);
    append_line(out, fmt::format("State : {}", g.state.token()));
    std::string agent = agent_text(g.agent);
    if (verbose && !g.agent_problem.empty()) {
      agent += " (" + g.agent_problem + ")";
    }
    append_line(out, "Guest agent : " + agent);
    out += '\n';
    out += k_table_header;
    for (const auto& d : g.devices) {
      append_line(out, fmt::format("{:<7} {:<10} {:>3} {:>3} {:>3} {:<16} {:<18} {:<9} {}",
                                   d.device, d.adapter, d.bus, d.slot, target_text(d),
                                   d.guest_device.value_or(k_unknown),
                                   d.guest_address.value_or(k_unknown), d.storage, d.host_device));
    }
  }
  return out;
}

std::string render_devinfo_machine(const std::vector<GuestDeviceMap>& guests) {
  std::string out;
  for (const auto& g : guests) {
    for (const auto& d : g.devices) {
      append_line(out, fmt::format("{}:{}:{}:{}:{}:{}:{}:{}:{}:{}", g.guest, d.device, d.adapter,
                                   d.bus, d.slot, target_text(d), d.storage, d.host_device,
                                   d.guest_device.value_or(k_unknown),
                                   d.guest_address.value_or(k_unknown)));
    }
  }
  return out;
}

std::string render_devinfo_json(const std::vector<GuestDeviceMap>& guests) {
  using Json = nlohmann::ordered_json;
  const auto known = [](const std::optional<std::string>& v) {
    return v ? Json(*v) : Json(nullptr);
  };
  Json list = Json::array();
  for (const auto& g : guests) {
    Json devices = Json::array();
    for (const auto& d : g.devices) {
      devices.push_back({{"device", d.device},
                         {"adapter", d.adapter},
                         {"bus", d.bus},
                         {"slot", d.slot},
                         {"target", d.target ? Json(*d.target) : Json(nullptr)},
                         {"storage", d.storage},
                         {"host_device", d.host_device},
                         {"guest_device", known(d.guest_device)},
                         {"guest_address", known(d.guest_address)}});
    }
    list.push_back(
        {{"name", g.guest},
         {"state", g.state.token()},
         {"agent", agent_text(g.agent)},
         {"agent_problem", g.agent_problem.empty() ? Json(nullptr) : Json(g.agent_problem)},
         {"devices", devices}});
  }
  return Json{{"guests", list}}.dump(2) + "\n";
}

} // namespace vmconfig

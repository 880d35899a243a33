#include "vmconfig/render/render_info.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vmconfig {

std::string render_info(const SystemRole& role, InfoDetail detail, std::string_view version) {
  std::string out;
  if (role.inside_guest) {
    out = "hpvminfo: Running inside an HPVM guest.\n";
    if (detail != InfoDetail::brief && !role.vm_host.empty()) {
      out += fmt::format("Hostname: {}\n", role.vm_host);
    }
  } else {
    out = "hpvminfo: Running on an HPVM host.\n";
    if (detail != InfoDetail::brief) {
      out += fmt::format("Hostname: {}\nHPVM root: {}\n", role.host_name, role.root.string());
    }
  }
  if (detail == InfoDetail::summary) {
    out += fmt::format("Version: {}\n", version);
    if (!role.inside_guest) {
      out += fmt::format("Guests: {} configured, {} running\nCPUs: {}\nAvailable memory: {} MB\n",
                         role.guests, role.running, role.cpus, role.available_memory_mb);
    }
  }
  return out;
}

std::string render_info_json(const SystemRole& role, std::string_view version) {
  using Json = nlohmann::ordered_json;
  const bool host = !role.inside_guest;
  const auto on_host = [&](auto value) { return host ? Json(value) : Json(nullptr); };
  const Json info{{"role", host ? "host" : "guest"},
                  {"hostname", host ? role.host_name : role.vm_host},
                  {"hpvm_root", on_host(role.root.string())},
                  {"version", version},
                  {"guests", on_host(role.guests)},
                  {"running", on_host(role.running)},
                  {"cpus", on_host(role.cpus)},
                  {"available_memory_mb", on_host(role.available_memory_mb)}};
  return info.dump(2) + "\n";
}

} // namespace vmconfig

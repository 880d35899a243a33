#include "vmconfig/render_conversion.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace vmconfig {

std::string render_conversion_text(const std::vector<GuestConversionPlan>& plans) {
  std::string out;
  for (const auto& plan : plans) {
    if (!out.empty()) {
      out += '\n';
    }
    const auto blocked = std::count_if(plan.devices.begin(), plan.devices.end(),
                                       [](const auto& d) { return d.blocker.has_value(); });
    if (plan.devices.empty()) {
      out += fmt::format("Guest '{}': nothing to convert (no scsi adapter, no lan vNIC).\n",
                         plan.guest);
      continue;
    }
    out +=
        fmt::format("Guest '{}': {} device(s) to convert{}.\n", plan.guest,
                    plan.devices.size() - static_cast<std::size_t>(blocked),
                    blocked > 0 ? fmt::format(", {} blocked: the guest is not converted", blocked)
                                : std::string());
    for (const auto& d : plan.devices) {
      if (d.blocker) {
        out += fmt::format("  BLOCKED {}\n          {}\n", d.before, *d.blocker);
        continue;
      }
      out += fmt::format("  {}\n    -> {}\n     keeps {}\n     guest sees {}\n", d.before, d.after,
                         d.kept, d.guest_sees);
    }
  }
  return out;
}

std::string render_conversion_machine(const std::vector<GuestConversionPlan>& plans) {
  std::string out;
  for (const auto& plan : plans) {
    for (const auto& d : plan.devices) {
      out += fmt::format("{}\t{}\t{}\t{}\t{}\t{}\n", plan.guest, d.blocker ? "blocked" : "convert",
                         d.before, d.after, d.kept, d.blocker.value_or(""));
    }
  }
  return out;
}

std::string render_conversion_json(const std::vector<GuestConversionPlan>& plans) {
  auto guests = nlohmann::json::array();
  for (const auto& plan : plans) {
    auto devices = nlohmann::json::array();
    for (const auto& d : plan.devices) {
      nlohmann::json device = {{"before", d.before}, {"kept", d.kept}};
      if (d.blocker) {
        device["blocker"] = *d.blocker;
      } else {
        device["after"] = d.after;
        device["guest_sees"] = d.guest_sees;
      }
      devices.push_back(std::move(device));
    }
    guests.push_back({{"name", plan.guest},
                      {"blocked", plan.blocked()},
                      {"devices", std::move(devices)},
                      {"changes", plan.changes},
                      {"undo", plan.undo}});
  }
  return nlohmann::json{{"guests", std::move(guests)}}.dump(2) + "\n";
}

} // namespace vmconfig

#include "vmconfig/render/render_conversion.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace vmconfig {

namespace {

// An unset port or VLAN, in words and in -M subfields.
std::string or_none(const std::optional<int>& value, const char* none) {
  return value ? std::to_string(*value) : std::string(none);
}

// "bus 0, slot 1, target 0"; "bus 0, slot 2, MAC 0x..., vswitch sw1, port 7, VLAN none".
std::string kept_words(const KeptAddress& k) {
  std::string out = fmt::format("bus {}, slot {}", k.bus, k.slot);
  if (k.target) {
    out += fmt::format(", target {}", *k.target);
  }
  if (k.mac) {
    out += fmt::format(", MAC {}, vswitch {}, port {}, VLAN {}", k.mac->canonical(), k.vswitch,
                       or_none(k.port, "none yet"), or_none(k.vlan, "none"));
  }
  return out;
}

// "bus=0;slot=1;target=0"; "bus=0;slot=2;mac=0x...;vswitch=sw1;port=7;vlan=" (empty: none).
std::string kept_fields(const KeptAddress& k) {
  std::string out = fmt::format("bus={};slot={}", k.bus, k.slot);
  if (k.target) {
    out += fmt::format(";target={}", *k.target);
  }
  if (k.mac) {
    out += fmt::format(";mac={};vswitch={};port={};vlan={}", k.mac->canonical(), k.vswitch,
                       or_none(k.port, ""), or_none(k.vlan, ""));
  }
  return out;
}

nlohmann::json kept_json(const KeptAddress& k) {
  nlohmann::json out = {{"bus", k.bus}, {"slot", k.slot}};
  if (k.target) {
    out["target"] = *k.target;
  }
  if (k.mac) {
    out["mac"] = k.mac->canonical();
    out["vswitch"] = k.vswitch;
    out["port"] = k.port ? nlohmann::json(*k.port) : nlohmann::json(nullptr);
    out["port_pinned"] = k.port_pinned;
    out["vlan"] = k.vlan ? nlohmann::json(*k.vlan) : nlohmann::json(nullptr);
  }
  return out;
}

// Converting a running guest changes its configuration; its adapters switch
// only when it starts again.
bool pending_until_next_start(const GuestConversionPlan& plan) {
  return plan.running && !plan.blocked() && !plan.changes.empty();
}

} // namespace

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
    if (pending_until_next_start(plan)) {
      out += "  The guest is running: its configuration converts now, and the adapter switch\n"
             "  stays pending until its next start (hpvmstop, then hpvmstart).\n";
    }
    for (const auto& d : plan.devices) {
      if (d.blocker) {
        out += fmt::format("  BLOCKED {}\n          {}\n", d.before, *d.blocker);
        continue;
      }
      out += fmt::format("  {}\n    -> {}\n     keeps {}\n     guest sees {}\n", d.before, d.after,
                         kept_words(d.kept), d.guest_sees);
    }
  }
  return out;
}

std::string render_conversion_machine(const std::vector<GuestConversionPlan>& plans) {
  std::string out;
  for (const auto& plan : plans) {
    const bool pending = pending_until_next_start(plan);
    for (const auto& d : plan.devices) {
      out +=
          fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", plan.guest,
                      d.blocker ? "blocked" : "convert", d.before, d.after, kept_fields(d.kept),
                      d.guest_sees, d.blocker.value_or(""), pending && !d.blocker ? "pending" : "");
    }
  }
  return out;
}

std::string render_conversion_json(const std::vector<GuestConversionPlan>& plans) {
  auto guests = nlohmann::json::array();
  for (const auto& plan : plans) {
    auto devices = nlohmann::json::array();
    for (const auto& d : plan.devices) {
      nlohmann::json device = {{"before", d.before}, {"kept", kept_json(d.kept)}};
      if (d.blocker) {
        device["blocker"] = *d.blocker;
      } else {
        device["after"] = d.after;
        device["guest_sees"] = d.guest_sees;
      }
      devices.push_back(std::move(device));
    }
    guests.push_back({{"name", plan.guest},
                      {"running", plan.running},
                      {"pending_until_next_start", pending_until_next_start(plan)},
                      {"blocked", plan.blocked()},
                      {"devices", std::move(devices)},
                      {"changes", plan.changes},
                      {"undo", plan.undo}});
  }
  return nlohmann::json{{"guests", std::move(guests)}}.dump(2) + "\n";
}

} // namespace vmconfig

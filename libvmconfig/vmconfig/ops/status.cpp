// hpvmstatus: every output format of the configuration and live state. Kept
// apart from guests.cpp so only hpvmstatus links the XML renderer.
#include "vmconfig/ops/status.hpp"

#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/live.hpp"
#include "vmconfig/ops/runtime.hpp"
#include "vmconfig/render/render.hpp"

#include <filesystem>

namespace fs = std::filesystem;

namespace vmconfig {

std::string status_report(Store& store, const StatusRequest& request) {
  const fs::path& root = store.root();
  const bool one = request.name || request.number;
  if (!one && request.format == StatusFormat::summary) {
    const auto running = running_uuids(root);
    std::vector<SummaryStatus> rows;
    for (auto& s : store.summaries()) {
      const RunState state{running.contains(s.uuid)};
      rows.push_back({std::move(s), state});
    }
    return render_summary(rows);
  }
  std::vector<GuestStatus> guests;
  if (one) {
    Guest g = request.name ? find_guest(store, *request.name) : find_guest(store, *request.number);
    const RunState state = run_state(root, g.uuid);
    std::optional<LiveState> live;
    if (request.format == StatusFormat::details || request.format == StatusFormat::verbose ||
        request.format == StatusFormat::json) {
      live = runtime_report(store, g, state);
    }
    guests.push_back({std::move(g), state, std::move(live), std::nullopt});
  } else if (request.format == StatusFormat::machine) {
    // -M shows how many devices each guest has, not the devices.
    const auto running = running_uuids(root);
    const auto counts = store.device_counts();
    for (auto& g : store.load_guests(Store::Devices::without)) {
      const RunState state{running.contains(g.uuid)};
      const auto c = counts.find(g.id);
      guests.push_back(
          {std::move(g), state, std::nullopt, c == counts.end() ? std::pair{0, 0} : c->second});
    }
  } else {
    const auto running = running_uuids(root);
    for (auto& g : store.load_guests()) {
      const RunState state{running.contains(g.uuid)};
      guests.push_back({std::move(g), state, std::nullopt, std::nullopt});
    }
  }
  std::string out;
  switch (request.format) {
  case StatusFormat::xml:
    return render_xml(guests);
  case StatusFormat::json:
    return render_json(guests);
  case StatusFormat::summary:
  case StatusFormat::details:
  case StatusFormat::verbose:
  case StatusFormat::devices:
  case StatusFormat::machine:
    for (const auto& g : guests) {
      if (!out.empty() && request.format != StatusFormat::machine) {
        out += '\n';
      }
      switch (request.format) {
      case StatusFormat::verbose:
        out += render_verbose(g);
        break;
      case StatusFormat::devices:
        out += render_devices(g.guest);
        break;
      case StatusFormat::machine:
        out += render_machine(g);
        break;
      default:
        out += render_details(g);
        break;
      }
    }
    return out;
  }
  return out;
}

} // namespace vmconfig

// hpvmstatus: every output format of the configuration and live state. Kept
// apart from guests.cpp so only hpvmstatus links the XML renderer.
#include "vmconfig/ops/status.hpp"

#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/live.hpp"
#include "vmconfig/ops/runtime.hpp"
#include "vmconfig/render/render.hpp"

#include <avio/guest_process.hpp>
#include <avio/hotplug.hpp>
#include <avio/machine.hpp>
#include <avio/qmp.hpp>

#include <filesystem>
#include <set>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace vmconfig {

namespace {

// -d of a running guest: a DVD whose medium QEMU no longer holds (ejected by
// the guest or through the monitor) shows as null, as HPVM's -d showed a
// medium changed from the console; -D keeps the configured statement. A
// monitor that cannot answer within 2 s leaves the configured media.
void show_current_media(const fs::path& root, Guest& g) {
  const auto run = run_dir(root, g.uuid);
  const auto pid = avio::running_qemu(run);
  if (!pid || avio::process_stopped(*pid)) {
    return;
  }
  try {
    avio::QmpClient qmp(run.qmp_socket(), 2000ms);
    const auto live = avio::live_devices(qmp);
    for (auto& d : g.storage) {
      const std::string id = avio::target_id(d.address);
      if (d.device == DeviceType::dvd && live.ids.contains(id) && !live.backing.contains(id)) {
        d.storage = StorageType::null;
        d.location.clear();
      }
    }
  } catch (const hpvm::Error&) {
  }
}

} // namespace

std::string status_report(Store& store, const StatusRequest& request) {
  const fs::path& root = store.root();
  const bool one = request.name || request.number;
  // Listing every guest, each running one is asked one thing (within the
  // QMP bounds): one whose state is unknown says so, and why, in every form.
  const auto running = one ? std::set<std::string>{} : running_uuids(root);
  const auto listed = [&](const std::string& uuid, const std::string& name,
                          std::optional<LiveState>& live) {
    RunState state(running.contains(uuid));
    if (state.on) {
      live = unknown_runtime(root, uuid, name);
      state.unknown = live ? live->unknown : "";
    }
    return state;
  };
  if (!one && request.format == StatusFormat::summary) {
    std::vector<SummaryStatus> rows;
    for (auto& s : store.summaries()) {
      std::optional<LiveState> live;
      const RunState state = listed(s.uuid, s.name, live);
      rows.push_back({std::move(s), state});
    }
    return render_summary(rows);
  }
  std::vector<GuestStatus> guests;
  if (one) {
    Guest g = request.name ? find_guest(store, *request.name) : find_guest(store, *request.number);
    RunState state = run_state(root, g.uuid);
    std::optional<LiveState> live;
    if (request.format != StatusFormat::devices && request.format != StatusFormat::original) {
      live = runtime_report(store, g, state);
      state.unknown = state.on && live ? live->unknown : "";
    }
    if (request.format == StatusFormat::devices && state.on) {
      show_current_media(root, g);
    }
    guests.push_back({std::move(g), state, std::move(live), std::nullopt});
  } else if (request.format == StatusFormat::machine) {
    // -M shows how many devices each guest has, not the devices.
    const auto counts = store.device_counts();
    for (auto& g : store.load_guests(Store::Devices::without)) {
      std::optional<LiveState> live;
      const RunState state = listed(g.uuid, g.name, live);
      const auto c = counts.find(g.id);
      guests.push_back(
          {std::move(g), state, std::move(live), c == counts.end() ? std::pair{0, 0} : c->second});
    }
  } else {
    for (auto& g : store.load_guests()) {
      std::optional<LiveState> live;
      const RunState state = listed(g.uuid, g.name, live);
      guests.push_back({std::move(g), state, std::move(live), std::nullopt});
    }
  }
  if (request.format == StatusFormat::machine || request.format == StatusFormat::xml) {
    for (auto& gs : guests) { // their dynamic memory's size now, added to what is known
      if (gs.live && (gs.live->balloon_mb || !gs.live->unknown.empty())) {
        continue; // asked already, or QEMU cannot answer
      }
      auto balloon = balloon_report(store, gs.guest, gs.state);
      if (!balloon) {
        continue;
      }
      if (!gs.live) {
        gs.live = std::move(balloon);
        continue;
      }
      gs.live->balloon_mb = balloon->balloon_mb;
      gs.live->balloon_target_mb = balloon->balloon_target_mb;
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
  case StatusFormat::original:
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
      case StatusFormat::original:
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

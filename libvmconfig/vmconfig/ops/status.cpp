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

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

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

// Listing every guest, each running one is asked one thing (within the QMP
// bounds): one whose state is unknown says so, and why, in every form. The
// running guests are asked at once, a few threads each taking the next: a
// busy monitor costs its bound once, not once per guest after it.
class RunningProbe {
public:
  RunningProbe(const fs::path& root, bool listing) : m_root(root) {
    if (listing) {
      m_running = running_uuids(root);
    }
  }
  // Asks each running guest of `listed` (anything with uuid and name).
  template <typename Listed> void ask(const std::vector<Listed>& listed) {
    for (const auto& g : listed) {
      if (m_running.contains(g.uuid)) {
        m_asked.emplace_back(g.uuid, g.name);
      }
    }
    ask_each();
  }
  // The guest's run state, and what its monitor's silence is (if it is).
  RunState state_of(const std::string& uuid, std::optional<LiveState>& live) const {
    RunState state(m_running.contains(uuid));
    if (const auto it = m_answers.find(uuid); it != m_answers.end()) {
      live = it->second;
      state.unknown = live ? live->unknown : "";
    }
    return state;
  }

private:
  void ask_each() {
    std::vector<std::optional<LiveState>> answers(m_asked.size());
    std::vector<std::exception_ptr> errors(m_asked.size());
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
      for (std::size_t i = next++; i < m_asked.size(); i = next++) {
        try {
          answers[i] = unknown_runtime(m_root, m_asked[i].first, m_asked[i].second);
        } catch (...) {
          errors[i] = std::current_exception();
        }
      }
    };
    constexpr std::size_t k_threads = 16; // this one included
    {
      std::vector<std::jthread> helpers;
      try {
        for (std::size_t t = 1; t < std::min(k_threads, m_asked.size()); ++t) {
          helpers.emplace_back(work);
        }
      } catch (const std::system_error&) {
        // No more threads to be had: fewer ask, this one among them.
      }
      work();
    } // the helpers are joined here
    for (std::size_t i = 0; i < m_asked.size(); ++i) {
      if (errors[i]) {
        std::rethrow_exception(errors[i]);
      }
      m_answers.emplace(m_asked[i].first, std::move(answers[i]));
    }
  }
  const fs::path& m_root;
  std::set<std::string> m_running;
  std::vector<std::pair<std::string, std::string>> m_asked; // uuid, name
  std::unordered_map<std::string, std::optional<LiveState>> m_answers;
};

} // namespace

std::string status_report(Store& store, const StatusRequest& request) {
  const fs::path& root = store.root();
  const bool one = request.name || request.number;
  RunningProbe probe(root, !one);
  if (!one && request.format == StatusFormat::summary) {
    auto summaries = store.summaries();
    probe.ask(summaries);
    std::vector<SummaryStatus> rows;
    for (auto& s : summaries) {
      std::optional<LiveState> live;
      const RunState state = probe.state_of(s.uuid, live);
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
    auto all = store.load_guests(Store::Devices::without);
    probe.ask(all);
    for (auto& g : all) {
      std::optional<LiveState> live;
      const RunState state = probe.state_of(g.uuid, live);
      const auto c = counts.find(g.id);
      guests.push_back(
          {std::move(g), state, std::move(live), c == counts.end() ? std::pair{0, 0} : c->second});
    }
  } else {
    auto all = store.load_guests();
    probe.ask(all);
    for (auto& g : all) {
      std::optional<LiveState> live;
      const RunState state = probe.state_of(g.uuid, live);
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

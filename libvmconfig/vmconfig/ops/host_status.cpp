#include "vmconfig/ops/host_status.hpp"

#include "vmconfig/ops/command_log.hpp"
#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/runtime.hpp"

#include <avio/guest_process.hpp>
#include <avio/host.hpp>
#include <avio/host_stats.hpp>
#include <avio/layout.hpp>
#include <avio/qmp.hpp>
#include <avio/remote.hpp>
#include <avio/runstate.hpp>
#include <avio/text.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace vmconfig {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::uint64_t k_kb_per_mb = 1024;
constexpr avio::Millis k_qmp_wait = 2000ms;

// QEMU names its vCPU threads only with debug-threads=on: ask its monitor
// which threads run the vCPUs, and fall back on the names when it cannot
// answer (busy, or stopped by SIGSTOP) so -S never waits long.
std::vector<avio::VcpuThread> vcpu_threads(const avio::RunDir& run, pid_t pid) {
  if (avio::process_stopped(pid)) {
    return avio::qemu_vcpu_threads(pid);
  }
  try {
    avio::QmpClient qmp(run.qmp_socket(), k_qmp_wait);
    const auto cpus = qmp.execute("query-cpus-fast");
    const std::string accel = qmp.execute("query-kvm").value("enabled", false) ? "KVM" : "TCG";
    std::vector<avio::VcpuThread> out;
    for (const auto& c : cpus) {
      const auto tid = c.value("thread-id", 0);
      if (auto t = avio::thread_usage(pid, tid)) {
        t->vcpu = c.value("cpu-index", -1);
        t->accelerator = accel;
        out.push_back(std::move(*t));
      }
    }
    return out;
  } catch (const hpvm::Error&) {
    return avio::qemu_vcpu_threads(pid);
  }
}

std::optional<QemuUsage> qemu_usage(const std::filesystem::path& root, const Guest& g) {
  const auto pid = avio::running_qemu(run_dir(root, g.uuid));
  if (!pid) {
    return std::nullopt;
  }
  QemuUsage q;
  q.pid = *pid;
  q.rss_mb = avio::process_rss_kb(*pid) / k_kb_per_mb;
  q.memory_nodes = avio::process_memory_nodes(*pid);
  for (const auto& t : vcpu_threads(run_dir(root, g.uuid), *pid)) {
    q.vcpus.push_back({t.vcpu, t.accelerator, t.tid, t.last_cpu, t.cpu_seconds, t.usage_percent});
  }
  return q;
}

// The guests a request names (-P/-p), or all of them, with their QEMU.
std::vector<GuestHostStatus> guests_of(Store& store, const HostStatusRequest& r) {
  std::vector<Guest> list;
  if (r.name) {
    list.push_back(find_guest(store, *r.name));
  } else if (r.number) {
    list.push_back(find_guest(store, *r.number));
  } else {
    list = store.load_guests(Store::Devices::without);
  }
  std::vector<GuestHostStatus> out;
  for (auto& g : list) {
    auto qemu = qemu_usage(store.root(), g);
    const RunState state{qemu.has_value()};
    out.push_back({std::move(g), state, std::move(qemu)});
  }
  return out;
}

HostSystem host_system(Store& store) {
  const auto host = avio::host_resources();
  HostSystem h;
  h.host_name = avio::host_name();
  h.cpus = host.cpu.cpus;
  h.cpu_mhz = host.cpu.mhz;
  h.cpu_model = host.cpu.model;
  h.kvm = host.kvm;
  h.numa_node_count = static_cast<int>(avio::id_list_count(host.numa_nodes));
  h.numa_nodes = host.numa_nodes;
  h.memory_total_mb = host.memory.total_kb / k_kb_per_mb;
  h.memory_available_mb = host.memory.available_kb / k_kb_per_mb;
  for (const auto& g : guests_of(store, {})) {
    ++h.guests;
    if (!g.qemu) {
      continue;
    }
    ++h.running;
    h.running_vcpus += g.guest.vcpus;
    h.running_memory_mb += g.guest.memory_mb;
    h.qemu_rss_mb += g.qemu->rss_mb;
    h.overhead_mb += g.qemu->rss_mb > g.guest.memory_mb ? g.qemu->rss_mb - g.guest.memory_mb : 0;
  }
  return h;
}

// The records of a log file that are events (of the guest `name` when set).
std::vector<StatusEvent> records_of(const std::filesystem::path& file,
                                    const std::optional<std::string>& name) {
  std::vector<StatusEvent> out;
  const auto log = avio::read_file(file).value_or("");
  for (const auto line : avio::split_view(log, '\n')) {
    auto e = parse_command_record(line);
    if (e && (!name || record_names_guest(*e, *name))) {
      out.push_back(std::move(*e));
    }
  }
  return out;
}

// Where runtime event `e` goes among the events, searching from `from`: a
// QEMU starts or stops while a command runs (hpvmstart, hpvmstop,
// hpvmmigrate), and that command's record is written when it ends, so the
// event goes before the first later record, or before such a record of its
// guest in the same second. (Times have one width, so text order is time
// order.)
// Whether a command line is one that starts or stops a guest's QEMU.
bool runs_qemu(std::string_view command_line) {
  return command_line.starts_with("hpvmstart ") || command_line.starts_with("hpvmstop ") ||
         command_line.starts_with("hpvmmigrate ");
}

std::size_t event_position(const std::vector<StatusEvent>& events, std::size_t from,
                           const StatusEvent& e) {
  const std::string guest = e.text.substr(0, e.text.find(": "));
  const auto at =
      std::find_if(events.begin() + static_cast<std::ptrdiff_t>(from), events.end(),
                   [&](const StatusEvent& record) {
                     return record.time > e.time ||
                            (record.time == e.time && record.source == "command" &&
                             runs_qemu(record.text) && record_names_guest(record.text, guest));
                   });
  return static_cast<std::size_t>(at - events.begin());
}

std::vector<StatusEvent> events(Store& store, const HostStatusRequest& r) {
  const auto guests = guests_of(store, r);
  std::optional<std::string> name;
  if (r.name || r.number) {
    name = guests.front().guest.name;
  }
  const fs::path& root = store.root();
  std::vector<StatusEvent> out = records_of(avio::layout::command_log(root), name);
  auto runtime = records_of(avio::layout::runtime_events_old(root), name);
  for (auto& e : records_of(avio::layout::runtime_events(root), name)) {
    runtime.push_back(std::move(e));
  }
  std::size_t from = 0; // the runtime events keep their order
  for (auto& e : runtime) {
    from = event_position(out, from, e);
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(from), std::move(e));
    ++from;
  }
  // A QEMU started before runtime events were recorded (or whose record was
  // lost) is still shown while it runs, at the time its process started.
  for (const auto& g : guests) {
    if (!g.qemu) {
      continue;
    }
    const std::string text = fmt::format("{}: QEMU (pid {}) started", g.guest.name, g.qemu->pid);
    const auto started = avio::process_start_epoch(g.qemu->pid);
    if (!started ||
        std::ranges::any_of(out, [&](const StatusEvent& e) { return e.text == text; })) {
      continue;
    }
    StatusEvent e{utc_text(*started), "runtime", "-", "STARTED", text};
    const auto at = event_position(out, 0, e);
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), std::move(e));
  }
  return out;
}

// The VM Hosts successful migrations went to or came from, in the order
// first met in the command log. A failure that notes where the guest went
// ("# to <host>": hpvmmigrate -b whose start there failed) moved it too.
std::vector<MigrationPeer> migration_peers(Store& store) {
  std::vector<MigrationPeer> out;
  for (const auto& e : records_of(avio::layout::command_log(store.root()), std::nullopt)) {
    const bool moved = e.outcome == "SUCCESS" || e.text.find(" # to ") != std::string::npos;
    const auto peer = moved ? migration_peer(e.text) : std::nullopt;
    if (!peer) {
      continue;
    }
    auto it = std::ranges::find_if(out, [&](const MigrationPeer& p) {
      return p.name == peer->second && p.target == peer->first;
    });
    if (it == out.end()) {
      it = out.insert(out.end(), MigrationPeer{peer->second, peer->first, 0, {}});
    }
    ++it->migrations;
    it->last = e.time;
  }
  return out;
}

} // namespace

std::optional<std::pair<bool, std::string>> migration_peer(std::string_view command_line) {
  const auto note = command_line.find(" # ");
  const auto words = avio::split_view(command_line.substr(0, note), ' ');
  if (words.empty() || words[0] != "hpvmmigrate") {
    return std::nullopt;
  }
  if (words.size() == 2 && words[1] == "--receive") {
    // The target's record: "... # from <source>" when a guest came in.
    if (note == std::string_view::npos) {
      return std::nullopt;
    }
    const auto from = avio::split_view(command_line.substr(note + 3), ' ');
    if (from.size() != 2 || from[0] != "from" || from[1].empty()) {
      return std::nullopt;
    }
    return std::pair{false, std::string(from[1])};
  }
  std::string target;
  for (std::size_t i = 1; i < words.size(); ++i) {
    const auto w = words[i];
    if (w.size() < 2 || w[0] != '-' || w[1] == '-') {
      continue;
    }
    // Short options, maybe grouped (-oq, -hhost): -s is a check only; -P,
    // -p, -h and -N take a value (the rest of the word, or the next word).
    for (std::size_t k = 1; k < w.size(); ++k) {
      const char c = w[k];
      if (c == 's') {
        return std::nullopt;
      }
      if (c == 'P' || c == 'p' || c == 'h' || c == 'N') {
        std::string_view value = w.substr(k + 1);
        if (value.empty() && i + 1 < words.size()) {
          value = words[++i];
        }
        if (c == 'h') {
          target = std::string(value);
        }
        break;
      }
    }
  }
  if (target.empty() || avio::host_problem(target)) {
    return std::nullopt;
  }
  // "# to <host>[. ...]": the name the target gave itself, as its own
  // record names this host; -h may be an alias or an address of it.
  if (note != std::string_view::npos) {
    const auto after = avio::split_view(command_line.substr(note + 3), ' ');
    if (after.size() >= 2 && after[0] == "to") {
      std::string_view host = after[1];
      if (host.ends_with('.')) {
        host.remove_suffix(1);
      }
      if (!host.empty() && !avio::host_problem(std::string(host))) {
        target = std::string(host);
      }
    }
  }
  return std::pair{true, target};
}

std::optional<StatusEvent> parse_command_record(std::string_view line) {
  std::string_view parts[3];
  for (auto& part : parts) {
    const auto space = line.find(' ');
    if (space == std::string_view::npos) {
      return std::nullopt;
    }
    part = line.substr(0, space);
    line.remove_prefix(space + 1);
  }
  if (parts[0].size() != 20 || !parts[0].ends_with('Z')) {
    return std::nullopt;
  }
  const bool runtime =
      parts[1] == "-" && (parts[2] == "STARTED" || parts[2] == "STOPPED" || parts[2] == "RESUMED");
  if (!runtime && parts[2] != "SUCCESS" && !parts[2].starts_with("FAILURE(")) {
    return std::nullopt;
  }
  return StatusEvent{std::string(parts[0]), runtime ? "runtime" : "command", std::string(parts[1]),
                     std::string(parts[2]), std::string(line)};
}

bool record_names_guest(const StatusEvent& event, const std::string& name) {
  if (event.source == "runtime") {
    return event.text.starts_with(name + ": ");
  }
  return record_names_guest(event.text, name);
}

bool record_names_guest(std::string_view command_line, const std::string& name) {
  const auto words = avio::split_view(command_line, ' ');
  const std::string quoted = "'" + name + "'";
  for (std::size_t i = 0; i < words.size(); ++i) {
    const auto w = words[i];
    if (w == "-P" && i + 1 < words.size() && (words[i + 1] == name || words[i + 1] == quoted)) {
      return true;
    }
    if (w == "-P" + name || w == "'-P" + name + "'") {
      return true;
    }
  }
  return false;
}

std::string host_status_report(Store& store, const HostStatusRequest& r) {
  switch (r.view) {
  case HostView::resources:
    return render_resources(guests_of(store, r), r.format);
  case HostView::system:
    return render_system(host_system(store), r.format);
  case HostView::scheduler:
    return render_scheduler(guests_of(store, r), r.format);
  case HostView::servers:
    return render_servers(host_system(store), migration_peers(store), r.format);
  case HostView::events:
    return render_events(events(store, r), r.format);
  case HostView::admins:
    return render_admins(guests_of(store, r), r.format);
  case HostView::memory:
    return render_memory_type(guests_of(store, r), avio::host_resources().numa_nodes, r.format);
  case HostView::version:
    return render_version(r.version, r.format);
  }
  return {};
}

} // namespace vmconfig

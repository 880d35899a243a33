#include "vmconfig/ops/host_status.hpp"

#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/runtime.hpp"

#include <avio/guest_process.hpp>
#include <avio/host.hpp>
#include <avio/host_stats.hpp>
#include <avio/layout.hpp>
#include <avio/qmp.hpp>
#include <avio/runstate.hpp>
#include <avio/text.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>

namespace vmconfig {

namespace {

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

std::string utc_text(std::int64_t seconds) {
  const std::time_t t = seconds;
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", utc);
}

std::vector<StatusEvent> events(Store& store, const HostStatusRequest& r) {
  std::vector<StatusEvent> out;
  const auto log = avio::read_file(avio::layout::command_log(store.root())).value_or("");
  const auto guests = guests_of(store, r);
  const bool one = r.name || r.number;
  for (const auto line : avio::split_view(log, '\n')) {
    auto e = parse_command_record(line);
    if (e && (!one || record_names_guest(e->text, guests.front().guest.name))) {
      out.push_back(std::move(*e));
    }
  }
  // The log is in time order. A QEMU starts during its hpvmstart, whose
  // record is written when it ends: a start goes before the first later
  // record, or before its guest's hpvmstart of the same second. (Times
  // have one width, so text order is time order.)
  for (const auto& g : guests) {
    if (!g.qemu) {
      continue;
    }
    const auto started = avio::process_start_epoch(g.qemu->pid);
    if (!started) {
      continue;
    }
    StatusEvent e{utc_text(*started), "runtime", "-", "RUNNING",
                  fmt::format("{}: QEMU (pid {}) started", g.guest.name, g.qemu->pid)};
    const auto at = std::ranges::find_if(out, [&](const StatusEvent& record) {
      return record.time > e.time || (record.time == e.time && record.source == "command" &&
                                      record.text.starts_with("hpvmstart ") &&
                                      record_names_guest(record.text, g.guest.name));
    });
    out.insert(at, std::move(e));
  }
  return out;
}

} // namespace

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
  if (parts[0].size() != 20 || !parts[0].ends_with('Z') ||
      (parts[2] != "SUCCESS" && !parts[2].starts_with("FAILURE("))) {
    return std::nullopt;
  }
  return StatusEvent{std::string(parts[0]), "command", std::string(parts[1]), std::string(parts[2]),
                     std::string(line)};
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
    return render_servers(host_system(store), r.format);
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

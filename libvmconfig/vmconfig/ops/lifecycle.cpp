#include "vmconfig/ops/lifecycle.hpp"

#include "vmconfig/model/grammar.hpp"
#include "vmconfig/ops/modify.hpp"
#include "vmconfig/ops/vswitch.hpp"
#include "vmconfig/store/store_runtime.hpp"

#include <avio/backing.hpp>
#include <avio/error.hpp>
#include <avio/guest_process.hpp>
#include <avio/qmp.hpp>
#include <avio/vswitch.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace vmconfig {

namespace {

// What QEMU itself needs beyond the guest's memory (HPVM's "overhead").
constexpr std::uint64_t k_qemu_overhead_mb = 64;

std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

std::string device_text(const StorageDevice& d) {
  return fmt::format("{} {},{},{}", to_string(d.device), d.address.bus, d.address.slot,
                     d.address.target);
}

struct StartProblems {
  std::vector<std::string> errors;
  std::vector<std::string> forceable; // become warnings with -F
};

void check_storage(Store& store, const Guest& guest, StartProblems& problems) {
  for (const auto& d : guest.storage) {
    if (d.storage == StorageType::null) {
      continue;
    }
    const avio::HostEntity entity = avio::probe(d.location);
    const auto checked = avio::check_backing(d.device, d.storage, entity, false);
    for (const auto& e : checked.errors) {
      problems.errors.push_back(fmt::format("{}: {}", device_text(d), e));
    }
    if (!checked.errors.empty()) {
      continue;
    }
    if (storage_restricted(store, d.location, entity.identity)) {
      problems.errors.push_back(
          fmt::format("{}: the backing store '{}' is a restricted device (rdev) of the VM Host.",
                      device_text(d), d.location));
    }
    if (entity.identity.empty() || storage_shared(store, entity.identity)) {
      continue;
    }
    for (const auto& other : guests_using_storage(store, entity.identity, guest.id)) {
      if (run_state(store.root(), other.uuid).on) {
        problems.errors.push_back(fmt::format(
            "{}: the backing store '{}' is in use by the running guest '{}' and is not shared "
            "(SHARE=NO).",
            device_text(d), d.location, other.name));
      }
    }
  }
}

void check_memory(const Guest& guest, StartProblems& problems) {
  const std::uint64_t available = host_available_memory_mb();
  const std::uint64_t needed = guest.memory_mb + k_qemu_overhead_mb;
  if (needed > available) {
    problems.forceable.push_back(fmt::format(
        "The guest needs {} MB of memory ({} MB and {} MB overhead); the VM Host has {} MB "
        "available.",
        needed, guest.memory_mb, k_qemu_overhead_mb, available));
  }
}

std::string plural(std::size_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// The HPVM monitor's block for configuration problems a start went past.
void print_problem_block(const Guest& g, const std::vector<std::string>& warnings,
                         const Progress& progress) {
  progress(fmt::format("HPVM guest {} configuration problems", g.name));
  for (std::size_t i = 0; i < warnings.size(); ++i) {
    progress(fmt::format("    Warning {} on item memory: {}", i + 1, warnings[i]));
  }
  progress(fmt::format("These problems may prevent HPVM guest {} from starting.", g.name));
}

} // namespace

std::uint64_t host_available_memory_mb() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") {
      return kb / 1024;
    }
  }
  return 0;
}

avio::GuestDisk runtime_disk(const StorageDevice& d) {
  avio::GuestDisk disk{d.device, d.adapter, d.address, d.storage, d.location};
  if (d.storage == StorageType::null) {
    disk.location.clear();
  }
  return disk;
}

avio::GuestNic runtime_nic(const Guest& guest, const NetworkDevice& n) {
  return {n.adapter, n.address, n.mac,
          avio::tap_name(guest.vm_number, n.address.bus, n.address.slot)};
}

avio::MachineSpec machine_spec(const Guest& g) {
  avio::MachineSpec spec{g.name, g.uuid, g.vcpus, g.memory_mb, host_name(), {}, {}};
  for (const auto& d : g.storage) {
    spec.storage.push_back(runtime_disk(d));
  }
  for (const auto& n : g.networks) {
    spec.networks.push_back(runtime_nic(g, n));
  }
  return spec;
}

// Each vNIC's tap on its vswitch's bridge, before QEMU opens it by name (a
// local vswitch recorded Up gets its bridge now). A vNIC whose vswitch does
// not exist or is down starts unconnected, as on HPVM (QEMU makes a bare
// tap); hpvmnet -b and -r connect it later.
namespace {

void attach_ports(Store& store, const Guest& guest, Report& report) {
  for (const auto& nic : guest.networks) {
    const auto request = port_request(store, guest, nic);
    if (!request) {
      report.warnings.push_back(
          fmt::format("vNIC {}: the vswitch '{}' does not exist; the vNIC is not connected.",
                      format(nic), nic.vswitch));
      continue;
    }
    try {
      prepare_port_bridge(store, nic.vswitch);
      avio::create_port_tap(*request);
    } catch (const hpvm::Error& e) {
      report.warnings.push_back(fmt::format("vNIC {}: not connected to vswitch '{}': {}",
                                            format(nic), nic.vswitch, e.what()));
    }
  }
}

void detach_ports(const Guest& guest) {
  for (const auto& nic : guest.networks) {
    try {
      avio::remove_port_tap(avio::tap_name(guest.vm_number, nic.address.bus, nic.address.slot));
    } catch (const hpvm::Error&) {
      // Already gone (QEMU removes taps it created itself).
    }
  }
}

} // namespace

Report start_guest(Store& store, const StartRequest& request, const Progress& progress) {
  const Guest guest = find_guest(store, request.name);
  const avio::RunDir run = run_dir(store.root(), guest.uuid);
  fs::create_directories(run.dir);
  avio::RuntimeLock lock(run, avio::k_runtime_lock_wait, guest.name);
  if (run_state(store.root(), guest.uuid).on) {
    throw hpvm::Error(fmt::format("The guest '{}' is already running.", guest.name), guest.name);
  }
  Report report;
  if (!avio::clean_run_files(run).empty()) {
    report.warnings.emplace_back(
        "The guest's previous QEMU process had exited without cleaning up; its stale run "
        "files were removed.");
  }
  StartProblems problems;
  if (!guest.runnable) {
    problems.errors.emplace_back(
        "The guest's runnable status is disabled (hpvmmodify -x runnable_status=enabled).");
  }
  check_storage(store, guest, problems);
  check_memory(guest, problems);
  if (!request.force) {
    problems.errors.insert(problems.errors.end(), problems.forceable.begin(),
                           problems.forceable.end());
  }
  if (!problems.errors.empty()) {
    throw hpvm::Refused(std::move(problems.errors), "Unable to start the guest.", guest.name);
  }
  if (!problems.forceable.empty()) {
    print_problem_block(guest, problems.forceable, progress);
  }
  progress(fmt::format("Checked the resources of guest '{}'", guest.name));
  const avio::MachineSpec spec = machine_spec(guest);
  const avio::Accelerator accel = avio::host_accelerator();
  progress(fmt::format("Allocating guest memory: {}MB", guest.memory_mb));
  progress(fmt::format("Creating the virtual machine: {}, {}, {}, {} ({})",
                       plural(static_cast<std::size_t>(guest.vcpus), "vCPU"),
                       plural(spec.storage.size(), "storage device"),
                       plural(spec.networks.size(), "vNIC"),
                       accel == avio::Accelerator::kvm ? "KVM" : "TCG, /dev/kvm is not usable",
                       avio::k_qemu_binary));
  // Listed as running before QEMU exists, so no lister can miss it.
  mark_running(store.root(), guest.uuid);
  attach_ports(store, guest, report);
  pid_t pid = 0;
  try {
    pid = avio::launch(spec, run, accel);
  } catch (...) {
    detach_ports(guest);
    unmark_running(store.root(), guest.uuid);
    throw;
  }
  progress(fmt::format("Daemonizing.... (QEMU pid {})", pid));
  return report;
}

Report stop_guest(Store& store, const StopRequest& request) {
  const Guest guest = find_guest(store, request.name);
  const avio::RunDir run = run_dir(store.root(), guest.uuid);
  Report report;
  if (!fs::exists(run.dir)) {
    throw hpvm::Error(fmt::format("The guest '{}' is not running.", guest.name), guest.name);
  }
  avio::RuntimeLock lock(run, avio::k_runtime_lock_wait, guest.name);
  const auto pid = avio::running_qemu(run);
  if (!pid) {
    if (avio::clean_run_files(run).empty()) {
      throw hpvm::Error(fmt::format("The guest '{}' is not running.", guest.name), guest.name);
    }
    detach_ports(guest);
    unmark_running(store.root(), guest.uuid);
    report.warnings.emplace_back(
        "The guest's QEMU process had already exited; its stale run files were removed.");
    return report;
  }
  if (request.graceful && !avio::stop_graceful(run, *pid, request.timeout)) {
    report.warnings.push_back(
        fmt::format("The guest did not power off within {} seconds; it was stopped hard.",
                    request.timeout.count()));
  }
  if (avio::qemu_alive(*pid)) {
    avio::stop_hard(run, *pid);
  }
  // A removal the guest never completed is complete now that it is off.
  const auto unfinished = avio::recorded_removals(run.pending_removals_file());
  avio::clean_run_files(run);
  detach_ports(guest);
  for (const auto& id : unfinished) {
    if (const auto nic = avio::nic_address_of(id)) { // configured or not
      avio::remove_port_tap(avio::tap_name(guest.vm_number, nic->bus, nic->slot));
    }
  }
  unmark_running(store.root(), guest.uuid);
  for (const auto& nic : drop_released_nics(store, guest, unfinished)) {
    report.warnings.push_back(fmt::format(
        "The pending removal of '{}' is complete: it is removed from the configuration.", nic));
  }
  return report;
}

avio::BatchResult change_running_guest(const fs::path& root, const Guest& guest,
                                       const std::vector<avio::HotChange>& changes,
                                       std::chrono::milliseconds removal_timeout) {
  const avio::RunDir run = run_dir(root, guest.uuid);
  avio::RuntimeLock lock(run, avio::k_runtime_lock_wait, guest.name);
  avio::QmpClient qmp(run.qmp_socket());
  avio::BatchOptions options;
  options.removal_timeout = removal_timeout;
  options.pending_file = run.pending_removals_file();
  return avio::apply_batch(qmp, changes, options);
}

std::vector<std::string> resync_running_guest(Store& store, const Guest& configured,
                                              std::chrono::milliseconds removal_timeout) {
  const avio::RunDir run = run_dir(store.root(), configured.uuid);
  avio::RuntimeLock lock(run, avio::k_runtime_lock_wait, configured.name);
  avio::QmpClient qmp(run.qmp_socket());
  const avio::LiveDevices live = avio::live_devices(qmp, run.pending_removals_file());
  // Removals the guest completed since they were reported pending leave the
  // configuration first, so they are not added back.
  auto recorded = avio::recorded_removals(run.pending_removals_file());
  std::set<std::string> released;
  std::set_difference(recorded.begin(), recorded.end(), live.ids.begin(), live.ids.end(),
                      std::inserter(released, released.end()));
  std::vector<std::string> done;
  for (const auto& nic : drop_released_nics(store, configured, released)) {
    done.push_back(fmt::format("remove {} from the configuration: the guest released it", nic));
  }
  avio::record_removals(run.pending_removals_file(), live.removal_pending);
  const Guest guest = done.empty() ? configured : find_guest(store, configured.name);
  const auto orphans = avio::remove_orphans(qmp, live);
  done.insert(done.end(), orphans.begin(), orphans.end());
  // The tap the dead command made for such a netdev, unless a configured
  // vNIC (re-added below) owns it.
  for (const auto& netdev : live.orphan_netdevs) {
    const auto address = avio::netdev_address_of(netdev);
    const bool owned =
        !address || std::any_of(guest.networks.begin(), guest.networks.end(),
                                [&](const NetworkDevice& n) { return n.address == *address; });
    if (!owned) {
      avio::remove_port_tap(avio::tap_name(guest.vm_number, address->bus, address->slot));
    }
  }

  std::vector<avio::HotChange> changes;
  std::set<std::string> configured_ids;
  for (const auto& d : guest.storage) {
    const auto disk = runtime_disk(d);
    const std::string id = avio::target_id(d.address);
    configured_ids.insert(id);
    if (!live.ids.contains(id)) {
      changes.emplace_back(avio::AddStorage{disk});
      continue;
    }
    const auto it = live.backing.find(id);
    const std::string running = it == live.backing.end() ? "" : it->second;
    if (running != disk.location) {
      auto from = disk;
      from.location = running;
      changes.emplace_back(avio::ReplaceBacking{from, disk});
    }
  }
  for (const auto& n : guest.networks) {
    const auto nic = runtime_nic(guest, n);
    configured_ids.insert(avio::nic_id(n.address));
    if (!live.ids.contains(avio::nic_id(n.address))) {
      // Its tap on the vswitch first, as at a start.
      if (const auto request = port_request(store, guest, n)) {
        avio::create_port_tap(*request);
      }
      changes.emplace_back(avio::AddNic{nic});
    }
  }
  for (const auto& id : live.ids) {
    if (configured_ids.contains(id)) {
      continue;
    }
    if (const auto target = avio::target_address_of(id)) {
      const auto it = live.backing.find(id);
      avio::GuestDisk disk{DeviceType::disk, StorageAdapter::avio_stor, *target, StorageType::file,
                           it == live.backing.end() ? "" : it->second};
      changes.emplace_back(avio::RemoveStorage{disk});
    } else if (const auto nic = avio::nic_address_of(id);
               nic && !live.removal_pending.contains(id)) {
      const auto type = live.types.find(id);
      const NetAdapter adapter =
          type != live.types.end() && type->second == avio::nic_model(NetAdapter::lan)
              ? NetAdapter::lan
              : NetAdapter::avio_lan;
      changes.emplace_back(avio::RemoveNic{avio::GuestNic{adapter, *nic, {}, {}}});
    }
  }
  avio::BatchOptions options;
  options.removal_timeout = removal_timeout;
  options.pending_file = run.pending_removals_file();
  const auto result = avio::apply_batch(qmp, changes, options);
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const bool removed = result.outcomes[i] == avio::Outcome::done;
    done.push_back(avio::describe(changes[i]) + (removed ? "" : ": removal pending"));
    // The tap the dead command made for a vNIC that is not configured.
    if (const auto* nic = std::get_if<avio::RemoveNic>(&changes[i]); nic && removed) {
      avio::remove_port_tap(
          avio::tap_name(guest.vm_number, nic->nic.address.bus, nic->nic.address.slot));
    }
  }
  // What only a restart can change is said, not done.
  for (const auto& line : live_state(store, guest).differences) {
    if (line.ends_with("(at the next start)")) {
      done.push_back(line);
    }
  }
  return done;
}

avio::ConsoleEnd attach_guest_console(const fs::path& root, const Guest& guest) {
  return avio::attach_console(run_dir(root, guest.uuid).console_socket(), STDIN_FILENO,
                              STDOUT_FILENO);
}

namespace {

const char* adapter_kind(const std::string& model) {
  return model == avio::adapter_model(StorageAdapter::avio_stor) ? "avio_stor" : "scsi";
}

const char* nic_kind(const std::string& model) {
  return model == avio::nic_model(NetAdapter::avio_lan) ? "avio_lan" : "lan";
}

// What differs between a configured vNIC and the one QEMU runs: its model,
// MAC and vswitch (the bridge its tap is a port of). Only a start changes them.
void compare_nic(Store& store, const Guest& g, const NetworkDevice& n,
                 const avio::LiveDevices& live, std::vector<std::string>& differences) {
  const std::string id = avio::nic_id(n.address);
  const auto next = [&](const std::string& what) {
    differences.push_back(fmt::format("{} : running {} (at the next start)", format(n), what));
  };
  if (const auto type = live.types.find(id);
      type != live.types.end() && type->second != avio::nic_model(n.adapter)) {
    next(fmt::format("as {}", nic_kind(type->second)));
  }
  if (const auto mac = live.macs.find(id); mac != live.macs.end() && mac->second != n.mac.colon()) {
    next(fmt::format("with MAC {}", mac->second));
  }
  const auto request = port_request(store, g, n);
  const auto tap = avio::link_state(avio::tap_name(g.vm_number, n.address.bus, n.address.slot));
  if (request && tap.exists && !tap.master.empty() && tap.master != request->bridge) {
    next(fmt::format("on the bridge {}, not on vswitch '{}' ({})", tap.master, n.vswitch,
                     request->bridge));
  }
}

} // namespace

LiveState live_state(Store& store, const Guest& g) {
  LiveState state;
  const avio::RunDir run = run_dir(store.root(), g.uuid);
  avio::LiveDevices live;
  std::set<std::string> recorded;
  try {
    avio::QmpClient qmp(run.qmp_socket(), 2000ms);
    state.qemu_status = qmp.execute("query-status").value("status", "unknown");
    live = avio::live_devices(qmp, run.pending_removals_file());
    recorded = avio::recorded_removals(run.pending_removals_file());
    // vCPUs and memory change only at a start: a difference is a pending change.
    const auto cpus = qmp.execute("query-cpus-fast").size();
    if (cpus != static_cast<std::size_t>(g.vcpus)) {
      state.differences.push_back(
          fmt::format("vCPUs : {} configured, {} running (at the next start)", g.vcpus, cpus));
    }
    const auto memory_mb =
        qmp.execute("query-memory-size-summary").value("base-memory", 0ULL) >> 20;
    if (memory_mb != g.memory_mb) {
      state.differences.push_back(fmt::format(
          "Memory : {} MB configured, {} MB running (at the next start)", g.memory_mb, memory_mb));
    }
  } catch (const hpvm::Error& e) {
    state.problem = e.what();
    return state;
  }
  // Every id the configuration expects, with the backing store it names.
  std::map<std::string, std::string> expected; // id -> what it is
  for (const auto& d : g.storage) {
    const auto disk = runtime_disk(d);
    const std::string adapter = avio::adapter_id(d.address.bus, d.address.slot);
    const std::string adapter_text =
        fmt::format("{} adapter {},{}", to_string(d.adapter), d.address.bus, d.address.slot);
    if (expected.emplace(adapter, adapter_text).second) {
      const auto type = live.types.find(adapter);
      if (type != live.types.end() && type->second != avio::adapter_model(d.adapter)) {
        state.differences.push_back(fmt::format("{} : running as {} (at the next start)",
                                                adapter_text, adapter_kind(type->second)));
      }
    }
    const std::string id = avio::target_id(d.address);
    expected.emplace(id, format(d));
    if (live.ids.contains(id)) {
      const auto it = live.backing.find(id);
      const std::string running = it == live.backing.end() ? "" : it->second;
      if (running != disk.location) {
        state.differences.push_back(fmt::format("{} : running with '{}'", format(d),
                                                running.empty() ? "no medium" : running));
      }
    }
  }
  for (const auto& n : g.networks) {
    const std::string id = avio::nic_id(n.address);
    expected.emplace(id, format(n));
    if (recorded.contains(id) && !live.ids.contains(id)) {
      state.pending.push_back(format(n) +
                              " : released by the guest; hpvmmodify -R or hpvmstop removes it "
                              "from the configuration");
    } else if (live.ids.contains(id)) {
      compare_nic(store, g, n, live, state.differences);
    }
  }
  for (const auto& [id, what] : expected) {
    if (!live.ids.contains(id) && !recorded.contains(id)) {
      state.differences.push_back(what + " : configured, not in the running guest");
    }
  }
  for (const auto& id : live.ids) {
    if (id.rfind("hpvm.bus", 0) != 0 && !expected.contains(id) &&
        !live.removal_pending.contains(id)) {
      const auto it = live.backing.find(id);
      state.differences.push_back(
          fmt::format("{}{} : in the running guest, not configured", id,
                      it == live.backing.end() ? "" : fmt::format(" ({})", it->second)));
    }
  }
  for (const auto& node : live.orphan_nodes) {
    state.differences.push_back(
        fmt::format("block node {} : left by an interrupted command, used by no device", node));
  }
  for (const auto& netdev : live.orphan_netdevs) {
    state.differences.push_back(
        fmt::format("netdev {} : left by an interrupted command, used by no vNIC", netdev));
  }
  for (const auto& id : live.removal_pending) {
    const auto it = expected.find(id);
    std::string what = it == expected.end() ? id : it->second;
    const auto type = live.types.find(id);
    const std::string model = type == live.types.end() ? "" : type->second;
    if (it == expected.end()) { // no longer configured: named by type and address
      if (const auto adapter = avio::adapter_address_of(id)) {
        what = fmt::format("{} adapter {},{}", adapter_kind(model), adapter->bus, adapter->slot);
      } else if (const auto nic = avio::nic_address_of(id)) {
        what = fmt::format("{} vNIC {},{}", nic_kind(model), nic->bus, nic->slot);
      }
    }
    state.pending.push_back(what + " : removal pending");
  }
  return state;
}

std::optional<LiveState> runtime_report(Store& store, const Guest& guest, RunState state) {
  if (state.on) {
    return live_state(store, guest);
  }
  if (avio::stale_files(run_dir(store.root(), guest.uuid)).empty()) {
    return std::nullopt;
  }
  LiveState stale;
  stale.qemu_status = "not running";
  stale.problem = "QEMU exited without cleaning up; run 'hpvmstop -P " + guest.name +
                  "' to remove its stale run files";
  return stale;
}

} // namespace vmconfig

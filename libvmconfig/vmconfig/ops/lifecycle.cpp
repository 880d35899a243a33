#include "vmconfig/ops/lifecycle.hpp"

#include "vmconfig/model/grammar.hpp"
#include "vmconfig/ops/command_log.hpp"
#include "vmconfig/ops/copied_guests.hpp"
#include "vmconfig/ops/live.hpp"
#include "vmconfig/ops/memory.hpp"
#include "vmconfig/ops/modify.hpp"
#include "vmconfig/ops/runtime_devices.hpp"
#include "vmconfig/ops/vswitch.hpp"
#include "vmconfig/store/store_devdb.hpp"
#include "vmconfig/store/store_runtime.hpp"

#include <avio/backing.hpp>
#include <avio/error.hpp>
#include <avio/guest_process.hpp>
#include <avio/host.hpp>
#include <avio/host_stats.hpp>
#include <avio/remote.hpp>
#include <avio/storage_guard.hpp>
#include <avio/text.hpp>
#include <avio/vswitch.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <map>

namespace fs = std::filesystem;

namespace vmconfig {

namespace {

std::string device_text(const StorageDevice& d) {
  return fmt::format("{} {},{},{}", to_string(d.device), d.address.bus, d.address.slot,
                     d.address.target);
}

struct StartProblems {
  std::vector<std::string> errors;
  std::vector<std::string> forceable; // become warnings with -F
};

// Each backing store as it is now: the right kind, not restricted, not in
// use by a running guest unless shared, still the file or device it was
// when configured (a path swapped for a symlink to something else is not),
// and not one no guest may have (avio/storage_guard.hpp). QEMU opens the
// path itself (its file driver cannot refuse symlinks): these checks run
// under the runtime lock just before it is launched.
void check_storage(Store& store, const Guest& guest, bool force, StartProblems& problems,
                   Report& report) {
  std::map<std::string, std::string> recorded; // location -> identity when configured
  for (auto& use : devdb_store::storage_uses(store, guest.name)) {
    recorded.emplace(std::move(use.location), std::move(use.identity));
  }
  for (const auto& d : guest.storage) {
    if (d.storage == StorageType::null) {
      continue;
    }
    const avio::HostEntity entity = avio::probe(d.location);
    const auto was = recorded.find(d.location);
    const bool known = was != recorded.end() && avio::names_host_object(was->second);
    if (const auto guarded = avio::guarded_storage(d.location, entity, store.root())) {
      // A system file given with -F stays given while it is the same file.
      if (guarded->forceable && ((known && was->second == entity.identity) || force)) {
        report.warnings.push_back(fmt::format("{}: {}", device_text(d), guarded->forced()));
      } else {
        problems.errors.push_back(fmt::format("{}: {}", device_text(d), guarded->refusal()));
        continue;
      }
    }
    const auto checked = avio::check_backing(d.device, d.storage, entity, false);
    for (const auto& e : checked.errors) {
      problems.errors.push_back(fmt::format("{}: {}", device_text(d), e));
    }
    if (!checked.errors.empty()) {
      continue;
    }
    if (known && was->second != entity.identity) {
      const auto resolved = avio::resolved_path(d.location);
      problems.errors.push_back(fmt::format(
          "{}: the backing store '{}' is no longer the file or device it was configured with (it "
          "is now {}{}); if it was replaced on purpose, 'hpvmdevmgmt -I' records what it is now.",
          device_text(d), d.location, avio::describe(entity.kind),
          resolved == d.location ? std::string() : fmt::format(", '{}'", resolved.string())));
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
  if (auto problem = memory_problem(guest)) {
    problems.forceable.push_back(*problem);
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

// Every tap named for the guest goes, configured or not: one a killed
// hot-add made (tap_name's names are the suite's own).
void detach_ports(const Guest& guest) {
  for (const auto& [tap, address] : avio::guest_taps(guest.vm_number)) {
    try {
      avio::remove_port_tap(tap);
    } catch (const hpvm::Error&) {
      // Already gone (QEMU removes taps it created itself).
    }
  }
}

// A QEMU that started or stopped, for hpvmstatus -e after the guest stopped.
void record_runtime_event(const fs::path& root, std::string_view what, const std::string& text,
                          Report& report, std::optional<std::int64_t> at = {}) {
  if (const auto problem = append_runtime_event(root, what, text, at); !problem.empty()) {
    report.warnings.push_back("The runtime event was not recorded: " + problem);
  }
}

constexpr const char* k_start_refused = "Unable to start the guest.";

// The end of the guest's migration stream a killed hpvmmigrate left (ssh
// keeps its end when it is killed too): the target's for the incoming copy
// of a live migration, the source's for any other copy. Called under the
// runtime lock with no QEMU of the guest running, or one that sent the guest
// away: no migration of it from this host is under way then (its source
// holds the lock throughout), and the target's end was its QEMU's.
void remove_stale_migration_socket(const Guest& guest) {
  avio::remove_socket_file(
      avio::migration_socket(guest.uuid, guest.extended.contains(k_incoming) ? "in" : "out"));
}

// What -F past the hand-over marker leaves the administrator to be sure of.
std::string forced_past_handover(const std::string& target) {
  return fmt::format("Forced: the interrupted migration had told the VM Host '{}' to take the "
                     "guest over; make sure it does not run the guest there.",
                     target);
}

// A guest whose QEMU sent it away and stayed paused (postmigrate), now that
// this command holds its runtime lock (no hpvmmigrate works on it): an
// hpvmmigrate killed after its stream. QMP cont lets it run here again
// (QEMU takes back the disks it let go of when the stream completed).
// nullopt when the QEMU is not in that state or cannot say.
std::optional<StartReport> resume_after_migration(const fs::path& root, const Guest& guest,
                                                  const avio::RunDir& run,
                                                  const StartRequest& request,
                                                  const Report& report) {
  avio::refuse_stopped_qemu(run, guest.name);
  const auto pid = avio::running_qemu(run);
  std::optional<avio::QmpClient> qmp;
  try {
    qmp.emplace(run.qmp_socket());
    if (avio::json_text(qmp->execute("query-status"), "status", "") != "postmigrate") {
      return std::nullopt;
    }
  } catch (const hpvm::Error&) {
    return std::nullopt; // a busy or silent monitor: running, as far as is known
  }
  const auto target = avio::handover_target(run);
  if (target && !request.force) {
    throw hpvm::Refused({handed_over_problem(guest.name, *target, true) + "."}, k_start_refused,
                        guest.name);
  }
  remove_stale_migration_socket(guest);
  qmp->execute("cont");
  const std::string now = avio::json_text(qmp->execute("query-status"), "status", "unknown");
  if (now != "running") {
    throw hpvm::Error(
        fmt::format("QEMU did not resume the guest: its state is '{}' after 'cont'.", now),
        guest.name);
  }
  avio::forget_handover(run); // only once the guest runs here
  StartReport out;
  out.warnings = report.warnings;
  if (target) {
    out.warnings.push_back(forced_past_handover(*target));
  }
  out.resumed = pid.value_or(0);
  record_runtime_event(root, "RESUMED",
                       fmt::format("{}: QEMU (pid {}) resumed after an interrupted migration",
                                   guest.name, pid.value_or(0)),
                       out);
  return out;
}

} // namespace

std::optional<std::string> memory_problem(const Guest& guest) {
  const std::uint64_t available = avio::host_available_memory_mb();
  const std::uint64_t needed = guest.memory_mb + k_qemu_overhead_mb;
  if (needed <= available) {
    return std::nullopt;
  }
  return fmt::format(
      "The guest needs {} MB of memory ({} MB and {} MB overhead); the VM Host has {} MB "
      "available.",
      needed, guest.memory_mb, k_qemu_overhead_mb, available);
}

StartReport start_guest(Store& store, const StartRequest& request, const Progress& progress) {
  // A guest copied here from another host is registered on its first start.
  StartReport report;
  report.warnings = register_copied_guest(store, request.name, CopyUse::start).warnings;
  const Guest guest = find_guest(store, request.name);
  const avio::RunDir run = run_dir(store.root(), guest.uuid);
  avio::create_run_dir(run);
  avio::RuntimeLock lock(run, avio::k_runtime_lock_wait, guest.name);
  if (run_state(store.root(), guest.uuid).on) {
    if (!request.incoming) {
      if (auto resumed = resume_after_migration(store.root(), guest, run, request, report)) {
        return *resumed;
      }
    }
    throw hpvm::Error(fmt::format("The guest '{}' is already running.", guest.name), guest.name);
  }
  const auto handed_to = request.incoming ? std::nullopt : avio::handover_target(run);
  remove_stale_migration_socket(guest);
  if (!avio::clean_run_files(run).empty()) {
    report.warnings.emplace_back(
        "The guest's previous QEMU process had exited without cleaning up; its stale run "
        "files were removed.");
  }
  StartProblems problems;
  const bool incoming = request.incoming && guest.extended.contains(k_incoming);
  if (const auto away = guest.extended.find(k_migrated_to);
      !guest.runnable && !incoming && away != guest.extended.end()) {
    problems.errors.push_back(fmt::format(
        "The guest was migrated to the VM Host '{}' and belongs to it now; this copy is not "
        "runnable (hpvmmigrate on '{}' brings the guest back).",
        away->second, away->second));
  } else if (!guest.runnable && !incoming) {
    problems.errors.emplace_back(
        "The guest's runnable status is disabled (hpvmmodify -x runnable_status=enabled).");
  } else if (handed_to && !request.force) {
    problems.errors.push_back(handed_over_problem(guest.name, *handed_to, false) + ".");
  }
  check_storage(store, guest, request.force, problems, report);
  check_memory(guest, problems);
  if (!request.force) {
    problems.errors.insert(problems.errors.end(), problems.forceable.begin(),
                           problems.forceable.end());
  }
  if (!problems.errors.empty()) {
    throw hpvm::Refused(std::move(problems.errors), k_start_refused, guest.name);
  }
  if (!problems.forceable.empty()) {
    print_problem_block(guest, problems.forceable, progress);
  }
  progress(fmt::format("Checked the resources of guest '{}'", guest.name));
  avio::MachineSpec spec = machine_spec(guest);
  spec.incoming = request.incoming;
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
  detach_ports(guest); // what a killed command left: the guest runs on its own taps
  attach_ports(store, guest, report);
  pid_t pid = 0;
  try {
    pid = avio::launch(spec, run, accel);
  } catch (...) {
    detach_ports(guest);
    unmark_running(store.root(), guest.uuid);
    throw;
  }
  // At the time the process started, as -e shows a QEMU it finds running.
  record_runtime_event(store.root(), "STARTED",
                       fmt::format("{}: QEMU (pid {}) started", guest.name, pid), report,
                       avio::process_start_epoch(pid));
  if (handed_to) {
    avio::forget_handover(run); // -F: the admin found the guest not running there
    report.warnings.push_back(forced_past_handover(*handed_to));
  }
  apply_start_target(guest, run, report);
  progress(fmt::format("Daemonizing.... (QEMU pid {})", pid));
  return report;
}

Report stop_guest(Store& store, const StopRequest& request) {
  const Guest guest = find_guest(store, request.name);
  const avio::RunDir run = run_dir(store.root(), guest.uuid);
  Report report;
  if (!avio::run_dir_exists(run)) {
    throw hpvm::Error(fmt::format("The guest '{}' is not running.", guest.name), guest.name);
  }
  avio::RuntimeLock lock(run, avio::k_runtime_lock_wait, guest.name);
  const auto pid = avio::running_qemu(run);
  if (!pid) {
    remove_stale_migration_socket(guest);
    if (avio::clean_run_files(run).empty()) {
      throw hpvm::Error(fmt::format("The guest '{}' is not running.", guest.name), guest.name);
    }
    detach_ports(guest);
    unmark_running(store.root(), guest.uuid);
    report.warnings.emplace_back(
        "The guest's QEMU process had already exited; its stale run files were removed.");
    return report;
  }
  bool ask_monitor = true;
  if (request.graceful) {
    const avio::GracefulStop graceful = avio::stop_graceful(run, *pid, request.timeout);
    if (graceful.reason) {
      report.warnings.push_back(
          fmt::format("The guest could not be asked to power off: {}; it was stopped hard.",
                      avio::trim(*graceful.reason, " .")));
    } else if (!graceful.off) {
      report.warnings.push_back(
          fmt::format("The guest did not power off within {} seconds; it was stopped hard.",
                      request.timeout.count()));
    }
    // Its monitor just failed: -t's time is spent, no second try.
    ask_monitor = !graceful.monitor_failed;
  }
  avio::stop_hard(run, *pid, ask_monitor); // returns at once when it is already gone
  record_runtime_event(store.root(), "STOPPED",
                       fmt::format("{}: QEMU (pid {}) stopped", guest.name, *pid), report);
  // A removal the guest never completed is complete now that it is off.
  const auto unfinished = avio::recorded_removals(run.pending_removals_file());
  avio::clean_run_files(run);
  remove_stale_migration_socket(guest);
  detach_ports(guest); // configured or not, pending removals included
  unmark_running(store.root(), guest.uuid);
  for (const auto& nic : drop_released_nics(store, guest, unfinished)) {
    report.warnings.push_back(fmt::format(
        "The pending removal of '{}' is complete: it is removed from the configuration.", nic));
  }
  return report;
}

void refuse_console_of_stopped_qemu(const fs::path& root, const Guest& guest) {
  // A stopped QEMU accepts the connection (the kernel queues it) and never
  // relays a byte: said at once instead of after the console's 3 s wait.
  if (const auto pid = avio::stopped_qemu(run_dir(root, guest.uuid))) {
    throw hpvm::Error(fmt::format("The guest's console cannot be used: {}.",
                                  avio::stopped_qemu_problem(*pid, guest.name)),
                      guest.name);
  }
}

avio::ConsoleEnd attach_guest_console(const fs::path& root, const Guest& guest) {
  const avio::RunDir run = run_dir(root, guest.uuid);
  try {
    return avio::attach_console(run.console_socket(), run.console_holder(), STDIN_FILENO,
                                STDOUT_FILENO);
  } catch (const hpvm::Error& e) {
    throw hpvm::Error(e.what(), guest.name); // libavio knows no guest names
  }
}

} // namespace vmconfig

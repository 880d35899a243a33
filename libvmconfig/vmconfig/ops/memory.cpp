#include "vmconfig/ops/memory.hpp"

#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/runtime.hpp"

#include <avio/balloon.hpp>
#include <avio/error.hpp>
#include <avio/guest_process.hpp>

#include <fmt/format.h>

namespace vmconfig {

namespace {

constexpr const char* k_refused = "Unable to modify the guest.";

// Asks the running guest's balloon for `target_mb` and waits up to
// avio::k_balloon_wait for it (a warning when it has not got there). A guest
// with no balloon device is refused, or with `defer_without_balloon` keeps
// its memory with a warning (its dynamic memory starts with it next time).
// Returns whether the guest was asked.
bool move_balloon(const Store& store, const Guest& guest, std::uint64_t target_mb,
                  bool defer_without_balloon, Report& report) {
  const auto refuse = [&](std::string problem) {
    throw hpvm::Refused({std::move(problem)}, k_refused, guest.name);
  };
  const avio::RunDir run = run_dir(store.root(), guest.uuid);
  avio::RuntimeLock lock(run, avio::k_runtime_lock_wait, guest.name);
  std::uint64_t now = 0;
  try {
    avio::QmpClient qmp(run.qmp_socket());
    if (!avio::balloon_size_mb(qmp)) {
      if (!defer_without_balloon) {
        refuse("The running guest has no balloon device: its dynamic memory was turned on after "
               "it started and takes effect at its next start.");
      }
      report.warnings.push_back(fmt::format(
          "The dynamic memory start target {} MB takes effect at the guest's next start: the "
          "running guest has no balloon device.",
          target_mb));
      return false;
    }
    avio::set_balloon_target(qmp, run, target_mb);
    try {
      now = avio::wait_balloon(qmp, target_mb, avio::k_balloon_wait);
    } catch (const hpvm::Error& e) { // the guest was asked: that is done
      report.warnings.push_back(
          fmt::format("The guest was asked for {} MB; QEMU did not say how far it got: {}",
                      target_mb, e.what()));
      return true;
    }
  } catch (const hpvm::Refused&) {
    throw;
  } catch (const hpvm::Error& e) {
    refuse(fmt::format("The running guest cannot be changed: {} Nothing was changed.", e.what()));
  }
  if (now != target_mb) {
    report.warnings.push_back(fmt::format(
        "The guest has {} MB after {} s, on its way to {} MB: its balloon driver moves it "
        "(hpvmstatus -V -P {} shows its current memory).",
        now, std::chrono::duration_cast<std::chrono::seconds>(avio::k_balloon_wait).count(),
        target_mb, guest.name));
  }
  return true;
}

} // namespace

void apply_start_target(const Guest& guest, const avio::RunDir& run, Report& report) {
  const auto memory = dynamic_memory(guest);
  if (!memory) {
    return;
  }
  try {
    avio::QmpClient qmp(run.qmp_socket());
    avio::set_balloon_target(qmp, run, memory->target_start_mb);
    try {
      avio::enable_balloon_stats(qmp);
    } catch (const hpvm::Error& e) {
      report.warnings.push_back(fmt::format(
          "hpvmstatus -V shows the guest's free and available memory as unknown: QEMU does "
          "not ask its balloon driver for them: {}",
          e.what()));
    }
  } catch (const hpvm::Error& e) {
    report.warnings.push_back(
        fmt::format("The guest keeps all of its memory ({} MB): its ram_dyn_target_start ({} MB) "
                    "could not be asked of QEMU: {}",
                    guest.memory_mb, memory->target_start_mb, e.what()));
  }
}

Report change_memory_target(Store& store, const std::string& name, const std::string& value,
                            bool check_only) {
  // Nothing is written, but only a writer (root) changes a guest, and the
  // configuration read stays the one checked until the guest has changed.
  Store::WriteTransaction tx(store);
  const Guest guest = find_guest(store, name);
  refuse_shadowed_guest(store, guest, k_refused);
  const auto refuse = [&](std::string problem) {
    throw hpvm::Refused({std::move(problem)}, k_refused, name);
  };
  if (!guest.modifiable) {
    refuse("The guest's modify_status is disabled: the only change allowed is "
           "-x modify_status=enabled.");
  }
  const auto memory = dynamic_memory(guest);
  if (!memory) {
    refuse("The guest has no dynamic memory (ram_dyn_type is none): -x ram_target needs "
           "-x ram_dyn_type=any or driver, from the guest's next start.");
  }
  std::string problem;
  const auto target = ram_target_mb(*memory, value, problem);
  if (!target) {
    refuse(problem);
  }
  if (!run_state(store.root(), guest.uuid).on) {
    refuse("The guest is not running: -x ram_target changes a running guest's memory "
           "(-x ram_dyn_target_start sets the memory it starts with).");
  }
  avio::refuse_stopped_qemu(run_dir(store.root(), guest.uuid), guest.name);
  Report report;
  if (check_only) {
    return report;
  }
  move_balloon(store, guest, *target, false, report);
  return report;
}

std::optional<std::uint64_t> move_start_target(const Store& store, const Guest& before,
                                               const Guest& after, Report& report) {
  const auto was = dynamic_memory(before);
  const auto will = dynamic_memory(after);
  // Dynamic memory turned on or off waits for the next start (online.cpp).
  if (!was || !will || was->target_start_mb == will->target_start_mb) {
    return std::nullopt;
  }
  const auto asked = avio::recorded_balloon_target(run_dir(store.root(), before.uuid))
                         .value_or(was->target_start_mb);
  if (!move_balloon(store, before, will->target_start_mb, true, report)) {
    return std::nullopt;
  }
  return asked;
}

void restore_memory_target(const Store& store, const Guest& guest, std::uint64_t target_mb) {
  try {
    const avio::RunDir run = run_dir(store.root(), guest.uuid);
    avio::RuntimeLock lock(run, avio::k_runtime_lock_wait, guest.name);
    avio::QmpClient qmp(run.qmp_socket());
    avio::set_balloon_target(qmp, run, target_mb);
  } catch (const hpvm::Error&) { // the failure being reported says more than this one
  }
}

} // namespace vmconfig

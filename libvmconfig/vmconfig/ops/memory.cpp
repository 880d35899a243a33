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

} // namespace

void apply_start_target(const Guest& guest, const avio::RunDir& run, Report& report) {
  const auto memory = dynamic_memory(guest);
  if (!memory) {
    return;
  }
  try {
    avio::QmpClient qmp(run.qmp_socket());
    avio::set_balloon_target(qmp, run, memory->target_start_mb);
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
  Report report;
  if (check_only) {
    return report;
  }
  const avio::RunDir run = run_dir(store.root(), guest.uuid);
  avio::RuntimeLock lock(run, avio::k_runtime_lock_wait, guest.name);
  std::uint64_t now = 0;
  try {
    avio::QmpClient qmp(run.qmp_socket());
    if (!avio::balloon_size_mb(qmp)) {
      refuse("The running guest has no balloon device: its dynamic memory was turned on after it "
             "started and takes effect at its next start.");
    }
    avio::set_balloon_target(qmp, run, *target);
    try {
      now = avio::wait_balloon(qmp, *target, avio::k_balloon_wait);
    } catch (const hpvm::Error& e) { // the guest was asked: that is done
      report.warnings.push_back(fmt::format(
          "The guest was asked for {} MB; QEMU did not say how far it got: {}", *target, e.what()));
      return report;
    }
  } catch (const hpvm::Refused&) {
    throw;
  } catch (const hpvm::Error& e) {
    refuse(fmt::format("The running guest cannot be changed: {} Nothing was changed.", e.what()));
  }
  if (now != *target) {
    report.warnings.push_back(fmt::format(
        "The guest has {} MB after {} s, on its way to {} MB: its balloon driver moves it "
        "(hpvmstatus -V -P {} shows its current memory).",
        now, std::chrono::duration_cast<std::chrono::seconds>(avio::k_balloon_wait).count(),
        *target, guest.name));
  }
  return report;
}

} // namespace vmconfig

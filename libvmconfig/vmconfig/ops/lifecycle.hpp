// Starting and stopping guests and attaching to their consoles: libvmconfig
// checks the configuration against the host, then drives libavio's QEMU
// runtime. (What a running guest has against its configuration is live.hpp;
// hot-plug is runtime_devices.hpp.)
#pragma once

#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/runtime.hpp"

#include <avio/console.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmconfig {

using Progress = std::function<void(std::string_view line)>;

// What QEMU itself needs beyond the guest's memory (HPVM's "overhead").
inline constexpr std::uint64_t k_qemu_overhead_mb = 64;

// Why this host lacks the memory to run `guest`; nullopt when it has it.
std::optional<std::string> memory_problem(const Guest& guest);

struct StartRequest {
  std::string name;
  bool force = false; // -F: start although the host lacks the memory
  // hpvmmigrate -o's target: the guest, not runnable yet, starts paused and
  // waits for the migration stream.
  bool incoming = false;
};

struct StartReport : Report {
  // The pid of the guest's QEMU when it was resumed, not started: it had
  // stayed paused after an interrupted migration (hpvmstart -P).
  std::optional<int> resumed;
};

// Checks every resource against the host (backing stores present, not
// restricted, not held by another running guest unless shared; memory;
// runnable status), then launches the guest's QEMU. Throws hpvm::Refused
// listing every problem. Problems -F overrides come back as warnings.
// A guest whose QEMU an interrupted migration left paused (postmigrate) is
// resumed instead, unless the target was told to take it over (the
// hand-over marker, avio::handover_target): refused then, unless -F (the
// admin checked the target); so is an Off guest with the marker.
StartReport start_guest(Store& store, const StartRequest& request, const Progress& progress);

struct StopRequest {
  std::string name;
  bool graceful = false;             // -g: ACPI power-down first
  std::chrono::seconds timeout{300}; // how long -g waits before stopping hard
};

// Stops the guest (hard, or gracefully then hard). A guest whose QEMU is
// already gone has its stale run files removed (reported as a warning).
Report stop_guest(Store& store, const StopRequest& request);

// Relays standard input and output to the guest's serial console.
// Throws, naming the pid, when the guest's QEMU is stopped (SIGSTOP).
void refuse_console_of_stopped_qemu(const std::filesystem::path& root, const Guest& guest);
avio::ConsoleEnd attach_guest_console(const std::filesystem::path& root, const Guest& guest);

} // namespace vmconfig

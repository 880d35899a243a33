// A running guest is one daemonised QEMU process with its files in the
// guest's run directory. This starts it, stops it, finds what a crash left
// behind, and serialises the commands that talk to it.
#pragma once

#include "avio/machine.hpp"
#include "avio/qmp.hpp"
#include "avio/runstate.hpp"

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace avio {

enum class Accelerator : unsigned char { kvm, tcg };
const char* to_string(Accelerator a);
// KVM when /dev/kvm opens and speaks the stable API, TCG otherwise.
Accelerator host_accelerator();

inline constexpr const char* k_qemu_binary = "qemu-system-x86_64";

// QEMU's whole command line for `spec`. Paths of the run directory are
// relative: QEMU starts inside it. Every user-supplied value (backing
// paths) is inside a JSON -blockdev/-device argument.
std::vector<std::string> qemu_command(const MachineSpec& spec, Accelerator accel);

// Starts QEMU daemonised in `run.dir` and returns its pid once QEMU has
// created its sockets and pid file. Throws hpvm::Error with QEMU's own
// message (from the log) when it does not start, and stops it when it has
// not finished starting within k_qemu_start_timeout.
inline constexpr std::chrono::milliseconds k_qemu_start_timeout{60000};
pid_t launch(const MachineSpec& spec, const RunDir& run, Accelerator accel);

// Asks QEMU to quit (unless it is stopped: a stopped QEMU never answers),
// then SIGTERM (with SIGCONT), then SIGKILL to `pid`, until it is gone; each
// step bounded, ~16 s at the very most. Never depends on the monitor. Only
// a `pid` that is_guest_qemu(run, pid) is signalled, through a pidfd opened
// before that check (a pid reused afterwards is never reached); any other
// counts as already stopped. `ask_monitor` false: straight to signals (a
// monitor that just failed to answer).
void stop_hard(const RunDir& run, pid_t pid, bool ask_monitor = true);
// What stop_graceful() saw.
struct GracefulStop {
  bool off = false;            // the guest powered off (or `pid` is not its QEMU)
  bool monitor_failed = false; // the power button could not be pressed
  // Why, when the monitor failed before the timeout ran out.
  std::optional<std::string> reason;
};
// ACPI power button through QMP, all within `timeout`: connecting, the
// greeting, each reply and the guest powering off share its one deadline.
// A paused guest is not asked (reason says so, at once).
GracefulStop stop_graceful(const RunDir& run, pid_t pid, std::chrono::milliseconds timeout);
// Whether `pid` is stopped (SIGSTOP, or traced).
bool process_stopped(pid_t pid);
// The pid of a running guest's QEMU when it is stopped (SIGSTOP or a
// debugger): such a QEMU never answers its monitor, which /proc shows at
// once where asking would only time out.
std::optional<pid_t> stopped_qemu(const RunDir& run);
// Why that QEMU cannot answer and how to resume or stop it: what hpvmstatus
// says of the guest and what changing commands refuse with.
std::string stopped_qemu_problem(pid_t pid, const std::string& guest);
// For a command about to change a running guest through its monitor:
// throws hpvm::Error, before any wait and with nothing changed, when the
// guest's QEMU is stopped.
void refuse_stopped_qemu(const RunDir& run, const std::string& guest);

// Run-directory files left by a QEMU that is gone (pid file, start time, sockets).
std::vector<std::filesystem::path> stale_files(const RunDir& run);
// Removes the run files of a guest that does not run; returns what it removed.
std::vector<std::filesystem::path> clean_run_files(const RunDir& run);

// The migration hand-over marker (RunDir::handover_file): record_handover
// writes the target's name atomically and on disk (the file and its
// directory flushed; throws hpvm::Error when it cannot);
// handover_target reads it (nullopt when there is none); forget_handover
// removes it, ignoring errors.
void record_handover(const RunDir& run, const std::string& target);
std::optional<std::string> handover_target(const RunDir& run);
void forget_handover(const RunDir& run);

// A per-guest lock (flock on the run directory) held for the length of
// one command that starts, stops or changes the running guest. A second
// command waits up to `wait`, then throws hpvm::Busy.
class RuntimeLock {
public:
  RuntimeLock(const RunDir& run, std::chrono::milliseconds wait, const std::string& guest);
  RuntimeLock(const RuntimeLock&) = delete;
  RuntimeLock& operator=(const RuntimeLock&) = delete;
  ~RuntimeLock();

private:
  int m_fd = -1;
};

inline constexpr std::chrono::milliseconds k_runtime_lock_wait{3000};

// Whether a command holds the guest's runtime lock now (a look, not a wait).
bool runtime_lock_held(const RunDir& run);

} // namespace avio

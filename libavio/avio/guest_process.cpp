#include "avio/guest_process.hpp"

#include "avio/deadline.hpp"
#include "avio/error.hpp"
#include "avio/exec.hpp"
#include "avio/fd.hpp"
#include "avio/host.hpp"
#include "avio/sysfs.hpp"
#include "avio/text.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace avio {

namespace {

using Clock = std::chrono::steady_clock;

// A pidfd names one process, never a later one that reuses its pid: opened
// and then checked to be the guest's QEMU, signals sent through it reach that
// QEMU or nothing. -1 when it is not (or no longer) the guest's QEMU.
int open_guest_qemu(const RunDir& run, pid_t pid) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0 && !is_guest_qemu(run, pid)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `sig` to the process `pidfd` names; false when it has exited.
bool send_signal(int pidfd, int sig) {
  return ::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) == 0;
}

// Whether the process `pidfd` names exits within `timeout` (a pidfd
// becomes readable when it does).
bool wait_gone(int pidfd, std::chrono::milliseconds timeout) {
  pollfd p{pidfd, POLLIN, 0};
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const int n = ::poll(&p, 1, static_cast<int>(millis_until(deadline).count()));
    if (n > 0) {
      return true;
    }
    if (n == 0 || errno != EINTR) {
      return false;
    }
  }
}

// The last lines QEMU wrote to its log: its reason for not starting.
std::string log_tail(const fs::path& log) {
  std::ifstream in(log);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    if (line.find("warning:") == std::string::npos && !line.empty()) {
      last = line;
    }
  }
  return last;
}

} // namespace

const char* to_string(Accelerator a) {
  return a == Accelerator::kvm ? "kvm" : "tcg";
}

Accelerator host_accelerator() {
  const int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return Accelerator::tcg;
  }
  const int version = ::ioctl(fd, KVM_GET_API_VERSION, 0);
  ::close(fd);
  return version == KVM_API_VERSION ? Accelerator::kvm : Accelerator::tcg;
}

std::vector<std::string> qemu_command(const MachineSpec& spec, Accelerator accel) {
  RunDir names{"."};
  std::vector<std::string> argv{
      k_qemu_binary,
      "-name",
      fmt::format("guest={},process=hpvm-{}", spec.name, spec.name),
      "-uuid",
      spec.uuid,
      "-machine",
      fmt::format("pc,accel={}", to_string(accel)),
      "-smp",
      std::to_string(spec.vcpus),
      "-m",
      fmt::format("{}M", spec.memory_mb),
      "-nodefaults",
      "-no-user-config",
      "-display",
      "none",
      "-smbios",
      fmt::format("type=1,manufacturer={},product={}", k_guest_smbios_manufacturer,
                  k_guest_smbios_product),
      "-smbios",
      "type=11,value=" + qemu_opt_escape(k_guest_smbios_host_prefix + spec.host_name),
      "-chardev",
      "socket,id=console,path=" + names.console_socket().filename().string() +
          ",server=on,wait=off,logfile=" + names.console_log().filename().string() +
          ",logappend=on",
      "-serial",
      "chardev:console",
      "-qmp",
      "unix:" + names.qmp_socket().filename().string() + ",server=on,wait=off",
      "-chardev",
      "socket,id=" + std::string(k_agent_chardev) +
          ",path=" + names.agent_socket().filename().string() + ",server=on,wait=off",
      "-pidfile",
      names.pid_file().filename().string(),
      "-daemonize",
  };
  if (spec.incoming) {
    argv.insert(argv.end(), {"-S", "-incoming", "defer"});
  }
  const auto add = [&](const char* option, const Json& value) {
    argv.emplace_back(option);
    argv.push_back(value.dump());
  };
  for (int bus = 0; bus <= k_max_bus; ++bus) {
    add("-device", bridge_device(bus));
  }
  add("-device", agent_serial_device());
  add("-device", agent_port_device());
  if (spec.balloon) {
    add("-device", balloon_device());
  }
  std::vector<std::pair<int, int>> adapters;
  for (const auto& disk : spec.storage) {
    const std::pair<int, int> at{disk.address.bus, disk.address.slot};
    if (std::find(adapters.begin(), adapters.end(), at) == adapters.end()) {
      adapters.push_back(at);
      add("-device", adapter_device(disk.adapter, at.first, at.second));
    }
  }
  for (const auto& disk : spec.storage) {
    if (auto node = blockdev(disk)) {
      add("-blockdev", *node);
    }
    add("-device", target_device(disk));
  }
  for (const auto& nic : spec.networks) {
    add("-netdev", tap_netdev(nic));
    add("-device", nic_device(nic));
  }
  return argv;
}

pid_t launch(const MachineSpec& spec, const RunDir& run, Accelerator accel) {
  const std::vector<std::string> args = qemu_command(spec, accel);
  std::vector<char*> argv;
  for (const auto& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  std::error_code ec;
  fs::remove(run.start_file(), ec); // a previous QEMU's
  const int log = ::open(run.log_file().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (log < 0 || null < 0) {
    throw hpvm::Error(
        fmt::format("Cannot open '{}': {}.", run.log_file().string(), std::strerror(errno)));
  }
  const pid_t child = ::fork();
  if (child < 0) {
    throw hpvm::Error(fmt::format("Cannot start QEMU: {}.", std::strerror(errno)));
  }
  if (child == 0) {
    // Only async-signal-safe calls between fork and exec. The files QEMU
    // makes (sockets, pid file, console log) are root's alone.
    ::umask(0077);
    if (::chdir(run.dir.c_str()) != 0 || ::dup2(null, 0) < 0 || ::dup2(null, 1) < 0 ||
        ::dup2(log, 2) < 0) {
      ::_exit(126);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(log);
  ::close(null);
  // With -daemonize the first process exits 0 once the guest is set up.
  int status = 0;
  if (!wait_child(child, status, Clock::now() + k_qemu_start_timeout)) {
    // Its daemon may be up already (the pid file is written early).
    if (auto pid = running_qemu(run)) {
      stop_hard(run, *pid);
    }
    throw hpvm::Error(fmt::format("QEMU did not finish starting within {} s; it was stopped. See "
                                  "'{}'.",
                                  k_qemu_start_timeout.count() / 1000, run.log_file().string()));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    if (code == 127) {
      throw hpvm::Error(fmt::format("Cannot run {}: is QEMU installed?", k_qemu_binary));
    }
    const std::string reason = log_tail(run.log_file());
    throw hpvm::Error(fmt::format("QEMU did not start: {}",
                                  reason.empty() ? "see " + run.log_file().string() : reason));
  }
  if (auto pid = running_qemu(run)) {
    try {
      record_qemu_start(run, *pid);
    } catch (const hpvm::Error&) {
      // Unrecorded, the command line alone identifies the QEMU.
    }
    return *pid;
  }
  throw hpvm::Error(fmt::format("QEMU started but left no pid file in '{}'.", run.dir.string()));
}

bool process_stopped(pid_t pid) {
  // /proc/<pid>/stat: "pid (comm) S ...": the state follows the last ')'.
  const std::string stat = read_first_line(fs::path("/proc") / std::to_string(pid) / "stat");
  const auto end = stat.rfind(')');
  return end != std::string::npos && end + 2 < stat.size() &&
         (stat[end + 2] == 'T' || stat[end + 2] == 't');
}

std::optional<pid_t> stopped_qemu(const RunDir& run) {
  const auto pid = running_qemu(run);
  if (pid && process_stopped(*pid)) {
    return pid;
  }
  return std::nullopt;
}

std::string stopped_qemu_problem(pid_t pid, const std::string& guest) {
  return fmt::format("QEMU (pid {}) is stopped (SIGSTOP or a debugger) and cannot answer its "
                     "monitor; 'kill -CONT {}' resumes it, 'hpvmstop -P {} -F' stops it",
                     pid, pid, guest);
}

void refuse_stopped_qemu(const RunDir& run, const std::string& guest) {
  if (const auto pid = stopped_qemu(run)) {
    throw hpvm::Error(fmt::format("The running guest cannot be changed: {}. Nothing was changed.",
                                  stopped_qemu_problem(*pid, guest)),
                      guest);
  }
}

void stop_hard(const RunDir& run, pid_t pid, bool ask_monitor) {
  const Fd qemu(open_guest_qemu(run, pid));
  if (!qemu) {
    return; // gone, or the pid is no longer the guest's QEMU: nothing to stop
  }
  // A stopped (SIGSTOP) QEMU never answers its monitor: straight to signals.
  if (ask_monitor && !process_stopped(pid)) {
    try {
      QmpClient qmp(run.qmp_socket(), 2000ms, 1000ms);
      qmp.execute("quit", Json::object(), 2000ms);
      if (wait_gone(qemu.get(), 3s)) {
        return;
      }
    } catch (const hpvm::Error&) {
      // A busy, hung or half-dead monitor: signals below.
    }
  }
  // SIGCONT lets a stopped QEMU act on the SIGTERM (it exits cleanly).
  if (send_signal(qemu.get(), SIGTERM) && send_signal(qemu.get(), SIGCONT) &&
      wait_gone(qemu.get(), 3s)) {
    return;
  }
  send_signal(qemu.get(), SIGKILL);
  if (!wait_gone(qemu.get(), 5s)) {
    throw hpvm::Error(fmt::format("QEMU (pid {}) did not exit within 5 s of SIGKILL.", pid));
  }
}

GracefulStop stop_graceful(const RunDir& run, pid_t pid, std::chrono::milliseconds timeout) {
  const Fd qemu(open_guest_qemu(run, pid));
  if (!qemu) {
    return {.off = true, .monitor_failed = false, .reason = std::nullopt};
  }
  if (process_stopped(pid)) {
    return {.off = false,
            .monitor_failed = true,
            .reason = fmt::format("QEMU (pid {}) is stopped (SIGSTOP or a debugger)", pid)};
  }
  const auto deadline = Clock::now() + timeout;
  // What is left of `timeout`, at most `bound` (at least 1 ms: a wait of 0
  // would be no wait at all).
  const auto left = [deadline](std::chrono::milliseconds bound) {
    return std::max(std::chrono::milliseconds(1), std::min(millis_until(deadline), bound));
  };
  try {
    QmpClient qmp(run.qmp_socket(), left(k_qmp_timeout), left(k_qmp_greeting_timeout));
    // A paused guest (paused by hand, or left in postmigrate by an
    // interrupted migration) never sees the button: no wait for it.
    const std::string status =
        qmp.execute("query-status", Json::object(), left(k_qmp_timeout)).value("status", "");
    if (status != "running" && status != "suspended") {
      return {.off = false,
              .monitor_failed = false,
              .reason = fmt::format("the guest is paused (QEMU status {}) and cannot power itself "
                                    "off",
                                    status)};
    }
    qmp.execute("system_powerdown", Json::object(), left(k_qmp_timeout));
  } catch (const hpvm::Error& e) {
    if (Clock::now() >= deadline) {
      return {.off = false, .monitor_failed = true, .reason = std::nullopt};
    }
    return {.off = false, .monitor_failed = true, .reason = e.what()};
  }
  return {
      .off = wait_gone(qemu.get(), left(timeout)), .monitor_failed = false, .reason = std::nullopt};
}

std::vector<fs::path> stale_files(const RunDir& run) {
  std::vector<fs::path> out;
  if (running_qemu(run)) {
    return out;
  }
  for (const auto& f : {run.pid_file(), run.start_file(), run.qmp_socket(), run.console_socket(),
                        run.console_holder(), run.agent_socket(), run.pending_removals_file(),
                        run.balloon_target_file()}) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(f, ec))) {
      out.push_back(f);
    }
  }
  return out;
}

std::vector<fs::path> clean_run_files(const RunDir& run) {
  auto files = stale_files(run);
  for (const auto& f : files) {
    std::error_code ec;
    fs::remove(f, ec);
  }
  return files;
}

void record_handover(const RunDir& run, const std::string& target) {
  // On disk before "commit" is sent: a source rebooted after a power cut
  // must still find that the target may have the guest.
  write_file_atomically(run.handover_file(), target + "\n", Sync::to_disk);
}

std::optional<std::string> handover_target(const RunDir& run) {
  auto text = read_file(run.handover_file());
  if (!text) {
    return std::nullopt;
  }
  return std::string(trim(*text, " \t\r\n"));
}

void forget_handover(const RunDir& run) {
  std::error_code ec;
  fs::remove(run.handover_file(), ec);
}

RuntimeLock::RuntimeLock(const RunDir& run, std::chrono::milliseconds wait,
                         const std::string& guest) {
  // The run directory itself is locked: no lock file appears in it.
  const fs::path& path = run.dir;
  m_fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (m_fd < 0) {
    throw hpvm::Error(
        fmt::format("Cannot open the runtime lock '{}': {}.", path.string(), std::strerror(errno)),
        guest);
  }
  const auto deadline = Clock::now() + wait;
  while (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
    if (Clock::now() >= deadline) {
      ::close(m_fd);
      throw hpvm::Busy(
          "Another command is starting, stopping or changing this guest; nothing was done. "
          "Try again.",
          guest);
    }
    std::this_thread::sleep_for(20ms);
  }
}

bool runtime_lock_held(const RunDir& run) {
  const int fd = ::open(run.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return false;
  }
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd); // releases the shared lock if it was had
  return held;
}

RuntimeLock::~RuntimeLock() {
  if (m_fd >= 0) {
    ::close(m_fd); // releases the flock
  }
}

} // namespace avio

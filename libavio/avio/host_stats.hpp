// What the host has and what guests' QEMU processes use, read from /proc and
// /sys for hpvmstatus -s, -S, -r, -C and -e. The parsers take the files' text
// so they are tested without a host.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace avio {

// /proc/meminfo: MemTotal and MemAvailable, in kB (0 when missing).
struct MemInfo {
  std::uint64_t total_kb = 0;
  std::uint64_t available_kb = 0;
};
MemInfo parse_meminfo(std::string_view text);

// /proc/cpuinfo: the number of "processor" entries, the first "cpu MHz" (0
// when the kernel gives none, as on some ARM hosts) and "model name".
struct CpuInfo {
  unsigned cpus = 0;
  double mhz = 0.0;
  std::string model;
};
CpuInfo parse_cpuinfo(std::string_view text);

// The fields of /proc/<pid>/task/<tid>/stat hpvmstatus uses, in clock ticks.
struct TaskStat {
  int last_cpu = -1; // the host CPU the thread last ran on (field 39)
  std::uint64_t utime = 0;
  std::uint64_t stime = 0;
  std::uint64_t start = 0; // since boot
};
// nullopt when `text` is not a stat line (the name may hold spaces and ')').
std::optional<TaskStat> parse_task_stat(std::string_view text);

// QEMU names its vCPU threads "CPU <n>/KVM" or "CPU <n>/TCG", and its one
// TCG thread "ALL CPUs/TCG" when TCG runs single-threaded (vcpu -1).
struct VcpuThreadName {
  int vcpu = -1;
  std::string accelerator; // "KVM" or "TCG"
};
std::optional<VcpuThreadName> parse_vcpu_thread_name(std::string_view comm);

// One vCPU thread of a running QEMU.
struct VcpuThread {
  int vcpu = -1; // -1: one thread runs every vCPU
  std::string accelerator;
  pid_t tid = 0;
  int last_cpu = -1;
  double cpu_seconds = 0.0;
  // CPU time over the thread's lifetime, in percent of one host CPU.
  double usage_percent = 0.0;
};
// The CPU use of thread `tid` of process `pid` (vcpu and accelerator left
// unset); nullopt when it is gone.
std::optional<VcpuThread> thread_usage(pid_t pid, pid_t tid);
// The vCPU threads of QEMU process `pid` found by their names (QEMU names
// them with -name debug-threads=on), in vCPU order; empty when the process
// is gone or its threads are not named.
std::vector<VcpuThread> qemu_vcpu_threads(pid_t pid);

// The host as hpvmstatus -s shows it.
struct HostResources {
  CpuInfo cpu;
  MemInfo memory;
  bool kvm = false;       // /dev/kvm can be opened for reading and writing
  std::string numa_nodes; // /sys/devices/system/node/online, e.g. "0" or "0-1"
};
HostResources host_resources();
// How many ids a Linux id list names ("0-1,3": 3); 0 for text that is not one.
// Tested by unit tests.
unsigned id_list_count(std::string_view list);

// VmRSS of process `pid` in kB; 0 when it is gone.
std::uint64_t process_rss_kb(pid_t pid);
// The NUMA nodes process `pid` may take memory from (Mems_allowed_list of
// /proc/<pid>/status), "" when it is gone.
std::string process_memory_nodes(pid_t pid);
// When process `pid` started, in seconds since the epoch (runstate.hpp's
// process_start_time is in clock ticks since boot); nullopt when gone.
std::optional<std::int64_t> process_start_epoch(pid_t pid);

} // namespace avio

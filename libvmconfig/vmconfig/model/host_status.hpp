// What hpvmstatus -r -s -S -m -e -A -C shows of the host and of guests'
// QEMU processes: plain values ops/host_status.cpp fills in from libavio.
#pragma once

#include "vmconfig/model/guest.hpp"
#include "vmconfig/model/run_state.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

// One vCPU thread of a running guest's QEMU.
struct VcpuUsage {
  int vcpu = -1;           // -1: one thread runs every vCPU (single-threaded TCG)
  std::string accelerator; // KVM or TCG
  int thread = 0;          // the thread id on the host
  int host_cpu = -1;       // the host CPU it last ran on
  double cpu_seconds = 0.0;
  double usage_percent = 0.0; // of one host CPU, over the thread's lifetime
};

// A running guest's QEMU process as the host sees it.
struct QemuUsage {
  int pid = 0;
  std::uint64_t rss_mb = 0;
  std::string memory_nodes; // the NUMA nodes it may take memory from
  std::vector<VcpuUsage> vcpus;
  // Its vCPU threads' CPU time in percent of the guest's vCPUs (100: every
  // vCPU busy since it started).
  double cpu_usage_percent(int guest_vcpus) const {
    double sum = 0.0;
    for (const auto& v : vcpus) {
      sum += v.usage_percent;
    }
    return guest_vcpus > 0 ? sum / guest_vcpus : 0.0;
  }
};

struct GuestHostStatus {
  Guest guest; // without devices
  RunState state;
  std::optional<QemuUsage> qemu; // set while it runs
};

struct HostSystem {
  std::string host_name;
  unsigned cpus = 0;
  double cpu_mhz = 0.0;
  std::string cpu_model;
  bool kvm = false;
  int numa_node_count = 0;
  std::string numa_nodes; // as Linux lists them: "0", "0-1,3"
  std::uint64_t memory_total_mb = 0;
  std::uint64_t memory_available_mb = 0;
  int guests = 0;
  int running = 0;
  int running_vcpus = 0;
  std::uint64_t running_memory_mb = 0; // configured memory of running guests
  std::uint64_t qemu_rss_mb = 0;       // what their QEMU processes hold
  std::uint64_t overhead_mb = 0;       // QEMU memory beyond each guest's own
};

// A VM Host this host knows for migration (hpvmstatus -m): guests were
// migrated to it (a target) or came from it (a source), as the command log
// records successful migrations.
struct MigrationPeer {
  std::string name; // as hpvmmigrate -h named it, or as the source named itself
  bool target = false;
  int migrations = 0;
  std::string last; // UTC time of the last one
};

// One line of hpvmstatus -e: a command-log record or a runtime event.
struct StatusEvent {
  std::string time;    // UTC, 2026-12-05T16:00:00Z
  std::string source;  // "command" or "runtime"
  std::string user;    // "-" for runtime events
  std::string outcome; // SUCCESS, FAILURE(n); STARTED, STOPPED or RESUMED (runtime)
  std::string text;
};

} // namespace vmconfig

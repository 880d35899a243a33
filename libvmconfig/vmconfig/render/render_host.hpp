// hpvmstatus -r -s -S -m -e -A -C -v: the host and the guests' use of it, as
// text tables, -M colon-separated lines and -J JSON. Pure functions.
#pragma once

#include "vmconfig/model/host_status.hpp"

#include <string>
#include <vector>

namespace vmconfig {

enum class HostFormat : unsigned char { text, machine, json };

// -r: vCPUs, entitlement, memory and real CPU usage per guest.
std::string render_resources(const std::vector<GuestHostStatus>& guests, HostFormat format);
// -s: the host's CPUs and memory and what running guests take of them.
std::string render_system(const HostSystem& host, HostFormat format);
// -S: every vCPU thread of every running guest.
std::string render_scheduler(const std::vector<GuestHostStatus>& guests, HostFormat format);
// -m: this host, and the hosts guests were migrated to or came from.
std::string render_servers(const HostSystem& host, const std::vector<MigrationPeer>& peers,
                           HostFormat format);
// -e: the event log.
std::string render_events(const std::vector<StatusEvent>& events, HostFormat format);
// -A: the console users and groups of every guest.
std::string render_admins(const std::vector<GuestHostStatus>& guests, HostFormat format);
// -C: every guest's memory type (NUMA placement of its QEMU); `host_nodes`
// are the host's NUMA nodes.
std::string render_memory_type(const std::vector<GuestHostStatus>& guests,
                               const std::string& host_nodes, HostFormat format);
// -v: the suite's version.
std::string render_version(const std::string& version, HostFormat format);

} // namespace vmconfig

// What libvmconfig and the commands ask of the host itself: its name, the
// memory it can give guests, and new random UUIDs from the kernel.
#pragma once

#include <cstdint>
#include <string>

namespace avio {

// The host's name (gethostname); "" when it has none.
std::string host_name();

// Memory the host can give a new guest now (MemAvailable in /proc/meminfo),
// in MB; 0 when /proc/meminfo does not say.
std::uint64_t host_available_memory_mb();

// A new random UUID from the kernel (/proc/sys/kernel/random/uuid); throws
// hpvm::Error when there is none.
std::string new_uuid();

} // namespace avio

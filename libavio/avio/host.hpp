// What libvmconfig and the commands ask of the host itself: its name, the
// memory it can give guests, new random UUIDs from the kernel, who runs the
// command, and appending a log record.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace avio {

// The host's name (gethostname); "" when it has none.
std::string host_name();

// Memory the host can give a new guest now (MemAvailable in /proc/meminfo),
// in MB; 0 when /proc/meminfo does not say.
std::uint64_t host_available_memory_mb();

// A new random UUID from the kernel (/proc/sys/kernel/random/uuid); throws
// hpvm::Error when there is none.
std::string new_uuid();

// The name of the user this process runs as (its uid when it has no name).
std::string effective_user_name();

// Appends `record` to `file` with one write(2) on an O_APPEND descriptor
// (created 0600), so records of concurrent commands never interleave.
// Best effort: false when the file cannot be written.
bool append_record(const std::filesystem::path& file, std::string_view record);

} // namespace avio

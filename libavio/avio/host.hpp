// What libvmconfig and the commands ask of the host itself: its name, the
// memory it can give guests, new random UUIDs from the kernel, who runs the
// command, its users, groups and CPUs, and reading, writing and appending
// small files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
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
// Whether this process runs as root (effective uid 0).
bool effective_user_is_root();
// The name of user `uid` (the number when it has no name).
std::string user_name(unsigned uid);

// Whether a user (getpwnam) or a group (getgrnam) of that name exists.
bool user_exists(const std::string& name);
bool group_exists(const std::string& name);

// The number of CPUs the host has (std::thread::hardware_concurrency); 0
// when it cannot tell.
unsigned host_cpu_count();

// Appends `record` to `file` with one write(2) on an O_APPEND descriptor
// (created 0600), so records of concurrent commands never interleave. The
// file's directory is created first when missing (make_private_dirs). Throws
// hpvm::Error naming the file and the reason (hpvm::NoSpace for a full file
// system) when the record is not written whole; a part written is cut off again, so the
// next record starts its own line.
void append_record(const std::filesystem::path& file, std::string_view record);
// append_record() to a file kept near `max_bytes`: once it has reached them
// it is first renamed to `older` (replacing the one there), so the two hold
// the newest records. A writer racing the rename writes into `older`; no
// record is lost.
void append_bounded_record(const std::filesystem::path& file, const std::filesystem::path& older,
                           std::string_view record, std::uintmax_t max_bytes);

// Whether a file written atomically must also survive a power cut once the
// write returns: to_disk flushes the new file before it is renamed into
// place and its directory after (the rename itself).
enum class Sync : unsigned char { none, to_disk };

// Replaces `path` with `text`: written 0600 to "<path>.tmp", then renamed over
// it. Throws hpvm::Error when either step fails.
void write_file_atomically(const std::filesystem::path& path, const std::string& text,
                           Sync sync = Sync::none);

// A file's new content written beside it (`draft`, 0600) and moved over it
// by publish(): written before a database commit and published after it, a
// failed write refuses the change and a failed commit leaves the file as it
// was (the destructor removes an unpublished draft). Throws hpvm::Error when
// the draft cannot be written (hpvm::NoSpace when its file system is full).
class StagedFile {
public:
  StagedFile(std::filesystem::path path, std::filesystem::path draft, const std::string& text,
             Sync sync = Sync::none);
  StagedFile(StagedFile&& other) noexcept;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  StagedFile& operator=(StagedFile&&) = delete;
  ~StagedFile();
  const std::filesystem::path& path() const { return m_path; }
  // Moves the draft over the file; throws hpvm::Error naming it when it cannot.
  void publish();

private:
  std::filesystem::path m_path;
  std::filesystem::path m_draft; // empty once published or moved from
  Sync m_sync = Sync::none;
};

// The whole of the file at `path`; nullopt when it cannot be opened.
std::optional<std::string> read_file(const std::filesystem::path& path);

} // namespace avio

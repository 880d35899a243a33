// Who holds the configuration database's write lock. SQLite's lock names
// no one, so the command that takes it records itself beside the database
// (layout::write_lock_holder) and empties the record before it lets go; a
// command that gives up waiting reads it to say whom it waited for.
#pragma once

#include "avio/processes.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>

namespace avio {

// Records this process (pid, start time, the time now, command line) in
// `file` as the lock's holder; clear(), or the destructor, empties the
// record, while the lock is still held. A record that cannot be written (a
// full file system) is left out: waiters then cannot name the holder.
class LockRecord {
public:
  explicit LockRecord(std::filesystem::path file);
  LockRecord(const LockRecord&) = delete;
  LockRecord& operator=(const LockRecord&) = delete;
  ~LockRecord();
  void clear() noexcept;

private:
  std::filesystem::path m_file; // empty once cleared
};

struct LockHolder {
  ProcessInfo process;    // as recorded
  std::int64_t since = 0; // when it took the lock, seconds since the epoch
  bool alive = false;     // that process still runs (the same pid and start time)
};
// The holder recorded in `file`; nullopt when none is.
std::optional<LockHolder> recorded_lock_holder(const std::filesystem::path& file);

} // namespace avio

#include "avio/lock_holder.hpp"

#include "avio/fd.hpp"
#include "avio/host.hpp"
#include "avio/runstate.hpp"
#include "avio/text.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <string>

namespace avio {

// The record: "<pid> <start time in ticks> <since> <user>", then the
// program's name and its command line, a line each.
LockRecord::LockRecord(std::filesystem::path file) : m_file(std::move(file)) {
  const pid_t pid = ::getpid();
  const auto me = process_info(pid);
  const auto start = process_start_time(pid);
  if (!me || !start) {
    return;
  }
  const std::string record = fmt::format("{} {} {} {}\n{}\n{}\n", pid, *start, std::time(nullptr),
                                         me->user, me->name, me->command_line);
  const Fd fd(::open(m_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd ||
      ::write(fd.get(), record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
    clear(); // a part of a record names no one
  }
}

LockRecord::~LockRecord() {
  clear();
}

void LockRecord::clear() noexcept {
  if (!m_file.empty() && ::truncate(m_file.c_str(), 0) != 0) {
    // Gone or unwritable: nothing is recorded then either.
  }
  m_file.clear();
}

std::optional<LockHolder> recorded_lock_holder(const std::filesystem::path& file) {
  const auto lines = split(read_file(file).value_or(""), '\n');
  if (lines.size() < 3) {
    return std::nullopt;
  }
  const auto fields = split(lines[0], ' ');
  if (fields.size() != 4) {
    return std::nullopt;
  }
  LockHolder holder;
  unsigned long long start = 0;
  try {
    holder.process.pid = static_cast<pid_t>(std::stol(fields[0]));
    start = std::stoull(fields[1]);
    holder.since = std::stoll(fields[2]);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  holder.process.user = fields[3];
  holder.process.name = lines[1];
  holder.process.command_line = lines[2];
  holder.alive = process_start_time(holder.process.pid) == start;
  return holder;
}

} // namespace avio

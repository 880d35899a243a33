#include "avio/host.hpp"

#include "avio/error.hpp"
#include "avio/fd.hpp"
#include "avio/layout.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

namespace avio {

std::string host_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return host;
}

std::uint64_t host_available_memory_mb() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") {
      return kb / 1024;
    }
  }
  return 0;
}

std::string new_uuid() {
  std::ifstream in("/proc/sys/kernel/random/uuid");
  std::string uuid;
  std::getline(in, uuid);
  if (uuid.size() != 36) {
    throw hpvm::Error("Cannot generate a UUID: /proc/sys/kernel/random/uuid is not readable.");
  }
  return uuid;
}

std::string effective_user_name() {
  return user_name(::geteuid());
}

bool effective_user_is_root() {
  return ::geteuid() == 0;
}

std::string user_name(unsigned uid) {
  const passwd* pw = ::getpwuid(uid);
  return pw != nullptr ? pw->pw_name : std::to_string(uid);
}

bool user_exists(const std::string& name) {
  return ::getpwnam(name.c_str()) != nullptr;
}

bool group_exists(const std::string& name) {
  return ::getgrnam(name.c_str()) != nullptr;
}

unsigned host_cpu_count() {
  return std::thread::hardware_concurrency();
}

namespace {

// "Cannot write '<file>': <why>."; a full file system is an hpvm::NoSpace.
[[noreturn]] void throw_cannot_write(const std::filesystem::path& file, int error) {
  const std::string message =
      fmt::format("Cannot write '{}': {}.", file.string(), std::strerror(error));
  if (error == ENOSPC || error == EDQUOT) {
    throw hpvm::NoSpace(message, error);
  }
  throw hpvm::Error(message);
}

} // namespace

void append_record(const std::filesystem::path& file, std::string_view record) {
  make_private_dirs(file.parent_path());
  const Fd fd(::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) {
    throw_cannot_write(file, errno);
  }
  const ssize_t written = ::write(fd.get(), record.data(), record.size());
  if (written == static_cast<ssize_t>(record.size())) {
    return;
  }
  const int error = written < 0 ? errno : ENOSPC;
  if (written > 0) {
    const off_t end = ::lseek(fd.get(), 0, SEEK_CUR);
    if (end >= written && ::ftruncate(fd.get(), end - written) != 0) {
      // The partial line stays; the error below says the record is lost.
    }
  }
  throw_cannot_write(file, error);
}

void append_bounded_record(const std::filesystem::path& file, const std::filesystem::path& older,
                           std::string_view record, std::uintmax_t max_bytes) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size >= max_bytes) {
    std::filesystem::rename(file, older, ec); // a racing writer renamed it first
  }
  append_record(file, record);
}

void write_file_atomically(const std::filesystem::path& path, const std::string& text, Sync sync) {
  StagedFile(path, path.string() + ".tmp", text, sync).publish();
}

StagedFile::StagedFile(std::filesystem::path path, std::filesystem::path draft,
                       const std::string& text, Sync sync)
    : m_path(std::move(path)), m_draft(std::move(draft)), m_sync(sync) {
  // open/write rather than a stream: a full file system is named as such.
  Fd fd(::open(m_draft.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  int error = fd ? 0 : errno;
  for (std::size_t done = 0; error == 0 && done < text.size();) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno != EINTR) {
      error = errno;
    } else if (n > 0) {
      done += static_cast<std::size_t>(n);
    }
  }
  if (error == 0 && ::fchmod(fd.get(), 0600) != 0) {
    error = errno; // a draft an earlier process left with another mode
  }
  if (error == 0 && sync == Sync::to_disk && ::fsync(fd.get()) != 0) {
    error = errno;
  }
  if (error != 0) {
    std::error_code ec;
    std::filesystem::remove(m_draft, ec);
    throw_cannot_write(m_path, error);
  }
}

StagedFile::StagedFile(StagedFile&& other) noexcept
    : m_path(std::move(other.m_path)), m_draft(std::exchange(other.m_draft, {})),
      m_sync(other.m_sync) {}

StagedFile::~StagedFile() {
  if (!m_draft.empty()) {
    std::error_code ec;
    std::filesystem::remove(m_draft, ec);
  }
}

void StagedFile::publish() {
  std::error_code ec;
  std::filesystem::rename(m_draft, m_path, ec);
  if (ec) {
    throw hpvm::Error(fmt::format("Cannot write '{}': {}.", m_path.string(), ec.message()));
  }
  m_draft.clear();
  if (m_sync == Sync::to_disk) {
    // The rename is an entry of the directory: on disk once it is flushed.
    const auto parent =
        m_path.has_parent_path() ? m_path.parent_path() : std::filesystem::path(".");
    const Fd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir || ::fsync(dir.get()) != 0) {
      throw_cannot_write(m_path, errno);
    }
  }
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace avio

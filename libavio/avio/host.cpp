#include "avio/host.hpp"

#include "avio/error.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <fstream>

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
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : std::to_string(::geteuid());
}

bool append_record(const std::filesystem::path& file, std::string_view record) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return false;
  }
  const auto written = ::write(fd, record.data(), record.size());
  ::close(fd);
  return written == static_cast<ssize_t>(record.size());
}

} // namespace avio

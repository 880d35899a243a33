#include "avio/backing_file.hpp"

#include "avio/error.hpp"
#include "avio/fd.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace avio {

namespace {

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw hpvm::Error(fmt::format("Cannot {} '{}': {}.", what, path, std::strerror(err)));
}

} // namespace

void extend_file(const std::string& path, std::uint64_t bytes, bool sparse,
                 const Progress& progress) {
  struct stat st {};
  const bool existed = ::stat(path.c_str(), &st) == 0;
  if (existed && !S_ISREG(st.st_mode)) {
    throw hpvm::Error(fmt::format("'{}' exists and is not a regular file.", path));
  }
  const auto old_size = existed ? static_cast<std::uint64_t>(st.st_size) : 0;
  if (old_size > bytes) {
    throw hpvm::Error(
        fmt::format("'{}' is already {} bytes, more than {}; a backing file is never shrunk.", path,
                    old_size, bytes));
  }
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() < 0) {
    fail(path, existed ? "open" : "create", errno);
  }
  auto undo_and_fail = [&](const char* what, int err) {
    if (!existed) {
      ::unlink(path.c_str());
    } else {
      [[maybe_unused]] int ignored = ::ftruncate(fd.get(), static_cast<off_t>(old_size));
    }
    fail(path, what, err);
  };
  if (sparse) {
    if (::ftruncate(fd.get(), static_cast<off_t>(bytes)) != 0) {
      undo_and_fail("extend", errno);
    }
    return;
  }
  constexpr std::size_t k_chunk = 4 << 20;
  const std::vector<char> zeros(k_chunk, 0);
  const std::uint64_t total = bytes - old_size;
  std::uint64_t done = 0;
  if (progress) {
    progress(0, total);
  }
  while (done < total) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(k_chunk, total - done));
    const ssize_t w = ::pwrite(fd.get(), zeros.data(), n, static_cast<off_t>(old_size + done));
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      undo_and_fail("write", errno);
    }
    done += static_cast<std::uint64_t>(w);
    if (progress) {
      progress(done, total);
    }
  }
  if (::fsync(fd.get()) != 0) {
    undo_and_fail("write", errno);
  }
}

} // namespace avio

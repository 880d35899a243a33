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

// A backing file open for writing, `old_size` long (0 when created here).
struct OpenFile {
  OpenFile(const std::string& file, int flags, bool existed, std::uint64_t size)
      : path(file), fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0600)),
        created(!existed), old_size(size) {
    if (fd.get() < 0) {
      fail(file, existed ? "open" : "create", errno);
    }
  }
  const std::string& path;
  Fd fd;
  bool created;
  std::uint64_t old_size;
};

// Puts the file back as it was (removes it when it was created here), then throws.
[[noreturn]] void undo_and_fail(const OpenFile& f, const char* what, int err) {
  if (f.created) {
    ::unlink(f.path.c_str());
  } else {
    [[maybe_unused]] int ignored = ::ftruncate(f.fd.get(), static_cast<off_t>(f.old_size));
  }
  fail(f.path, what, err);
}

// Makes the file `bytes` long: only its length (`sparse`), or zeros written
// over the new part and synced. `length_failure` names a failed length change.
void grow(const OpenFile& f, std::uint64_t bytes, bool sparse, const Progress& progress,
          const char* length_failure) {
  if (sparse) {
    if (::ftruncate(f.fd.get(), static_cast<off_t>(bytes)) != 0) {
      undo_and_fail(f, length_failure, errno);
    }
    return;
  }
  constexpr std::size_t k_chunk = 4 << 20;
  const std::vector<char> zeros(k_chunk, 0);
  const std::uint64_t total = bytes - f.old_size;
  std::uint64_t done = 0;
  if (progress) {
    progress(0, total);
  }
  while (done < total) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(k_chunk, total - done));
    const ssize_t w = ::pwrite(f.fd.get(), zeros.data(), n, static_cast<off_t>(f.old_size + done));
    if (w < 0) {
      if (errno == EINTR) {
        continue;
      }
      undo_and_fail(f, "write", errno);
    }
    done += static_cast<std::uint64_t>(w);
    if (progress) {
      progress(done, total);
    }
  }
  if (::fsync(f.fd.get()) != 0) {
    undo_and_fail(f, "write", errno);
  }
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
  grow(OpenFile(path, 0, existed, old_size), bytes, sparse, progress, "extend");
}

void create_sparse_file(const std::string& path, std::uint64_t bytes) {
  grow(OpenFile(path, O_EXCL, false, 0), bytes, true, {}, "size");
}

void remove_created_file(const std::string& path) noexcept {
  ::unlink(path.c_str());
}

} // namespace avio

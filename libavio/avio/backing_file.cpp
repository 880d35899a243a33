#include "avio/backing_file.hpp"

#include "avio/error.hpp"
#include "avio/fd.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string_view>
#include <vector>

namespace avio {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  throw hpvm::Error(fmt::format("Cannot {} '{}': {}.", what, path, std::strerror(err)));
}

// A backing file open for writing, `old_size` long (0 when created here).
// Messages name `shown`: the file the user asked for, whatever it is written as.
struct OpenFile {
  OpenFile(const std::string& file, int flags, bool existed, std::uint64_t size,
           const std::string& name)
      : path(file), shown(name),
        fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0600)), created(!existed),
        old_size(size) {
    if (fd.get() < 0) {
      fail(name, existed ? "open" : "create", errno);
    }
  }
  const std::string& path;
  const std::string& shown;
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
  fail(f.shown, what, err);
}

// A new file is written as "<path>.hpvm-partial.<pid>" and renamed to `path`
// once complete: a command killed halfway leaves no file under the asked
// name that looks finished, only a partial one the next run removes.
constexpr std::string_view k_partial_infix = ".hpvm-partial.";

std::string partial_name(const std::string& path) {
  return fmt::format("{}{}{}", path, k_partial_infix, ::getpid());
}

// Removes the partial files of `path` whose writer no longer runs.
void remove_dead_partials(const std::string& path) {
  const fs::path target(path);
  const std::string prefix = target.filename().string() + std::string(k_partial_infix);
  std::error_code ec;
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) {
      continue;
    }
    const std::string_view digits = std::string_view(name).substr(prefix.size());
    int pid = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (error == std::errc() && end == digits.data() + digits.size() && pid > 0 &&
        ::kill(pid, 0) != 0 && errno == ESRCH) {
      ::unlink(entry.path().c_str());
    }
  }
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
  if (existed) {
    grow(OpenFile(path, 0, true, old_size, path), bytes, sparse, progress, "extend");
    return;
  }
  remove_dead_partials(path);
  const std::string partial = partial_name(path);
  const OpenFile file(partial, O_EXCL, false, 0, path);
  grow(file, bytes, sparse, progress, "extend");
  // Not over a file of that name made meanwhile.
  if (::renameat2(AT_FDCWD, partial.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    undo_and_fail(file, "create", errno);
  }
}

void create_sparse_file(const std::string& path, std::uint64_t bytes,
                        const std::function<void(const std::string& partial)>& before_rename) {
  remove_dead_partials(path);
  const std::string partial = partial_name(path);
  const OpenFile file(partial, O_EXCL, false, 0, path);
  grow(file, bytes, true, {}, "size");
  try {
    if (before_rename) {
      before_rename(partial);
    }
  } catch (...) {
    ::unlink(partial.c_str());
    throw;
  }
  if (::renameat2(AT_FDCWD, partial.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    undo_and_fail(file, "create", errno);
  }
}

void remove_created_file(const std::string& path) noexcept {
  ::unlink(path.c_str());
}

} // namespace avio

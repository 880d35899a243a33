#include "avio/copy.hpp"

#include "avio/error.hpp"
#include "avio/fd.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace avio {

namespace {

constexpr std::uint64_t k_chunk = 8ULL << 20; // progress granularity and buffer size

struct Opened {
  bool usable = false; // a regular file or a block device whose size is known
  bool regular = false;
  std::uint64_t size = 0;
};

Opened examine(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return {};
  }
  if (S_ISREG(st.st_mode)) {
    return {true, true, static_cast<std::uint64_t>(st.st_size)};
  }
  std::uint64_t bytes = 0;
  if (S_ISBLK(st.st_mode) && ::ioctl(fd, BLKGETSIZE64, &bytes) == 0) {
    return {true, false, bytes};
  }
  return {};
}

bool all_zero(const char* data, std::size_t n) {
  return n == 0 || (data[0] == 0 && std::memcmp(data, data + 1, n - 1) == 0);
}

} // namespace

std::uint64_t storage_size(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    throw hpvm::Error(fmt::format("Cannot open '{}': {}.", path, std::strerror(errno)));
  }
  const Opened o = examine(fd.get());
  if (!o.usable) {
    throw hpvm::Error(fmt::format("'{}' is neither a regular file nor a block device.", path));
  }
  return o.size;
}

void copy_storage(const std::string& from, const std::string& to, const CopyProgress& progress) {
  auto failed = [&](const char* what) {
    return hpvm::Error(
        fmt::format("Cannot copy '{}' to '{}': {}: {}.", from, to, what, std::strerror(errno)));
  };
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) {
    throw failed("opening the source");
  }
  Fd out(::open(to.c_str(), O_WRONLY | O_CLOEXEC));
  if (!out) {
    throw failed("opening the target");
  }
  const Opened src = examine(in.get());
  const Opened dst = examine(out.get());
  for (const auto& [opened, path] : {std::pair{src, from}, std::pair{dst, to}}) {
    if (!opened.usable) {
      throw hpvm::Error(
          fmt::format("Cannot copy '{}' to '{}': '{}' is neither a regular file nor a "
                      "block device.",
                      from, to, path));
    }
  }
  if (dst.regular) {
    // Holes stay holes: the target starts all zero at the source's size.
    if (::ftruncate(out.get(), 0) != 0 ||
        ::ftruncate(out.get(), static_cast<off_t>(src.size)) != 0) {
      throw failed("sizing the target");
    }
  } else if (dst.size < src.size) {
    throw hpvm::Error(
        fmt::format("Cannot copy '{}' ({} bytes) to '{}': the target has only {} bytes.", from,
                    src.size, to, dst.size));
  }
  std::vector<char> buffer(k_chunk);
  bool kernel_copy = src.regular && dst.regular;
  std::uint64_t done = 0;
  if (progress) {
    progress(0, src.size);
  }
  // Copies [start, end) of the source, chunk by chunk.
  auto copy_range = [&](std::uint64_t start, std::uint64_t end) {
    for (std::uint64_t pos = start; pos < end;) {
      const std::uint64_t want = std::min(k_chunk, end - pos);
      std::uint64_t moved = 0;
      if (kernel_copy) {
        loff_t in_off = static_cast<loff_t>(pos);
        loff_t out_off = static_cast<loff_t>(pos);
        const ssize_t n = ::copy_file_range(in.get(), &in_off, out.get(), &out_off, want, 0);
        if (n < 0 &&
            (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
          kernel_copy = false; // this file system pair cannot: fall back to read/write
          continue;
        }
        if (n <= 0) {
          throw failed(n == 0 ? "the source ended early" : "copying");
        }
        moved = static_cast<std::uint64_t>(n);
      } else {
        const ssize_t n = ::pread(in.get(), buffer.data(), want, static_cast<off_t>(pos));
        if (n <= 0) {
          throw failed(n == 0 ? "the source ended early" : "reading");
        }
        moved = static_cast<std::uint64_t>(n);
        // A zero chunk into a fresh regular file is already there as a hole.
        if (!(dst.regular && all_zero(buffer.data(), moved))) {
          for (std::uint64_t w = 0; w < moved;) {
            const ssize_t k =
                ::pwrite(out.get(), buffer.data() + w, moved - w, static_cast<off_t>(pos + w));
            if (k <= 0) {
              throw failed("writing");
            }
            w += static_cast<std::uint64_t>(k);
          }
        }
      }
      pos += moved;
      done += moved;
      if (progress) {
        progress(done, src.size);
      }
    }
  };
  // A hole in the source: nothing to do for a regular target, zeros for a device.
  auto zero_range = [&](std::uint64_t start, std::uint64_t end) {
    if (!dst.regular) {
      std::fill(buffer.begin(), buffer.end(), 0);
      for (std::uint64_t pos = start; pos < end;) {
        const std::uint64_t n = std::min(k_chunk, end - pos);
        const ssize_t k = ::pwrite(out.get(), buffer.data(), n, static_cast<off_t>(pos));
        if (k <= 0) {
          throw failed("writing");
        }
        pos += static_cast<std::uint64_t>(k);
      }
    }
    done += end - start;
    if (progress) {
      progress(done, src.size);
    }
  };
  if (src.regular) {
    for (std::uint64_t pos = 0; pos < src.size;) {
      off_t data = ::lseek(in.get(), static_cast<off_t>(pos), SEEK_DATA);
      if (data < 0) {
        if (errno != ENXIO) {
          throw failed("finding data in the source");
        }
        data = static_cast<off_t>(src.size); // only a hole is left
      }
      const auto data_start = std::min(static_cast<std::uint64_t>(data), src.size);
      if (data_start > pos) {
        zero_range(pos, data_start);
      }
      if (data_start >= src.size) {
        break;
      }
      off_t hole = ::lseek(in.get(), data, SEEK_HOLE);
      const auto data_end =
          hole < 0 ? src.size : std::min(static_cast<std::uint64_t>(hole), src.size);
      copy_range(data_start, data_end);
      pos = data_end;
    }
  } else {
    copy_range(0, src.size);
  }
  if (::fsync(out.get()) != 0) {
    throw failed("flushing the target");
  }
}

} // namespace avio

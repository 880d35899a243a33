#include "avio/backing.hpp"

#include "avio/sysfs.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <set>

namespace fs = std::filesystem;

namespace avio {

namespace {

// The size of a block device: BLKGETSIZE64 when it can be opened, else
// /sys/dev/block/M:m/size (512-byte sectors, readable by anyone). Sets
// `problem` when neither works.
std::uint64_t block_device_size(const std::string& path, unsigned maj, unsigned min,
                                std::string& problem) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  const int open_errno = errno;
  if (fd >= 0) {
    std::uint64_t bytes = 0;
    const bool ok = ::ioctl(fd, BLKGETSIZE64, &bytes) == 0;
    ::close(fd);
    if (ok) {
      return bytes;
    }
  }
  if (auto bytes = sysfs_block_size(maj, min)) {
    return *bytes;
  }
  problem = fd < 0 ? fmt::format("it cannot be opened ({}) and /sys/dev/block/{}:{}/size "
                                 "cannot be read",
                                 std::strerror(open_errno), maj, min)
                   : fmt::format("neither BLKGETSIZE64 nor /sys/dev/block/{}:{}/size gives "
                                 "its size",
                                 maj, min);
  return 0;
}

HostKind classify_block(unsigned maj, unsigned min) {
  const fs::path sys = fmt::format("/sys/dev/block/{}:{}", maj, min);
  std::error_code ec;
  if (fs::exists(sys / "partition", ec)) {
    return HostKind::partition;
  }
  if (fs::exists(sys / "dm", ec)) {
    return read_first_line(sys / "dm" / "uuid").rfind("LVM-", 0) == 0 ? HostKind::logical_volume
                                                                      : HostKind::device_mapper;
  }
  // SCSI peripheral type 5 is a CD/DVD device; major 11 is the sr driver.
  if (maj == 11 || read_first_line(sys / "device" / "type") == "5") {
    return HostKind::optical_drive;
  }
  if (fs::exists(sys, ec)) {
    return HostKind::whole_disk;
  }
  return HostKind::other_block;
}

HostKind classify_char(unsigned maj, unsigned min) {
  const fs::path sys = fmt::format("/sys/dev/char/{}:{}", maj, min);
  std::error_code ec;
  const auto subsystem = fs::read_symlink(sys / "subsystem", ec).filename().string();
  if (subsystem == "scsi_generic" || subsystem == "bsg" || maj == 21) {
    return HostKind::scsi_generic;
  }
  return HostKind::other_char;
}

const fs::path k_sys_block = "/sys/class/block";

// The first of `files` under `dir` with something in it, trailing blanks
// removed ("" when none has).
std::string first_attribute(const fs::path& dir, std::initializer_list<const char*> files) {
  for (const char* file : files) {
    std::string w = read_first_line(dir / file);
    while (!w.empty() && (w.back() == ' ' || w.back() == '\t')) {
      w.pop_back();
    }
    if (!w.empty()) {
      return w;
    }
  }
  return {};
}

// A disk's WWID as the kernel reports it (SCSI device/wwid, NVMe wwid).
std::string sysfs_wwid(const std::string& kernel_name) {
  return first_attribute(k_sys_block / kernel_name, {"device/wwid", "wwid"});
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    out.push_back(e.path().filename().string());
  }
  return out;
}

// The disk a partition belongs to ("" for anything else): its sysfs
// directory sits inside the disk's.
std::string parent_disk(const std::string& kernel_name) {
  std::error_code ec;
  if (!fs::exists(k_sys_block / kernel_name / "partition", ec)) {
    return {};
  }
  return fs::canonical(k_sys_block / kernel_name, ec).parent_path().filename().string();
}

std::vector<std::string> partitions_of(const std::string& kernel_name) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& child : names_in(k_sys_block / kernel_name)) {
    if (fs::exists(k_sys_block / kernel_name / child / "partition", ec)) {
      out.push_back(child);
    }
  }
  return out;
}

// Everything reachable from `start` through `next`, without `start` itself.
template <typename Next>
void closure(const std::string& start, Next next, std::set<std::string>& out) {
  std::vector<std::string> todo{start};
  while (!todo.empty()) {
    const std::string name = todo.back();
    todo.pop_back();
    for (const auto& n : next(name)) {
      if (n != start && out.insert(n).second) {
        todo.push_back(n);
      }
    }
  }
}

} // namespace

std::string block_identity(const std::string& kernel_name) {
  // Several paths to one disk (multipath) share its WWID.
  if (const std::string wwid = sysfs_wwid(kernel_name); !wwid.empty()) {
    return "wwid:" + wwid;
  }
  return "blk:" + read_first_line(k_sys_block / kernel_name / "dev");
}

std::string shared_block_identity(const std::string& kernel_name,
                                  const std::filesystem::path& sys_block) {
  const fs::path sys = sys_block / kernel_name;
  if (auto wwid = first_attribute(sys, {"device/wwid", "wwid"}); !wwid.empty()) {
    return "wwid:" + wwid;
  }
  // LVM's is its VG's and LV's UUIDs (a shared VG's LV has the same on each
  // host, two hosts' own VGs of one name do not); multipath's holds the WWID.
  if (auto uuid = first_attribute(sys, {"dm/uuid"}); !uuid.empty()) {
    return "dm:" + uuid;
  }
  if (auto number = first_attribute(sys, {"partition"}); !number.empty()) {
    std::error_code ec;
    const std::string disk = fs::canonical(sys, ec).parent_path().filename().string();
    const std::string of_disk = ec ? "" : shared_block_identity(disk, sys_block);
    return of_disk.empty() ? "" : fmt::format("{}:part{}", of_disk, number);
  }
  if (auto serial = first_attribute(sys, {"serial", "device/serial"}); !serial.empty()) {
    return "serial:" + serial;
  }
  // A loop device is its backing file's (shared_file_identity) at its offset.
  if (auto file = first_attribute(sys, {"loop/backing_file"}); !file.empty()) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return {}; // " (deleted)", or gone: nothing to compare
    }
    const std::string offset = first_attribute(sys, {"loop/offset"});
    return fmt::format("loop:{}:{}", shared_file_identity(st.st_ino, st.st_size),
                       offset.empty() ? "0" : offset);
  }
  return {};
}

std::string shared_file_identity(std::uint64_t inode, std::int64_t size) {
  return fmt::format("file:{}:{}", inode, size);
}

std::string shared_char_identity(const std::string& major_minor,
                                 const std::filesystem::path& sys_dev_char) {
  // A SCSI generic node's device is the SCSI device, which has the WWID.
  const std::string wwid = first_attribute(sys_dev_char / major_minor, {"device/wwid"});
  return wwid.empty() ? "" : "wwid:" + wwid;
}

std::string shared_identity(const HostEntity& e) {
  if (!e.block_name.empty()) {
    return shared_block_identity(e.block_name);
  }
  if (e.kind == HostKind::regular_file && e.identity.starts_with("ino:")) {
    struct stat st {};
    if (::stat(e.path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      return shared_file_identity(st.st_ino, st.st_size);
    }
  }
  if (e.identity.starts_with("chr:")) {
    return shared_char_identity(e.identity.substr(4));
  }
  return {};
}

namespace {

std::vector<std::string> directly_below(const std::string& n) {
  auto below = names_in(k_sys_block / n / "slaves");
  if (auto disk = parent_disk(n); !disk.empty()) {
    below.push_back(disk);
  }
  return below;
}

} // namespace

std::vector<std::string> block_devices_below(const std::string& kernel_name) {
  if (kernel_name.empty()) {
    return {};
  }
  std::set<std::string> below;
  closure(kernel_name, directly_below, below);
  return {below.begin(), below.end()};
}

namespace {

std::vector<std::string> directly_above(const std::string& n) {
  auto above = names_in(k_sys_block / n / "holders");
  for (auto& p : partitions_of(n)) {
    above.push_back(std::move(p));
  }
  return above;
}

} // namespace

std::vector<std::string> block_devices_above(const std::string& kernel_name) {
  if (kernel_name.empty()) {
    return {};
  }
  std::set<std::string> above;
  closure(kernel_name, directly_above, above);
  return {above.begin(), above.end()};
}

std::vector<std::string> stacked_block_devices(const std::string& kernel_name) {
  if (kernel_name.empty()) {
    return {};
  }
  std::set<std::string> related;
  closure(kernel_name, directly_below, related);
  closure(kernel_name, directly_above, related);
  return {related.begin(), related.end()};
}

std::string unique_id(const HostEntity& entity) {
  if (entity.block_name.empty()) {
    return {};
  }
  if (std::string wwid = sysfs_wwid(entity.block_name); !wwid.empty()) {
    return wwid;
  }
  // The udev by-id names that lead to this device; WWN-based ones first.
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& link : fs::directory_iterator("/dev/disk/by-id", ec)) {
    const fs::path target = fs::canonical(link.path(), ec);
    if (!ec && target.filename() == entity.block_name) {
      names.push_back(link.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    const bool wa = a.rfind("wwn-", 0) == 0;
    const bool wb = b.rfind("wwn-", 0) == 0;
    return wa != wb ? wa : a < b;
  });
  return names.empty() ? std::string() : names.front();
}

const char* describe(HostKind kind) {
  switch (kind) {
  case HostKind::missing:
    return "missing";
  case HostKind::regular_file:
    return "a regular file";
  case HostKind::directory:
    return "a directory";
  case HostKind::whole_disk:
    return "a whole-disk block device";
  case HostKind::partition:
    return "a disk partition";
  case HostKind::logical_volume:
    return "an LVM logical volume";
  case HostKind::device_mapper:
    return "a device-mapper device";
  case HostKind::optical_drive:
    return "an optical drive";
  case HostKind::scsi_generic:
    return "a SCSI generic device";
  case HostKind::other_block:
    return "a block device";
  case HostKind::other_char:
    return "a character device";
  case HostKind::other:
    return "a special file";
  }
  return "unknown";
}

std::optional<std::uint64_t> sysfs_block_size(unsigned maj, unsigned min) {
  const std::string text = read_first_line(fmt::format("/sys/dev/block/{}:{}/size", maj, min));
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoull(text) * 512;
}

bool path_exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

fs::path resolved_path(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(path, ec);
  return ec ? fs::path(path).lexically_normal() : p;
}

std::optional<std::uint64_t> file_system_of(fs::path p) {
  while (true) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      return static_cast<std::uint64_t>(st.st_dev);
    }
    if (!p.has_relative_path()) {
      return std::nullopt;
    }
    p = p.parent_path();
  }
}

bool is_hpux_lunpath(std::string_view location) {
  const auto dot = location.find(".0x");
  return !location.empty() && location.front() != '/' && dot != std::string_view::npos &&
         location.substr(0, dot).find_first_not_of("0123456789/") == std::string_view::npos;
}

HostEntity probe(const std::string& path) {
  HostEntity e;
  e.path = path;
  if (is_hpux_lunpath(path)) {
    e.identity = "lunpath:" + path; // not a Linux path: nothing to look at
    return e;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    std::error_code ec;
    e.identity = "path:" + fs::weakly_canonical(path, ec).string();
    return e;
  }
  if (S_ISREG(st.st_mode)) {
    e.kind = HostKind::regular_file;
    e.size = static_cast<std::uint64_t>(st.st_size);
  } else if (S_ISDIR(st.st_mode)) {
    e.kind = HostKind::directory;
  } else if (S_ISBLK(st.st_mode)) {
    e.kind = classify_block(major(st.st_rdev), minor(st.st_rdev));
    e.size = block_device_size(path, major(st.st_rdev), minor(st.st_rdev), e.size_problem);
    std::error_code ec;
    e.block_name =
        fs::canonical(fmt::format("/sys/dev/block/{}:{}", major(st.st_rdev), minor(st.st_rdev)), ec)
            .filename()
            .string();
    e.identity = e.block_name.empty()
                     ? fmt::format("blk:{}:{}", major(st.st_rdev), minor(st.st_rdev))
                     : block_identity(e.block_name);
    return e;
  } else if (S_ISCHR(st.st_mode)) {
    e.kind = classify_char(major(st.st_rdev), minor(st.st_rdev));
    e.identity = fmt::format("chr:{}:{}", major(st.st_rdev), minor(st.st_rdev));
    return e;
  } else {
    e.kind = HostKind::other;
  }
  e.identity = fmt::format("ino:{}:{}", st.st_dev, st.st_ino);
  return e;
}

bool names_host_object(const std::string& identity) {
  return !identity.empty() && !identity.starts_with("path:") && !identity.starts_with("lunpath:");
}

BackingProblems check_backing(DeviceType device, StorageType storage, const HostEntity& entity,
                              bool force) {
  BackingProblems out;
  const std::string& path = entity.path;
  if (storage == StorageType::null && path.empty()) {
    return out; // an empty drive
  }
  if (storage == StorageType::attach_path && is_hpux_lunpath(path)) {
    std::string text = fmt::format(
        "Backing store '{}' is an HP-UX lunpath; on Linux attach_path needs the SCSI generic "
        "device of the same tape, changer or burner (/dev/sg* or /dev/bsg/...).",
        path);
    (force ? out.warnings : out.errors).push_back(std::move(text));
    return out;
  }
  if (entity.kind == HostKind::missing) {
    std::string text = fmt::format("Backing store '{}' does not exist.", path);
    (force ? out.warnings : out.errors).push_back(std::move(text));
    return out;
  }
  auto wrong = [&](const char* wanted) {
    out.errors.push_back(fmt::format(
        "Backing store '{}' is {}; storage type '{}' needs {}.", path, describe(entity.kind),
        [&] {
          switch (storage) {
          case StorageType::disk:
            return "disk";
          case StorageType::lv:
            return "lv";
          case StorageType::file:
            return "file";
          case StorageType::null:
            return "null";
          case StorageType::attach:
            return "attach";
          case StorageType::attach_path:
            return "attach_path";
          }
          return "?";
        }(),
        wanted));
  };
  switch (storage) {
  case StorageType::file:
    if (entity.kind != HostKind::regular_file) {
      wrong("a regular file");
    }
    break;
  case StorageType::disk:
    if (device == DeviceType::dvd) {
      if (entity.kind != HostKind::optical_drive) {
        wrong("an optical drive");
      }
    } else if (entity.kind != HostKind::whole_disk && entity.kind != HostKind::device_mapper) {
      wrong("a whole-disk block device");
    }
    break;
  case StorageType::lv:
    if (entity.kind != HostKind::logical_volume) {
      wrong("an LVM logical volume");
    }
    break;
  case StorageType::null:
    if (entity.kind != HostKind::directory && entity.kind != HostKind::optical_drive) {
      wrong("a directory or an optical drive");
    }
    break;
  case StorageType::attach:
  case StorageType::attach_path:
    if (entity.kind != HostKind::scsi_generic) {
      wrong("a SCSI generic device (/dev/sg*)");
    }
    break;
  }
  if (!out.errors.empty()) {
    return out;
  }
  const bool sized = storage == StorageType::file || storage == StorageType::lv ||
                     (storage == StorageType::disk && device == DeviceType::disk);
  const std::uint64_t minimum = device == DeviceType::dvd ? k_min_dvd_bytes : k_min_disk_bytes;
  if (sized && !entity.size_problem.empty()) {
    out.errors.push_back(
        fmt::format("Backing store '{}' has no known size: {}.", path, entity.size_problem));
  } else if (sized && entity.size < minimum) {
    out.errors.push_back(
        fmt::format("Backing store '{}' is {} bytes; a virtual {} needs at least {} bytes.", path,
                    entity.size, device == DeviceType::dvd ? "DVD" : "disk", minimum));
  }
  return out;
}

} // namespace avio

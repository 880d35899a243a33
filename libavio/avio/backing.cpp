#include "avio/backing.hpp"

#include "avio/sysfs.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace avio {

namespace {

std::uint64_t block_device_size(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return 0;
  }
  std::uint64_t bytes = 0;
  if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) {
    bytes = 0;
  }
  ::close(fd);
  return bytes;
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

} // namespace

const char* describe(HostKind kind) {
  switch (kind) {
  case HostKind::missing: return "missing";
  case HostKind::regular_file: return "a regular file";
  case HostKind::directory: return "a directory";
  case HostKind::whole_disk: return "a whole-disk block device";
  case HostKind::partition: return "a disk partition";
  case HostKind::logical_volume: return "an LVM logical volume";
  case HostKind::device_mapper: return "a device-mapper device";
  case HostKind::optical_drive: return "an optical drive";
  case HostKind::scsi_generic: return "a SCSI generic device";
  case HostKind::other_block: return "a block device";
  case HostKind::other_char: return "a character device";
  case HostKind::other: return "a special file";
  }
  return "unknown";
}

HostEntity probe(const std::string& path) {
  HostEntity e;
  e.path = path;
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
    e.size = block_device_size(path);
    e.identity = fmt::format("blk:{}:{}", major(st.st_rdev), minor(st.st_rdev));
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

BackingProblems check_backing(DeviceType device, StorageType storage, const HostEntity& entity,
                              bool force) {
  BackingProblems out;
  const std::string& path = entity.path;
  if (storage == StorageType::null && path.empty()) {
    return out; // an empty drive
  }
  if (entity.kind == HostKind::missing) {
    std::string text = fmt::format("Backing store '{}' does not exist.", path);
    (force ? out.warnings : out.errors).push_back(std::move(text));
    return out;
  }
  auto wrong = [&](const char* wanted) {
    out.errors.push_back(fmt::format("Backing store '{}' is {}; storage type '{}' needs {}.", path,
                                     describe(entity.kind),
                                     [&] {
                                       switch (storage) {
                                       case StorageType::disk: return "disk";
                                       case StorageType::lv: return "lv";
                                       case StorageType::file: return "file";
                                       case StorageType::null: return "null";
                                       case StorageType::attach: return "attach";
                                       case StorageType::attach_path: return "attach_path";
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
  if (sized && entity.size < minimum) {
    out.errors.push_back(fmt::format(
        "Backing store '{}' is {} bytes; a virtual {} needs at least {} bytes.", path, entity.size,
        device == DeviceType::dvd ? "DVD" : "disk", minimum));
  }
  return out;
}

} // namespace avio

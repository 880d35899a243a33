#include "avio/storage_guard.hpp"

#include "avio/host_usage.hpp"

#include <fmt/format.h>

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace avio {

namespace {

// Directories whose files belong to the host's own system. A guest image
// kept there (/var/lib/libvirt/images, say) needs -F.
constexpr std::array k_system_dirs{
    "/etc",     "/boot",    "/efi",       "/usr",       "/bin",        "/sbin",
    "/lib",     "/lib32",   "/lib64",     "/libx32",    "/proc",       "/sys",
    "/var/lib", "/var/log", "/var/cache", "/var/spool", "/var/backups"};

struct Inode {
  dev_t dev = 0;
  ino_t ino = 0;
  friend bool operator==(const Inode&, const Inode&) = default;
};

std::optional<Inode> inode_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return Inode{st.st_dev, st.st_ino};
}

// `path` with every symlink resolved, dangling ones too (weakly_canonical
// stops at them: a link to a file not made yet still leads somewhere).
fs::path resolve(fs::path path) {
  std::error_code ec;
  for (int hops = 0; hops < 40; ++hops) {
    fs::path p = fs::weakly_canonical(path, ec);
    if (ec) {
      return path.lexically_normal();
    }
    if (!fs::is_symlink(p, ec)) {
      return p;
    }
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) {
      return p;
    }
    path = target.is_absolute() ? target : p.parent_path() / target;
  }
  return path.lexically_normal();
}

// The first of `dirs` that `resolved` is in (or is), by device and inode,
// so that bind mounts of them count too; its index.
std::optional<std::size_t> inside(fs::path resolved,
                                  const std::vector<std::optional<Inode>>& dirs) {
  while (true) {
    if (auto here = inode_of(resolved)) {
      for (std::size_t i = 0; i < dirs.size(); ++i) {
        if (dirs[i] == *here) {
          return i;
        }
      }
    }
    if (resolved == resolved.parent_path()) {
      return std::nullopt;
    }
    resolved = resolved.parent_path();
  }
}

// A file under `root` (not through symlinks) that is `file`: a hard link.
std::optional<fs::path> same_file_in(const fs::path& root, Inode file) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        Inode{st.st_dev, st.st_ino} == file) {
      return it->path();
    }
  }
  return std::nullopt;
}

} // namespace

std::string Guarded::refusal() const {
  return reason + (forceable ? "; a guest gets it only with -F." : "; no guest may have it.");
}

std::string Guarded::forced() const {
  return reason + "; given to the guest anyway (-F).";
}

std::optional<Guarded> guarded_storage(const std::string& path, const HostEntity& entity,
                                       const fs::path& suite_root) {
  if (path.empty() || is_hpux_lunpath(path)) {
    return std::nullopt;
  }
  const fs::path resolved = resolve(path);
  const std::string leads = resolved == fs::path(path).lexically_normal()
                                ? std::string()
                                : fmt::format(" (it leads to '{}')", resolved.string());
  if (inside(resolved, {inode_of(suite_root)})) {
    return Guarded{fmt::format("Backing store '{}' is in {}, the HPVM suite's own directory{}",
                               path, suite_root.string(), leads)};
  }
  struct stat st {};
  const bool exists = ::stat(resolved.c_str(), &st) == 0;
  if (exists && S_ISREG(st.st_mode) && st.st_nlink > 1) {
    if (auto twin = same_file_in(suite_root, {st.st_dev, st.st_ino})) {
      return Guarded{fmt::format("Backing store '{}' is a hard link to '{}', a file of the HPVM "
                                 "suite",
                                 path, twin->string())};
    }
  }
  if (!entity.block_name.empty()) {
    if (auto why = block_device_in_use(entity.block_name, path)) {
      return Guarded{fmt::format("Backing store '{}' is host storage in use ({})", path, *why)};
    }
    return std::nullopt; // a device node: not a system file
  }
  if (exists && S_ISREG(st.st_mode)) {
    const auto swaps = swap_file_inodes();
    if (std::find(swaps.begin(), swaps.end(),
                  std::pair<std::uint64_t, std::uint64_t>(st.st_dev, st.st_ino)) != swaps.end()) {
      return Guarded{fmt::format("Backing store '{}' is host storage in use (a swap file{})", path,
                                 leads.empty() ? std::string() : ", '" + resolved.string() + "'")};
    }
    // The image of a loop device the host mounts is that file system.
    if (auto why = loop_backing_in_use(st.st_dev, st.st_ino)) {
      return Guarded{
          fmt::format("Backing store '{}' is host storage in use (it backs {})", path, *why)};
    }
  }
  if (exists && (S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode))) {
    return std::nullopt;
  }
  std::vector<std::optional<Inode>> system;
  for (const char* dir : k_system_dirs) {
    system.push_back(inode_of(dir));
  }
  if (auto i = inside(resolved, system)) {
    return Guarded{fmt::format("Backing store '{}' is a host system file (under {}){}", path,
                               k_system_dirs[*i], leads),
                   true};
  }
  return std::nullopt;
}

} // namespace avio

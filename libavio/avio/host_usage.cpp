#include "avio/host_usage.hpp"

#include "avio/backing.hpp"
#include "avio/sysfs.hpp"
#include "avio/text.hpp"

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace avio {

namespace {

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    lines.push_back(text.substr(0, eol));
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  }
  return lines;
}

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  std::string w;
  while (in >> w) {
    out.push_back(w);
  }
  return out;
}

// mountinfo and /proc/swaps write ' ', '\t', '\n' and '\\' as \ooo.
std::string unescape_octal(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() &&
        std::isdigit(static_cast<unsigned char>(s[i + 1])) != 0) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

} // namespace

std::vector<BlockMount> parse_mountinfo(std::string_view text) {
  std::vector<BlockMount> out;
  for (auto line : split_lines(text)) {
    // id parent major:minor root mount-point options ... - fstype source options
    const auto w = words(line);
    if (w.size() < 5) {
      continue;
    }
    unsigned maj = 0;
    unsigned min = 0;
    if (std::sscanf(w[2].c_str(), "%u:%u", &maj, &min) != 2 || maj == 0) {
      continue;
    }
    out.push_back({maj, min, unescape_octal(w[4])});
  }
  return out;
}

std::vector<std::string> parse_swaps(std::string_view text) {
  std::vector<std::string> out;
  bool header = true;
  for (auto line : split_lines(text)) {
    if (header) { // Filename Type Size Used Priority
      header = false;
      continue;
    }
    const auto w = words(line);
    if (!w.empty()) {
      out.push_back(unescape_octal(w[0]));
    }
  }
  return out;
}

HostStorageUse block_device_paths(const std::string& kernel_name) {
  HostStorageUse use;
  const std::string dm_name =
      read_first_line(fs::path("/sys/class/block") / kernel_name / "dm/name");
  if (!dm_name.empty()) {
    use.path = "/dev/mapper/" + dm_name;
    use.aliases.push_back("/dev/" + kernel_name);
  } else {
    use.path = "/dev/" + kernel_name;
  }
  return use;
}

std::vector<HostStorageUse> host_storage_in_use() {
  std::vector<HostStorageUse> out;
  std::set<std::string> seen;
  auto add = [&](HostStorageUse use, std::string reason) {
    if (seen.insert(use.path).second) {
      use.reason = std::move(reason);
      out.push_back(std::move(use));
    }
  };
  // A block device the host uses, and everything it is built on.
  auto add_block = [&](const std::string& kernel_name, const std::string& reason) {
    HostStorageUse use = block_device_paths(kernel_name);
    const std::string top = use.path;
    add(std::move(use), reason);
    for (const auto& below : block_devices_below(kernel_name)) {
      add(block_device_paths(below), fmt::format("holds {}", top));
    }
  };
  for (const auto& m : parse_mountinfo(read_file("/proc/self/mountinfo"))) {
    std::error_code ec;
    const std::string kernel_name =
        fs::canonical(fmt::format("/sys/dev/block/{}:{}", m.major, m.minor), ec)
            .filename()
            .string();
    if (!ec && !kernel_name.empty()) {
      add_block(kernel_name, fmt::format("mounted on {}", m.mount_point));
    }
  }
  for (const auto& swap : parse_swaps(read_file("/proc/swaps"))) {
    const HostEntity e = probe(swap);
    if (!e.block_name.empty()) {
      add_block(e.block_name, "swap");
    } else if (e.kind == HostKind::regular_file) {
      add({swap, {}, {}}, "swap file");
    }
  }
  // LVM physical volumes count only through what the host uses on them (the
  // mounted or swapping LVs above, whose stacks reach the PVs); a volume
  // group the host uses nothing of is storage for guests.
  return out;
}

std::optional<std::string> block_device_in_use(const std::string& kernel_name,
                                               const std::string& path) {
  if (kernel_name.empty()) {
    return std::nullopt;
  }
  std::map<std::string, std::string> mounted; // kernel name -> mount point
  for (const auto& m : parse_mountinfo(read_file("/proc/self/mountinfo"))) {
    std::error_code ec;
    const std::string name =
        fs::canonical(fmt::format("/sys/dev/block/{}:{}", m.major, m.minor), ec)
            .filename()
            .string();
    if (!ec && !name.empty()) {
      mounted.emplace(name, m.mount_point);
    }
  }
  std::set<std::string> swapped;
  for (const auto& swap : parse_swaps(read_file("/proc/swaps"))) {
    if (const HostEntity e = probe(swap); !e.block_name.empty()) {
      swapped.insert(e.block_name);
    }
  }
  const fs::path sys = "/sys/class/block";
  auto dev = [](const std::string& name) { return block_device_paths(name).path; };
  // The device and what is built on it: writing to it would write under any of them.
  std::vector<std::string> stack{kernel_name};
  for (auto& above : block_devices_above(kernel_name)) {
    stack.push_back(std::move(above));
  }
  for (const auto& name : stack) {
    if (auto m = mounted.find(name); m != mounted.end()) {
      return fmt::format("{} is mounted on {}", dev(name), m->second);
    }
    if (swapped.count(name) != 0) {
      return fmt::format("{} is a swap area", dev(name));
    }
  }
  for (const auto& name : stack) {
    // Holders are what md, device-mapper and so LVM build on a device.
    std::vector<std::string> holders;
    std::error_code ec;
    for (const auto& holder : fs::directory_iterator(sys / name / "holders", ec)) {
      holders.push_back(dev(holder.path().filename().string()));
    }
    if (!holders.empty()) {
      std::sort(holders.begin(), holders.end());
      return fmt::format("{} is held by {}", dev(name), join(holders, ", "));
    }
  }
  // A claim this namespace cannot explain: a mount elsewhere, a file system
  // being mounted, a device opened exclusively by a program.
  const int fd = ::open(path.c_str(), O_RDONLY | O_EXCL | O_NONBLOCK | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno == EBUSY) {
    return fmt::format("{} is busy: the kernel refuses to open it exclusively (it is mounted, "
                       "swapped or held elsewhere)",
                       dev(kernel_name));
  }
  return std::nullopt;
}

std::optional<std::string> loop_backing_in_use(std::uint64_t dev, std::uint64_t ino) {
  std::error_code ec;
  for (const auto& block : fs::directory_iterator("/sys/class/block", ec)) {
    const std::string name = block.path().filename().string();
    const std::string file = read_first_line(block.path() / "loop" / "backing_file");
    struct stat st {};
    if (file.empty() || ::stat(file.c_str(), &st) != 0 || st.st_dev != dev || st.st_ino != ino) {
      continue;
    }
    if (auto why = block_device_in_use(name, block_device_paths(name).path)) {
      return fmt::format("{}, and {}", block_device_paths(name).path, *why);
    }
  }
  return std::nullopt;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> swap_file_inodes() {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  for (const auto& swap : parse_swaps(read_file("/proc/swaps"))) {
    struct stat st {};
    if (::stat(swap.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      out.emplace_back(st.st_dev, st.st_ino);
    }
  }
  return out;
}

void rescan_scsi_hosts() {
  std::error_code ec;
  for (const auto& host : fs::directory_iterator("/sys/class/scsi_host", ec)) {
    std::ofstream scan(host.path() / "scan");
    scan << "- - -\n";
  }
}

} // namespace avio

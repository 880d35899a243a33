#include "avio/runstate.hpp"

#include "avio/host.hpp"
#include "avio/sysfs.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

namespace fs = std::filesystem;

namespace avio {

namespace {

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

std::optional<unsigned long long> process_start_time(pid_t pid) {
  // "pid (comm) S ppid ...": fields counted after the last ')', which a
  // comm may itself contain; the start time is field 22, the 20th there.
  const std::string stat = read_first_line(fs::path("/proc") / std::to_string(pid) / "stat");
  const auto end = stat.rfind(')');
  if (end == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(stat.substr(end + 1));
  std::string field;
  for (int i = 0; i < 20 && fields >> field; ++i) {
  }
  try {
    return std::stoull(field);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void record_qemu_start(const RunDir& run, pid_t pid) {
  if (const auto start = process_start_time(pid)) {
    write_file_atomically(run.start_file(), std::to_string(*start) + "\n");
  }
}

bool is_guest_qemu(const RunDir& run, pid_t pid) {
  const fs::path proc = fs::path("/proc") / std::to_string(pid);
  std::error_code ec;
  const auto exe = fs::read_symlink(proc / "exe", ec);
  if (pid <= 0 || ec || exe.filename().string().rfind("qemu-system", 0) != 0) {
    return false;
  }
  const std::string uuid = run.dir.filename().string();
  const std::string cmdline = read_whole(proc / "cmdline");
  if (cmdline.find(std::string("\0-uuid\0", 7) + uuid + '\0') == std::string::npos) {
    return false;
  }
  // A run from before start times were recorded has none: the command line
  // alone decides.
  const std::string recorded = read_first_line(run.start_file());
  return recorded.empty() || std::to_string(process_start_time(pid).value_or(0)) == recorded;
}

std::optional<pid_t> running_qemu(const RunDir& run) {
  const std::string text = read_first_line(run.pid_file());
  pid_t pid = 0;
  try {
    pid = static_cast<pid_t>(std::stol(text));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!is_guest_qemu(run, pid)) {
    return std::nullopt;
  }
  return pid;
}

bool running_inside_guest(const fs::path& dmi_dir) {
  return read_first_line(dmi_dir / "sys_vendor") == k_guest_smbios_manufacturer &&
         read_first_line(dmi_dir / "product_name") == k_guest_smbios_product;
}

std::string guest_host_name(const fs::path& dmi_entries) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dmi_entries, ec)) {
    if (entry.path().filename().string().rfind("11-", 0) != 0) {
      continue;
    }
    std::ifstream in(entry.path() / "raw", std::ios::binary);
    const std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // An SMBIOS structure: its formatted part (length in byte 1), then
    // NUL-terminated strings, then one more NUL.
    if (raw.size() < 2) {
      continue;
    }
    std::size_t at = static_cast<unsigned char>(raw[1]);
    const std::string prefix = k_guest_smbios_host_prefix;
    while (at < raw.size() && raw[at] != '\0') {
      const std::size_t end = raw.find('\0', at);
      const std::string text = raw.substr(at, end == std::string::npos ? end : end - at);
      if (text.rfind(prefix, 0) == 0) {
        return text.substr(prefix.size());
      }
      if (end == std::string::npos) {
        break;
      }
      at = end + 1;
    }
  }
  return {};
}

} // namespace avio

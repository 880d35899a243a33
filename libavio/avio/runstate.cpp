#include "avio/runstate.hpp"

#include "avio/sysfs.hpp"

#include <signal.h>

#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

namespace avio {

std::optional<pid_t> running_qemu(const RunDir& run) {
  const std::string text = read_first_line(run.pid_file());
  if (text.empty()) {
    return std::nullopt;
  }
  pid_t pid = 0;
  try {
    pid = static_cast<pid_t>(std::stol(text));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) {
    return std::nullopt;
  }
  // A recycled pid belongs to some other program: only a QEMU counts.
  std::error_code ec;
  const auto exe = fs::read_symlink(fs::path("/proc") / std::to_string(pid) / "exe", ec);
  if (ec || exe.filename().string().rfind("qemu-system", 0) != 0) {
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

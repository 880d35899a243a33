#include "avio/runstate.hpp"

#include "avio/sysfs.hpp"

#include <signal.h>

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

} // namespace avio

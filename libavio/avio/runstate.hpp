// Where a guest's runtime files live, and whether its QEMU process runs.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>

namespace avio {

// The files of one guest's run directory ($HPVM_ROOT/uuids/<uuid>).
struct RunDir {
  std::filesystem::path dir;
  std::filesystem::path pid_file() const { return dir / "qemu.pid"; }
  std::filesystem::path qmp_socket() const { return dir / "qmp.sock"; }
  std::filesystem::path console_socket() const { return dir / "console.sock"; }
  std::filesystem::path log_file() const { return dir / "qemu.log"; }
};

// The pid of the guest's live QEMU process, or nullopt when none runs (no pid
// file, a dead pid, or a pid that now belongs to another program).
std::optional<pid_t> running_qemu(const RunDir& run);

// SMBIOS strings a guest of this suite carries (type 1 manufacturer/product),
// and the check hpvminfo makes inside a guest.
inline constexpr const char* k_guest_smbios_manufacturer = "HPVM";
inline constexpr const char* k_guest_smbios_product = "HPVM Guest";
bool running_inside_guest(const std::filesystem::path& dmi_dir = "/sys/class/dmi/id");

} // namespace avio

#include "vmconfig/runtime.hpp"

namespace fs = std::filesystem;

namespace vmconfig {

avio::RunDir run_dir(const fs::path& root, const std::string& uuid) {
  return avio::RunDir{root / "uuids" / uuid};
}

fs::path guest_link(const fs::path& root, const std::string& name) {
  return root / "guests" / name;
}

RunState run_state(const fs::path& root, const std::string& uuid) {
  return RunState{avio::running_qemu(run_dir(root, uuid)).has_value()};
}

} // namespace vmconfig

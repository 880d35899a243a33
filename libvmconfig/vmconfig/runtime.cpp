#include "vmconfig/runtime.hpp"

#include <fstream>

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

fs::path running_index(const fs::path& root) { return root / "running"; }

void mark_running(const fs::path& root, const std::string& uuid) {
  fs::create_directories(running_index(root));
  std::ofstream(running_index(root) / uuid).flush();
}

void unmark_running(const fs::path& root, const std::string& uuid) {
  std::error_code ec;
  fs::remove(running_index(root) / uuid, ec);
}

std::set<std::string> running_uuids(const fs::path& root) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(running_index(root), ec)) {
    std::string uuid = entry.path().filename().string();
    if (run_state(root, uuid).on) {
      out.insert(std::move(uuid));
    }
  }
  return out;
}

} // namespace vmconfig

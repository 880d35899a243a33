#include "vmconfig/ops/runtime.hpp"

#include <avio/error.hpp>
#include <avio/host.hpp>
#include <avio/layout.hpp>

namespace fs = std::filesystem;

namespace vmconfig {

avio::RunDir run_dir(const fs::path& root, const std::string& uuid) {
  return avio::layout::run_dir(root, uuid);
}

fs::path guest_link(const fs::path& root, const std::string& name) {
  return avio::layout::guest_link(root, name);
}

std::string new_uuid() {
  return avio::new_uuid();
}

void link_guest(const fs::path& root, const std::string& name, const std::string& uuid) {
  avio::link_guest(root, name, uuid);
}

void unlink_guest(const fs::path& root, const std::string& name, const std::string& uuid) {
  avio::unlink_guest(root, name, uuid);
}

void make_run_dir(const fs::path& root, const Guest& g) {
  avio::make_run_dir(root, g.name, g.uuid);
}

void remove_run_dir(const fs::path& root, const Guest& g) {
  avio::remove_run_dir(root, g.name, g.uuid);
}

RunState run_state(const fs::path& root, const std::string& uuid) {
  return RunState{avio::running_qemu(run_dir(root, uuid)).has_value()};
}

fs::path running_index(const fs::path& root) {
  return avio::layout::running_index(root);
}

void mark_running(const fs::path& root, const std::string& uuid) {
  avio::mark_running(root, uuid);
}

void unmark_running(const fs::path& root, const std::string& uuid) {
  avio::unmark_running(root, uuid);
}

std::set<std::string> running_uuids(const fs::path& root) {
  std::set<std::string> out;
  for (auto& uuid : avio::running_entries(root)) {
    if (run_state(root, uuid).on) {
      out.insert(std::move(uuid));
    }
  }
  return out;
}

} // namespace vmconfig

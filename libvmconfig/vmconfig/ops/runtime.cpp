#include "vmconfig/ops/runtime.hpp"

#include <avio/error.hpp>
#include <avio/host.hpp>
#include <avio/layout.hpp>

#include <sys/stat.h>

#include <fstream>

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
  const fs::path link = guest_link(root, name);
  fs::create_directories(link.parent_path());
  std::error_code ec;
  fs::remove(link, ec);
  fs::create_directory_symlink(avio::layout::guest_link_target(uuid), link);
}

void unlink_guest(const fs::path& root, const std::string& name) {
  std::error_code ec;
  fs::remove(guest_link(root, name), ec);
}

void make_run_dir(const fs::path& root, const Guest& g) {
  const fs::path dir = run_dir(root, g.uuid).dir;
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0700);
  link_guest(root, g.name, g.uuid);
}

void remove_run_dir(const fs::path& root, const Guest& g) {
  unlink_guest(root, g.name);
  std::error_code ec;
  fs::remove_all(run_dir(root, g.uuid).dir, ec);
  unmark_running(root, g.uuid);
}

RunState run_state(const fs::path& root, const std::string& uuid) {
  return RunState{avio::running_qemu(run_dir(root, uuid)).has_value()};
}

fs::path running_index(const fs::path& root) {
  return avio::layout::running_index(root);
}

void mark_running(const fs::path& root, const std::string& uuid) {
  fs::create_directories(running_index(root));
  std::ofstream(avio::layout::running_entry(root, uuid)).flush();
}

void unmark_running(const fs::path& root, const std::string& uuid) {
  std::error_code ec;
  fs::remove(avio::layout::running_entry(root, uuid), ec);
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

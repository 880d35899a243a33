// Where libvmconfig finds a guest's runtime files and live state.
#pragma once

#include "vmconfig/guest.hpp"

#include <avio/runstate.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace vmconfig {

// $HPVM_ROOT/uuids/<uuid>; $HPVM_ROOT/guests/<name> is a symlink to it, as on HPVM.
avio::RunDir run_dir(const std::filesystem::path& root, const std::string& uuid);
std::filesystem::path guest_link(const std::filesystem::path& root, const std::string& name);

// "On" or "Off" as -M and -X print it; the tables use the same words.
struct RunState {
  bool on = false;
  const char* token() const { return on ? "On" : "Off"; }
};
RunState run_state(const std::filesystem::path& root, const std::string& uuid);

// A running guest as QEMU reports it (lifecycle.hpp's live_state()).
struct LiveState {
  std::string qemu_status;              // query-status: running, paused, ...
  std::vector<std::string> differences; // configuration vs running guest, one line each
  std::vector<std::string> pending;     // PCI removals the guest has not completed
  std::string problem;                  // why QEMU could not be asked, if it could not
};

} // namespace vmconfig

// hpvminfo's question: is this system an HPVM host, a guest, or neither?
#pragma once

#include <filesystem>
#include <string>

namespace vmconfig {

struct SystemRole {
  bool inside_guest = false;    // the SMBIOS identity the runtime gives guests
  std::string vm_host;          // inside a guest: its VM Host's name ("" if unknown)
  bool configured_host = false; // a configuration database under `root`
  std::filesystem::path root;   // $HPVM_ROOT
  std::string host_name;        // this system's own name
};

SystemRole system_role();

} // namespace vmconfig

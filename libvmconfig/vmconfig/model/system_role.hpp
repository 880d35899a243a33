// What hpvminfo reports: whether this system is an HPVM host, a guest or
// neither, and (-S) what a host has and runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace vmconfig {

struct SystemRole {
  bool inside_guest = false;    // the SMBIOS identity the runtime gives guests
  std::string vm_host;          // inside a guest: its VM Host's name ("" if unknown)
  bool configured_host = false; // a configuration database under `root`
  std::filesystem::path root;   // $HPVM_ROOT
  std::string host_name;        // this system's own name
  // hpvminfo -S on a host: what it has and runs (the database; libavio reads the rest).
  int guests = 0;
  int running = 0;
  unsigned cpus = 0;
  std::uint64_t available_memory_mb = 0;
};

} // namespace vmconfig

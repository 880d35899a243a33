// Import of a guest from what an HP-UX HPVM host prints: `hpvmstatus -P g -d`
// (the devices), `hpvmstatus -P g` and/or `hpvmstatus -M -P g` (the
// characteristics), and a map file from HP-UX device paths to this host's
// (read by hpvm_import_text.*).
// Everything is checked, and every problem listed, before anything is
// written; the guest is then made by create_guest with the same addresses
// and MACs, on AVIO when asked.
#pragma once

#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/hpvm_import_text.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

struct ImportSources {
  std::string devices;                // hpvmstatus -P g -d output
  std::optional<std::string> details; // hpvmstatus -P g output
  std::optional<std::string> machine; // hpvmstatus -M -P g output (one line)
  std::optional<std::string> map;     // "old-path new-path" lines
};

struct ImportRequest {
  ImportSources sources;
  std::optional<std::string> name;  // -P: the new guest's name
  CharacteristicsRequest overrides; // options given on the command line win
  bool to_avio = false;             // -A
  bool check_only = false;          // -s
  bool force = false;               // -F
};

struct ImportResult {
  std::string name;
  std::vector<std::string> statements; // as given to create_guest
  Report report;
};

// Throws hpvm::Refused listing every problem (unreadable text, unmapped or
// invalid paths, AVIO blockers, and everything create_guest refuses).
ImportResult import_guest(Store& store, const ImportRequest& request);

} // namespace vmconfig

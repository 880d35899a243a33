// Import of a guest from what an HP-UX HPVM host prints: `hpvmstatus -P g -d`
// (the devices), `hpvmstatus -P g` and/or `hpvmstatus -M -P g` (the
// characteristics), and a map file from HP-UX device paths to this host's.
// Everything is checked, and every problem listed, before anything is
// written; the guest is then made by create_guest with the same addresses
// and MACs, on AVIO when asked.
#pragma once

#include "vmconfig/ops/guests.hpp"

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

// What the HPVM text says about the guest, as the option values hpvmcreate
// would take (-e "10.0:100.0", -r "4096M", -u "root:admin"). Unset fields
// were not in it.
struct ImportedCharacteristics {
  std::optional<std::string> name;
  CharacteristicsRequest characteristics;
};

// Reads `hpvmstatus -P` text (the HPVM table layout). Problems go to `errors`.
ImportedCharacteristics read_status_details(const std::string& text,
                                            std::vector<std::string>& errors);
// Reads one `hpvmstatus -M` line: fields 0 (name), 11 (start type), 19
// (vCPUs) and 20 (memory), the positions HPVM documents.
ImportedCharacteristics read_status_machine(const std::string& text,
                                            std::vector<std::string>& errors);
// "old new" per line; '#' starts a comment. Problems go to `errors`.
std::map<std::string, std::string> read_path_map(const std::string& text,
                                                 std::vector<std::string>& errors);

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

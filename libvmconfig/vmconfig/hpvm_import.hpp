// Import of a guest from what an HP-UX HPVM host prints: `hpvmstatus -P g -d`
// (the devices), `hpvmstatus -P g` and/or `hpvmstatus -M -P g` (the
// characteristics), and a map file from HP-UX device paths to this host's.
// Everything is checked, and every problem listed, before anything is
// written; the guest is then made by create_guest with the same addresses
// and MACs, on AVIO when asked.
#pragma once

#include "vmconfig/operations.hpp"

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

// What the HPVM text says about the guest. Unset fields were not in it.
struct ImportedCharacteristics {
  std::optional<std::string> name;
  std::optional<std::string> os_type;
  std::optional<std::string> vcpus;
  std::optional<std::string> entitlement; // -e form ("10.0:100.0")
  std::optional<std::string> cycles;      // -E form ("1500")
  std::optional<std::string> memory;      // -r form ("4096M")
  std::optional<std::string> start;       // auto / manual
  std::vector<std::string> users;         // -u form
  std::vector<std::string> groups;        // -g form
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

// The text hpvmimport reads, without the host: what an HP-UX HPVM host
// prints (`hpvmstatus -P g`, `hpvmstatus -M -P g`, the statement lines of
// `hpvmstatus -P g -d`) and the map file from its device paths to this
// host's. Problems are listed, never thrown (tests/fuzz/fuzz_import.cpp
// holds it to that).
#pragma once

#include "vmconfig/model/characteristics.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

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

// A statement line of `hpvmstatus -d` text, trimmed, with its line number;
// section headings, comments, blank lines and the console (serial:) are left out.
struct DeviceLine {
  int number = 0;
  std::string text;
};
std::vector<DeviceLine> device_lines(const std::string& text);

// A storage statement whose location (what follows its fourth ':') the map
// names, with that location replaced.
struct MappedLine {
  std::string old_path;
  std::string new_path;
  std::string text;
};
std::optional<MappedLine> map_line(const std::string& line,
                                   const std::map<std::string, std::string>& map);

} // namespace vmconfig

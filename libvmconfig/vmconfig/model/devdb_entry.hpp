// A device-database entry (hpvmdevmgmt): which host devices guests use
// (gdev), which they must never get (rdev), and the server/env entries; the
// hpvmdevmgmt -l line format and the parsers of hpvmdevmgmt's arguments.
// Pure: the SQL is in store/store_devdb.*, keeping entries in step with
// guests in devdb/dependents.*.
#pragma once

#include <avio/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmconfig {

enum class EntryType : std::uint8_t { gdev, rdev, server, env };

std::string_view to_string(EntryType t);
std::optional<EntryType> entry_type_from(std::string_view s);

struct Attribute {
  std::string name;
  std::string value;
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

struct DevEntry {
  std::int64_t id = 0; // database row id; 0 before it is stored
  EntryType type = EntryType::gdev;
  std::string name;
  std::vector<std::string> aliases;
  std::vector<Attribute> attributes; // in the order they were set
  std::vector<std::string> dependents;
  std::string unique_id; // WWID, shown as the last -l field
  std::string identity;  // the host entity key (avio::HostEntity::identity), not shown

  const std::string* attribute(std::string_view name) const;
  bool attribute_is(std::string_view name, std::string_view value) const;
  bool named(std::string_view name_or_alias) const;
};

// One `hpvmdevmgmt -l` line, HPVM's format:
//   name[,alias...]:CONFIG=type,EXIST=YES|NO[,ATTR=VAL...]:dependent[,...]:unique-id
std::string format_entry(const DevEntry& entry, bool exists);
// Reads a line format_entry wrote (CONFIG and EXIST are computed, so dropped).
DevEntry parse_entry_line(std::string_view line);

// ------------------------------------------------ command-line arguments
// Each parser throws hpvm::UsageError naming what is wrong.

// -l {all|gdev|rdev|server|env}[:entry | :depend:guest | :ATTR=value]
struct ListSpec {
  std::optional<EntryType> type; // nullopt: all
  std::optional<std::string> entry;
  std::optional<std::string> dependent;
  std::optional<Attribute> attribute;
};
ListSpec parse_list_spec(std::string_view text);

// -a type:name[,alias...][:attr:NAME=VALUE]
// -d type:name | type:name:attr:NAME | gdev:{name|all}:depend:guest | gdev_alias:alias
// -m type:name:attr:NAME=VALUE
struct EntrySpec {
  EntryType type = EntryType::gdev;
  std::string name;                 // "all" with -d gdev:all:depend:guest
  std::vector<std::string> aliases; // -a only
  std::optional<Attribute> attribute;
  std::optional<std::string> dependent;
  bool alias_only = false; // -d gdev_alias:alias
};
EntrySpec parse_add_spec(std::string_view text);
EntrySpec parse_delete_spec(std::string_view text);
EntrySpec parse_modify_spec(std::string_view text);

// -n {gdev|rdev}:old:new0[,new1...]
struct ReplaceSpec {
  EntryType type = EntryType::gdev;
  std::string old_name;
  std::vector<std::string> new_names;
};
ReplaceSpec parse_replace_spec(std::string_view text);

// -S sizes: a number with K, M, G or T (a plain number is megabytes, as
// memory sizes are). Returns bytes.
std::uint64_t parse_file_size(std::string_view text);
// Why -S may not make `path` (relative, a control character, longer than
// the host takes), or nullopt.
std::optional<std::string> size_file_problem(std::string_view path);

// An attribute a user may set, with its value made canonical (upper case);
// throws hpvm::Error when the name is unknown, the value invalid, or the
// attribute is one only the suite sets (CONFIG, EXIST, AUTORDEV).
Attribute checked_user_attribute(EntryType type, const Attribute& attribute);
// The gdev DEVTYPE attribute for a storage type.
std::string devtype_of(avio::StorageType storage);

} // namespace vmconfig

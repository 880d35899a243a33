// The HPVM resource-statement grammar (hpvmresources(5)): parsing with errors
// that name the wrong field, and the one canonical printed form, which
// parse() accepts back unchanged.
#pragma once

#include "vmconfig/model/resource.hpp"

#include <avio/error.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace vmconfig {

// A statement that does not follow the grammar. what() is the whole message:
// "Invalid resource statement '<text>': <field> <reason>".
class StatementError : public hpvm::Error {
public:
  StatementError(std::string_view statement, std::string field, const std::string& reason);
  const std::string& field() const { return m_field; }

private:
  std::string m_field;
};

ResourceStatement parse_resource(std::string_view text);

// Canonical forms, as hpvmstatus -d prints them.
std::string format(const StorageDevice& device);
std::string format(const NetworkDevice& device);
std::string format(const HbaStatement& hba);
// A statement as typed, with the parts it left out left empty
// ("disk:avio_stor::file:/x"); parse_resource() gives it back.
std::string format(const StorageStatement& statement);
std::string format(const NetworkStatement& statement);
std::string format(const ResourceStatement& statement);

// Keyword spellings (canonical output names; parsing also takes the aliases).
std::string_view to_string(DeviceType t);
std::string_view to_string(StorageAdapter a);
std::string_view to_string(StorageType t);
std::string_view to_string(NetAdapter a);
std::optional<DeviceType> device_type_from(std::string_view s);
std::optional<StorageAdapter> storage_adapter_from(std::string_view s);
std::optional<StorageType> storage_type_from(std::string_view s);
std::optional<NetAdapter> net_adapter_from(std::string_view s);

// Whether a device type may be backed by a storage type (hpvmresources(5)).
bool storage_allowed(DeviceType device, StorageType storage);

} // namespace vmconfig

// hpvmstatus: what it prints for a guest, or for all of them.
#pragma once

#include "vmconfig/store/store.hpp"

#include <optional>
#include <string>

namespace vmconfig {

// devices (-d): the running guest's DVD media as they are now; original
// (-D): the statements as configured, which hpvmmodify takes.
enum class StatusFormat : unsigned char {
  summary,
  details,
  verbose,
  devices,
  original,
  machine,
  xml,
  json
};

struct StatusRequest {
  std::optional<std::string> name; // -P
  std::optional<int> number;       // -p
  StatusFormat format = StatusFormat::summary;
};

// The text hpvmstatus prints for `request`.
std::string status_report(Store& store, const StatusRequest& request);

} // namespace vmconfig

// hpvmstatus: what it prints for a guest, or for all of them.
#pragma once

#include "vmconfig/store/store.hpp"

#include <optional>
#include <string>

namespace vmconfig {

enum class StatusFormat : unsigned char { summary, details, verbose, devices, machine, xml, json };

struct StatusRequest {
  std::optional<std::string> name; // -P
  std::optional<int> number;       // -p
  StatusFormat format = StatusFormat::summary;
};

// The text hpvmstatus prints for `request`.
std::string status_report(Store& store, const StatusRequest& request);

} // namespace vmconfig

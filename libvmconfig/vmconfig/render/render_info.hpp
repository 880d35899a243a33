// hpvminfo's output: pure functions of what ops/system_role found.
#pragma once

#include "vmconfig/model/system_role.hpp"

#include <string>
#include <string_view>

namespace vmconfig {

enum class InfoDetail : unsigned char { brief, verbose, summary }; // none, -V, -S

// The role line (HPVM's text) and, with -V or -S, "Key: value" lines. Only
// for a host or a guest: the caller reports neither as an error.
std::string render_info(const SystemRole& role, InfoDetail detail, std::string_view version);
// -J: the -S facts as one JSON object.
std::string render_info_json(const SystemRole& role, std::string_view version);

} // namespace vmconfig

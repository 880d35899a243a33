// Presentation of AVIO conversion plans (hpvmconvert): for people, one
// tab-separated line per device (-M; statements hold ':'), and JSON (-J).
#pragma once

#include "vmconfig/avio_conversion.hpp"

#include <string>
#include <vector>

namespace vmconfig {

std::string render_conversion_text(const std::vector<GuestConversionPlan>& plans);
// guest <TAB> state <TAB> before <TAB> after <TAB> kept <TAB> reason; state is
// convert or blocked, after and reason are empty when they do not apply.
std::string render_conversion_machine(const std::vector<GuestConversionPlan>& plans);
std::string render_conversion_json(const std::vector<GuestConversionPlan>& plans);

} // namespace vmconfig

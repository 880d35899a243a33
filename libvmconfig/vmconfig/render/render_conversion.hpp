// Presentation of AVIO conversion plans (hpvmconvert): for people, one
// tab-separated line per device (-M; statements hold ':'), and JSON (-J).
#pragma once

#include "vmconfig/model/avio_conversion.hpp"

#include <string>
#include <vector>

namespace vmconfig {

std::string render_conversion_text(const std::vector<GuestConversionPlan>& plans);
// guest <TAB> state <TAB> before <TAB> after <TAB> kept <TAB> guest sees <TAB>
// reason <TAB> pending; state is convert or blocked; kept is ';'-separated
// key=value fields (bus, slot, target; or bus, slot, mac, vswitch, port,
// vlan, empty when unset); pending is "pending" for a convertible device of
// a running guest (the switch waits for its next start); fields that do not
// apply are empty.
std::string render_conversion_machine(const std::vector<GuestConversionPlan>& plans);
std::string render_conversion_json(const std::vector<GuestConversionPlan>& plans);

} // namespace vmconfig

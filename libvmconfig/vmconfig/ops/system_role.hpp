// hpvminfo's question: is this system an HPVM host, a guest, or neither?
#pragma once

#include "vmconfig/model/system_role.hpp"

namespace vmconfig {

// `summary` (hpvminfo -S, -J) also counts guests and reads the host's CPUs
// and memory; the database is only read, and not created.
SystemRole system_role(bool summary = false);

} // namespace vmconfig

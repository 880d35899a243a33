#include "vmconfig/ops/system_role.hpp"

#include "vmconfig/ops/runtime.hpp"
#include "vmconfig/store/store.hpp"

#include <avio/host.hpp>
#include <avio/runstate.hpp>

namespace vmconfig {

SystemRole system_role(bool summary) {
  SystemRole role;
  role.inside_guest = avio::running_inside_guest();
  if (role.inside_guest) {
    role.vm_host = avio::guest_host_name();
  }
  const auto location = Store::location();
  role.configured_host = location.exists;
  role.root = location.root;
  role.host_name = avio::host_name();
  if (summary && role.configured_host && !role.inside_guest) {
    Store store(role.root, Store::Access::if_exists);
    const auto running = running_uuids(role.root);
    for (const auto& g : store.summaries()) {
      ++role.guests;
      role.running += running.contains(g.uuid) ? 1 : 0;
    }
    role.cpus = avio::host_cpu_count();
    role.available_memory_mb = avio::host_available_memory_mb();
  }
  return role;
}

} // namespace vmconfig

#include "vmconfig/ops/system_role.hpp"

#include "vmconfig/store/store.hpp"

#include <avio/host.hpp>
#include <avio/runstate.hpp>

namespace vmconfig {

SystemRole system_role() {
  SystemRole role;
  role.inside_guest = avio::running_inside_guest();
  if (role.inside_guest) {
    role.vm_host = avio::guest_host_name();
  }
  const auto location = Store::location();
  role.configured_host = location.exists;
  role.root = location.root;
  role.host_name = avio::host_name();
  return role;
}

} // namespace vmconfig

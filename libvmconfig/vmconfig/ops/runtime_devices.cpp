#include "vmconfig/ops/runtime_devices.hpp"

#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/ops/runtime.hpp"

#include <avio/guest_process.hpp>
#include <avio/host.hpp>
#include <avio/qmp.hpp>
#include <avio/vswitch.hpp>

namespace fs = std::filesystem;

namespace vmconfig {

avio::GuestDisk runtime_disk(const StorageDevice& d) {
  avio::GuestDisk disk{d.device, d.adapter, d.address, d.storage, d.location};
  if (d.storage == StorageType::null) {
    disk.location.clear();
  }
  return disk;
}

avio::GuestNic runtime_nic(const Guest& guest, const NetworkDevice& n) {
  return {n.adapter, n.address, n.mac,
          avio::tap_name(guest.vm_number, n.address.bus, n.address.slot)};
}

avio::MachineSpec machine_spec(const Guest& g) {
  avio::MachineSpec spec{g.name, g.uuid, g.vcpus, g.memory_mb, avio::host_name(), {}, {}};
  for (const auto& d : g.storage) {
    spec.storage.push_back(runtime_disk(d));
  }
  for (const auto& n : g.networks) {
    spec.networks.push_back(runtime_nic(g, n));
  }
  spec.balloon = dynamic_memory(g).has_value();
  return spec;
}

avio::BatchResult
change_running_guest(const fs::path& root, const Guest& guest,
                     const std::vector<avio::HotChange>& changes,
                     std::chrono::milliseconds removal_timeout,
                     const std::function<void(const avio::BatchResult&)>& commit) {
  const avio::RunDir run = run_dir(root, guest.uuid);
  avio::RuntimeLock lock(run, avio::k_runtime_lock_wait, guest.name);
  avio::QmpClient qmp(run.qmp_socket());
  avio::BatchOptions options;
  options.removal_timeout = removal_timeout;
  options.pending_file = run.pending_removals_file();
  return avio::apply_batch(qmp, changes, options, commit);
}

} // namespace vmconfig

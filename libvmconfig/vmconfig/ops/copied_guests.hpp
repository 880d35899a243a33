// Guests whose directory was copied here from another host. OpenSVC's
// failover copies guests/<name> and the uuids/<uuid> directory it points to,
// with the configuration file every commit keeps there (vmm_config.current,
// model/guest_config.hpp), then runs hpvmstart -P <name>. The first use of
// the name here (hpvmstart -P, hpvmstatus -P) registers such a guest, or
// updates this host's configuration of the same UUID from a newer copy,
// with every check hpvmcreate makes (storage present and not restricted
// here, MACs and pinned vswitch ports free). The database stays the truth:
// a copy older than it is written over with this host's configuration.
#pragma once

#include "vmconfig/model/report.hpp"
#include "vmconfig/store/store.hpp"

#include <string>

namespace vmconfig {

// Whether guests/<name>, under the HPVM root the commands use, leads to a
// configuration file, or to a directory that is gone (a link
// register_copied_guest sets right): hpvmstatus then opens the database for
// writing (making it on a host that has none).
bool copied_config_present(const std::string& name);

// Registers or updates the guest from the file guests/<name> leads to, in
// one write transaction, when the database does not hold it already. Returns
// what was done as warnings (nothing when there was nothing to do). Throws
// hpvm::Refused listing every problem (an unreadable file, the name taken by
// another UUID, both hosts changed it, a running guest, every check of its
// devices); nothing is changed then.
// hpvmstart's use also takes back a guest this host migrated away when the
// configuration of the host it went to was copied over its own.
enum class CopyUse : unsigned char { look, start };
Report register_copied_guest(Store& store, const std::string& name, CopyUse use);

} // namespace vmconfig

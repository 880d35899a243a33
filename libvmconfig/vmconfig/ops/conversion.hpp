// hpvmconvert's operations: plan, apply and undo the conversion of whole
// guests to AVIO. Applying is hpvmmodify's checked modification (-m hba for
// each scsi adapter, -m network for each lan vNIC) plus an undo record,
// written in one transaction per guest.
#pragma once

#include "vmconfig/model/avio_conversion.hpp"
#include "vmconfig/ops/guests.hpp"

#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

// One guest (name) or every guest (nullopt), in VM-number order.
std::vector<GuestConversionPlan> conversion_plans(Store& store,
                                                  const std::optional<std::string>& name);

// Converts one guest: all or nothing. Throws hpvm::Refused naming each
// blocking device, or what hpvmmodify refuses.
Report convert_guest(Store& store, const std::string& name);

// Restores the devices a conversion replaced, exactly; the undo record is
// used up. Throws hpvm::Error when the guest has none, hpvm::Refused naming
// each device added, removed or changed since the conversion (the undo would
// not give the old configuration back) or for a record without a snapshot.
Report undo_conversion(Store& store, const std::string& name);

} // namespace vmconfig

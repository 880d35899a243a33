// The device-database questions a guest start asks (SQL in store_runtime.cpp).
#pragma once

#include "vmconfig/store/store.hpp"

#include <string>
#include <vector>

namespace vmconfig {

struct GuestRef {
  std::string name;
  std::string uuid;
};

// Other guests configured with the host storage entity `identity`.
std::vector<GuestRef> guests_using_storage(Store& store, const std::string& identity,
                                           std::int64_t except_guest_id);
// Whether the gdev entry of the host storage entity `identity` says SHARE=YES
// (the one place: hpvmstart and hpvmclone ask the same question).
bool storage_shared(Store& store, const std::string& identity);
// Whether `path` (or the entity `identity`) is a restricted (rdev) device.
bool storage_restricted(Store& store, const std::string& path, const std::string& identity);

} // namespace vmconfig

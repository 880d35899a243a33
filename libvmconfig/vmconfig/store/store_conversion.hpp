// The undo records of AVIO conversions: the hpvmmodify -m statements that
// put a converted guest back as it was, and the guest's devices (as
// statements) before and after the conversion. Deleted with the guest.
#pragma once

#include "vmconfig/store/store.hpp"

#include <string>
#include <vector>

namespace vmconfig {

struct ConversionRecord {
  std::vector<std::string> undo;   // empty: the guest has no conversion to undo
  std::vector<std::string> before; // the devices the conversion replaced
  std::vector<std::string> after;  // the devices it left; both empty in version 4 records
};

class ConversionStore {
public:
  explicit ConversionStore(Store& store) : m_store(store) {}
  // Replaces the guest's record.
  void save(std::int64_t guest_id, const ConversionRecord& record);
  ConversionRecord record(std::int64_t guest_id);
  void drop(std::int64_t guest_id);

private:
  Store& m_store;
};

} // namespace vmconfig

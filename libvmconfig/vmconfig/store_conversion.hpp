// The undo records of AVIO conversions: the hpvmmodify -m statements that
// put a converted guest back as it was. Deleted with the guest.
#pragma once

#include "vmconfig/store.hpp"

#include <string>
#include <vector>

namespace vmconfig {

class ConversionStore {
public:
  explicit ConversionStore(Store& store) : m_store(store) {}
  // Replaces the guest's undo record.
  void save_undo(std::int64_t guest_id, const std::vector<std::string>& statements);
  std::vector<std::string> undo(std::int64_t guest_id);
  void drop_undo(std::int64_t guest_id);

private:
  Store& m_store;
};

} // namespace vmconfig

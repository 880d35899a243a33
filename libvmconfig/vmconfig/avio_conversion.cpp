#include "vmconfig/avio_conversion.hpp"

#include "vmconfig/grammar.hpp"

#include <fmt/format.h>

namespace vmconfig {

AvioConversion convert_to_avio(const ResourceStatement& statement) {
  AvioConversion out{statement, std::nullopt};
  if (const auto* st = std::get_if<StorageStatement>(&statement)) {
    if (st->adapter == StorageAdapter::avio_stor) {
      return out;
    }
    if (st->storage == StorageType::attach) {
      out.blocker = fmt::format(
          "The attached {} '{}' cannot move to avio_stor as it is: remove it, and give it again "
          "as {}:avio_stor:...:attach_path:{} after the conversion.",
          to_string(st->device), format(*st), to_string(st->device), st->location);
      return out;
    }
    StorageStatement converted = *st;
    converted.adapter = StorageAdapter::avio_stor;
    out.converted = converted;
  } else if (const auto* nw = std::get_if<NetworkStatement>(&statement)) {
    NetworkStatement converted = *nw;
    converted.adapter = NetAdapter::avio_lan;
    out.converted = converted;
  }
  return out;
}

} // namespace vmconfig

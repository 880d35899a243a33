#include <vmconfig/grammar.hpp>

#include <doctest/doctest.h>

using namespace vmconfig;

TEST_CASE("canonical storage statements round-trip") {
  const char* text = "disk:avio_stor:0,1,3:file:/vm/g1.img";
  auto st = std::get<StorageStatement>(parse_resource(text));
  StorageDevice d{st.device, st.adapter, {*st.address.bus, *st.address.slot, *st.address.target},
                  st.storage, st.location};
  CHECK(format(d) == text);
}

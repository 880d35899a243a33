// A guest's vmm_config.current as another host may have copied it here
// (model/guest_config): the reader lists problems and throws nothing; a file
// it reads without a problem is written back (guest_config_file) to a text
// it reads to the same body, change, name and devices; every device line
// goes to the grammar, which may refuse it only with its own error.
#include "fuzz.hpp"

#include <vmconfig/model/grammar.hpp>
#include <vmconfig/model/guest_config.hpp>

using namespace vmconfig;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzz::text_of(data, size));
  std::vector<std::string> errors;
  const GuestConfig c = read_guest_config(text, errors);
  for (const auto& d : c.devices) {
    try {
      (void)format(parse_resource(d));
    } catch (const StatementError&) {
    }
  }
  if (!errors.empty()) {
    return 0;
  }
  if (!is_uuid(c.uuid)) {
    fuzz::broken("a file read without problems has a UUID", c.uuid);
  }
  const std::string again = guest_config_file(c.body, c.change);
  std::vector<std::string> errors2;
  const GuestConfig d = read_guest_config(again, errors2);
  if (!errors2.empty() || d.body != c.body || d.change != c.change || d.name != c.name ||
      d.devices != c.devices) {
    fuzz::broken("the file written from a read file reads back the same", c.body, d.body);
  }
  return 0;
}

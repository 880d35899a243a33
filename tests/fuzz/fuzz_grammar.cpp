// Resource statements (hpvmresources(5), model/grammar): any text parses or
// is refused with a StatementError; a statement that parses prints in its
// canonical form, which parses back to the same form; its AVIO conversion
// (hpvmconvert, hpvmimport -A) prints a statement that parses too.
#include "fuzz.hpp"

#include <vmconfig/model/avio_conversion.hpp>
#include <vmconfig/model/grammar.hpp>

using namespace vmconfig;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::text_of(data, size);
  ResourceStatement statement;
  try {
    statement = parse_resource(text);
  } catch (const StatementError&) {
    return 0;
  }
  const std::string printed = format(statement);
  std::string again;
  try {
    again = format(parse_resource(printed));
  } catch (const StatementError& e) {
    fuzz::broken("the canonical form parses", printed, e.what());
  }
  if (again != printed) {
    fuzz::broken("the canonical form prints itself", printed, again);
  }
  const auto converted = convert_to_avio(statement);
  if (!converted.blocker) {
    const std::string avio = format(converted.converted);
    try {
      parse_resource(avio);
    } catch (const StatementError& e) {
      fuzz::broken("the AVIO conversion parses", avio, e.what());
    }
  }
  return 0;
}

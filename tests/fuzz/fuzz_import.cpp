// hpvmimport's readers (ops/hpvm_import_text): `hpvmstatus -P` text, the
// `hpvmstatus -M` line, the map file, and the statement lines of
// `hpvmstatus -d` text mapped through a map and converted to AVIO as
// hpvmimport -A does. They list problems and throw nothing; the first byte
// picks the reader (for -d, the map comes before a NUL byte, then the text).
#include "fuzz.hpp"

#include <vmconfig/model/avio_conversion.hpp>
#include <vmconfig/model/grammar.hpp>
#include <vmconfig/ops/hpvm_import_text.hpp>

using namespace vmconfig;

namespace {

void devices(std::string_view text) {
  const auto parts = fuzz::parts_of(text);
  std::vector<std::string> errors;
  const auto map = read_path_map(parts.front(), errors);
  for (const auto& line : device_lines(parts.back())) {
    const auto mapped = map_line(line.text, map);
    try {
      const auto statement = parse_resource(mapped ? mapped->text : line.text);
      const auto converted = convert_to_avio(statement);
      (void)format(converted.blocker ? statement : converted.converted);
    } catch (const StatementError&) {
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto view = fuzz::text_of(data, size);
  const unsigned selector = fuzz::take_selector(view);
  const std::string text(view);
  std::vector<std::string> errors;
  switch (selector % 4) {
  case 0:
    (void)read_status_details(text, errors);
    break;
  case 1:
    (void)read_status_machine(text, errors);
    break;
  case 2:
    (void)read_path_map(text, errors);
    break;
  default:
    devices(view);
    break;
  }
  return 0;
}

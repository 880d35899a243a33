// The device database's text (model/devdb_entry): `hpvmdevmgmt -l` lines as
// parse_entry_line reads them back, and the arguments of -l, -a, -d, -m, -n
// and -S, refused with hpvm::Error (UsageError) or parsed. A line that
// parses prints (format_entry) as a line that parses to the same entry.
#include "fuzz.hpp"

#include <vmconfig/model/devdb_entry.hpp>

using namespace vmconfig;

namespace {

void entry_line(std::string_view text) {
  DevEntry entry;
  try {
    entry = parse_entry_line(text);
  } catch (const hpvm::Error&) {
    return;
  }
  const std::string printed = format_entry(entry, true);
  DevEntry again;
  try {
    again = parse_entry_line(printed);
  } catch (const hpvm::Error& e) {
    fuzz::broken("a printed entry parses", printed, e.what());
  }
  if (format_entry(again, true) != printed) {
    fuzz::broken("a printed entry prints itself", printed, format_entry(again, true));
  }
}

void argument(std::string_view text, unsigned kind) {
  try {
    switch (kind) {
    case 0:
      (void)parse_list_spec(text);
      break;
    case 1: {
      const auto spec = parse_add_spec(text);
      if (spec.attribute) {
        (void)checked_user_attribute(spec.type, *spec.attribute);
      }
      break;
    }
    case 2:
      (void)parse_delete_spec(text);
      break;
    case 3: {
      const auto spec = parse_modify_spec(text);
      if (spec.attribute) {
        (void)checked_user_attribute(spec.type, *spec.attribute);
      }
      break;
    }
    case 4:
      (void)parse_replace_spec(text);
      break;
    default:
      (void)parse_file_size(text);
      break;
    }
  } catch (const hpvm::Error&) {
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = fuzz::text_of(data, size);
  const unsigned selector = fuzz::take_selector(text) % 7;
  if (selector == 6) {
    entry_line(text);
  } else {
    argument(text, selector);
  }
  return 0;
}

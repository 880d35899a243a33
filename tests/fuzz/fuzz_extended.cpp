// The characteristic options of hpvmcreate, hpvmmodify and hpvmclone
// (model/characteristics): -x keyword=value above all, and -O -c -e -E -r
// -l -B -u -g. Each input line is one option: its letter, then its value.
// Whatever the values, every problem is listed in `errors` and nothing throws.
#include "fuzz.hpp"

#include <vmconfig/model/characteristics.hpp>

using namespace vmconfig;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = fuzz::text_of(data, size);
  const bool force = (fuzz::take_selector(text) & 1U) != 0;
  CharacteristicsRequest request;
  while (!text.empty()) {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty()) {
      continue;
    }
    std::string value(line.substr(1));
    switch (line.front()) {
    case 'O':
      request.os_type = value;
      break;
    case 'c':
      request.vcpus = value;
      break;
    case 'e':
      request.entitlement = value;
      break;
    case 'E':
      request.cycles = value;
      break;
    case 'r':
      request.memory = value;
      break;
    case 'l':
      request.label = value;
      break;
    case 'B':
      request.start = value;
      break;
    case 'u':
      request.users.push_back(value);
      break;
    case 'g':
      request.groups.push_back(value);
      break;
    default:
      request.extended.push_back(std::string(line));
      break;
    }
  }
  Guest guest;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  apply_characteristics(request, force, guest, errors, warnings);
  return 0;
}

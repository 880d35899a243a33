// The small values of the command lines: MAC addresses (avio/mac), PCI
// addresses (bus,device[,target] in a resource statement), sizes
// (hpvmdevmgmt -S, -r/-x memory through the characteristics) and names
// (guests, vswitches, labels). The first byte picks the parser.
#include "fuzz.hpp"

#include <avio/mac.hpp>
#include <vmconfig/model/characteristics.hpp>
#include <vmconfig/model/devdb_entry.hpp>
#include <vmconfig/model/grammar.hpp>
#include <vmconfig/model/names.hpp>

using namespace vmconfig;

namespace {

void mac(std::string_view text) {
  const auto address = avio::MacAddress::parse(text);
  if (!address) {
    return;
  }
  for (const auto& form : {address->canonical(), address->dashed()}) {
    if (avio::MacAddress::parse(form) != address) {
      fuzz::broken("a printed MAC parses back", text, form);
    }
  }
  (void)address->rule_violation();
}

// The address field of each kind of statement.
void pci_address(std::string_view text, unsigned kind) {
  const std::string address(text);
  const std::string statement = kind % 3 == 0   ? "disk:avio_stor:" + address + ":file:/x"
                                : kind % 3 == 1 ? "network:avio_lan:" + address + ":vswitch:sw"
                                                : "hba:avio_stor:" + address + ":npiv:/dev/x";
  try {
    (void)format(parse_resource(statement));
  } catch (const StatementError&) {
  }
}

void size(std::string_view text) {
  try {
    (void)parse_file_size(text);
  } catch (const hpvm::Error&) {
  }
  CharacteristicsRequest request;
  request.memory = std::string(text);
  request.extended.push_back("ram_dyn_max=" + std::string(text));
  Guest guest;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  apply_characteristics(request, false, guest, errors, warnings);
}

void names(std::string_view text) {
  (void)guest_name_problem(text);
  (void)vswitch_name_problem(text);
  (void)label_problem(text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = fuzz::text_of(data, size);
  const unsigned selector = fuzz::take_selector(text);
  switch (selector % 4) {
  case 0:
    mac(text);
    break;
  case 1:
    pci_address(text, selector / 4);
    break;
  case 2:
    ::size(text);
    break;
  default:
    names(text);
    break;
  }
  return 0;
}

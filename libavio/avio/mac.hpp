// vNIC MAC addresses and the rules every one of them obeys.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace avio {

class MacAddress {
public:
  constexpr MacAddress() = default;
  constexpr explicit MacAddress(std::uint64_t value) : m_value(value & 0xFFFFFFFFFFFFULL) {}

  // Accepts "0xAABBCCDDEEFF" (any case) and "aa-bb-cc-dd-ee-ff"; nullopt otherwise.
  static std::optional<MacAddress> parse(std::string_view text);
  // A random locally administered unicast address whose first octet is not
  // the tap octet (k_tap_octet).
  static MacAddress generate(std::mt19937_64& rng);

  std::uint64_t value() const { return m_value; }
  // "0x56E9E3096A22": the form hpvmstatus -d prints.
  std::string canonical() const;
  // "56-e9-e3-09-6a-22": the form the hpvmstatus tables print.
  std::string dashed() const;
  // "56:e9:e3:09:6a:22": the form Linux tools print.
  std::string colon() const;

  bool locally_administered() const { return (first_octet() & 0x02U) != 0; }
  bool multicast() const { return (first_octet() & 0x01U) != 0; }
  // Why this address may not be given to a vNIC, or nullopt when it may:
  // broadcast, multicast, not locally administered, or first octet FE
  // (k_tap_octet, reserved for the host's taps).
  std::optional<std::string> rule_violation() const;
  // The low five octets: two vNICs whose suffixes are equal would have taps
  // with the same MAC (see avio::tap_mac), so vNIC suffixes are unique.
  std::uint64_t suffix() const { return m_value & k_suffix_mask; }

  // The first octet of every tap's MAC: no vNIC may have it.
  static constexpr unsigned k_tap_octet = 0xFEU;
  static constexpr std::uint64_t k_suffix_mask = 0xFFFFFFFFFFULL;

  friend bool operator==(MacAddress, MacAddress) = default;
  friend auto operator<=>(MacAddress, MacAddress) = default;

  unsigned first_octet() const { return static_cast<unsigned>(m_value >> 40U) & 0xFFU; }

private:
  std::uint64_t m_value = 0;
};

} // namespace avio

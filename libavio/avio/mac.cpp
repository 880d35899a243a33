#include "avio/mac.hpp"

#include <fmt/format.h>

#include <cctype>

namespace avio {

namespace {

std::optional<unsigned> hex_digit(char c) {
  if (c >= '0' && c <= '9') {
    return static_cast<unsigned>(c - '0');
  }
  const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower >= 'a' && lower <= 'f') {
    return static_cast<unsigned>(lower - 'a' + 10);
  }
  return std::nullopt;
}

} // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  std::uint64_t value = 0;
  if (text.size() == 14 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    for (char c : text.substr(2)) {
      auto d = hex_digit(c);
      if (!d) {
        return std::nullopt;
      }
      value = (value << 4U) | *d;
    }
    return MacAddress(value);
  }
  if (text.size() == 17) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (i % 3 == 2) {
        if (text[i] != '-') {
          return std::nullopt;
        }
        continue;
      }
      auto d = hex_digit(text[i]);
      if (!d) {
        return std::nullopt;
      }
      value = (value << 4U) | *d;
    }
    return MacAddress(value);
  }
  return std::nullopt;
}

MacAddress MacAddress::generate(std::mt19937_64& rng) {
  MacAddress mac;
  do {
    std::uint64_t v = rng() & 0xFFFFFFFFFFFFULL;
    v |= 0x020000000000ULL;  // locally administered
    v &= ~0x010000000000ULL; // unicast
    mac = MacAddress(v);
  } while (mac.first_octet() == k_tap_octet);
  return mac;
}

std::string MacAddress::canonical() const {
  return fmt::format("0x{:012X}", m_value);
}

std::string MacAddress::dashed() const {
  return fmt::format("{:02x}-{:02x}-{:02x}-{:02x}-{:02x}-{:02x}", (m_value >> 40U) & 0xFFU,
                     (m_value >> 32U) & 0xFFU, (m_value >> 24U) & 0xFFU, (m_value >> 16U) & 0xFFU,
                     (m_value >> 8U) & 0xFFU, m_value & 0xFFU);
}

std::string MacAddress::colon() const {
  std::string s = dashed();
  for (char& c : s) {
    if (c == '-') {
      c = ':';
    }
  }
  return s;
}

std::optional<std::string> MacAddress::rule_violation() const {
  if (m_value == 0xFFFFFFFFFFFFULL) {
    return "is the broadcast address";
  }
  if (multicast()) {
    return "has the multicast bit set";
  }
  if (!locally_administered()) {
    return "does not have the locally administered bit set";
  }
  if (first_octet() == k_tap_octet) {
    return "has the first octet FE, which is reserved for the host's taps";
  }
  return std::nullopt;
}

} // namespace avio

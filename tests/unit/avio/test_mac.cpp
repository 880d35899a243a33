// Tests for libavio/avio/mac.cpp: MAC spellings and the vNIC MAC rules.
#include <avio/mac.hpp>

#include <doctest/doctest.h>

#include <set>

using avio::MacAddress;

TEST_CASE("mac: both HPVM spellings parse to the same address") {
  auto a = MacAddress::parse("0x56E9E3096A22");
  auto b = MacAddress::parse("56-e9-e3-09-6a-22");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  CHECK(a->value() == 0x56E9E3096A22ULL);
  CHECK(a->canonical() == "0x56E9E3096A22");
  CHECK(a->dashed() == "56-e9-e3-09-6a-22");
  CHECK(a->colon() == "56:e9:e3:09:6a:22");
  for (const char* same : {"0x56e9e3096a22", "0X56E9E3096A22", "0x56e9E3096a22",
                           "56-E9-E3-09-6A-22", "56-e9-E3-09-6a-22"}) {
    CAPTURE(same);
    REQUIRE(MacAddress::parse(same));
    CHECK(*MacAddress::parse(same) == *a);
    CHECK(MacAddress::parse(same)->canonical() == "0x56E9E3096A22");
  }
  // The examples of hpvm-commands.md 2.2.
  CHECK(MacAddress::parse("0xaabbcc001122") == MacAddress::parse("aa-bb-cc-00-11-22"));
  CHECK(MacAddress::parse("ae-d6-f7-fa-4e-3e")->canonical() == "0xAED6F7FA4E3E");
}

TEST_CASE("mac: malformed text is refused") {
  for (const char* bad : {"",
                          "0x",
                          "0x56E9E3096A2",
                          "0x56E9E3096A223",
                          "0x56E9E3096AZ2",
                          "56:e9:e3:09:6a:22",
                          "56-e9-e3-09-6a",
                          "56-e9-e3-09-6a-2g",
                          "56-e9-e3-09-6a_22",
                          "56E9E3096A22",
                          "x056E9E3096A22",
                          "0y56E9E3096A22",
                          " 0x56E9E3096A2",
                          "0x56E9E3096A2 ",
                          "56-e9-e3-09-6a-22-",
                          "-56-e9-e3-09-6a-2",
                          "56--e9-e3-09-6a-2",
                          "5-6e9-e3-09-6a-22",
                          "0x-56E9E3096A2",
                          "56.e9.e3.09.6a.22",
                          "0x56E9E3096A2G"}) {
    CAPTURE(bad);
    CHECK_FALSE(MacAddress::parse(bad));
  }
}

TEST_CASE("mac: printing and masking") {
  CHECK(MacAddress().value() == 0);
  CHECK(MacAddress().canonical() == "0x000000000000");
  CHECK(MacAddress().dashed() == "00-00-00-00-00-00");
  CHECK(MacAddress().colon() == "00:00:00:00:00:00");
  CHECK(MacAddress(0x1ULL).canonical() == "0x000000000001");
  CHECK(MacAddress(0xFFFFFFFFFFFFULL).dashed() == "ff-ff-ff-ff-ff-ff");
  // Only 48 bits are kept.
  CHECK(MacAddress(0xAB0000000000001ULL).value() == 0x000000000001ULL);
  CHECK(MacAddress(~0ULL) == MacAddress(0xFFFFFFFFFFFFULL));
  // Ordering follows the value.
  CHECK(MacAddress(1) < MacAddress(2));
  CHECK(MacAddress(0x020000000000ULL) > MacAddress(0x01FFFFFFFFFFULL));
}

TEST_CASE("mac: every printed form parses back") {
  std::mt19937_64 rng(1234);
  for (int i = 0; i < 500; ++i) {
    const MacAddress m(rng());
    CAPTURE(m.canonical());
    CHECK(MacAddress::parse(m.canonical()) == m);
    CHECK(MacAddress::parse(m.dashed()) == m);
    CHECK(m.canonical().size() == 14);
    CHECK(m.dashed().size() == 17);
  }
}

TEST_CASE("mac: the rules a vNIC address obeys") {
  CHECK_FALSE(MacAddress(0x020000000001ULL).rule_violation());
  CHECK(MacAddress(0x020000000001ULL).locally_administered());
  CHECK_FALSE(MacAddress(0x020000000001ULL).multicast());
  for (std::uint64_t first : {0x02ULL, 0x06ULL, 0x0AULL, 0x0EULL, 0x56ULL, 0xAEULL, 0xFAULL}) {
    CAPTURE(first);
    CHECK_FALSE(MacAddress((first << 40U) | 0x123456ULL).rule_violation());
  }
  CHECK(MacAddress(0x000000000001ULL).rule_violation() ==
        std::optional<std::string>("does not have the locally administered bit set"));
  CHECK(MacAddress(0x001122334455ULL).rule_violation() ==
        std::optional<std::string>("does not have the locally administered bit set"));
  CHECK(MacAddress(0x010000000001ULL).rule_violation() ==
        std::optional<std::string>("has the multicast bit set"));
  // Multicast is reported before the locally administered bit.
  CHECK(MacAddress(0x030000000001ULL).rule_violation() ==
        std::optional<std::string>("has the multicast bit set"));
  CHECK(MacAddress(0xFFFFFFFFFFFEULL).rule_violation() ==
        std::optional<std::string>("has the multicast bit set"));
  CHECK(MacAddress(0xFFFFFFFFFFFFULL).rule_violation() ==
        std::optional<std::string>("is the broadcast address"));
  // FE is the first octet of every tap's MAC (avio::tap_mac).
  CHECK(
      MacAddress(0xFE0000000001ULL).rule_violation() ==
      std::optional<std::string>("has the first octet FE, which is reserved for the host's taps"));
  CHECK(MacAddress(0xFE0000000001ULL).suffix() == 0x0000000001ULL);
  CHECK(MacAddress(0x56E9E3096A22ULL).suffix() == 0xE9E3096A22ULL);
  CHECK(MacAddress(0x56E9E3096A22ULL).suffix() == MacAddress(0x06E9E3096A22ULL).suffix());
  // The MACs HPVM generated in hpvm-commands.md 2.2 obey the rules.
  CHECK_FALSE(MacAddress::parse("56-e9-e3-09-6a-22")->rule_violation());
  CHECK_FALSE(MacAddress::parse("ae-d6-f7-fa-4e-3e")->rule_violation());
}

TEST_CASE("mac: generated addresses obey the rules and follow the seed") {
  std::mt19937_64 rng(42);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const MacAddress m = MacAddress::generate(rng);
    CHECK_FALSE(m.rule_violation());
    CHECK(m.locally_administered());
    CHECK_FALSE(m.multicast());
    CHECK(m.first_octet() != MacAddress::k_tap_octet);
    seen.insert(m.value());
  }
  CHECK(seen.size() == 1000);
  std::mt19937_64 a(7);
  std::mt19937_64 b(7);
  std::mt19937_64 c(8);
  const MacAddress ma = MacAddress::generate(a);
  CHECK(ma == MacAddress::generate(b));
  CHECK(ma != MacAddress::generate(c));
}

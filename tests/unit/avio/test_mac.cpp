#include <avio/mac.hpp>

#include <doctest/doctest.h>

using avio::MacAddress;

TEST_CASE("MacAddress parses both HPVM spellings") {
  auto a = MacAddress::parse("0x56E9E3096A22");
  auto b = MacAddress::parse("56-e9-e3-09-6a-22");
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a == *b);
  CHECK(a->canonical() == "0x56E9E3096A22");
  CHECK(a->dashed() == "56-e9-e3-09-6a-22");
  CHECK(a->colon() == "56:e9:e3:09:6a:22");
  CHECK(MacAddress::parse("0x56e9e3096a22")->canonical() == "0x56E9E3096A22");
}

TEST_CASE("MacAddress rejects malformed text") {
  for (const char* bad : {"", "0x", "0x56E9E3096A2", "0x56E9E3096A223", "0x56E9E3096AZ2",
                          "56:e9:e3:09:6a:22", "56-e9-e3-09-6a", "56-e9-e3-09-6a-2g",
                          "56-e9-e3-09-6a_22", "56E9E3096A22"}) {
    CAPTURE(bad);
    CHECK_FALSE(MacAddress::parse(bad));
  }
}

TEST_CASE("MacAddress rules") {
  CHECK_FALSE(MacAddress(0x020000000001ULL).rule_violation());
  CHECK(MacAddress(0x000000000001ULL).rule_violation() ==
        std::optional<std::string>("does not have the locally administered bit set"));
  CHECK(MacAddress(0x030000000001ULL).rule_violation() ==
        std::optional<std::string>("has the multicast bit set"));
  CHECK(MacAddress(0xFFFFFFFFFFFFULL).rule_violation() ==
        std::optional<std::string>("is the broadcast address"));
  std::mt19937_64 rng(42);
  for (int i = 0; i < 1000; ++i) {
    CHECK_FALSE(MacAddress::generate(rng).rule_violation());
  }
}

// Tests for libvmconfig/vmconfig/model/names.cpp: guest, vswitch and label rules.
#include <vmconfig/model/names.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace vmconfig;

namespace {

std::optional<std::string> text(const char* s) {
  return std::string(s);
}

} // namespace

TEST_CASE("names: guest names") {
  for (const std::string& ok :
       {std::string("ivm1"), std::string("a"), std::string("0abc"), std::string("a.b-c_d"),
        std::string("Guest1"), std::string(k_max_guest_name, 'g')}) {
    CAPTURE(ok);
    CHECK_FALSE(guest_name_problem(ok).has_value());
  }
  CHECK(guest_name_problem("") == text("guest name is empty"));
  const std::string long_name(k_max_guest_name + 1, 'g');
  CHECK(guest_name_problem(long_name) ==
        "guest name '" + long_name + "' is longer than 64 characters");
  for (const char* bad : {"-a", "_a", ".a", ".."}) {
    CAPTURE(bad);
    CHECK(guest_name_problem(bad) ==
          "guest name '" + std::string(bad) + "' must start with a letter or digit");
  }
  for (const char* bad : {"a b", "a/b", "a:b", "a\nb", "caf\xc3\xa9", "a*", "a$b"}) {
    CAPTURE(bad);
    CHECK(guest_name_problem(bad) == "guest name '" + std::string(bad) +
                                         "' may contain only letters, digits, '_', '.' and '-'");
  }
}

TEST_CASE("names: vswitch names") {
  CHECK_FALSE(vswitch_name_problem("vlan02").has_value());
  CHECK_FALSE(vswitch_name_problem("localnet").has_value());
  CHECK_FALSE(vswitch_name_problem(std::string(k_max_vswitch_name, 'v')).has_value());
  CHECK(vswitch_name_problem("") == text("vswitch name is empty"));
  const std::string long_name(k_max_vswitch_name + 1, 'v');
  CHECK(vswitch_name_problem(long_name) ==
        "vswitch name '" + long_name + "' is longer than 8 characters");
  CHECK(vswitch_name_problem("vswitch12") ==
        text("vswitch name 'vswitch12' is longer than 8 characters"));
  CHECK(vswitch_name_problem("-v") == text("vswitch name '-v' must start with a letter or digit"));
  CHECK(vswitch_name_problem("v 1") ==
        text("vswitch name 'v 1' may contain only letters, digits, '_', '.' and '-'"));
}

TEST_CASE("names: labels") {
  for (const std::string& ok : {std::string(""), std::string("Virtual Machine number One"),
                                std::string("-x_y.z "), std::string(k_max_label, 'l')}) {
    CAPTURE(ok);
    CHECK_FALSE(label_problem(ok).has_value());
  }
  CHECK(label_problem(std::string(k_max_label + 1, 'l')) ==
        text("label is longer than 255 characters"));
  for (const char* bad : {"a:b", "a\tb", "a\"b", "a,b", "caf\xc3\xa9"}) {
    CAPTURE(bad);
    CHECK(label_problem(bad) == "label '" + std::string(bad) +
                                    "' may contain only letters, digits, '-', '_', '.' and spaces");
  }
}

// Tests for libavio/avio/text.cpp: the string helpers every layer shares.
#include <avio/text.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace avio;

TEST_CASE("text: split keeps empty pieces") {
  CHECK(split("a,,b", ',') == std::vector<std::string>{"a", "", "b"});
  CHECK(split("", ',') == std::vector<std::string>{""});
  CHECK(split("a,", ',') == std::vector<std::string>{"a", ""});
  const std::string text = "x:y";
  const auto views = split_view(text, ':');
  REQUIRE(views.size() == 2);
  CHECK(views[0] == "x");
  CHECK(views[1].data() == text.data() + 2); // a view into the text
}

TEST_CASE("text: join") {
  CHECK(join({}, ",").empty());
  CHECK(join({"a"}, ", ") == "a");
  CHECK(join({"a", "b", "c"}, ", ") == "a, b, c");
  CHECK(join(split("p:q::r", ':'), ":") == "p:q::r");
}

TEST_CASE("text: trim, upper case, table lines") {
  CHECK(trim(" \ta b\t ") == "a b");
  CHECK(trim(" \t ").empty());
  CHECK(trim("x\r", " \t\r") == "x");
  CHECK(trim("\rx") == "\rx");
  CHECK(trim_end("  a  ") == "  a");
  CHECK(upper("Share=yes") == "SHARE=YES");
  CHECK(lower("Admin:OPER-1") == "admin:oper-1");
  CHECK(lower("").empty());
  CHECK(equal_ignoring_case("Yes", "YES"));
  CHECK_FALSE(equal_ignoring_case("Yes", "YE"));
  std::string out;
  append_line(out, "a    b   ");
  append_line(out, "   ");
  append_line(out, "c\t");
  CHECK(out == "a    b\n\nc\t\n");
}

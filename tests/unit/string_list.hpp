// Lists of strings (lines, logged commands) in doctest's messages: a failed
// CHECK comparing two std::vector<std::string> prints both lists, one quoted
// item a line, instead of "{?}".
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace doctest {

template <> struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& items) {
    std::string out = "{";
    for (const auto& item : items) {
      out += "\n  \"" + item + "\"";
    }
    out += items.empty() ? "}" : "\n}";
    return out.c_str();
  }
};

} // namespace doctest

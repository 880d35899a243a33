// What every fuzz target shares: the input as text, its parts, and the one
// way a target reports a broken promise (libFuzzer keeps the input).
// A parser may refuse any text, but only with the suite's own errors
// (hpvm::Error and its kinds): anything else escapes the target and
// libFuzzer reports it as a crash.
#pragma once

#include <avio/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz {

inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The first byte picks what a target does with the rest; none is a zero.
inline unsigned take_selector(std::string_view& text) {
  if (text.empty()) {
    return 0;
  }
  const auto selector = static_cast<unsigned char>(text.front());
  text.remove_prefix(1);
  return selector;
}

// The input split at NUL bytes: several texts from one input.
inline std::vector<std::string> parts_of(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find('\0', start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

// A promise of the code under test that this input broke.
[[noreturn]] inline void broken(const char* promise, std::string_view a = {},
                                std::string_view b = {}) {
  std::fprintf(stderr, "BROKEN PROMISE: %s\n  [%.*s]\n  [%.*s]\n", promise,
               static_cast<int>(a.size()), a.data(), static_cast<int>(b.size()), b.data());
  std::abort();
}

} // namespace fuzz

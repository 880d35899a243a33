#include "vmconfig/model/names.hpp"

#include <fmt/format.h>

namespace vmconfig {

namespace {

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::optional<std::string> identifier_problem(std::string_view what, std::string_view name,
                                              std::size_t max) {
  if (name.empty()) {
    return fmt::format("{} name is empty", what);
  }
  if (name.size() > max) {
    return fmt::format("{} name '{}' is longer than {} characters", what, name, max);
  }
  if (!alnum(name.front())) {
    return fmt::format("{} name '{}' must start with a letter or digit", what, name);
  }
  for (char c : name) {
    if (!alnum(c) && c != '_' && c != '.' && c != '-') {
      return fmt::format("{} name '{}' may contain only letters, digits, '_', '.' and '-'", what,
                         name);
    }
  }
  return std::nullopt;
}

} // namespace

std::optional<std::string> guest_name_problem(std::string_view name) {
  return identifier_problem("guest", name, k_max_guest_name);
}

std::optional<std::string> vswitch_name_problem(std::string_view name) {
  return identifier_problem("vswitch", name, k_max_vswitch_name);
}

std::optional<std::string> label_problem(std::string_view label) {
  if (label.size() > k_max_label) {
    return fmt::format("label is longer than {} characters", k_max_label);
  }
  for (char c : label) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.' && c != ' ') {
      return fmt::format("label '{}' may contain only letters, digits, '-', '_', '.' and spaces",
                         label);
    }
  }
  return std::nullopt;
}

} // namespace vmconfig

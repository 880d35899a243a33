// Names that become paths and interface names are checked before use.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vmconfig {

inline constexpr std::size_t k_max_guest_name = 64;
// HPVM's limit: the vswitch table's Name column is 8 wide, and scripts parse it.
inline constexpr std::size_t k_max_vswitch_name = 8;
inline constexpr std::size_t k_max_label = 255;

// Why `name` is not a valid guest name, or nullopt. Guest names are 1-64
// characters of A-Z a-z 0-9 _ . -, starting with a letter or digit.
std::optional<std::string> guest_name_problem(std::string_view name);
// The same rule for vswitch names, at most 8 characters (as on HPVM).
std::optional<std::string> vswitch_name_problem(std::string_view name);
// Labels: up to 255 characters of A-Z a-z 0-9 - _ . and spaces.
std::optional<std::string> label_problem(std::string_view label);

} // namespace vmconfig

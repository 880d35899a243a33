// What an operation that succeeded hands back to its command.
#pragma once

#include <string>
#include <vector>

namespace vmconfig {

// Warnings an operation that succeeded wants shown.
struct Report {
  std::vector<std::string> warnings;
};

} // namespace vmconfig

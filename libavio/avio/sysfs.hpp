// Small readers for /sys and /proc files.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace avio {

// The first line of a file, or "" when it cannot be read.
inline std::string read_first_line(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

} // namespace avio

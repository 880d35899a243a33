#include "cli/progress.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <cstdio>

namespace cli {

namespace {

constexpr int k_bar_width = 30;

std::string mib(std::uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

} // namespace

CopyProgressBar::CopyProgressBar(std::string command)
    : m_command(std::move(command)), m_tty(::isatty(STDERR_FILENO) == 1) {}

void CopyProgressBar::started(const std::string& from, const std::string& to, std::uint64_t bytes) {
  m_last_percent = -1;
  if (m_tty) {
    fmt::print(stderr, "{}: Copying '{}' to '{}' ({}).\n", m_command, from, to, mib(bytes));
  }
}

void CopyProgressBar::progress(std::uint64_t done, std::uint64_t total) {
  if (!m_tty) {
    return;
  }
  const int percent = total == 0 ? 100 : static_cast<int>(done * 100 / total);
  const auto now = std::chrono::steady_clock::now();
  // Redraw on each new percent, at most ten times a second.
  if (percent == m_last_percent ||
      (percent != 100 && now - m_last_draw < std::chrono::milliseconds(100))) {
    return;
  }
  m_last_percent = percent;
  m_last_draw = now;
  const int filled = percent * k_bar_width / 100;
  fmt::print(stderr, "\r[{}{}] {:3}% {} of {}", std::string(static_cast<std::size_t>(filled), '#'),
             std::string(static_cast<std::size_t>(k_bar_width - filled), '.'), percent, mib(done),
             mib(total));
  std::fflush(stderr);
}

void CopyProgressBar::finished(const std::string& /*from*/, const std::string& /*to*/) {
  if (m_tty) {
    fmt::print(stderr, "\n");
  }
  fmt::print("{}: Virtual storage cloned successfully.\n", m_command);
  std::fflush(stdout);
}

} // namespace cli

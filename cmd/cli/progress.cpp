#include "cli/progress.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace cli {

namespace {

constexpr std::size_t k_bar_width = 30;
// hpvmdevmgmt -S draws a bar for writes of at least this size.
constexpr std::uint64_t k_file_progress_minimum = 64ULL << 20;
constexpr std::size_t k_file_bar_width = 40;

std::string mib(std::uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

} // namespace

std::string progress_bar(std::uint64_t percent, std::size_t width, char empty) {
  const auto filled = std::min(static_cast<std::size_t>(percent * width / 100), width);
  return "[" + std::string(filled, '#') + std::string(width - filled, empty) + "]";
}

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
  fmt::print(stderr, "\r{} {:3}% {} of {}",
             progress_bar(static_cast<std::uint64_t>(percent), k_bar_width, '.'), percent,
             mib(done), mib(total));
  std::fflush(stderr);
}

void CopyProgressBar::finished(const std::string& /*from*/, const std::string& /*to*/) {
  if (m_tty) {
    fmt::print(stderr, "\n");
  }
  fmt::print("{}: Virtual storage cloned successfully.\n", m_command);
  std::fflush(stdout);
}

std::function<void(std::uint64_t, std::uint64_t)> file_progress_bar(const std::string& command,
                                                                    const std::string& file) {
  if (::isatty(STDERR_FILENO) == 0) {
    return {};
  }
  return [command, file](std::uint64_t done, std::uint64_t total) {
    if (total < k_file_progress_minimum) {
      return;
    }
    const std::uint64_t percent = total == 0 ? 100 : done * 100 / total;
    fmt::print(stderr, "\r{}: {} {} {:3d}%", command, file,
               progress_bar(percent, k_file_bar_width, ' '), percent);
    if (done == total) {
      fmt::print(stderr, "\n");
    }
    std::fflush(stderr);
  };
}

std::function<void(const vmconfig::MigrationProgress&)> migration_progress_bar() {
  if (::isatty(STDERR_FILENO) != 1) {
    return {};
  }
  return [drawn = false](const vmconfig::MigrationProgress& p) mutable {
    if (p.total == 0) {
      if (drawn) {
        fmt::print(stderr, "\n");
      }
      return;
    }
    const std::uint64_t done = p.total > p.remaining ? p.total - p.remaining : 0;
    const std::uint64_t percent = done * 100 / p.total;
    fmt::print(stderr, "\r{} {:3}% {} sent, {} left, {}/s dirtied  ",
               progress_bar(percent, k_bar_width, '.'), percent, mib(p.transferred),
               mib(p.remaining), mib(p.dirty_rate));
    std::fflush(stderr);
    drawn = true;
  };
}

} // namespace cli

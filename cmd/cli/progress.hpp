// Progress of hpvmclone -b copies: a bar on standard error when it is a
// terminal, and HPVM's "Virtual storage cloned successfully." per device.
#pragma once

#include <vmconfig/ops/clone.hpp>

#include <chrono>
#include <string>

namespace cli {

class CopyProgressBar : public vmconfig::CopyObserver {
public:
  explicit CopyProgressBar(std::string command);
  void started(const std::string& from, const std::string& to, std::uint64_t bytes) override;
  void progress(std::uint64_t done, std::uint64_t total) override;
  void finished(const std::string& from, const std::string& to) override;

private:
  std::string m_command;
  bool m_tty;
  int m_last_percent = -1;
  std::chrono::steady_clock::time_point m_last_draw;
};

} // namespace cli

// Progress bars on standard error, drawn only when it is a terminal: hpvmclone
// -b copies and hpvmdevmgmt -S writes.
#pragma once

#include <vmconfig/ops/clone.hpp>
#include <vmconfig/ops/migrate.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace cli {

// "[####....]": `percent` of `width` cells '#', the others `empty`.
std::string progress_bar(std::uint64_t percent, std::size_t width, char empty);

// hpvmclone -b: "[###...] NN% X MiB of Y MiB" redrawn at most ten times a
// second, and HPVM's "Virtual storage cloned successfully." per device.
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

// hpvmdevmgmt -S: "<command>: <file> [####    ] NN%" redrawn at each report of
// a write of at least 64 MiB, ended by a newline at 100%. Empty (no bar)
// when standard error is not a terminal.
std::function<void(std::uint64_t done, std::uint64_t total)>
file_progress_bar(const std::string& command, const std::string& file);

// hpvmmigrate -o: "\r[####....] NN% X MiB sent, Y MiB left, Z MiB/s dirtied" on
// standard error while the migration runs, and a newline once it is done
// (call the function with a total of 0). Empty when standard error is not a
// terminal.
std::function<void(const vmconfig::MigrationProgress&)> migration_progress_bar();

} // namespace cli

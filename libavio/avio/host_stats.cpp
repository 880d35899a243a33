#include "avio/host_stats.hpp"

#include "avio/host.hpp"
#include "avio/runstate.hpp"
#include "avio/sysfs.hpp"
#include "avio/text.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;

namespace avio {

namespace {

template <typename T> std::optional<T> number(std::string_view text) {
  text = trim(text);
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) {
    return std::nullopt;
  }
  return value;
}

// "Key:   value unit" -> value, for /proc/meminfo and /proc/<pid>/status.
std::optional<std::string_view> field(std::string_view text, std::string_view key) {
  for (const auto line : split_view(text, '\n')) {
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && trim(line.substr(0, colon)) == key) {
      return trim(line.substr(colon + 1));
    }
  }
  return std::nullopt;
}

std::uint64_t kb_field(std::string_view text, std::string_view key) {
  const auto value = field(text, key);
  if (!value) {
    return 0;
  }
  return number<std::uint64_t>(value->substr(0, value->find(' '))).value_or(0);
}

double clock_ticks_per_second() {
  const long hz = ::sysconf(_SC_CLK_TCK);
  return hz > 0 ? static_cast<double>(hz) : 100.0;
}

// Seconds since boot (/proc/uptime's first figure).
double uptime_seconds() {
  return std::strtod(read_first_line("/proc/uptime").c_str(), nullptr);
}

fs::path proc_dir(pid_t pid) {
  return fs::path("/proc") / std::to_string(pid);
}

} // namespace

MemInfo parse_meminfo(std::string_view text) {
  return {kb_field(text, "MemTotal"), kb_field(text, "MemAvailable")};
}

CpuInfo parse_cpuinfo(std::string_view text) {
  CpuInfo info;
  for (const auto line : split_view(text, '\n')) {
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    const auto key = trim(line.substr(0, colon));
    const auto value = trim(line.substr(colon + 1));
    if (key == "processor") {
      ++info.cpus;
    } else if (key == "cpu MHz" && info.mhz == 0.0) {
      info.mhz = std::strtod(std::string(value).c_str(), nullptr);
    } else if (key == "model name" && info.model.empty()) {
      info.model = value;
    }
  }
  return info;
}

std::optional<TaskStat> parse_task_stat(std::string_view text) {
  // The command name is in parentheses and may hold both: the fields start
  // after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) {
    return std::nullopt;
  }
  std::vector<std::string_view> fields;
  for (const auto f : split_view(trim(text.substr(close + 1), " \n"), ' ')) {
    fields.push_back(f);
  }
  // fields[0] is field 3 (state): field N is fields[N - 3].
  constexpr std::size_t k_utime = 14 - 3, k_stime = 15 - 3, k_start = 22 - 3, k_cpu = 39 - 3;
  if (fields.size() <= k_cpu) {
    return std::nullopt;
  }
  const auto utime = number<std::uint64_t>(fields[k_utime]);
  const auto stime = number<std::uint64_t>(fields[k_stime]);
  const auto start = number<std::uint64_t>(fields[k_start]);
  const auto cpu = number<int>(fields[k_cpu]);
  if (!utime || !stime || !start || !cpu) {
    return std::nullopt;
  }
  return TaskStat{*cpu, *utime, *stime, *start};
}

std::optional<VcpuThreadName> parse_vcpu_thread_name(std::string_view comm) {
  comm = trim(comm, " \n");
  const auto slash = comm.rfind('/');
  if (slash == std::string_view::npos) {
    return std::nullopt;
  }
  const auto accel = comm.substr(slash + 1);
  if (accel != "KVM" && accel != "TCG") {
    return std::nullopt;
  }
  const auto who = comm.substr(0, slash);
  if (who == "ALL CPUs") {
    return VcpuThreadName{-1, std::string(accel)};
  }
  if (!who.starts_with("CPU ")) {
    return std::nullopt;
  }
  const auto n = number<int>(who.substr(4));
  if (!n || *n < 0) {
    return std::nullopt;
  }
  return VcpuThreadName{*n, std::string(accel)};
}

std::optional<VcpuThread> thread_usage(pid_t pid, pid_t tid) {
  const auto stat =
      parse_task_stat(read_first_line(proc_dir(pid) / "task" / std::to_string(tid) / "stat"));
  if (!stat) {
    return std::nullopt;
  }
  const double hz = clock_ticks_per_second();
  VcpuThread t;
  t.tid = tid;
  t.last_cpu = stat->last_cpu;
  t.cpu_seconds = static_cast<double>(stat->utime + stat->stime) / hz;
  const double age = uptime_seconds() - static_cast<double>(stat->start) / hz;
  t.usage_percent = age > 0.0 ? std::min(100.0, 100.0 * t.cpu_seconds / age) : 0.0;
  return t;
}

std::vector<VcpuThread> qemu_vcpu_threads(pid_t pid) {
  std::vector<VcpuThread> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(proc_dir(pid) / "task", ec)) {
    const auto tid = number<pid_t>(entry.path().filename().string());
    const auto name = parse_vcpu_thread_name(read_first_line(entry.path() / "comm"));
    if (!tid || !name) {
      continue;
    }
    if (auto t = thread_usage(pid, *tid)) { // else the thread ended while we read it
      t->vcpu = name->vcpu;
      t->accelerator = name->accelerator;
      out.push_back(std::move(*t));
    }
  }
  std::ranges::sort(out, {}, &VcpuThread::vcpu);
  return out;
}

HostResources host_resources() {
  HostResources h;
  h.cpu = parse_cpuinfo(read_file("/proc/cpuinfo").value_or(""));
  if (h.cpu.cpus == 0) {
    h.cpu.cpus = host_cpu_count();
  }
  h.memory = parse_meminfo(read_file("/proc/meminfo").value_or(""));
  h.kvm = ::access("/dev/kvm", R_OK | W_OK) == 0;
  h.numa_nodes = read_first_line("/sys/devices/system/node/online");
  if (h.numa_nodes.empty()) {
    h.numa_nodes = "0"; // a kernel without NUMA support has one node
  }
  return h;
}

unsigned id_list_count(std::string_view list) {
  unsigned count = 0;
  for (const auto range : split_view(trim(list, " \n"), ',')) {
    const auto dash = range.find('-');
    const auto first = range.substr(0, dash);
    const auto last = dash == std::string_view::npos ? first : range.substr(dash + 1);
    unsigned a = 0, b = 0;
    const auto [pa, ea] = std::from_chars(first.data(), first.data() + first.size(), a);
    const auto [pb, eb] = std::from_chars(last.data(), last.data() + last.size(), b);
    if (first.empty() || last.empty() || ea != std::errc() || eb != std::errc() ||
        pa != first.data() + first.size() || pb != last.data() + last.size() || b < a) {
      return 0;
    }
    count += b - a + 1;
  }
  return count;
}

std::uint64_t process_rss_kb(pid_t pid) {
  return kb_field(read_file(proc_dir(pid) / "status").value_or(""), "VmRSS");
}

std::string process_memory_nodes(pid_t pid) {
  return std::string(
      field(read_file(proc_dir(pid) / "status").value_or(""), "Mems_allowed_list").value_or(""));
}

std::optional<std::int64_t> process_start_epoch(pid_t pid) {
  const auto ticks = process_start_time(pid);
  if (!ticks) {
    return std::nullopt;
  }
  // /proc/stat's "btime N" (boot time, seconds since the epoch) has no colon.
  // The text outlives the views split_view returns into it.
  const std::string stat = read_file("/proc/stat").value_or("");
  for (const auto line : split_view(stat, '\n')) {
    if (line.starts_with("btime ")) {
      const auto btime = number<std::int64_t>(line.substr(6));
      if (btime) {
        return *btime +
               static_cast<std::int64_t>(static_cast<double>(*ticks) / clock_ticks_per_second());
      }
    }
  }
  return std::nullopt;
}

} // namespace avio

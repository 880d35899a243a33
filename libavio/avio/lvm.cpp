#include "avio/lvm.hpp"

#include "avio/exec.hpp"
#include "avio/text.hpp"

#include <filesystem>

namespace fs = std::filesystem;

namespace avio {

namespace {

// pvs and lvs pad fields with blanks; a line may end with a carriage return.
constexpr std::string_view k_blanks = " \t\r";

// The '|'-separated fields of each non-empty line.
std::vector<std::vector<std::string>> report_rows(std::string_view report) {
  std::vector<std::vector<std::string>> rows;
  while (!report.empty()) {
    const auto eol = report.find('\n');
    std::string_view line = trim(report.substr(0, eol), k_blanks);
    report = eol == std::string_view::npos ? std::string_view() : report.substr(eol + 1);
    if (line.empty()) {
      continue;
    }
    std::vector<std::string> fields;
    while (true) {
      const auto bar = line.find('|');
      fields.emplace_back(trim(line.substr(0, bar), k_blanks));
      if (bar == std::string_view::npos) {
        break;
      }
      line.remove_prefix(bar + 1);
    }
    rows.push_back(std::move(fields));
  }
  return rows;
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return !a.empty() && !b.empty() && fs::equivalent(a, b, ec) && !ec;
}

} // namespace

LvmTopology parse_lvm_reports(std::string_view pvs_report, std::string_view lvs_report) {
  LvmTopology t;
  for (auto& row : report_rows(pvs_report)) {
    if (!row.empty() && !row[0].empty()) {
      t.pvs.push_back({row[0], row.size() > 1 ? row[1] : std::string()});
    }
  }
  for (auto& row : report_rows(lvs_report)) {
    if (row.size() >= 4) {
      t.lvs.push_back({row[0], row[1], row[2], row[3]});
    }
  }
  return t;
}

LvmTopology read_lvm_topology() {
  // LVM complains on stderr about descriptors it inherits; it is not an error.
  const std::vector<std::string> env{"LVM_SUPPRESS_FD_WARNINGS=1"};
  const auto pvs =
      capture_output({"pvs", "--noheadings", "--separator", "|", "-o", "pv_name,vg_name"}, env);
  if (!pvs) {
    return {};
  }
  const auto lvs = capture_output(
      {"lvs", "--noheadings", "--separator", "|", "-o", "vg_name,lv_name,lv_path,lv_dm_path"}, env);
  return parse_lvm_reports(*pvs, lvs.value_or(""));
}

const LvmLogicalVolume* LvmTopology::logical_volume(const std::string& path) const {
  for (const auto& lv : lvs) {
    if (path == lv.path || path == lv.dm_path) {
      return &lv;
    }
  }
  for (const auto& lv : lvs) { // another name of an active LV (/dev/dm-3, a symlink)
    if (same_file(path, lv.path) || same_file(path, lv.dm_path)) {
      return &lv;
    }
  }
  return nullptr;
}

std::vector<const LvmPhysicalVolume*>
LvmTopology::physical_volumes_of(const std::string& vg) const {
  std::vector<const LvmPhysicalVolume*> out;
  for (const auto& pv : pvs) {
    if (!vg.empty() && pv.vg == vg) {
      out.push_back(&pv);
    }
  }
  return out;
}

std::vector<const LvmLogicalVolume*> LvmTopology::logical_volumes_of(const std::string& vg) const {
  std::vector<const LvmLogicalVolume*> out;
  for (const auto& lv : lvs) {
    if (lv.vg == vg) {
      out.push_back(&lv);
    }
  }
  return out;
}

} // namespace avio

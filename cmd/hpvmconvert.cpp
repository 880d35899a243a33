// hpvmconvert: move guests from the emulated scsi/lan adapters to AVIO.
#include "cli/options.hpp"
#include "cli/runner.hpp"

#include <avio/error.hpp>
#include <vmconfig/ops/conversion.hpp>
#include <vmconfig/render/render_conversion.hpp>

#include <fmt/format.h>

int main(int argc, char** argv) {
  std::string name;
  bool all = false, apply = false, undo = false, machine = false, json = false;
  CLI::App app("Plan, apply or undo the conversion of guests to AVIO.", "hpvmconvert");
  cli::configure_app(app);
  auto* one = app.add_option("-P", name, "The guest to convert");
  auto* every = app.add_flag("-A", all, "Every guest");
  one->excludes(every);
  auto* c = app.add_flag("-C", apply, "Convert (apply); without it the plan is printed");
  auto* u = app.add_flag("-U", undo, "Undo the guest's last conversion (needs -P)");
  auto* m = app.add_flag("-M", machine, "Plan as tab-separated lines, one per device");
  auto* j = app.add_flag("-J,--json", json, "Plan as JSON");
  cli::exclude_each_other({c, u, m, j});
  const auto logging = [&] {
    return apply || undo ? cli::Logging::command_log : cli::Logging::none;
  };
  return cli::run("hpvmconvert", argc, argv, app, logging, [&] {
    if (!all && one->count() == 0) {
      throw hpvm::UsageError("Give -P name or -A (every guest).");
    }
    if (undo && all) {
      throw hpvm::UsageError("-U undoes one guest's conversion: give -P name.");
    }
    const bool plan_only = !apply && !undo;
    vmconfig::Store store(plan_only ? vmconfig::Store::Access::if_exists
                                    : vmconfig::Store::Access::create);
    const std::optional<std::string> target = all ? std::nullopt : std::optional(name);
    if (plan_only) {
      const auto plans = vmconfig::conversion_plans(store, target);
      fmt::print("{}", machine ? vmconfig::render_conversion_machine(plans)
                       : json  ? vmconfig::render_conversion_json(plans)
                               : vmconfig::render_conversion_text(plans));
      return;
    }
    if (undo) {
      const auto report = vmconfig::undo_conversion(store, name);
      cli::print_warnings("hpvmconvert", name, report.warnings);
      return;
    }
    // -C: one transaction per guest; with -A a guest that cannot convert is
    // reported and the others go on.
    std::vector<std::string> failed;
    for (const auto& plan : vmconfig::conversion_plans(store, target)) {
      if (all && plan.changes.empty()) {
        continue; // nothing on scsi or lan
      }
      try {
        const auto report = vmconfig::convert_guest(store, plan.guest);
        cli::print_warnings("hpvmconvert", plan.guest, report.warnings);
      } catch (const hpvm::Refused& e) {
        if (!all) {
          throw;
        }
        cli::print_refusal("hpvmconvert", e);
        failed.push_back(plan.guest);
      }
    }
    if (!failed.empty()) {
      throw hpvm::Error(fmt::format("{} guest(s) were not converted.", failed.size()));
    }
  });
}

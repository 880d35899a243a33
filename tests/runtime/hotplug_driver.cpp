// hpvm-hotplug: applies hot-plug changes to a running guest through
// libavio's batch API, for the runtime tests and the benchmark (hpvmmodify
// will drive the same API). Usage:
//   hpvm-hotplug [-t removal-timeout-ms] GUEST CHANGE...
//   hpvm-hotplug [-t removal-timeout-ms] GUEST --resync
// CHANGE is a resource statement with its full address, prefixed by
//   +  add it          -  remove it
//   ~  replace the backing store: ~STATEMENT=NEW-LOCATION (empty: eject a DVD)
// Prints one line per change ("done" or "removal pending"); on failure the
// error, what rollback could not undo, and exit status 1.
#include <avio/error.hpp>
#include <vmconfig/model/grammar.hpp>
#include <vmconfig/ops/guests.hpp>
#include <vmconfig/ops/live.hpp>
#include <vmconfig/ops/runtime_devices.hpp>

#include <fmt/format.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

vmconfig::StorageDevice storage_device(const vmconfig::StorageStatement& st) {
  if (!st.address.bus || !st.address.slot || !st.address.target) {
    throw hpvm::UsageError("a statement needs its full bus,slot,target address");
  }
  return {st.device,
          st.adapter,
          {*st.address.bus, *st.address.slot, *st.address.target},
          st.storage,
          st.location};
}

avio::HotChange parse_change(const vmconfig::Guest& guest, const std::string& text) {
  const char op = text.empty() ? '?' : text[0];
  std::string statement = text.substr(1);
  std::string new_location;
  if (op == '~') {
    const auto eq = statement.rfind('=');
    if (eq == std::string::npos) {
      throw hpvm::UsageError("a ~ change needs =NEW-LOCATION");
    }
    new_location = statement.substr(eq + 1);
    statement.erase(eq);
  }
  const auto parsed = vmconfig::parse_resource(statement);
  if (const auto* st = std::get_if<vmconfig::StorageStatement>(&parsed)) {
    const auto disk = vmconfig::runtime_disk(storage_device(*st));
    switch (op) {
    case '+':
      return avio::AddStorage{disk};
    case '-':
      return avio::RemoveStorage{disk};
    case '~': {
      auto to = disk;
      to.location = new_location;
      to.storage = new_location.empty() ? avio::StorageType::null : avio::StorageType::file;
      return avio::ReplaceBacking{disk, to};
    }
    default:
      break;
    }
  } else if (const auto* nw = std::get_if<vmconfig::NetworkStatement>(&parsed)) {
    if (!nw->address.bus || !nw->address.slot || !nw->mac) {
      throw hpvm::UsageError("a vNIC statement needs its bus, slot and MAC address");
    }
    const vmconfig::NetworkDevice device{
        nw->adapter, {*nw->address.bus, *nw->address.slot}, *nw->mac, nw->vswitch, nw->port};
    const auto nic = vmconfig::runtime_nic(guest, device);
    if (op == '+') {
      return avio::AddNic{nic};
    }
    if (op == '-') {
      return avio::RemoveNic{nic};
    }
  }
  throw hpvm::UsageError(fmt::format("cannot understand the change '{}'", text));
}

} // namespace

int main(int argc, char** argv) {
  int first = 1;
  long removal_timeout_ms = 5000;
  if (argc > 2 && std::strcmp(argv[1], "-t") == 0) {
    removal_timeout_ms = std::strtol(argv[2], nullptr, 10);
    first = 3;
  }
  if (argc - first < 2) {
    fmt::print(stderr, "usage: hpvm-hotplug [-t removal-timeout-ms] GUEST CHANGE...\n");
    return 2;
  }
  try {
    vmconfig::Store store;
    const auto guest = vmconfig::find_guest(store, argv[first]);
    if (std::strcmp(argv[first + 1], "--resync") == 0) {
      for (const auto& change : vmconfig::resync_running_guest(
               store, guest, std::chrono::milliseconds(removal_timeout_ms))) {
        fmt::print("{}\n", change);
      }
      return 0;
    }
    std::vector<avio::HotChange> changes;
    for (int i = first + 1; i < argc; ++i) {
      changes.push_back(parse_change(guest, argv[i]));
    }
    const auto result = vmconfig::change_running_guest(
        store.root(), guest, changes, std::chrono::milliseconds(removal_timeout_ms));
    for (std::size_t i = 0; i < changes.size(); ++i) {
      fmt::print("{}: {}\n", avio::describe(changes[i]),
                 result.outcomes[i] == avio::Outcome::done ? "done" : "removal pending");
    }
    return 0;
  } catch (const avio::BatchFailed& e) {
    fmt::print(stderr, "hpvm-hotplug: ERROR: {}\n", e.what());
    for (const auto& p : e.rollback_problems()) {
      fmt::print(stderr, "hpvm-hotplug: ERROR: not undone: {}\n", p);
    }
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "hpvm-hotplug: ERROR: {}\n", e.what());
    return 1;
  }
}

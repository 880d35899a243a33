// Tests for libavio/avio/hotplug.cpp: batches of hot-plug changes against a
// fake QEMU (qmp_peer.hpp) that keeps the guest's devices, block nodes and
// netdevs as QEMU would, and fails the one command a test picks. Checked:
// every QMP command sent, in order (so a failed batch's undo commands come
// newest first), what the batch reports, and the guest left as it was.
#include "qmp_peer.hpp"
#include "string_list.hpp"
#include "temp_dir.hpp"

#include <avio/hotplug.hpp>
#include <avio/qmp.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using avio::Json;

namespace {

// A guest as QEMU keeps it. Each command is logged as "command id" (the
// device, node or netdev it names; blockdev-add also the file).
struct FakeGuest {
  std::map<std::string, std::string> devices; // id -> driver
  std::set<std::string> nodes;
  std::map<std::string, std::string> node_files; // node -> file
  std::set<std::string> netdevs;
  // Devices whose device_del the guest ignores (no ACPI eject).
  std::set<std::string> keeps;
  // The command that fails (with this QEMU error), by its log line.
  std::string fail_on;
  std::vector<std::string> log;

  std::string answer(const std::string& line) {
    const Json request = Json::parse(line);
    const std::string command = request["execute"];
    const Json args = request.value("arguments", Json::object());
    if (command == "qmp_capabilities") {
      return ok();
    }
    const std::string entry = log_line(command, args);
    log.push_back(entry);
    if (entry == fail_on) {
      return error("injected failure of " + entry);
    }
    if (command == "qom-list") {
      Json children = Json::array();
      for (const auto& [id, driver] : devices) {
        children.push_back({{"name", id}, {"type", "child<" + driver + ">"}});
      }
      return ok(children);
    }
    if (command == "device_add") {
      const std::string id = args["id"];
      const std::string bus = args["bus"];
      if (devices.contains(id)) {
        return error("Duplicate device ID '" + id + "'");
      }
      if (bus.ends_with(".0") && !devices.contains(bus.substr(0, bus.size() - 2))) {
        return error("Bus '" + bus + "' not found");
      }
      if (args.contains("drive") && !nodes.contains(args["drive"].get<std::string>())) {
        return error("Drive not found");
      }
      devices[id] = args["driver"].get<std::string>();
      return ok();
    }
    if (command == "device_del") {
      const std::string id = args["id"];
      if (!devices.contains(id)) {
        return error("Device '" + id + "' not found");
      }
      if (keeps.contains(id)) {
        return ok();
      }
      devices.erase(id);
      return ok() + R"({"event": "DEVICE_DELETED", "data": {"device": ")" + id + "\"}}\n";
    }
    if (command == "blockdev-add") {
      const std::string node = args["node-name"];
      if (!nodes.insert(node).second) {
        return error("Duplicate nodes with node-name='" + node + "'");
      }
      node_files[node] = args["file"]["filename"].get<std::string>();
      return ok();
    }
    if (command == "blockdev-del") {
      const std::string node = args["node-name"];
      if (nodes.erase(node) == 0) {
        return error("Failed to find node with node-name='" + node + "'");
      }
      node_files.erase(node);
      return ok();
    }
    if (command == "netdev_add") {
      if (!netdevs.insert(args["id"].get<std::string>()).second) {
        return error("Duplicate ID");
      }
      return ok();
    }
    if (command == "netdev_del") {
      if (netdevs.erase(args["id"].get<std::string>()) == 0) {
        return error("Device not found");
      }
      return ok();
    }
    if (command == "blockdev-open-tray" || command == "blockdev-remove-medium" ||
        command == "blockdev-close-tray") {
      return ok();
    }
    if (command == "blockdev-insert-medium") {
      if (!nodes.contains(args["node-name"].get<std::string>())) {
        return error("Failed to find node");
      }
      return ok();
    }
    return error("The command " + command + " has not been found");
  }

  static std::string log_line(const std::string& command, const Json& args) {
    std::string entry = command;
    for (const char* key : {"id", "node-name"}) {
      if (args.contains(key)) {
        entry += " " + args[key].get<std::string>();
      }
    }
    if (command == "blockdev-add") {
      entry += " " + args["file"]["filename"].get<std::string>();
    }
    return entry;
  }
  static std::string ok(const Json& value = Json::object()) {
    return Json{{"return", value}}.dump() + "\n";
  }
  static std::string error(const std::string& desc) {
    return Json{{"error", {{"class", "GenericError"}, {"desc", desc}}}}.dump() + "\n";
  }

  // The guest's state, to compare before and after a batch.
  std::string state() const {
    std::string out;
    for (const auto& [id, driver] : devices) {
      out += "device " + id + " " + driver + "\n";
    }
    for (const auto& [node, file] : node_files) {
      out += "node " + node + " " + file + "\n";
    }
    for (const auto& id : netdevs) {
      out += "netdev " + id + "\n";
    }
    return out;
  }
};

// Runs `body` with a QMP client connected to `guest`; the guest's log and
// state may be read once this returns (the peer's thread has ended).
void with_guest(FakeGuest& guest, const std::function<void(avio::QmpClient&)>& body) {
  hpvm_test::QmpPeer peer([&guest](const std::string& line) { return guest.answer(line); });
  avio::QmpClient qmp(peer.path(), 2000ms);
  body(qmp);
}

avio::GuestDisk disk(int bus, int slot, int target, const std::string& file,
                     avio::DeviceType type = avio::DeviceType::disk) {
  avio::GuestDisk d;
  d.device = type;
  d.adapter = avio::StorageAdapter::avio_stor;
  d.address = {bus, slot, target};
  d.storage = avio::StorageType::file;
  d.location = file;
  return d;
}

avio::GuestNic nic(int bus, int slot) {
  avio::GuestNic n;
  n.adapter = avio::NetAdapter::avio_lan;
  n.address = {bus, slot};
  n.mac = avio::MacAddress(0x020000000000ULL + static_cast<unsigned>(bus * 8 + slot));
  n.tap = "hpv1n" + std::to_string(bus) + std::to_string(slot);
  return n;
}

// A running guest with one virtio-scsi adapter at bus 0 slot 0 holding a
// disk (target 0, /img/a) and a DVD (target 1, /img/cd1.iso), and a vNIC at
// bus 0 slot 1.
FakeGuest one_adapter_guest() {
  FakeGuest g;
  g.devices = {{"hpvm.hba.b0s0", "virtio-scsi-pci"},
               {"hpvm.tgt.b0s0t0", "scsi-hd"},
               {"hpvm.tgt.b0s0t1", "scsi-cd"},
               {"hpvm.nic.b0s1", "virtio-net-pci"}};
  g.nodes = {"hpvm-b0s0t0", "hpvm-b0s0t1"};
  g.node_files = {{"hpvm-b0s0t0", "/img/a"}, {"hpvm-b0s0t1", "/img/cd1.iso"}};
  g.netdevs = {"hpvm.net.b0s1"};
  return g;
}

using Lines = std::vector<std::string>;

} // namespace

TEST_CASE("hotplug: describe names each kind of change") {
  CHECK(avio::describe(avio::AddStorage{disk(0, 1, 3, "/x")}) == "add disk 0,1,3");
  CHECK(avio::describe(avio::RemoveStorage{disk(2, 0, 5, "/x", avio::DeviceType::dvd)}) ==
        "remove dvd 2,0,5");
  CHECK(avio::describe(avio::AddNic{nic(0, 2)}) == "add avio_lan 0,2");
  auto lan = nic(1, 4);
  lan.adapter = avio::NetAdapter::lan;
  CHECK(avio::describe(avio::RemoveNic{lan}) == "remove lan 1,4");
  CHECK(avio::describe(avio::ReplaceBacking{disk(0, 0, 1, "/a"), disk(0, 0, 1, "/b")}) ==
        "change the backing store of disk 0,0,1");
}

TEST_CASE("hotplug: a batch that succeeds reports one outcome per change, in order") {
  FakeGuest g = one_adapter_guest();
  avio::BatchResult result;
  with_guest(g, [&](avio::QmpClient& qmp) {
    result = avio::apply_batch(qmp, {avio::AddStorage{disk(0, 0, 2, "/img/b")},
                                     avio::AddNic{nic(0, 2)}, avio::RemoveNic{nic(0, 1)}});
  });
  CHECK(result.outcomes == std::vector<avio::Outcome>(3, avio::Outcome::done));
  CHECK_FALSE(result.any_pending());
  // A disk onto a live adapter is tried at once: no qom-list until a
  // removal needs the guest's devices.
  CHECK(g.log == Lines{"blockdev-add hpvm-b0s0t2 /img/b", "device_add hpvm.tgt.b0s0t2",
                       "netdev_add hpvm.net.b0s2", "device_add hpvm.nic.b0s2", "qom-list",
                       "device_del hpvm.nic.b0s1", "netdev_del hpvm.net.b0s1"});
  CHECK(g.state() == "device hpvm.hba.b0s0 virtio-scsi-pci\n"
                     "device hpvm.nic.b0s2 virtio-net-pci\n"
                     "device hpvm.tgt.b0s0t0 scsi-hd\n"
                     "device hpvm.tgt.b0s0t1 scsi-cd\n"
                     "device hpvm.tgt.b0s0t2 scsi-hd\n"
                     "node hpvm-b0s0t0 /img/a\n"
                     "node hpvm-b0s0t1 /img/cd1.iso\n"
                     "node hpvm-b0s0t2 /img/b\n"
                     "netdev hpvm.net.b0s2\n");
}

TEST_CASE("hotplug: when the Nth change fails, the changes before it are undone newest first") {
  FakeGuest g = one_adapter_guest();
  const std::string before = g.state();
  // Change 4 (index 3) fails at its device_add.
  g.fail_on = "device_add hpvm.tgt.b0s0t3";
  std::optional<avio::BatchFailed> failure;
  with_guest(g, [&](avio::QmpClient& qmp) {
    try {
      avio::apply_batch(qmp,
                        {avio::AddStorage{disk(0, 0, 2, "/img/b")},
                         avio::ReplaceBacking{disk(0, 0, 1, "/img/cd1.iso", avio::DeviceType::dvd),
                                              disk(0, 0, 1, "/img/cd2.iso", avio::DeviceType::dvd)},
                         avio::AddNic{nic(0, 2)}, avio::AddStorage{disk(0, 0, 3, "/img/c")},
                         avio::AddNic{nic(0, 3)}});
      FAIL("no BatchFailed");
    } catch (const avio::BatchFailed& e) {
      failure = e;
    }
  });
  REQUIRE(failure);
  CHECK(failure->index() == 3);
  CHECK(failure->change() == "add disk 0,0,3");
  CHECK(failure->reason() == "injected failure of device_add hpvm.tgt.b0s0t3");
  CHECK(std::string(failure->what()) ==
        "Change 4 (add disk 0,0,3) failed: injected failure of device_add hpvm.tgt.b0s0t3");
  CHECK(failure->rollback_problems().empty());
  CHECK(g.log == Lines{
                     // change 1: a disk onto the live adapter
                     "blockdev-add hpvm-b0s0t2 /img/b",
                     "device_add hpvm.tgt.b0s0t2",
                     // change 2: the DVD changes media
                     "blockdev-open-tray hpvm.tgt.b0s0t1",
                     "blockdev-remove-medium hpvm.tgt.b0s0t1",
                     "blockdev-del hpvm-b0s0t1",
                     "blockdev-add hpvm-b0s0t1 /img/cd2.iso",
                     "blockdev-insert-medium hpvm.tgt.b0s0t1 hpvm-b0s0t1",
                     "blockdev-close-tray hpvm.tgt.b0s0t1",
                     // change 3: a vNIC
                     "netdev_add hpvm.net.b0s2",
                     "device_add hpvm.nic.b0s2",
                     // change 4 fails; its own node goes, and the adapter is
                     // found live (so the failure is not a missing adapter)
                     "blockdev-add hpvm-b0s0t3 /img/c",
                     "device_add hpvm.tgt.b0s0t3",
                     "blockdev-del hpvm-b0s0t3",
                     "qom-list",
                     // undo change 3, then 2, then 1; change 5 never ran
                     "device_del hpvm.nic.b0s2",
                     "netdev_del hpvm.net.b0s2",
                     "blockdev-open-tray hpvm.tgt.b0s0t1",
                     "blockdev-remove-medium hpvm.tgt.b0s0t1",
                     "blockdev-del hpvm-b0s0t1",
                     "blockdev-add hpvm-b0s0t1 /img/cd1.iso",
                     "blockdev-insert-medium hpvm.tgt.b0s0t1 hpvm-b0s0t1",
                     "blockdev-close-tray hpvm.tgt.b0s0t1",
                     "device_del hpvm.tgt.b0s0t2",
                     "blockdev-del hpvm-b0s0t2",
                 });
  CHECK(g.state() == before);
}

TEST_CASE("hotplug: a commit that fails after the batch undoes the whole batch") {
  FakeGuest g = one_adapter_guest();
  const std::string before = g.state();
  std::optional<avio::CommitFailed> failure;
  std::vector<avio::Outcome> seen;
  with_guest(g, [&](avio::QmpClient& qmp) {
    try {
      avio::apply_batch(qmp, {avio::AddStorage{disk(0, 0, 2, "/img/b")}, avio::AddNic{nic(0, 2)}},
                        {}, [&](const avio::BatchResult& result) {
                          seen = result.outcomes;
                          throw hpvm::Error("database or disk is full");
                        });
      FAIL("no CommitFailed");
    } catch (const avio::CommitFailed& e) {
      failure = e;
    }
  });
  REQUIRE(failure);
  CHECK(seen == std::vector<avio::Outcome>(2, avio::Outcome::done));
  CHECK(std::string(failure->what()) == "database or disk is full");
  CHECK(failure->rollback_problems().empty());
  CHECK(g.log == Lines{"blockdev-add hpvm-b0s0t2 /img/b", "device_add hpvm.tgt.b0s0t2",
                       "netdev_add hpvm.net.b0s2", "device_add hpvm.nic.b0s2",
                       // undone newest first once the commit failed
                       "device_del hpvm.nic.b0s2", "netdev_del hpvm.net.b0s2",
                       "device_del hpvm.tgt.b0s0t2", "blockdev-del hpvm-b0s0t2"});
  CHECK(g.state() == before);
}

TEST_CASE("hotplug: a new adapter comes before its first target, and goes last on undo") {
  FakeGuest g = one_adapter_guest();
  const std::string before = g.state();
  g.fail_on = "netdev_add hpvm.net.b0s3";
  std::optional<avio::BatchFailed> failure;
  with_guest(g, [&](avio::QmpClient& qmp) {
    try {
      avio::apply_batch(qmp,
                        {avio::AddStorage{disk(1, 0, 0, "/img/new")}, avio::AddNic{nic(0, 3)}});
      FAIL("no BatchFailed");
    } catch (const avio::BatchFailed& e) {
      failure = e;
    }
  });
  REQUIRE(failure);
  CHECK(failure->index() == 1);
  CHECK(failure->change() == "add avio_lan 0,3");
  CHECK(failure->reason() == "injected failure of netdev_add hpvm.net.b0s3");
  CHECK(failure->rollback_problems().empty());
  CHECK(g.log == Lines{
                     // QEMU refuses the target (no adapter); the adapter comes first
                     "blockdev-add hpvm-b1s0t0 /img/new",
                     "device_add hpvm.tgt.b1s0t0",
                     "blockdev-del hpvm-b1s0t0",
                     "qom-list",
                     "device_add hpvm.hba.b1s0",
                     "blockdev-add hpvm-b1s0t0 /img/new",
                     "device_add hpvm.tgt.b1s0t0",
                     // the vNIC's netdev is refused; no leftover netdev to clear
                     "netdev_add hpvm.net.b0s3",
                     "netdev_del hpvm.net.b0s3",
                     // undo: the target, then its adapter
                     "device_del hpvm.tgt.b1s0t0",
                     "blockdev-del hpvm-b1s0t0",
                     "device_del hpvm.hba.b1s0",
                 });
  CHECK(g.state() == before);
}

TEST_CASE("hotplug: an undo the guest does not complete is reported, the rest still undone") {
  FakeGuest g = one_adapter_guest();
  g.keeps = {"hpvm.hba.b1s0"}; // the guest does not release the new adapter
  g.fail_on = "device_add hpvm.tgt.b0s0t2";
  std::optional<avio::BatchFailed> failure;
  with_guest(g, [&](avio::QmpClient& qmp) {
    try {
      avio::BatchOptions options;
      options.removal_timeout = 100ms;
      avio::apply_batch(qmp,
                        {avio::AddStorage{disk(1, 0, 0, "/img/new")}, avio::AddNic{nic(0, 3)},
                         avio::AddStorage{disk(0, 0, 2, "/img/b")}},
                        options);
      FAIL("no BatchFailed");
    } catch (const avio::BatchFailed& e) {
      failure = e;
    }
  });
  REQUIRE(failure);
  CHECK(failure->index() == 2);
  CHECK(
      failure->rollback_problems() ==
      Lines{"The guest has not released the new adapter 'hpvm.hba.b1s0'; its removal is pending."});
  CHECK(g.log == Lines{
                     "blockdev-add hpvm-b1s0t0 /img/new",
                     "device_add hpvm.tgt.b1s0t0",
                     "blockdev-del hpvm-b1s0t0",
                     "qom-list",
                     "device_add hpvm.hba.b1s0",
                     "blockdev-add hpvm-b1s0t0 /img/new",
                     "device_add hpvm.tgt.b1s0t0",
                     "netdev_add hpvm.net.b0s3",
                     "device_add hpvm.nic.b0s3",
                     // change 3 fails (the guest's devices are known by now)
                     "blockdev-add hpvm-b0s0t2 /img/b",
                     "device_add hpvm.tgt.b0s0t2",
                     "blockdev-del hpvm-b0s0t2",
                     // the undo, newest first, on past the adapter that stays
                     "device_del hpvm.nic.b0s3",
                     "netdev_del hpvm.net.b0s3",
                     "device_del hpvm.tgt.b1s0t0",
                     "blockdev-del hpvm-b1s0t0",
                     "device_del hpvm.hba.b1s0",
                 });
  CHECK(g.devices.contains("hpvm.hba.b1s0"));
  CHECK_FALSE(g.devices.contains("hpvm.nic.b0s3"));
  CHECK_FALSE(g.devices.contains("hpvm.tgt.b1s0t0"));
}

TEST_CASE("hotplug: a failed replacement puts the old backing store back") {
  FakeGuest g = one_adapter_guest();
  const std::string before = g.state();
  g.fail_on = "blockdev-add hpvm-b0s0t0 /img/z";
  std::optional<avio::BatchFailed> failure;
  with_guest(g, [&](avio::QmpClient& qmp) {
    try {
      avio::apply_batch(qmp,
                        {avio::ReplaceBacking{disk(0, 0, 0, "/img/a"), disk(0, 0, 0, "/img/z")}});
      FAIL("no BatchFailed");
    } catch (const avio::BatchFailed& e) {
      failure = e;
    }
  });
  REQUIRE(failure);
  CHECK(failure->index() == 0);
  CHECK(failure->change() == "change the backing store of disk 0,0,0");
  CHECK(g.log == Lines{"device_del hpvm.tgt.b0s0t0", "blockdev-del hpvm-b0s0t0",
                       "blockdev-add hpvm-b0s0t0 /img/z", "qom-list", "blockdev-del hpvm-b0s0t0",
                       "blockdev-add hpvm-b0s0t0 /img/a", "device_add hpvm.tgt.b0s0t0"});
  CHECK(g.state() == before);
}

TEST_CASE("hotplug: a PCI removal the guest does not complete is pending and recorded") {
  const hpvm_test::TempDir tmp("unit-hotplug");
  FakeGuest g = one_adapter_guest();
  g.keeps = {"hpvm.nic.b0s1"};
  avio::BatchOptions options;
  options.removal_timeout = 100ms;
  options.pending_file = tmp.path() / "pending";
  avio::BatchResult result;
  with_guest(g, [&](avio::QmpClient& qmp) {
    result = avio::apply_batch(qmp, {avio::RemoveNic{nic(0, 1)}}, options);
  });
  CHECK(result.outcomes == std::vector<avio::Outcome>{avio::Outcome::removal_pending});
  CHECK(result.any_pending());
  // The netdev stays with the device; the id is recorded for hpvmstatus.
  CHECK(g.log == Lines{"qom-list", "device_del hpvm.nic.b0s1"});
  CHECK(g.netdevs.contains("hpvm.net.b0s1"));
  std::ifstream in(options.pending_file);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "hpvm.nic.b0s1\n");
  CHECK(avio::recorded_removals(options.pending_file) == std::set<std::string>{"hpvm.nic.b0s1"});

  // Asked again, the removal is not asked of the guest a second time.
  g.log.clear();
  with_guest(g, [&](avio::QmpClient& qmp) {
    result = avio::apply_batch(qmp, {avio::RemoveNic{nic(0, 1)}}, options);
  });
  CHECK(result.outcomes == std::vector<avio::Outcome>{avio::Outcome::removal_pending});
  CHECK(g.log == Lines{"qom-list"});
}

TEST_CASE("hotplug: removing an adapter's last target removes the adapter") {
  FakeGuest g;
  g.devices = {{"hpvm.hba.b2s3", "megasas"}, {"hpvm.tgt.b2s3t4", "scsi-hd"}};
  g.nodes = {"hpvm-b2s3t4"};
  g.node_files = {{"hpvm-b2s3t4", "/img/only"}};
  auto only = disk(2, 3, 4, "/img/only");
  only.adapter = avio::StorageAdapter::scsi;
  avio::BatchResult result;
  with_guest(g, [&](avio::QmpClient& qmp) {
    result = avio::apply_batch(qmp, {avio::RemoveStorage{only}});
  });
  CHECK(result.outcomes == std::vector<avio::Outcome>{avio::Outcome::done});
  CHECK(g.log == Lines{"qom-list", "device_del hpvm.tgt.b2s3t4", "blockdev-del hpvm-b2s3t4",
                       "device_del hpvm.hba.b2s3"});
  CHECK(g.state().empty());
}

// Found by tests/fuzz/fuzz_qmp.cpp: answers of another shape than QMP
// documents threw nlohmann's type_error (a name that is no string, a block
// entry that is no object) or read a missing member of a const object.
TEST_CASE("hotplug: live_devices skips what it cannot read in odd answers") {
  hpvm_test::QmpPeer peer(
      {"{\"return\": {}}\n",
       "{\"return\": [{\"name\": 5, \"type\": \"child<e1000>\"}, 7, {\"type\": \"child<\"}, "
       "{\"name\": \"hpvm.nic.b0s2\", \"type\": \"child<e1000>\"}]}\n",
       "{\"return\": 42}\n",
       "{\"return\": [3, {\"qdev\": 1}, {\"qdev\": \"hpvm.tgt.b0s1t0\", \"inserted\": true}]}\n",
       "{\"return\": [{\"node-name\": []}, \"x\"]}\n", "{\"return\": {\"not\": \"text\"}}\n"});
  avio::QmpClient qmp(peer.path(), 2000ms);
  const auto live = avio::live_devices(qmp);
  CHECK(live.ids == std::set<std::string>{"hpvm.nic.b0s2"});
  CHECK(live.macs == std::map<std::string, std::string>{{"hpvm.nic.b0s2", ""}});
  CHECK(live.backing.empty());
  CHECK(live.orphan_nodes.empty());
  CHECK(live.orphan_netdevs.empty());
}

#include "avio/hotplug.hpp"

#include "avio/deadline.hpp"
#include "avio/fd.hpp"

#include <fmt/format.h>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <iterator>
#include <regex>
#include <string_view>
#include <thread>

namespace avio {

namespace {

using namespace std::chrono_literals;

// SCSI targets are unplugged synchronously; this only bounds the wait.
constexpr std::chrono::milliseconds k_scsi_removal_timeout{2000};
// How long a block node may stay "in use" after its device is gone.
constexpr std::chrono::milliseconds k_node_release_timeout{2000};

// blockdev-del of a node whose device QEMU has just dropped: QEMU can still
// hold the node a moment after DEVICE_DELETED, or after the device_del of a
// command killed halfway (bench/kill saw -R fail on it once in 1,000 kills),
// so "in use" is retried for a bounded time.
void delete_block_node(QmpClient& qmp, const std::string& node) {
  const auto deadline = std::chrono::steady_clock::now() + k_node_release_timeout;
  for (;;) {
    try {
      qmp.execute("blockdev-del", {{"node-name", node}});
      return;
    } catch (const QmpError& e) {
      if (std::string_view(e.what()).find("is in use") == std::string_view::npos ||
          std::chrono::steady_clock::now() >= deadline) {
        throw;
      }
    }
    std::this_thread::sleep_for(20ms);
  }
}

const char* device_word(const GuestDisk& d) {
  switch (d.device) {
  case DeviceType::disk:
    return "disk";
  case DeviceType::dvd:
    return "dvd";
  case DeviceType::tape:
    return "tape";
  case DeviceType::changer:
    return "changer";
  case DeviceType::burner:
    return "burner";
  }
  return "disk";
}

std::string where(const StorageAddress& a) {
  return fmt::format("{},{},{}", a.bus, a.slot, a.target);
}

// One guest's batch in progress: what is live, and how to undo what was done.
class Batch {
public:
  Batch(QmpClient& qmp, const BatchOptions& options)
      : m_qmp(qmp), m_options(options), m_asked_to_leave(recorded_removals(options.pending_file)) {}

  // A PCI device the guest was asked to eject and has not: QEMU removes it
  // whenever the guest lets go; until then hpvmstatus shows it as pending.
  Outcome pending(const std::string& id) {
    if (!m_options.pending_file.empty()) {
      std::ofstream(m_options.pending_file, std::ios::app) << id << '\n';
    }
    return Outcome::removal_pending;
  }

  Outcome apply(const HotChange& change) {
    return std::visit([this](const auto& c) { return do_apply(c); }, change);
  }

  // Undoes everything done so far, newest first; returns what could not be undone.
  std::vector<std::string> rollback() {
    std::vector<std::string> problems;
    while (!m_undo.empty()) {
      auto undo = std::move(m_undo.back());
      m_undo.pop_back();
      try {
        undo();
      } catch (const std::exception& e) {
        problems.emplace_back(e.what());
      }
    }
    return problems;
  }

private:
  // How long a PCI removal may still wait: removal_timeout is one budget for
  // the whole batch (which runs inside the caller's write transaction), from
  // the first PCI removal on.
  std::chrono::milliseconds pci_removal_wait() {
    const auto now = std::chrono::steady_clock::now();
    if (!m_removal_deadline) {
      m_removal_deadline = now + m_options.removal_timeout;
    }
    return millis_until(*m_removal_deadline);
  }

  // device_del and wait for DEVICE_DELETED; false when the guest keeps it.
  bool remove_device(const std::string& id, std::chrono::milliseconds timeout) {
    m_qmp.execute("device_del", {{"id", id}});
    const auto event = m_qmp.wait_event(
        "DEVICE_DELETED",
        [&](const Json& e) { return json_text(json_member(e, "data"), "device") == id; }, timeout);
    if (event && m_ids) {
      m_ids->erase(id);
    }
    return event.has_value();
  }

  void add_device(const Json& device) {
    m_qmp.execute("device_add", device);
    if (m_ids) {
      m_ids->insert(device["id"].get<std::string>());
    }
  }

  // Runs `add`; when QEMU refuses it and `leftover` can be deleted (an object
  // of the same id that no device uses, left by a command killed halfway),
  // deletes that and runs `add` once more.
  void add_healing(const std::function<void()>& add, const std::string& device_id,
                   const std::string& delete_command, const Json& leftover) {
    try {
      add();
    } catch (const QmpError&) {
      if (ids().contains(device_id)) {
        throw;
      }
      const std::exception_ptr refused = std::current_exception();
      try {
        m_qmp.execute(delete_command, leftover);
      } catch (const QmpError&) {
        std::rethrow_exception(refused); // there was no leftover: the add's own error
      }
      add();
    }
  }

  void add_target(const GuestDisk& disk) {
    const auto node = blockdev(disk);
    if (node) {
      add_healing([&] { m_qmp.execute("blockdev-add", *node); }, target_id(disk.address),
                  "blockdev-del", {{"node-name", node_name(disk.address)}});
    }
    try {
      add_device(target_device(disk));
    } catch (...) {
      if (node) {
        m_qmp.execute("blockdev-del", {{"node-name", node_name(disk.address)}});
      }
      throw;
    }
  }

  void remove_target(const GuestDisk& disk) {
    const std::string id = target_id(disk.address);
    if (!remove_device(id, k_scsi_removal_timeout)) {
      throw hpvm::Error(fmt::format("QEMU did not remove the SCSI device '{}'.", id));
    }
    if (!disk.location.empty()) {
      delete_block_node(m_qmp, node_name(disk.address));
    }
  }

  bool adapter_has_targets(int bus, int slot) {
    const std::string prefix = fmt::format("hpvm.tgt.b{}s{}t", bus, slot);
    const auto it = ids().lower_bound(prefix);
    return it != ids().end() && it->rfind(prefix, 0) == 0;
  }

  Outcome do_apply(const AddStorage& c) {
    const auto& a = c.disk.address;
    const std::string adapter = adapter_id(a.bus, a.slot);
    // Most hot-adds go onto an adapter the guest has: that is tried first,
    // and the guest's devices are only asked for when QEMU refuses it.
    bool added = false;
    if (!m_ids || m_ids->contains(adapter)) {
      try {
        add_target(c.disk);
        added = true;
      } catch (const QmpError&) {
        if (ids().contains(adapter)) {
          throw;
        }
      }
    }
    if (!added) {
      add_device(adapter_device(c.disk.adapter, a.bus, a.slot));
      m_undo.emplace_back([this, adapter] {
        if (!remove_device(adapter, pci_removal_wait())) {
          pending(adapter); // asked to eject it: hpvmstatus shows it pending
          throw hpvm::Error(fmt::format(
              "The guest has not released the new adapter '{}'; its removal is pending.", adapter));
        }
      });
      add_target(c.disk);
    }
    m_undo.emplace_back([this, disk = c.disk] { remove_target(disk); });
    return Outcome::done;
  }

  // Deletes what may be left of a device the guest no longer has.
  void delete_leftover(const std::string& command, const Json& arguments) {
    try {
      m_qmp.execute(command, arguments);
    } catch (const QmpError&) {
      // Nothing was left.
    }
  }

  Outcome do_apply(const RemoveStorage& c) {
    const auto& a = c.disk.address;
    if (ids().contains(target_id(a))) {
      remove_target(c.disk);
      m_undo.emplace_back([this, disk = c.disk] { add_target(disk); });
    } else if (!c.disk.location.empty()) {
      try {
        delete_block_node(m_qmp, node_name(a)); // the device is already gone
      } catch (const QmpError&) {
        // Nothing was left.
      }
    }
    if (adapter_has_targets(a.bus, a.slot)) {
      return Outcome::done;
    }
    const std::string adapter = adapter_id(a.bus, a.slot);
    if (!ids().contains(adapter)) {
      return Outcome::done;
    }
    if (m_asked_to_leave.contains(adapter)) {
      return Outcome::removal_pending;
    }
    if (!remove_device(adapter, pci_removal_wait())) {
      return pending(adapter); // cannot be undone: the guest was asked to eject it
    }
    m_undo.emplace_back([this, disk = c.disk] {
      add_device(adapter_device(disk.adapter, disk.address.bus, disk.address.slot));
    });
    return Outcome::done;
  }

  Outcome do_apply(const AddNic& c) {
    add_healing([&] { m_qmp.execute("netdev_add", tap_netdev(c.nic)); }, nic_id(c.nic.address),
                "netdev_del", {{"id", netdev_id(c.nic.address)}});
    try {
      add_device(nic_device(c.nic));
    } catch (...) {
      m_qmp.execute("netdev_del", {{"id", netdev_id(c.nic.address)}});
      throw;
    }
    m_undo.emplace_back([this, nic = c.nic] {
      if (!remove_device(nic_id(nic.address), pci_removal_wait())) {
        pending(nic_id(nic.address));
        throw hpvm::Error(
            fmt::format("The guest has not released the new vNIC '{}'; its removal is pending.",
                        nic_id(nic.address)));
      }
      m_qmp.execute("netdev_del", {{"id", netdev_id(nic.address)}});
    });
    return Outcome::done;
  }

  Outcome do_apply(const RemoveNic& c) {
    const std::string id = nic_id(c.nic.address);
    if (!ids().contains(id)) { // the guest let go of it already
      delete_leftover("netdev_del", {{"id", netdev_id(c.nic.address)}});
      return Outcome::done;
    }
    if (m_asked_to_leave.contains(id)) {
      return Outcome::removal_pending; // asked before; the guest decides when
    }
    if (!remove_device(id, pci_removal_wait())) {
      return pending(id);
    }
    m_qmp.execute("netdev_del", {{"id", netdev_id(c.nic.address)}});
    m_undo.emplace_back([this, nic = c.nic] {
      m_qmp.execute("netdev_add", tap_netdev(nic));
      add_device(nic_device(nic));
    });
    return Outcome::done;
  }

  // A DVD keeps its drive: open the tray, swap the medium, close the tray.
  void change_medium(const GuestDisk& from, const GuestDisk& to) {
    const std::string id = target_id(from.address);
    m_qmp.execute("blockdev-open-tray", {{"id", id}, {"force", true}});
    m_qmp.execute("blockdev-remove-medium", {{"id", id}});
    if (!from.location.empty()) {
      m_qmp.execute("blockdev-del", {{"node-name", node_name(from.address)}});
    }
    if (auto node = blockdev(to)) {
      m_qmp.execute("blockdev-add", *node);
      m_qmp.execute("blockdev-insert-medium", {{"id", id}, {"node-name", node_name(to.address)}});
    }
    m_qmp.execute("blockdev-close-tray", {{"id", id}});
  }

  Outcome do_apply(const ReplaceBacking& c) {
    if (c.from.device == DeviceType::dvd && c.to.device == DeviceType::dvd &&
        c.from.address == c.to.address) {
      change_medium(c.from, c.to);
      m_undo.emplace_back([this, c] { change_medium(c.to, c.from); });
      return Outcome::done;
    }
    remove_target(c.from);
    try {
      add_target(c.to);
    } catch (...) {
      add_target(c.from);
      throw;
    }
    m_undo.emplace_back([this, c] {
      remove_target(c.to);
      add_target(c.from);
    });
    return Outcome::done;
  }

  // The guest's devices now, asked of QEMU (qom-list) the first time a
  // change needs them: a disk hot-added onto a live adapter never does.
  std::set<std::string>& ids() {
    if (!m_ids) {
      m_ids = peripheral_ids(m_qmp);
    }
    return *m_ids;
  }

  QmpClient& m_qmp;
  const BatchOptions& m_options;
  std::optional<std::set<std::string>> m_ids;
  std::set<std::string> m_asked_to_leave; // PCI removals already asked of the guest
  std::vector<std::function<void()>> m_undo;
  std::optional<std::chrono::steady_clock::time_point> m_removal_deadline;
};

} // namespace

std::string describe(const HotChange& change) {
  struct Describer {
    std::string operator()(const AddStorage& c) const {
      return fmt::format("add {} {}", device_word(c.disk), where(c.disk.address));
    }
    std::string operator()(const RemoveStorage& c) const {
      return fmt::format("remove {} {}", device_word(c.disk), where(c.disk.address));
    }
    std::string operator()(const AddNic& c) const {
      return fmt::format("add {} {},{}", c.nic.adapter == NetAdapter::avio_lan ? "avio_lan" : "lan",
                         c.nic.address.bus, c.nic.address.slot);
    }
    std::string operator()(const RemoveNic& c) const {
      return fmt::format("remove {} {},{}",
                         c.nic.adapter == NetAdapter::avio_lan ? "avio_lan" : "lan",
                         c.nic.address.bus, c.nic.address.slot);
    }
    std::string operator()(const ReplaceBacking& c) const {
      return fmt::format("change the backing store of {} {}", device_word(c.from),
                         where(c.from.address));
    }
  };
  return std::visit(Describer{}, change);
}

bool BatchResult::any_pending() const {
  return std::find(outcomes.begin(), outcomes.end(), Outcome::removal_pending) != outcomes.end();
}

BatchFailed::BatchFailed(std::size_t index, std::string change, const std::string& reason,
                         std::vector<std::string> rollback_problems, bool refused)
    : hpvm::Error(fmt::format("Change {} ({}) failed: {}", index + 1, change, reason)),
      m_index(index), m_change(std::move(change)), m_reason(reason),
      m_rollback_problems(std::move(rollback_problems)), m_refused(refused) {}

BatchResult apply_batch(QmpClient& qmp, const std::vector<HotChange>& changes,
                        const BatchOptions& options,
                        const std::function<void(const BatchResult&)>& commit) {
  Batch batch(qmp, options);
  BatchResult result;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    try {
      result.outcomes.push_back(batch.apply(changes[i]));
    } catch (const std::exception& e) {
      const bool refused = dynamic_cast<const QmpError*>(&e) != nullptr;
      throw BatchFailed(i, describe(changes[i]), e.what(), batch.rollback(), refused);
    }
  }
  if (commit) {
    try {
      commit(result);
    } catch (const std::exception& e) {
      throw CommitFailed(e.what(), batch.rollback(),
                         dynamic_cast<const hpvm::NoSpace*>(&e) != nullptr);
    }
  }
  return result;
}

namespace {

// id -> device model of every child of /machine/peripheral ("child<e1000>").
std::map<std::string, std::string> peripheral_types(QmpClient& qmp) {
  std::map<std::string, std::string> types;
  for (const auto& child : qmp.execute("qom-list", {{"path", "/machine/peripheral"}})) {
    const std::string type = json_text(child, "type");
    const std::string name = json_text(child, "name");
    if (type.starts_with("child<") && type.ends_with('>') && !name.empty()) {
      types.emplace(name, type.substr(6, type.size() - 7));
    }
  }
  return types;
}

// Our tap netdevs. QEMU 7.2 has no query-netdev; "info network" names every
// netdev, attached or not, and ours have fixed, numeric ids.
std::set<std::string> our_netdevs(QmpClient& qmp) {
  const Json answer = qmp.execute("human-monitor-command", {{"command-line", "info network"}});
  const std::string text = answer.is_string() ? answer.get<std::string>() : std::string();
  std::set<std::string> ids;
  const std::regex id(R"(hpvm\.net\.b[0-9]+s[0-9]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), id); it != std::sregex_iterator();
       ++it) {
    ids.insert(it->str());
  }
  return ids;
}

} // namespace

std::set<std::string> peripheral_ids(QmpClient& qmp) {
  std::set<std::string> ids;
  for (const auto& [id, type] : peripheral_types(qmp)) {
    ids.insert(id);
  }
  return ids;
}

std::set<std::string> recorded_removals(const std::filesystem::path& pending_file) {
  std::set<std::string> ids;
  if (!pending_file.empty()) {
    std::ifstream in(pending_file);
    for (std::string id; std::getline(in, id);) {
      if (!id.empty()) {
        ids.insert(id);
      }
    }
  }
  return ids;
}

void record_removals(const std::filesystem::path& pending_file, const std::set<std::string>& ids) {
  if (ids.empty()) {
    std::error_code ignored;
    std::filesystem::remove(pending_file, ignored);
    return;
  }
  std::ofstream out(pending_file, std::ios::trunc);
  for (const auto& id : ids) {
    out << id << '\n';
  }
}

LiveDevices live_devices(QmpClient& qmp, const std::filesystem::path& pending_file) {
  LiveDevices live;
  live.types = peripheral_types(qmp);
  for (const auto& [id, type] : live.types) {
    live.ids.insert(id);
    if (id.rfind("hpvm.nic.", 0) == 0) {
      const Json mac =
          qmp.execute("qom-get", {{"path", "/machine/peripheral/" + id}, {"property", "mac"}});
      live.macs[id] = mac.is_string() ? mac.get<std::string>() : std::string();
    }
  }
  for (const auto& block : qmp.execute("query-block")) {
    const std::string qdev = json_text(block, "qdev");
    if (const Json& inserted = json_member(block, "inserted");
        inserted.is_object() && !qdev.empty()) {
      // "qdev" is the id, or a QOM path ending in it.
      const std::string id = qdev.substr(qdev.rfind('/') + 1);
      live.backing[id] = json_text(inserted, "file");
    }
  }
  // A node hpvm-b0s1t3 belongs to the target hpvm.tgt.b0s1t3.
  for (const auto& node : qmp.execute("query-named-block-nodes", {{"flat", true}})) {
    const std::string name = json_text(node, "node-name");
    if (name.rfind("hpvm-", 0) == 0 && !live.ids.contains("hpvm.tgt." + name.substr(5))) {
      live.orphan_nodes.insert(name);
    }
  }
  for (const auto& netdev : our_netdevs(qmp)) {
    if (!live.ids.contains("hpvm.nic." + netdev.substr(9))) { // hpvm.net.b0s3 -> hpvm.nic.b0s3
      live.orphan_netdevs.insert(netdev);
    }
  }
  for (const auto& id : recorded_removals(pending_file)) {
    if (live.ids.contains(id)) {
      live.removal_pending.insert(id);
    }
  }
  return live;
}

std::vector<std::string> remove_orphans(QmpClient& qmp, const LiveDevices& live) {
  std::vector<std::string> done;
  for (const auto& node : live.orphan_nodes) {
    delete_block_node(qmp, node);
    done.push_back(fmt::format("remove the unused block node '{}'", node));
  }
  for (const auto& netdev : live.orphan_netdevs) {
    qmp.execute("netdev_del", {{"id", netdev}});
    done.push_back(fmt::format("remove the unused netdev '{}'", netdev));
  }
  return done;
}

namespace {

// The header QEMU puts before each frame on a tap: the kernel's default (10
// bytes) unless the guest's virtio-net driver negotiated the 12-byte one
// (VIRTIO_F_VERSION_1 or mergeable buffers), which QEMU then sets on the tap.
int vnet_header_length(QmpClient& qmp, const GuestNic& nic) {
  constexpr int k_default = 10;
  constexpr int k_modern = 12;
  if (nic.adapter != NetAdapter::avio_lan) {
    return k_default;
  }
  try {
    const Json status =
        qmp.execute("x-query-virtio-status",
                    {{"path", "/machine/peripheral/" + nic_id(nic.address) + "/virtio-backend"}});
    const std::string features = json_member(status, "guest-features").dump();
    if (features.find("VIRTIO_F_VERSION_1") != std::string::npos ||
        features.find("VIRTIO_NET_F_MRG_RXBUF") != std::string::npos) {
      return k_modern;
    }
  } catch (const hpvm::Error&) {
    // An older QEMU: the default, as before the guest's driver ran.
  }
  return k_default;
}

} // namespace

std::vector<int> detached_tap_files(pid_t qemu) {
  std::vector<int> out;
  const std::filesystem::path proc = std::filesystem::path("/proc") / std::to_string(qemu);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(proc / "fd", ec)) {
    std::error_code link_ec;
    if (std::filesystem::read_symlink(entry.path(), link_ec) != "/dev/net/tun") {
      continue;
    }
    const std::string name = entry.path().filename().string();
    std::ifstream info(proc / "fdinfo" / name);
    const std::string text((std::istreambuf_iterator<char>(info)),
                           std::istreambuf_iterator<char>());
    // "iff:\t<tap>" while attached; the name is empty once the tap is gone.
    const auto iff = text.find("iff:\t");
    if (info && (iff == std::string::npos || text.compare(iff + 5, 1, "\n") == 0 ||
                 iff + 5 >= text.size())) {
      out.push_back(std::stoi(name));
    }
  }
  return out;
}

void reconnect_tap(QmpClient& qmp, pid_t qemu, const GuestNic& nic, const PortRequest& port) {
  const auto files = detached_tap_files(qemu);
  if (files.size() != 1) {
    throw hpvm::Error(fmt::format("QEMU (pid {}) holds {} tap files no tap is attached to, and "
                                  "which is this vNIC's cannot be told",
                                  qemu, files.size()));
  }
  const int length = vnet_header_length(qmp, nic);
  const Fd process(static_cast<int>(::syscall(SYS_pidfd_open, qemu, 0)));
  const Fd file(process ? static_cast<int>(::syscall(SYS_pidfd_getfd, process.get(), files[0], 0))
                        : -1);
  if (!file) {
    throw hpvm::Error(
        fmt::format("Cannot take QEMU's (pid {}) tap file: {}", qemu, std::strerror(errno)));
  }
  const bool made = !link_state(port.tap).exists;
  create_port_tap(port);
  // The flags QEMU opens its taps with (tap_open: no packet information,
  // virtio-net headers).
  ifreq ifr{};
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  std::memcpy(ifr.ifr_name, nic.tap.c_str(), std::min(nic.tap.size(), std::size_t{IFNAMSIZ - 1}));
  if (::ioctl(file.get(), TUNSETIFF, &ifr) != 0 ||
      ::ioctl(file.get(), TUNSETVNETHDRSZ, &length) != 0) {
    const int saved = errno;
    if (made) {
      remove_port_tap(port.tap);
    }
    throw hpvm::Error(fmt::format("Cannot attach QEMU's (pid {}) tap file to the tap '{}': {}",
                                  qemu, nic.tap, std::strerror(saved)));
  }
}

} // namespace avio

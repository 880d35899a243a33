#include "avio/guest_agent.hpp"

#include "avio/machine.hpp"
#include "avio/qmp.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <map>
#include <random>
#include <tuple>

namespace avio {

namespace {

using Clock = std::chrono::steady_clock;
using PciFunction = std::tuple<int, int, int>; // bus, slot, function as the guest numbers them

Millis left_until(Clock::time_point deadline) {
  return std::max(Millis{1}, std::chrono::duration_cast<Millis>(deadline - Clock::now()));
}

// query-pci: every device's qdev id by the bus numbers the guest's firmware
// gave the bridges (hpvm.bus<b> is not always PCI bus b+1 in the guest).
void collect_pci(const Json& devices, std::map<PciFunction, std::string>& ids) {
  for (const auto& d : devices) {
    ids[{d.value("bus", -1), d.value("slot", -1), d.value("function", -1)}] =
        d.value("qdev_id", "");
    if (const auto bridge = d.find("pci_bridge"); bridge != d.end()) {
      if (const auto below = bridge->find("devices"); below != bridge->end()) {
        collect_pci(*below, ids);
      }
    }
  }
}

std::map<PciFunction, std::string> guest_pci_ids(const RunDir& run, Clock::time_point deadline) {
  QmpClient qmp(run.qmp_socket(), left_until(deadline), left_until(deadline));
  std::map<PciFunction, std::string> ids;
  for (const auto& bus : qmp.execute("query-pci", Json::object(), left_until(deadline))) {
    if (const auto devices = bus.find("devices"); devices != bus.end()) {
      collect_pci(*devices, ids);
    }
  }
  return ids;
}

// One agent command's "return", nullopt at the deadline; an error reply throws.
std::optional<Json> agent_command(JsonChannel& agent, const std::string& command,
                                  Clock::time_point deadline) {
  agent.send(Json{{"execute", command}});
  while (auto message = agent.read_message(deadline)) {
    if (const auto error = message->find("error"); error != message->end()) {
      throw hpvm::Error(fmt::format("the guest agent refused '{}': {}", command,
                                    error->value("desc", "unknown error")));
    }
    if (const auto result = message->find("return"); result != message->end()) {
      return *result;
    }
  }
  return std::nullopt;
}

std::string silent(const char* what, Millis timeout) {
  return fmt::format("the guest agent did not answer {} within {} ms", what, timeout.count());
}

void read_disks(const Json& disks, const std::map<PciFunction, std::string>& pci,
                GuestDeviceNames& names) {
  for (const auto& disk : disks) {
    const auto address = disk.find("address");
    if (disk.value("partition", false) || address == disk.end() ||
        address->value("bus-type", "") != "scsi") {
      continue;
    }
    const Json controller = address->value("pci-controller", Json::object());
    const auto id = pci.find({controller.value("bus", -1), controller.value("slot", -1),
                              controller.value("function", -1)});
    if (id == pci.end()) {
      continue;
    }
    if (const auto adapter = adapter_address_of(id->second)) {
      const int target = address->value("target", -1);
      names.disks.push_back(
          {{adapter->bus, adapter->slot, target},
           disk.value("name", ""),
           fmt::format("{}.{}.{}", address->value("bus", -1), target, address->value("unit", -1))});
    }
  }
}

void read_interfaces(const Json& interfaces, GuestDeviceNames& names) {
  for (const auto& nic : interfaces) {
    std::string text = nic.value("hardware-address", "");
    std::replace(text.begin(), text.end(), ':', '-');
    const auto mac = MacAddress::parse(text);
    if (!mac) {
      continue; // the loopback interface has 00:00:00:00:00:00 or none
    }
    std::string ipv4;
    for (const auto& ip : nic.value("ip-addresses", Json::array())) {
      if (ip.value("ip-address-type", "") == "ipv4") {
        ipv4 = fmt::format("{}/{}", ip.value("ip-address", ""), ip.value("prefix", 0));
        break;
      }
    }
    names.nics.push_back({*mac, nic.value("name", ""), ipv4});
  }
}

} // namespace

GuestDeviceNames guest_device_names(const RunDir& run, Millis timeout) {
  GuestDeviceNames names;
  const auto deadline = Clock::now() + timeout;
  try {
    JsonChannel agent(run.agent_socket(), left_until(deadline), "guest agent socket");
    // The agent may still hold the reply to an earlier client's command:
    // guest-sync-delimited's 0xFF byte and our random id put the stream in step.
    std::mt19937 random(std::random_device{}());
    const int sync_id = static_cast<int>(random() % 1000000000U) + ::getpid() % 1000;
    agent.send(Json{{"execute", "guest-sync-delimited"}, {"arguments", {{"id", sync_id}}}});
    if (!agent.skip_past_delimiter(deadline)) {
      names.problem = silent("guest-sync-delimited", timeout);
      return names;
    }
    bool synced = false;
    while (auto message = agent.read_message(deadline)) {
      if (message->value("return", Json()) == sync_id) {
        synced = true;
        break;
      }
    }
    if (!synced) {
      names.problem = silent("guest-sync-delimited", timeout);
      return names;
    }
    const auto disks = agent_command(agent, "guest-get-disks", deadline);
    const auto interfaces = agent_command(agent, "guest-network-get-interfaces", deadline);
    if (!disks || !interfaces) {
      names.problem = silent(disks ? "guest-network-get-interfaces" : "guest-get-disks", timeout);
      return names;
    }
    read_disks(*disks, guest_pci_ids(run, deadline), names);
    read_interfaces(*interfaces, names);
    names.answered = true;
  } catch (const hpvm::Error& e) {
    names = GuestDeviceNames{};
    names.problem = e.what();
  } catch (const Json::exception& e) {
    names = GuestDeviceNames{};
    names.problem = fmt::format("the guest agent's answer is not what was expected: {}", e.what());
  }
  return names;
}

} // namespace avio

#include "avio/guest_agent.hpp"

#include "avio/deadline.hpp"
#include "avio/machine.hpp"
#include "avio/qmp.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <random>

namespace avio {

namespace {

using Clock = std::chrono::steady_clock;

Millis left_until(Clock::time_point deadline) {
  return std::max(Millis{1}, millis_until(deadline));
}

// One agent command's "return", nullopt at the deadline; an error reply throws.
std::optional<Json> agent_command(JsonChannel& agent, const std::string& command,
                                  Clock::time_point deadline, const Json& arguments = Json()) {
  Json request{{"execute", command}};
  if (!arguments.is_null()) {
    request["arguments"] = arguments;
  }
  agent.send(request);
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

std::string base64_decode(const std::string& text) {
  static const std::string k_digits =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (const char c : text) {
    const auto d = k_digits.find(c);
    if (d == std::string::npos) {
      continue; // padding
    }
    bits = (bits << 6U) | static_cast<unsigned>(d);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> static_cast<unsigned>(count)) & 0xFFU);
    }
  }
  return out;
}

// The disk's unit serial number page (VPD 0x80) as the guest's kernel read
// it: 4 header bytes, then the serial. "" when the guest has none.
std::string guest_disk_serial(JsonChannel& agent, const std::string& disk,
                              Clock::time_point deadline) {
  const std::string name = disk.substr(disk.rfind('/') + 1);
  Json handle;
  try {
    const auto opened =
        agent_command(agent, "guest-file-open", deadline,
                      {{"path", "/sys/block/" + name + "/device/vpd_pg80"}, {"mode", "r"}});
    if (!opened) {
      return "";
    }
    handle = *opened;
  } catch (const hpvm::Error&) {
    return ""; // no such page: not a disk of ours
  }
  const auto read =
      agent_command(agent, "guest-file-read", deadline, {{"handle", handle}, {"count", 512}});
  agent_command(agent, "guest-file-close", deadline, {{"handle", handle}});
  const std::string page = read ? base64_decode(read->value("buf-b64", "")) : "";
  return page.size() > 4 ? page.substr(4) : "";
}

// Each whole disk the agent lists, by the configured address in its serial
// number (as udev reported it, or from its VPD page): qemu-ga's own SCSI
// address of a virtio-scsi disk does not tell its target (7.2 says 0 for
// all), and it gives none for megasas' disks.
void read_disks(JsonChannel& agent, const Json& disks, Clock::time_point deadline,
                GuestDeviceNames& names) {
  for (const auto& disk : disks) {
    if (disk.value("partition", false)) {
      continue;
    }
    const std::string name = disk.value("name", "");
    const Json address = disk.value("address", Json::object());
    std::string serial = address.value("serial", "");
    if (!serial_address_of(serial)) {
      serial = guest_disk_serial(agent, name, deadline);
    }
    if (const auto at = serial_address_of(serial)) {
      names.disks.push_back({*at, name, address.value("bus-type", "") == "scsi"});
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
    read_disks(agent, *disks, deadline, names);
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

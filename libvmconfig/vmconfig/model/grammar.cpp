#include "vmconfig/model/grammar.hpp"

#include "vmconfig/model/names.hpp"

#include <avio/backing.hpp>
#include <avio/text.hpp>

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <utility>
#include <vector>

namespace vmconfig {

namespace {

template <typename E> struct Keyword {
  std::string_view text;
  E value;
};

constexpr std::array k_device_types{
    Keyword<DeviceType>{"disk", DeviceType::disk},
    Keyword<DeviceType>{"dvd", DeviceType::dvd},
    Keyword<DeviceType>{"tape", DeviceType::tape},
    Keyword<DeviceType>{"changer", DeviceType::changer},
    Keyword<DeviceType>{"burner", DeviceType::burner},
};
constexpr std::array k_storage_adapters{
    Keyword<StorageAdapter>{"scsi", StorageAdapter::scsi},
    Keyword<StorageAdapter>{"avio_stor", StorageAdapter::avio_stor},
    Keyword<StorageAdapter>{"aviostor", StorageAdapter::avio_stor},
};
constexpr std::array k_storage_types{
    Keyword<StorageType>{"disk", StorageType::disk},
    Keyword<StorageType>{"lv", StorageType::lv},
    Keyword<StorageType>{"file", StorageType::file},
    Keyword<StorageType>{"null", StorageType::null},
    Keyword<StorageType>{"attach", StorageType::attach},
    Keyword<StorageType>{"attach_path", StorageType::attach_path},
};
constexpr std::array k_net_adapters{
    Keyword<NetAdapter>{"lan", NetAdapter::lan},
    Keyword<NetAdapter>{"avio_lan", NetAdapter::avio_lan},
    Keyword<NetAdapter>{"aviolan", NetAdapter::avio_lan},
};

template <typename E, std::size_t N>
std::optional<E> lookup(const std::array<Keyword<E>, N>& table, std::string_view s) {
  for (const auto& k : table) {
    if (k.text == s) {
      return k.value;
    }
  }
  return std::nullopt;
}

template <typename E, std::size_t N>
std::string_view name_of(const std::array<Keyword<E>, N>& table, E value) {
  for (const auto& k : table) {
    if (k.value == value) {
      return k.text; // the first spelling is the canonical one
    }
  }
  return "?";
}

using avio::split_view;

// Parses one statement; every failure names the field.
class Parser {
public:
  explicit Parser(std::string_view text) : m_text(text) {}

  [[noreturn]] void fail(std::string field, const std::string& reason) const {
    throw StatementError(m_text, std::move(field), reason);
  }

  std::optional<int> number(std::string_view field, std::string_view s, int max) const {
    if (s.empty()) {
      return std::nullopt;
    }
    // Digits with at most a leading minus; any negative (even "-0") is out of range.
    const std::string_view digits = s.starts_with('-') ? s.substr(1) : s;
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) {
      fail(std::string(field), fmt::format("'{}' is not a number", s));
    }
    int value = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (s.starts_with('-') || ec == std::errc::result_out_of_range) {
      fail(std::string(field), fmt::format("{} is out of range (0-{})", s, max));
    }
    if (value > max) {
      fail(std::string(field), fmt::format("{} is out of range (0-{})", value, max));
    }
    return value;
  }

  ResourceStatement parse() const {
    if (m_text.empty()) {
      fail("statement", "is empty");
    }
    for (char c : m_text) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        fail("statement", "contains a control character");
      }
    }
    const auto fields = split_view(m_text, ':');
    if (fields[0] == "network") {
      return network(fields);
    }
    if (fields[0] == "hba") {
      return hba(fields);
    }
    if (device_type_from(fields[0])) {
      return storage(fields);
    }
    if (fields[0].empty()) {
      fail("device type", "is missing");
    }
    fail("device type",
         fmt::format("'{}' is not one of disk, dvd, tape, changer, burner, network, hba",
                     fields[0]));
  }

private:
  StorageAdapter storage_adapter(std::string_view s) const {
    if (s.empty()) {
      fail("adapter type", "is missing (scsi or avio_stor)");
    }
    auto a = storage_adapter_from(s);
    if (!a) {
      fail("adapter type", fmt::format("'{}' is not scsi, avio_stor or aviostor", s));
    }
    return *a;
  }

  StorageStatement storage(const std::vector<std::string_view>& f) const {
    if (f.size() < 5) {
      fail("statement",
           "has too few fields (devicetype:adaptertype:bus,device,target:storage:location)");
    }
    StorageStatement st;
    st.device = *device_type_from(f[0]);
    st.adapter = storage_adapter(f[1]);
    const auto addr = split_view(f[2], ',');
    if (addr.size() > 3) {
      fail("hardware address",
           fmt::format("'{}' has more than three parts (bus,device,target)", f[2]));
    }
    st.address.bus = number("bus", addr[0], avio::k_max_bus);
    if (addr.size() > 1) {
      st.address.slot = number("device", addr[1], avio::k_max_slot);
    }
    if (addr.size() > 2) {
      st.address.target = number("target", addr[2], avio::max_target(st.adapter));
    }
    if (st.address.slot && !st.address.bus) {
      fail("bus", "is missing while a device (slot) is given");
    }
    if (st.address.target && !st.address.slot) {
      fail("device", "is missing while a target is given");
    }
    if (f[3].empty()) {
      fail("storage type", "is missing (disk, lv, file, null, attach or attach_path)");
    }
    auto storage = storage_type_from(f[3]);
    if (!storage) {
      fail("storage type",
           fmt::format("'{}' is not one of disk, lv, file, null, attach, attach_path", f[3]));
    }
    st.storage = *storage;
    if (!storage_allowed(st.device, st.storage)) {
      fail("storage type", fmt::format("'{}' cannot back a {} device", f[3], f[0]));
    }
    // The location is the rest of the statement: host paths may contain ':'.
    const auto loc_start = f[0].size() + f[1].size() + f[2].size() + f[3].size() + 4;
    st.location = std::string(m_text.substr(loc_start));
    if (st.location.empty() && st.storage != StorageType::null) {
      fail("location", "is missing");
    }
    // attach_path also takes HP-UX lunpaths (0/7/1/1.0x500104f00048b29e.0x0),
    // valid HPVM syntax; the host check (avio::check_backing) refuses them.
    const bool lunpath =
        st.storage == StorageType::attach_path && avio::is_hpux_lunpath(st.location);
    if (!st.location.empty() && st.location.front() != '/' && !lunpath) {
      fail("location", fmt::format("'{}' is not an absolute path", st.location));
    }
    return st;
  }

  NetworkStatement network(const std::vector<std::string_view>& f) const {
    NetworkStatement nw;
    if (f.size() < 2 || f[1].empty()) {
      fail("adapter type", "is missing (lan or avio_lan)");
    }
    auto a = net_adapter_from(f[1]);
    if (!a) {
      fail("adapter type", fmt::format("'{}' is not lan, avio_lan or aviolan", f[1]));
    }
    nw.adapter = *a;
    // The short form network:lan:vswitch:name leaves out the hardware field.
    std::size_t i = 2;
    // A hardware address has a comma or is all digits: anything else in that
    // position is a misspelt vswitch keyword of the short form.
    if (f.size() > 2 && f[2] != "vswitch" && f[2].find(',') == std::string_view::npos &&
        f[2].find_first_not_of("0123456789") != std::string_view::npos) {
      fail("vswitch keyword", fmt::format("'{}' is not 'vswitch'", f[2]));
    }
    if (f.size() > 2 && f[2] != "vswitch") {
      hardware(f[2], nw);
      i = 3;
    }
    if (f.size() <= i || f[i] != "vswitch") {
      fail("vswitch keyword",
           f.size() <= i ? std::string("is missing") : fmt::format("'{}' is not 'vswitch'", f[i]));
    }
    if (f.size() <= i + 1 || f[i + 1].empty()) {
      fail("vswitch name", "is missing");
    }
    if (auto problem = vswitch_name_problem(f[i + 1])) {
      // The problem reads "vswitch name 'x' ...": do not name the field twice.
      std::string_view reason = *problem;
      if (constexpr std::string_view named = "vswitch name "; reason.starts_with(named)) {
        reason.remove_prefix(named.size());
      }
      fail("vswitch name", std::string(reason));
    }
    nw.vswitch = std::string(f[i + 1]);
    i += 2;
    if (f.size() > i) {
      if (f[i] != "portid") {
        fail("portid keyword", fmt::format("'{}' is not 'portid'", f[i]));
      }
      if (f.size() <= i + 1 || f[i + 1].empty()) {
        fail("port number", "is missing");
      }
      nw.port = number("port number", f[i + 1], avio::k_max_port);
      if (f.size() > i + 2) {
        fail("statement", "has fields after the port number");
      }
    }
    return nw;
  }

  void hardware(std::string_view hw, NetworkStatement& nw) const {
    const auto parts = split_view(hw, ',');
    if (parts.size() > 3) {
      fail("hardware address", fmt::format("'{}' has more than three parts (bus,device,mac)", hw));
    }
    nw.address.bus = number("bus", parts[0], avio::k_max_bus);
    if (parts.size() > 1) {
      nw.address.slot = number("device", parts[1], avio::k_max_slot);
    }
    if (parts.size() > 2 && !parts[2].empty()) {
      nw.mac = avio::MacAddress::parse(parts[2]);
      if (!nw.mac) {
        fail("MAC address",
             fmt::format("'{}' is not 0xAABBCCDDEEFF or aa-bb-cc-dd-ee-ff", parts[2]));
      }
    }
    if (nw.address.bus.has_value() != nw.address.slot.has_value()) {
      fail(nw.address.bus ? "device" : "bus", "must be given together with the other");
    }
  }

  HbaStatement hba(const std::vector<std::string_view>& f) const {
    if (f.size() != 3) {
      fail("statement", "must be hba:adaptertype:bus,slot");
    }
    HbaStatement h;
    h.adapter = storage_adapter(f[1]);
    const auto addr = split_view(f[2], ',');
    if (addr.size() != 2) {
      fail("hardware address", fmt::format("'{}' must be bus,slot", f[2]));
    }
    auto bus = number("bus", addr[0], avio::k_max_bus);
    auto slot = number("device", addr[1], avio::k_max_slot);
    if (!bus || !slot) {
      fail(bus ? "device" : "bus", "is missing");
    }
    h.bus = *bus;
    h.slot = *slot;
    return h;
  }

  std::string_view m_text;
};

} // namespace

StatementError::StatementError(std::string_view statement, std::string field,
                               const std::string& reason)
    : hpvm::Error(fmt::format("Invalid resource statement '{}': {} {}.", statement, field, reason)),
      m_field(std::move(field)) {}

ResourceStatement parse_resource(std::string_view text) {
  return Parser(text).parse();
}

std::string format(const StorageDevice& d) {
  return fmt::format("{}:{}:{},{},{}:{}:{}", to_string(d.device), to_string(d.adapter),
                     d.address.bus, d.address.slot, d.address.target, to_string(d.storage),
                     d.location);
}

std::string format(const NetworkDevice& d) {
  std::string s = fmt::format("network:{}:{},{},{}:vswitch:{}", to_string(d.adapter), d.address.bus,
                              d.address.slot, d.mac.canonical(), d.vswitch);
  if (d.port) {
    s += fmt::format(":portid:{}", *d.port);
  }
  return s;
}

std::string format(const HbaStatement& h) {
  return fmt::format("hba:{}:{},{}", to_string(h.adapter), h.bus, h.slot);
}

namespace {

// "0,4,1", "0,4", "" for the address parts a statement gives.
std::string address_text(const avio::AddressRequest& a, bool with_target) {
  std::string out;
  if (a.bus) {
    out += std::to_string(*a.bus);
  }
  if (a.slot) {
    out += fmt::format(",{}", *a.slot);
  }
  if (with_target && a.target) {
    out += fmt::format(",{}", *a.target);
  }
  return out;
}

} // namespace

std::string format(const StorageStatement& st) {
  return fmt::format("{}:{}:{}:{}:{}", to_string(st.device), to_string(st.adapter),
                     address_text(st.address, true), to_string(st.storage), st.location);
}

std::string format(const NetworkStatement& nw) {
  std::string hardware = address_text(nw.address, false);
  if (nw.mac) {
    hardware += fmt::format("{}{}", nw.address.slot ? "," : ",,", nw.mac->canonical());
  }
  std::string s =
      fmt::format("network:{}:{}:vswitch:{}", to_string(nw.adapter), hardware, nw.vswitch);
  if (nw.port) {
    s += fmt::format(":portid:{}", *nw.port);
  }
  return s;
}

std::string format(const ResourceStatement& statement) {
  return std::visit([](const auto& s) { return format(s); }, statement);
}

std::string_view to_string(DeviceType t) {
  return name_of(k_device_types, t);
}
std::string_view to_string(StorageAdapter a) {
  return name_of(k_storage_adapters, a);
}
std::string_view to_string(StorageType t) {
  return name_of(k_storage_types, t);
}
std::string_view to_string(NetAdapter a) {
  return name_of(k_net_adapters, a);
}
std::optional<DeviceType> device_type_from(std::string_view s) {
  return lookup(k_device_types, s);
}
std::optional<StorageAdapter> storage_adapter_from(std::string_view s) {
  return lookup(k_storage_adapters, s);
}
std::optional<StorageType> storage_type_from(std::string_view s) {
  return lookup(k_storage_types, s);
}
std::optional<NetAdapter> net_adapter_from(std::string_view s) {
  return lookup(k_net_adapters, s);
}

bool storage_allowed(DeviceType device, StorageType storage) {
  switch (device) {
  case DeviceType::disk:
    return storage == StorageType::disk || storage == StorageType::lv ||
           storage == StorageType::file;
  case DeviceType::dvd:
    return storage == StorageType::disk || storage == StorageType::file ||
           storage == StorageType::null;
  case DeviceType::tape:
  case DeviceType::changer:
  case DeviceType::burner:
    return storage == StorageType::attach || storage == StorageType::attach_path;
  }
  return false;
}

} // namespace vmconfig

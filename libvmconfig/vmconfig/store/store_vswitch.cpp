#include "vmconfig/store/store_vswitch.hpp"

#include "vmconfig/model/grammar.hpp"

#include <SQLiteCpp/Statement.h>

namespace vmconfig {

namespace {

Vswitch read_vswitch(SQLite::Statement& q) {
  Vswitch v;
  v.id = q.getColumn(0).getInt64();
  v.name = q.getColumn(1).getString();
  v.number = q.getColumn(2).getInt();
  v.uplink = q.getColumn(3).getString();
  v.up = q.getColumn(4).getInt() != 0;
  v.mode = q.getColumn(5).getString();
  return v;
}

constexpr const char* k_vswitch_select = "SELECT id, name, number, uplink, up, mode FROM vswitches";

constexpr const char* k_holder_select =
    "SELECT g.name, g.vm_number, g.uuid, n.adapter_type, n.bus, n.slot, n.mac, n.vswitch, n.port, "
    "n.vswitch_port FROM network_devices n JOIN guests g ON g.id = n.guest_id ";

PortHolder read_holder(SQLite::Statement& q) {
  PortHolder h;
  h.guest = q.getColumn(0).getString();
  h.vm_number = q.getColumn(1).getInt();
  h.uuid = q.getColumn(2).getString();
  h.nic.adapter = *net_adapter_from(q.getColumn(3).getString());
  h.nic.address = {q.getColumn(4).getInt(), q.getColumn(5).getInt()};
  h.nic.mac = avio::MacAddress(static_cast<std::uint64_t>(q.getColumn(6).getInt64()));
  h.nic.vswitch = q.getColumn(7).getString();
  if (!q.getColumn(8).isNull()) {
    h.nic.port = q.getColumn(8).getInt();
  }
  if (!q.getColumn(9).isNull()) {
    h.port = q.getColumn(9).getInt();
  }
  return h;
}

} // namespace

std::vector<Vswitch> VswitchStore::list() {
  std::vector<Vswitch> out;
  SQLite::Statement q(m_store.database(), std::string(k_vswitch_select) + " ORDER BY number");
  while (q.executeStep()) {
    out.push_back(read_vswitch(q));
  }
  return out;
}

std::optional<Vswitch> VswitchStore::find(const std::string& name) {
  SQLite::Statement q(m_store.database(), std::string(k_vswitch_select) + " WHERE name = ?");
  q.bind(1, name);
  if (!q.executeStep()) {
    return std::nullopt;
  }
  return read_vswitch(q);
}

int VswitchStore::next_number() {
  return m_store.database()
      .execAndGet("SELECT max((SELECT last FROM vswitch_numbers), "
                  "(SELECT coalesce(max(number), 0) FROM vswitches)) + 1")
      .getInt();
}

void VswitchStore::insert(Vswitch& v) {
  SQLite::Statement mark(m_store.database(), "UPDATE vswitch_numbers SET last = max(last, ?)");
  mark.bind(1, v.number);
  mark.exec();
  SQLite::Statement q(
      m_store.database(),
      "INSERT INTO vswitches (name, number, uplink, up, mode) VALUES (?, ?, ?, ?, ?)");
  q.bind(1, v.name);
  q.bind(2, v.number);
  q.bind(3, v.uplink);
  q.bind(4, v.up ? 1 : 0);
  q.bind(5, v.mode);
  q.exec();
  v.id = m_store.database().getLastInsertRowid();
}

void VswitchStore::set_up(std::int64_t id, bool up) {
  SQLite::Statement q(m_store.database(), "UPDATE vswitches SET up = ? WHERE id = ?");
  q.bind(1, up ? 1 : 0);
  q.bind(2, id);
  q.exec();
}

void VswitchStore::remove(const Vswitch& v) {
  SQLite::Statement q(m_store.database(), "DELETE FROM vswitches WHERE id = ?");
  q.bind(1, v.id);
  q.exec();
}

std::map<int, PortHolder> VswitchStore::holders(const std::string& name) {
  std::map<int, PortHolder> out;
  SQLite::Statement q(m_store.database(), std::string(k_holder_select) +
                                              "WHERE n.vswitch = ? AND n.vswitch_port IS NOT NULL");
  q.bind(1, name);
  while (q.executeStep()) {
    PortHolder h = read_holder(q);
    const int port = *h.port;
    out.emplace(port, std::move(h));
  }
  return out;
}

std::map<int, int> VswitchStore::port_vlans(std::int64_t vswitch_id) {
  std::map<int, int> out;
  SQLite::Statement q(m_store.database(),
                      "SELECT port, untagged_vlan FROM vswitch_ports WHERE vswitch_id = ?");
  q.bind(1, vswitch_id);
  while (q.executeStep()) {
    out[q.getColumn(0).getInt()] = q.getColumn(1).getInt();
  }
  return out;
}

void VswitchStore::set_port_vlan(std::int64_t vswitch_id, int port, std::optional<int> vlan) {
  if (vlan) {
    SQLite::Statement q(
        m_store.database(),
        "INSERT INTO vswitch_ports (vswitch_id, port, untagged_vlan) VALUES (?, ?, ?) "
        "ON CONFLICT (vswitch_id, port) DO UPDATE SET untagged_vlan = excluded.untagged_vlan");
    q.bind(1, vswitch_id);
    q.bind(2, port);
    q.bind(3, *vlan);
    q.exec();
  } else {
    SQLite::Statement q(m_store.database(),
                        "DELETE FROM vswitch_ports WHERE vswitch_id = ? AND port = ?");
    q.bind(1, vswitch_id);
    q.bind(2, port);
    q.exec();
  }
}

std::set<int> VswitchStore::used_ports(const std::string& name) {
  std::set<int> out;
  // UNION ALL, not UNION: the set drops a port found twice, and SQLite need
  // not sort up to 512 rows into a temporary b-tree first. Each part comes in
  // its index's order, so the insert at the end is the usual place.
  SQLite::Statement q(m_store.database(),
                      "SELECT vswitch_port FROM network_devices WHERE vswitch = ? AND vswitch_port "
                      "IS NOT NULL UNION ALL SELECT p.port FROM vswitch_ports p JOIN vswitches v "
                      "ON v.id = p.vswitch_id WHERE v.name = ?");
  q.bind(1, name);
  q.bind(2, name);
  while (q.executeStep()) {
    out.insert(out.end(), q.getColumn(0).getInt());
  }
  return out;
}

int VswitchStore::guest_count(const std::string& name) {
  SQLite::Statement q(m_store.database(),
                      "SELECT count(DISTINCT guest_id) FROM network_devices WHERE vswitch = ?");
  q.bind(1, name);
  q.executeStep();
  return q.getColumn(0).getInt();
}

std::vector<PortHolder> VswitchStore::nics_on(const std::string& name) {
  std::vector<PortHolder> out;
  SQLite::Statement q(m_store.database(), std::string(k_holder_select) +
                                              "WHERE n.vswitch = ? ORDER BY g.vm_number, n.bus, "
                                              "n.slot");
  q.bind(1, name);
  while (q.executeStep()) {
    out.push_back(read_holder(q));
  }
  return out;
}

std::vector<PortHolder> VswitchStore::unplaced(const std::string& name) {
  std::vector<PortHolder> out;
  SQLite::Statement q(m_store.database(),
                      std::string(k_holder_select) +
                          "WHERE n.vswitch = ? AND n.vswitch_port IS NULL ORDER BY g.vm_number, "
                          "n.bus, n.slot");
  q.bind(1, name);
  while (q.executeStep()) {
    out.push_back(read_holder(q));
  }
  return out;
}

void VswitchStore::set_nic_ports(const std::string& guest,
                                 const std::vector<NetworkDevice>& networks,
                                 const std::vector<std::optional<int>>& ports) {
  for (std::size_t i = 0; i < networks.size(); ++i) {
    set_nic_port(guest, networks[i].address, i < ports.size() ? ports[i] : std::nullopt);
  }
}

void VswitchStore::set_nic_port(const std::string& guest, avio::NicAddress address,
                                std::optional<int> port) {
  // Unchanged, the row is not written again.
  auto q = m_store.statement(
      "UPDATE network_devices SET vswitch_port = ?1 WHERE bus = ?2 AND slot = ?3 AND "
      "guest_id = (SELECT id FROM guests WHERE name = ?4) AND vswitch_port IS NOT ?1");
  if (port) {
    q->bind(1, *port);
  } else {
    q->bind(1);
  }
  q->bind(2, address.bus);
  q->bind(3, address.slot);
  q->bind(4, guest);
  q->exec();
}

std::optional<int> VswitchStore::nic_port(const std::string& guest, avio::NicAddress address) {
  auto q = m_store.statement("SELECT n.vswitch_port FROM network_devices n JOIN guests g ON g.id "
                             "= n.guest_id WHERE g.name = ? AND n.bus = ? AND n.slot = ?");
  q->bind(1, guest);
  q->bind(2, address.bus);
  q->bind(3, address.slot);
  if (!q->executeStep() || q->getColumn(0).isNull()) {
    return std::nullopt;
  }
  return q->getColumn(0).getInt();
}

void VswitchStore::release_unpinned(const std::string& name) {
  SQLite::Statement q(
      m_store.database(),
      "UPDATE network_devices SET vswitch_port = NULL WHERE vswitch = ? AND port IS NULL");
  q.bind(1, name);
  q.exec();
}

} // namespace vmconfig

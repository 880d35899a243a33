#include "vmconfig/store/migrations.hpp"

#include <iterator>

namespace vmconfig {

namespace {

constexpr const char* k_migrations[] = {
    R"sql(
CREATE TABLE guests (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  vm_number INTEGER NOT NULL UNIQUE,
  uuid TEXT NOT NULL UNIQUE,
  os_type TEXT NOT NULL,
  os_version TEXT NOT NULL DEFAULT '',
  vcpus INTEGER NOT NULL,
  entitlement_cycles INTEGER NOT NULL DEFAULT 0,
  entitlement_min REAL NOT NULL,
  entitlement_max REAL NOT NULL,
  memory_mb INTEGER NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  start_auto INTEGER NOT NULL,
  runnable INTEGER NOT NULL DEFAULT 1,
  modifiable INTEGER NOT NULL DEFAULT 1,
  visible INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE guest_extended (
  guest_id INTEGER NOT NULL REFERENCES guests(id) ON DELETE CASCADE,
  keyword TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (guest_id, keyword)
);
CREATE TABLE guest_access (
  guest_id INTEGER NOT NULL REFERENCES guests(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  is_group INTEGER NOT NULL,
  name TEXT NOT NULL,
  admin INTEGER NOT NULL,
  PRIMARY KEY (guest_id, is_group, name)
);
CREATE TABLE storage_devices (
  id INTEGER PRIMARY KEY,
  guest_id INTEGER NOT NULL REFERENCES guests(id) ON DELETE CASCADE,
  device_type TEXT NOT NULL,
  adapter_type TEXT NOT NULL,
  bus INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  target INTEGER NOT NULL,
  storage_type TEXT NOT NULL,
  location TEXT NOT NULL,
  identity TEXT NOT NULL DEFAULT '',
  UNIQUE (guest_id, bus, slot, target)
);
CREATE INDEX storage_devices_identity ON storage_devices(identity);
CREATE TABLE network_devices (
  id INTEGER PRIMARY KEY,
  guest_id INTEGER NOT NULL REFERENCES guests(id) ON DELETE CASCADE,
  adapter_type TEXT NOT NULL,
  bus INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  mac INTEGER NOT NULL UNIQUE,
  vswitch TEXT NOT NULL,
  port INTEGER,
  UNIQUE (guest_id, bus, slot)
);
CREATE TABLE devdb_entries (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL CHECK (type IN ('gdev', 'rdev', 'server', 'env')),
  name TEXT NOT NULL,
  identity TEXT NOT NULL DEFAULT '',
  UNIQUE (type, name)
);
CREATE TABLE devdb_attributes (
  entry_id INTEGER NOT NULL REFERENCES devdb_entries(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (entry_id, name)
);
CREATE TABLE devdb_dependents (
  entry_id INTEGER NOT NULL REFERENCES devdb_entries(id) ON DELETE CASCADE,
  guest TEXT NOT NULL,
  PRIMARY KEY (entry_id, guest)
);
CREATE INDEX devdb_dependents_guest ON devdb_dependents(guest);
)sql",
    // 1 -> 2: vswitches (localnet exists from the start as number 1), their
    // port configuration, and the vswitch port each vNIC holds (unique per
    // vswitch name; pinned ports keep their portid).
    R"sql(
CREATE TABLE vswitches (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  number INTEGER NOT NULL UNIQUE,
  uplink TEXT NOT NULL DEFAULT '',
  up INTEGER NOT NULL DEFAULT 0,
  mode TEXT NOT NULL DEFAULT 'Shared'
);
INSERT INTO vswitches (name, number, uplink, up) VALUES ('localnet', 1, '', 1);
CREATE TABLE vswitch_ports (
  vswitch_id INTEGER NOT NULL REFERENCES vswitches(id) ON DELETE CASCADE,
  port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 511),
  untagged_vlan INTEGER NOT NULL CHECK (untagged_vlan BETWEEN 0 AND 4094),
  PRIMARY KEY (vswitch_id, port)
);
ALTER TABLE network_devices ADD COLUMN vswitch_port INTEGER;
UPDATE network_devices SET vswitch_port = port WHERE id IN
  (SELECT min(id) FROM network_devices WHERE port IS NOT NULL GROUP BY vswitch, port);
CREATE UNIQUE INDEX network_devices_vswitch_port ON network_devices(vswitch, vswitch_port);
)sql",
    // 2 -> 3: device-database aliases (several names of one entry) and the
    // unique id (WWID) hpvmdevmgmt -l shows.
    R"sql(
CREATE TABLE devdb_aliases (
  entry_id INTEGER NOT NULL REFERENCES devdb_entries(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  alias TEXT NOT NULL,
  PRIMARY KEY (entry_id, alias)
);
CREATE INDEX devdb_aliases_alias ON devdb_aliases(alias);
ALTER TABLE devdb_entries ADD COLUMN unique_id TEXT NOT NULL DEFAULT '';
CREATE INDEX devdb_entries_identity ON devdb_entries(identity);
)sql",
    // 3 -> 4: the undo record of each guest's last AVIO conversion
    // (hpvmconvert -U): the hpvmmodify -m statements that put it back.
    R"sql(
CREATE TABLE avio_conversion_undo (
  guest_id INTEGER NOT NULL REFERENCES guests(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  statement TEXT NOT NULL,
  PRIMARY KEY (guest_id, seq)
);
)sql",
    // 4 -> 5: the highest vswitch number ever given, so that a deleted
    // vswitch's number (and its bridge name hpvswN) is never given again.
    R"sql(
CREATE TABLE vswitch_numbers (last INTEGER NOT NULL);
INSERT INTO vswitch_numbers (last) SELECT coalesce(max(number), 1) FROM vswitches;
)sql",
    // 5 -> 6: what each conversion found and left (the guest's devices as
    // statements), so that an undo can refuse a guest changed since. Records
    // from before version 6 have no snapshot; hpvmconvert -U says so.
    R"sql(
CREATE TABLE avio_conversion_devices (
  guest_id INTEGER NOT NULL REFERENCES guests(id) ON DELETE CASCADE,
  phase TEXT NOT NULL CHECK (phase IN ('before', 'after')),
  seq INTEGER NOT NULL,
  statement TEXT NOT NULL,
  PRIMARY KEY (guest_id, phase, seq)
);
)sql",
    // 6 -> 7: vNIC MACs by their low five octets (what a tap's MAC keeps),
    // so the uniqueness check reads an index, not every vNIC (the expression
    // must stay the one in Store::mac_suffix_holders); vNICs by vswitch, for
    // the port allocation of every new vNIC.
    R"sql(
CREATE INDEX network_devices_mac_suffix ON network_devices((mac & 1099511627775));
CREATE INDEX network_devices_vswitch ON network_devices(vswitch);
)sql",
    // 7 -> 8: what each guest's directory last got as its configuration file
    // (vmm_config.current, model/guest_config.hpp): the body and its change
    // number, which grows with each change of the body. Change 0 (every guest
    // at this upgrade) is one not written yet: the next commit writes it.
    R"sql(
CREATE TABLE guest_config_exports (
  guest_id INTEGER PRIMARY KEY REFERENCES guests(id) ON DELETE CASCADE,
  change INTEGER NOT NULL CHECK (change >= 0),
  body TEXT NOT NULL
);
INSERT INTO guest_config_exports (guest_id, change, body) SELECT id, 0, '' FROM guests;
CREATE INDEX guest_config_exports_unwritten ON guest_config_exports(guest_id) WHERE change = 0;
)sql",
};

static_assert(std::size(k_migrations) == k_migration_count,
              "k_migration_count must count the migrations");

} // namespace

std::span<const char* const> schema_migrations() {
  return k_migrations;
}

} // namespace vmconfig

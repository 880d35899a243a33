#include "vmconfig/ops/migrate.hpp"

#include "vmconfig/devdb/dependents.hpp"
#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/model/grammar.hpp"
#include "vmconfig/model/guest_config.hpp"
#include "vmconfig/model/names.hpp"
#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/lifecycle.hpp"
#include "vmconfig/ops/planner.hpp"
#include "vmconfig/ops/runtime.hpp"
#include "vmconfig/store/store_modify.hpp"
#include "vmconfig/store/store_runtime.hpp"
#include "vmconfig/store/store_vswitch.hpp"

#include <avio/backing.hpp>
#include <avio/guest_process.hpp>
#include <avio/host.hpp>
#include <avio/qmp.hpp>
#include <avio/remote.hpp>
#include <avio/text.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <set>
#include <thread>

namespace vmconfig {

namespace {

using nlohmann::json;

constexpr const char* k_refused = "Unable to migrate the guest.";
// 2: the target waits for the source's "commit" offline too.
constexpr int k_format = 2;
// HPVM's messages (hpvmmigrate on 3.5), word for word.
constexpr const char* k_ssh_error =
    "SSH execution error. Make sure ssh is setup right on both source and target systems.";
constexpr const char* k_see_target_log =
    "See HPVM command log file on target VM Host for more detail.";
constexpr const char* k_target_error = "Target VM Host error - ";

// The -x keywords a definition carries: all but the one hpvmmigrate sets.
std::vector<std::string> extended_options(const Guest& g) {
  std::vector<std::string> out;
  for (const auto& [key, value] : g.extended) {
    if (key != k_migrated_to) {
      out.push_back(key + "=" + value);
    }
  }
  return out;
}

json characteristics_json(const Guest& g) {
  json c;
  c["os_type"] = g.os_version.empty() ? g.os_type : g.os_type + ":" + g.os_version;
  c["vcpus"] = std::to_string(g.vcpus);
  c[g.entitlement.cycles ? "cycles" : "entitlement"] =
      fmt::format("{}:{}", g.entitlement.minimum, g.entitlement.maximum);
  c["memory"] = fmt::format("{}M", g.memory_mb);
  c["label"] = g.label;
  c["start"] = g.start == StartAttr::automatic ? "auto" : "manual";
  json users = json::array();
  json groups = json::array();
  for (const auto& a : g.access) {
    const std::string text = a.name + (a.admin ? ":admin" : ":oper");
    (a.kind == ConsoleAccess::Kind::user ? users : groups).push_back(text);
  }
  c["users"] = users;
  c["groups"] = groups;
  c["extended"] = extended_options(g);
  return c;
}

// A string member of `j`; hpvm::Error when it is missing or not a string.
std::string text_of(const json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    throw hpvm::Error(fmt::format("'{}' is missing", key));
  }
  return it->get<std::string>();
}

std::vector<std::string> texts_of(const json& j, const char* key) {
  std::vector<std::string> out;
  const auto it = j.find(key);
  if (it == j.end() || !it->is_array()) {
    throw hpvm::Error(fmt::format("'{}' is missing", key));
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      throw hpvm::Error(fmt::format("'{}' holds something other than text", key));
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

CharacteristicsRequest characteristics_of(const json& c) {
  CharacteristicsRequest r;
  r.os_type = text_of(c, "os_type");
  r.vcpus = text_of(c, "vcpus");
  if (c.contains("cycles")) {
    r.cycles = text_of(c, "cycles");
  } else {
    r.entitlement = text_of(c, "entitlement");
  }
  r.memory = text_of(c, "memory");
  if (auto label = text_of(c, "label"); !label.empty()) {
    r.label = label;
  }
  r.start = text_of(c, "start");
  r.users = texts_of(c, "users");
  r.groups = texts_of(c, "groups");
  r.extended = texts_of(c, "extended");
  return r;
}

bool valid_uuid(const std::string& uuid) {
  if (uuid.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    const char c = uuid[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      return false;
    }
  }
  return true;
}

// Whether an identity is a block device's (a WWID or a device number).
bool block_identity(const std::string& identity) {
  return identity.starts_with("wwid:") || identity.starts_with("blk:");
}

// A file's inode number, from its identity "ino:<device>:<inode>". The
// device number is this host's own (an NFS mount's differs from host to
// host); the inode number is the shared file system's, the same on each.
std::optional<std::string_view> file_inode(std::string_view identity) {
  if (!identity.starts_with("ino:")) {
    return std::nullopt;
  }
  return identity.substr(identity.rfind(':') + 1);
}

// One backing store as the source sent it.
struct SentBacking {
  std::string statement;
  std::string identity;     // the source's, as probe() gives it
  std::string shared_proof; // avio::shared_identity() on the source
};

// Whether an identity is a device's (a WWID or a block or character device
// number), not a file's.
bool device_identity(const std::string& identity) {
  return block_identity(identity) || identity.starts_with("chr:");
}

// The target's check of one backing store: the same path must lead to the
// same file or the same device, known by what names it on every host
// (avio::shared_identity): a file's inode number and size (shared storage),
// a disk's WWID, device-mapper UUID, serial or loop file. A device number is
// each host's own (two hosts' /dev/sdb, or their own LVs of one name, have
// the same): a device nothing else names is taken only with -F (a warning).
std::optional<std::string> backing_problem(const std::string& location, const SentBacking& sent,
                                           bool force, std::vector<std::string>& warnings) {
  const avio::HostEntity here = avio::probe(location);
  if (here.kind == avio::HostKind::missing) {
    return fmt::format("{}Device does not exist. ({})", k_target_error, location);
  }
  const std::string proof = avio::shared_identity(here);
  if (device_identity(sent.identity) || device_identity(here.identity)) {
    if (!proof.empty() || !sent.shared_proof.empty()) {
      if (proof == sent.shared_proof) {
        return std::nullopt;
      }
      return fmt::format("Device WWID does not match. ({})", location);
    }
    if (here.identity != sent.identity) {
      return fmt::format("Device WWID does not match. ({})", location);
    }
    const std::string unproven = fmt::format(
        "Device {} cannot be told apart from another device of the same device number: it has "
        "no WWID, serial number or device-mapper UUID on either host.",
        location);
    if (!force) {
      return fmt::format("{}{} Check that both hosts reach the same device there, then use -F.",
                         k_target_error, unproven);
    }
    warnings.push_back(fmt::format("Forced: {}", unproven));
    return std::nullopt;
  }
  const bool same = !sent.shared_proof.empty()
                        ? proof == sent.shared_proof
                        : here.identity == sent.identity ||
                              (file_inode(sent.identity) &&
                               file_inode(sent.identity) == file_inode(here.identity));
  if (same) {
    return std::nullopt;
  }
  return fmt::format("{}Device is a different file here: its inode or size differs. ({})",
                     k_target_error, location);
}

// The vswitch ports the guest held on the source, where this host has them
// free; the planner's choice elsewhere.
void keep_ports(Store& store, const std::vector<NetworkDevice>& nics,
                const std::vector<std::optional<int>>& wanted,
                std::vector<std::optional<int>>& ports, std::vector<std::string>& warnings) {
  VswitchStore vswitches(store);
  for (std::size_t i = 0; i < nics.size() && i < wanted.size(); ++i) {
    if (!wanted[i] || !ports[i] || wanted[i] == ports[i]) {
      continue;
    }
    bool free = !vswitches.holders(nics[i].vswitch).contains(*wanted[i]);
    for (std::size_t j = 0; j < nics.size(); ++j) {
      free = free && (j == i || nics[j].vswitch != nics[i].vswitch || ports[j] != wanted[i]);
    }
    if (free) {
      ports[i] = wanted[i];
    } else {
      warnings.push_back(
          fmt::format("Port {} of the vswitch '{}' is taken on the target; {} gets port {} there.",
                      *wanted[i], nics[i].vswitch, format(nics[i]), *ports[i]));
    }
  }
}

} // namespace

std::string export_definition(const Guest& guest, const std::vector<std::string>& identities,
                              const std::vector<std::optional<int>>& ports, const std::string& name,
                              bool check_only, bool force, bool online) {
  json j;
  j["format"] = k_format;
  j["online"] = online;
  j["source"] = avio::host_name();
  j["name"] = name;
  j["uuid"] = guest.uuid;
  j["check_only"] = check_only;
  j["force"] = force;
  j["characteristics"] = characteristics_json(guest);
  json storage = json::array();
  for (std::size_t i = 0; i < guest.storage.size(); ++i) {
    const std::string& location = guest.storage[i].location;
    storage.push_back({{"statement", format(guest.storage[i])},
                       {"identity", i < identities.size() ? identities[i] : ""},
                       {"shared_identity",
                        location.empty() ? "" : avio::shared_identity(avio::probe(location))}});
  }
  j["storage"] = storage;
  json networks = json::array();
  for (std::size_t i = 0; i < guest.networks.size(); ++i) {
    json n{{"statement", format(guest.networks[i])}};
    if (i < ports.size() && ports[i]) {
      n["port"] = *ports[i];
    }
    networks.push_back(n);
  }
  j["networks"] = networks;
  return j.dump() + "\n";
}

namespace {

// Stops the incoming guest `name`'s QEMU and removes it (only while it is
// still marked incoming): deleted, or, when this host kept a copy from an
// earlier migration away, that copy again (not runnable, migrated_to).
void undo_incoming(Store& store, const std::string& name) {
  try {
    stop_guest(store, StopRequest{name});
  } catch (const hpvm::Error&) {
    // not running: nothing to stop
  }
  Store::WriteTransaction tx(store);
  const auto incoming = store.load_guest(name);
  if (!incoming || !incoming->extended.contains(k_incoming)) {
    return;
  }
  drop_guest_dependents(store, incoming->name);
  if (incoming->extended.contains(k_migrated_to) ||
      incoming->extended.contains(k_replaces_runnable)) {
    Guest kept = *incoming;
    const bool runnable = incoming->extended.contains(k_replaces_runnable);
    kept.runnable = kept.modifiable = kept.visible = runnable;
    kept.extended.erase(k_incoming);
    kept.extended.erase(k_replaces_runnable);
    std::vector<std::string> identities;
    for (const auto& d : kept.storage) {
      identities.push_back(d.location.empty() ? "" : avio::probe(d.location).identity);
    }
    update_guest(store, *incoming, kept, identities);
    if (runnable) {
      sync_guest_dependents(store, kept); // a runnable guest holds its devices
    }
    tx.commit();
    return;
  }
  store.delete_guest(*incoming);
  tx.commit();
  remove_run_dir(store.root(), *incoming);
}

// Waits until the target QEMU has the whole stream, then lets the guest run.
void take_over(const avio::RunDir& run) {
  avio::QmpClient q(run.qmp_socket());
  const auto deadline = std::chrono::steady_clock::now() + k_handover_timeout;
  while (true) {
    const avio::Json m = q.execute("query-migrate");
    const std::string status = m.value("status", "");
    if (status == "completed") {
      break;
    }
    if (status == "failed" || status == "cancelled") {
      throw hpvm::Error(fmt::format("The incoming migration {}: {}.", status,
                                    m.value("error-desc", "no reason given")));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw hpvm::Error(fmt::format("The incoming migration did not complete within {} s.",
                                    k_handover_timeout.count()));
    }
    std::this_thread::sleep_for(k_migration_poll);
  }
  q.execute("cont");
}

} // namespace

std::string abort_incoming(Store& store, const std::string& uuid) {
  if (!valid_uuid(uuid)) {
    throw hpvm::Error(fmt::format("Invalid UUID '{}'.", uuid));
  }
  for (const auto& g : store.load_guests(Store::Devices::without)) {
    if (g.uuid == uuid && g.extended.contains(k_incoming)) {
      undo_incoming(store, g.name);
      return g.name;
    }
  }
  return {};
}

ReceiveChannel stdio_channel() {
  // Standard input and output: the ssh session's, to the source.
  auto lines = std::make_shared<avio::LineChannel>(0, 1);
  return {[lines](const std::string& line) { lines->write_line(line); },
          [lines](std::chrono::milliseconds timeout) {
            return lines->read_line(timeout, "the source VM Host");
          }};
}

std::string abort_incoming(Store& store, const ReceiveChannel& channel) {
  const std::string uuid = channel.next(k_migrate_remote_timeout).value_or("");
  const std::string removed = abort_incoming(store, uuid);
  if (!removed.empty()) {
    return removed;
  }
  // Nothing to remove may mean the hand-over completed here: said, or the
  // source would resume a guest this host runs.
  for (const auto& g : store.load_guests(Store::Devices::without)) {
    if (g.uuid == uuid && g.runnable) {
      throw hpvm::Error("The guest has been handed over to this host and is not removed.", g.name);
    }
  }
  return removed;
}

ReceiveResult receive_guest(Store& store, const ReceiveChannel& channel) {
  const std::string definition = channel.next(k_migrate_remote_timeout).value_or("");
  json j;
  bool online = false;
  std::string source;
  CharacteristicsRequest characteristics;
  std::string name;
  std::string uuid;
  bool check_only = true;
  bool force = false;
  std::vector<SentBacking> storage;
  std::vector<std::string> networks;
  std::vector<std::optional<int>> wanted_ports;
  try {
    j = json::parse(definition);
    if (!j.is_object() || j.value("format", 0) != k_format) {
      throw hpvm::Error("it is not a definition this version reads");
    }
    name = text_of(j, "name");
    uuid = text_of(j, "uuid");
    check_only = j.at("check_only").get<bool>();
    online = j.value("online", false);
    source = j.value("source", "");
    force = j.at("force").get<bool>();
    characteristics = characteristics_of(j.at("characteristics"));
    for (const auto& s : j.at("storage")) {
      SentBacking sent{text_of(s, "statement"), text_of(s, "identity"), ""};
      // A source without it proved a disk by its WWID identity only.
      sent.shared_proof = s.contains("shared_identity")        ? text_of(s, "shared_identity")
                          : sent.identity.starts_with("wwid:") ? sent.identity
                                                               : "";
      storage.push_back(std::move(sent));
    }
    for (const auto& n : j.at("networks")) {
      networks.push_back(text_of(n, "statement"));
      wanted_ports.push_back(n.contains("port") ? std::optional<int>(n.at("port").get<int>())
                                                : std::nullopt);
    }
  } catch (const std::exception& e) {
    throw hpvm::Refused(
        {fmt::format("{}the guest's definition cannot be read: {}.", k_target_error, e.what())},
        k_refused, "");
  }
  if (auto problem = guest_name_problem(name)) {
    throw hpvm::Refused({fmt::format("{}Invalid {}.", k_target_error, *problem)}, k_refused, "");
  }
  if (!valid_uuid(uuid)) {
    throw hpvm::Refused({fmt::format("{}Invalid UUID '{}'.", k_target_error, uuid)}, k_refused,
                        name);
  }

  ReceiveResult result;
  result.name = name;
  if (!avio::host_problem(source)) { // a name hpvmstatus -m can list
    result.source = source;
  }
  result.check_only = check_only;
  std::vector<std::string> errors;
  Guest guest;
  guest.name = name;
  guest.uuid = uuid;
  apply_characteristics(characteristics, force, guest, errors, result.report.warnings);

  if (!check_only) {
    abort_incoming(store, uuid); // what a killed live migration of this guest left
  }
  Store::WriteTransaction tx(store);
  std::optional<Guest> previous; // the copy this host kept when the guest left it
  bool previous_runnable = false;
  for (const auto& g : store.load_guests(Store::Devices::without)) {
    const bool left_here = !g.runnable && g.extended.contains(k_migrated_to);
    // Off and runnable: the guest ran here until this host went down and a
    // failover started it elsewhere, from where it now comes back. The
    // running guest's definition is the guest's; this stale one gives way.
    const bool failed_over = g.uuid == uuid && g.runnable && !g.extended.contains(k_incoming) &&
                             !run_state(store.root(), g.uuid).on;
    if (g.uuid == uuid && (left_here || failed_over)) {
      previous = g;
      previous_runnable = failed_over;
      if (failed_over) {
        result.report.warnings.push_back(fmt::format(
            "The target's own copy of the guest ('{}', Off and runnable: it ran there before "
            "it was started on another VM Host) gives way to this definition.",
            g.name));
      }
    } else if (g.uuid == uuid) {
      errors.push_back(fmt::format("{}A guest with the UUID {} already exists: '{}'.",
                                   k_target_error, uuid, g.name));
    } else if (g.name == name) {
      errors.push_back(fmt::format("{}A guest named '{}' already exists.", k_target_error, name));
    }
  }
  if (previous) {
    // Deleted first, so its MACs and storage do not count against the guest
    // coming back; a refusal rolls this back with everything else (a failed
    // live migration puts it back).
    previous = store.load_guest(previous->name); // with its devices
    drop_guest_dependents(store, previous->name);
    store.delete_guest(*previous);
  }
  if (auto problem = memory_problem(guest)) {
    if (force) {
      result.report.warnings.push_back(fmt::format("Forced: {}", *problem));
    } else {
      errors.push_back(k_target_error + *problem);
    }
  }

  std::vector<std::string> statements;
  for (const auto& sent : storage) {
    const ResourceStatement parsed = parse_resource(sent.statement);
    const auto* st = std::get_if<StorageStatement>(&parsed);
    if (st == nullptr) {
      errors.push_back(
          fmt::format("{}'{}' is not a storage device.", k_target_error, sent.statement));
      continue;
    }
    if (!st->location.empty()) {
      if (auto problem = backing_problem(st->location, sent, force, result.report.warnings)) {
        errors.push_back(*problem);
        continue;
      }
    }
    statements.push_back(sent.statement);
  }
  VswitchStore vswitches(store);
  for (const auto& statement : networks) {
    const ResourceStatement parsed = parse_resource(statement);
    const auto* nw = std::get_if<NetworkStatement>(&parsed);
    if (nw == nullptr) {
      errors.push_back(fmt::format("{}'{}' is not a vNIC.", k_target_error, statement));
      continue;
    }
    if (nw->vswitch != k_localnet) {
      const auto vswitch = vswitches.find(nw->vswitch);
      if (!vswitch || !vswitch->up) {
        errors.push_back(fmt::format("{}vswitch validation failed. ({} {})", k_target_error,
                                     nw->vswitch, vswitch ? "is not booted" : "does not exist"));
        continue;
      }
    }
    statements.push_back(statement);
  }
  DevicePlanner planner(store, guest, force);
  planner.add_all(statements);
  for (const auto& e : planner.errors()) {
    errors.push_back(k_target_error + e);
  }
  result.report.warnings.insert(result.report.warnings.end(), planner.warnings().begin(),
                                planner.warnings().end());
  if (!errors.empty()) {
    throw hpvm::Refused(std::move(errors), k_refused, name);
  }
  if (check_only) {
    return result;
  }
  guest.storage = planner.storage();
  guest.networks = planner.networks();
  std::vector<std::optional<int>> ports = planner.vswitch_ports();
  keep_ports(store, guest.networks, wanted_ports, ports, result.report.warnings);
  // Not runnable until the source, its own checks made again, says commit.
  guest.runnable = false;
  guest.extended[k_incoming] = source;
  if (previous_runnable) {
    guest.extended[k_replaces_runnable] = "yes"; // a failure leaves it runnable
  } else if (previous) {
    // Kept, so that a failure leaves the copy this host had.
    guest.extended[k_migrated_to] = previous->extended.at(k_migrated_to);
  }
  guest.vm_number = store.next_vm_number();
  store.insert_guest(guest, planner.storage_identities());
  vswitches.set_nic_ports(guest.name, guest.networks, ports);
  sync_guest_dependents(store, guest);
  if (previous && previous->name != guest.name) {
    unlink_guest(store.root(), previous->name, previous->uuid);
  }
  try {
    make_run_dir(store.root(), guest);
    tx.commit();
  } catch (...) {
    if (!previous) {
      remove_run_dir(store.root(), guest);
    }
    throw;
  }
  result.vm_number = guest.vm_number;
  const avio::RunDir run = run_dir(store.root(), guest.uuid);
  const std::string socket = avio::migration_socket(guest.uuid, "in");
  try {
    if (online) {
      start_guest(store, StartRequest{guest.name, force, true}, [](std::string_view) {});
      avio::QmpClient(run.qmp_socket())
          .execute("migrate-incoming", avio::Json{{"uri", "unix:" + socket}});
    }
    channel.send(json{{"ok", true}, {"ready", true}}.dump());
    const auto line =
        channel.next(online ? k_live_migration_timeout + k_handover_timeout : k_handover_timeout);
    if (!line || *line != "commit") {
      throw hpvm::Error("The source VM Host abandoned the migration.");
    }
    if (online) {
      take_over(run);
    }
    Store::WriteTransaction handover(store);
    const Guest stored = find_guest(store, guest.name);
    Guest running = stored;
    running.runnable = true;
    running.extended.erase(k_incoming);
    running.extended.erase(k_migrated_to);
    running.extended.erase(k_replaces_runnable);
    update_guest(store, stored, running, planner.storage_identities());
    handover.commit();
  } catch (...) {
    avio::remove_socket_file(socket);
    undo_incoming(store, guest.name);
    throw;
  }
  avio::remove_socket_file(socket);
  return result;
}

// What the target's last reply tells the source: its VM number, its
// warnings, and its own host name (for hpvmstatus -m: the name the target
// gives itself, as it names the source, rather than the -h alias).
void take_target_reply(const json& reply, MigrateResult& result) {
  result.target_vm_number = reply.value("vm_number", 0);
  result.report.warnings = texts_of(reply, "warnings");
  const std::string host = reply.value("host", "");
  if (!avio::host_problem(host)) {
    result.target_host = host;
  }
}

std::string receive_reply(const ReceiveResult& result) {
  return json{{"ok", true},
              {"name", result.name},
              {"vm_number", result.vm_number},
              {"host", avio::host_name()},
              {"warnings", result.report.warnings}}
      .dump();
}

std::string receive_reply(const hpvm::Error& error) {
  std::vector<std::string> problems{error.what()};
  if (const auto* refused = dynamic_cast<const hpvm::Refused*>(&error)) {
    problems = refused->problems();
  }
  return json{{"ok", false}, {"problems", problems}}.dump();
}

namespace {

// The target's reply; hpvm::Refused when it failed or said nothing readable.
json target_reply(const avio::ExecResult& run, const std::string& guest) {
  if (run.status == avio::k_ssh_failed) {
    std::vector<std::string> problems{k_ssh_error};
    const auto lines = avio::split(std::string(avio::trim_end(run.err, "\n")), '\n');
    if (!lines.empty() && !lines.back().empty()) {
      // ssh's own reason ("ssh: connect to host ..."), without its '\r'.
      problems.emplace_back(avio::trim_end(lines.back(), "\r"));
    }
    throw hpvm::Refused(std::move(problems), k_refused, guest);
  }
  json reply;
  try {
    const auto lines = avio::split(std::string(avio::trim_end(run.out, "\n")), '\n');
    reply = json::parse(lines.empty() ? std::string() : lines.back());
    if (!reply.is_object() || !reply.contains("ok")) {
      throw hpvm::Error("no reply");
    }
  } catch (const std::exception&) {
    const auto lines = avio::split(std::string(avio::trim_end(run.err, "\n")), '\n');
    std::vector<std::string> problems{
        fmt::format("{}hpvmmigrate did not run there (exit status {}){}", k_target_error,
                    run.status, lines.front().empty() ? "." : ": " + lines.front())};
    // Not found or not executable there (the shell's 127, 126): it logged nothing.
    if (run.status != 126 && run.status != 127) {
      problems.emplace_back(k_see_target_log);
    }
    throw hpvm::Refused(std::move(problems), k_refused, guest);
  }
  if (!reply.at("ok").get<bool>()) {
    std::vector<std::string> problems = texts_of(reply, "problems");
    problems.emplace_back(k_see_target_log);
    throw hpvm::Refused(std::move(problems), k_refused, guest);
  }
  return reply;
}

} // namespace

namespace {

// The source's checks, shared by both kinds of migration; throws
// hpvm::Refused. Fills the backing stores' identities. `may_run`: -d's
// first check (the guest is stopped only once the target accepted it).
void check_source(Store& store, const Guest& guest, const MigrateRequest& r,
                  const std::string& target_name, std::vector<std::string>& identities,
                  bool may_run = false) {
  std::vector<std::string> errors;
  if (const auto away = guest.extended.find(k_migrated_to);
      !guest.runnable && away != guest.extended.end()) {
    throw hpvm::Refused({fmt::format("The guest was migrated to the VM Host '{}' already; "
                                     "migrate it from there.",
                                     away->second)},
                        k_refused, guest.name);
  }
  if (auto problem = guest_name_problem(target_name)) {
    errors.push_back(fmt::format("Invalid {}.", *problem));
  }
  // Moved elsewhere, the guest could end up on two hosts.
  if (const auto handed = avio::handover_target(run_dir(store.root(), guest.uuid))) {
    errors.push_back(fmt::format("An interrupted migration told the VM Host '{}' to take the "
                                 "guest over; check '{}' first (hpvmstatus -P {} says how).",
                                 *handed, *handed, guest.name));
  }
  const bool on = run_state(store.root(), guest.uuid).on;
  if (!r.online && on && !may_run) {
    // With -d, running at the recheck: started again after it was stopped.
    errors.emplace_back(r.stop ? "The guest was started again after hpvmmigrate -d stopped it; "
                                 "migrate it again."
                               : "The guest is running; migrate it online with -o, or stop it "
                                 "with hpvmstop first.");
  }
  if (r.online && !on) {
    errors.emplace_back("The guest is not running; migrate it without -o.");
  }
  if (const auto it = guest.extended.find("online_migration");
      r.online && it != guest.extended.end() && it->second == "disabled") {
    errors.emplace_back("Online migration is disabled for the guest "
                        "(hpvmmodify -x online_migration=enabled allows it).");
  }
  for (const auto& d : guest.storage) {
    identities.push_back(d.location.empty() ? "" : avio::probe(d.location).identity);
    if (!d.location.empty() && storage_shared(store, identities.back())) {
      errors.push_back(
          fmt::format("Device {} is shared.  Guest with shared storage devices cannot be migrated.",
                      d.location));
    }
  }
  if (!errors.empty()) {
    throw hpvm::Refused(std::move(errors), k_refused, guest.name);
  }
}

std::vector<std::optional<int>> held_ports(Store& store, const Guest& guest) {
  std::vector<std::optional<int>> ports;
  VswitchStore vswitches(store);
  for (const auto& n : guest.networks) {
    ports.push_back(vswitches.nic_port(guest.name, n.address));
  }
  return ports;
}

// The source's copy, once the target has the guest: not runnable, not
// modifiable, not visible, saying where the guest went; its device-database
// entries released.
void mark_migrated(Store& store, const Guest& stored, const std::string& target,
                   const std::vector<std::string>& identities) {
  Guest away = stored;
  away.runnable = away.modifiable = away.visible = false;
  away.extended[k_migrated_to] = target;
  update_guest(store, stored, away, identities);
  drop_guest_dependents(store, stored.name);
}

// What the source sent is still its guest: the same row, whose definition
// no commit changed since (its change number, model/guest_config.hpp; a
// record not numbered yet, change 0, by its body), and it still passes the
// source's checks. Run under the write lock, before the target is told to
// commit; returns the guest as stored now and fills its backing stores'
// identities. Throws hpvm::Refused.
Guest recheck_source(Store& store, const Guest& sent,
                     const std::optional<Store::ConfigExport>& sent_record, const MigrateRequest& r,
                     const std::string& target_name, std::vector<std::string>& identities) {
  const auto now = store.load_guest_by_uuid(sent.uuid);
  const auto record = now ? store.config_export(now->id) : std::nullopt;
  const std::int64_t before = sent_record ? sent_record->change : 0;
  // The body too, whatever the change number says: the guest was read before
  // its change number, so a change made in between is in the number only.
  const bool same = now && now->id == sent.id && (record ? record->change : 0) == before &&
                    guest_config_body(*now) == guest_config_body(sent);
  if (!same) {
    throw hpvm::Refused({"The guest's configuration changed during the migration; migrate it "
                         "again."},
                        k_refused, sent.name);
  }
  identities.clear();
  check_source(store, *now, r, target_name, identities);
  return *now;
}

bool undo_target(avio::RemoteSession& session, const std::string& target, const std::string& uuid,
                 const std::string& what);

// The target's first reply (ready, or for -s the check's result);
// hpvm::Refused when it refused or could not be reached. A target whose
// side ended without a word may have made the guest (and its QEMU) first:
// it is told to remove them, unless this is a check.
json first_reply(avio::RemoteSession& session, const Guest& guest, const MigrateRequest& r,
                 const std::string& what) {
  std::optional<std::string> first;
  try {
    first = session.read_line(k_migrate_remote_timeout, what);
  } catch (const hpvm::Error& e) {
    // A target that never answered: its session ends here, and it is told
    // (by a new one, bounded too) to drop whatever it made meanwhile.
    session.finish(std::chrono::milliseconds(0));
    if (!r.check_only) {
      undo_target(session, r.target, guest.uuid, what);
    }
    throw hpvm::Refused({fmt::format("{}; 'ssh' was stopped.", avio::trim_end(e.what(), "."))},
                        k_refused, guest.name);
  }
  if (!first) {
    const int status = session.finish(avio::k_session_end_wait);
    if (!r.check_only) {
      undo_target(session, r.target, guest.uuid, what);
    }
    return target_reply({status, "", session.errors()}, guest.name); // throws
  }
  return target_reply({0, *first, session.errors()}, guest.name);
}

// Tells the target to drop what it made (its "abort", else hpvmmigrate
// --receive-abort there); whether it says it did.
bool undo_target(avio::RemoteSession& session, const std::string& target, const std::string& uuid,
                 const std::string& what) {
  bool clean = false;
  try {
    session.send_line("abort");
    session.close_input();
    // The target answers an abort once its copy is gone.
    if (auto line = session.read_line(k_handover_timeout, what)) {
      clean = json::parse(*line).value("ok", true) == false;
    }
  } catch (const std::exception&) {
  }
  if (!clean) {
    try {
      clean = avio::run_remote(target, {avio::own_executable(), "--receive-abort"}, uuid + "\n",
                               k_migrate_remote_timeout, what)
                  .status == 0;
    } catch (const hpvm::Error&) {
    }
  }
  return clean;
}

MigrationProgress progress_of(const avio::Json& m) {
  MigrationProgress p;
  if (const auto ram = m.find("ram"); ram != m.end() && ram->is_object()) {
    p.total = ram->value("total", std::uint64_t{0});
    p.transferred = ram->value("transferred", std::uint64_t{0});
    p.remaining = ram->value("remaining", std::uint64_t{0});
    p.dirty_rate = ram->value("dirty-pages-rate", std::uint64_t{0}) *
                   ram->value("page-size", std::uint64_t{4096});
  }
  return p;
}

// Runs the live migration over the forwarded socket until QEMU says it is
// complete (the source guest is then paused); throws hpvm::Error when it
// fails or outlasts k_live_migration_timeout (it is cancelled).
void run_live_migration(const avio::RunDir& run, const std::string& socket, const MigrateRequest& r,
                        MigrateResult& result) {
  avio::QmpClient q(run.qmp_socket());
  q.execute("migrate", avio::Json{{"uri", "unix:" + socket}});
  const auto deadline = std::chrono::steady_clock::now() + k_live_migration_timeout;
  while (true) {
    const avio::Json m = q.execute("query-migrate");
    const std::string status = m.value("status", "");
    if (status == "completed") {
      result.downtime_ms = m.value("downtime", std::uint64_t{0});
      result.total_ms = m.value("total-time", std::uint64_t{0});
      return;
    }
    if (status == "failed" || status == "cancelled") {
      throw hpvm::Error(fmt::format("The live migration {}: {}.", status,
                                    m.value("error-desc", "no reason given")));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      q.execute("migrate_cancel");
      throw hpvm::Error(fmt::format("The live migration did not finish within {} minutes; it "
                                    "was cancelled.",
                                    k_live_migration_timeout.count()));
    }
    if (r.progress && status == "active") {
      r.progress(progress_of(m));
    }
    std::this_thread::sleep_for(k_migration_poll);
  }
}

// After a failure: the source's migration cancelled and the guest running
// again, unless the target may have taken it (it was told to commit and
// did not say it undid that).
void recover_source(const avio::RunDir& run, bool target_may_run) {
  avio::QmpClient q(run.qmp_socket());
  const std::string status = q.execute("query-migrate").value("status", "");
  if (status == "active" || status == "setup" || status == "pre-switchover" || status == "device") {
    q.execute("migrate_cancel");
    const auto deadline = std::chrono::steady_clock::now() + k_handover_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string now = q.execute("query-migrate").value("status", "");
      if (now != "active" && now != "setup" && now != "cancelling" && now != "device" &&
          now != "pre-switchover") {
        break;
      }
      std::this_thread::sleep_for(k_migration_poll);
    }
  }
  if (!target_may_run && q.execute("query-status").value("status", "") != "running") {
    q.execute("cont");
  }
}

// The guest `r` names, as stored now.
Guest requested_guest(Store& store, const MigrateRequest& r) {
  return r.vm_number ? find_guest(store, *r.vm_number) : find_guest(store, *r.name);
}

// The source's copy marked migrated, under the write lock taken before the
// target was told to commit; a failure is reported, the target has the guest.
void commit_migrated(Store::WriteTransaction& tx, Store& store, const Guest& stored,
                     const std::string& target, const std::vector<std::string>& identities) {
  try {
    mark_migrated(store, stored, target, identities);
    tx.commit();
  } catch (const std::exception& e) {
    throw hpvm::Error(fmt::format("The guest was created on '{}', but this host could not mark "
                                  "its own copy migrated ({}): remove one of the two copies.",
                                  target, e.what()),
                      stored.name);
  }
}

// -D: the copy this host kept, marked not runnable, removed as hpvmremove
// removes a guest. The migration stands whatever happens here.
void remove_source_copy(Store& store, const std::string& name, Report& report) {
  try {
    remove_guest(store, name);
  } catch (const std::exception& e) {
    report.warnings.push_back(
        fmt::format("The guest was migrated, but this host's copy could not be removed ({}): it "
                    "stays, not runnable; hpvmremove removes it.",
                    avio::trim(e.what(), " .")));
  }
}

// -b: the guest started on the target by its own hpvmstart, which makes
// its own checks (-F, which forced the migration, is not passed on: a start
// forced past a lack of memory only fails later, in QEMU); why it did not
// start, in that hpvmstart's words.
std::optional<std::string> boot_on_target(const MigrateRequest& r, const MigrateResult& result) {
  const std::string hpvmstart =
      (std::filesystem::path(avio::own_executable()).parent_path() / "hpvmstart").string();
  try {
    const auto started =
        avio::run_remote(r.target, {hpvmstart, "-P", result.target_name}, "",
                         k_migrate_remote_timeout, fmt::format("hpvmstart on '{}'", r.target));
    if (started.status == 0) {
      return std::nullopt;
    }
    // Its first line, without its "hpvmstart: ERROR (name): " tag.
    std::string why = avio::split(std::string(avio::trim_end(started.err, "\n")), '\n').front();
    if (const auto tag = why.find("): "); why.starts_with("hpvmstart: ") && tag != why.npos) {
      why.erase(0, tag + 3);
    }
    return why.empty() ? "no reason given" : why;
  } catch (const hpvm::Error& e) {
    return std::string(avio::trim(e.what(), " ."));
  }
}

// The guest as the target is to have it: -l -c -e -E -r applied to a copy
// (refused, before the target is asked, when one of them is invalid).
Guest as_sent(const Guest& guest, const MigrateRequest& r) {
  Guest sent = guest;
  std::vector<std::string> errors;
  std::vector<std::string> warnings; // only console users warn: not among these options
  apply_characteristics(r.changes, r.force, sent, errors, warnings);
  if (!errors.empty()) {
    throw hpvm::Refused(std::move(errors), k_refused, guest.name);
  }
  return sent;
}

MigrateResult migrate_online(Store& store, const MigrateRequest& r) {
  MigrateResult result;
  const Guest guest = requested_guest(store, r);
  result.name = guest.name;
  result.target_name = r.new_name.value_or(guest.name);
  const avio::RunDir run = run_dir(store.root(), guest.uuid);
  avio::refuse_stopped_qemu(run, guest.name);
  std::optional<avio::RuntimeLock> lock(std::in_place, run, avio::k_runtime_lock_wait, guest.name);
  std::vector<std::string> identities;
  check_source(store, guest, r, result.target_name, identities);
  const auto record = store.config_export(guest.id);
  const std::string definition =
      export_definition(as_sent(guest, r), identities, held_ports(store, guest), result.target_name,
                        r.check_only, r.force, true);
  const std::string local = avio::migration_socket(guest.uuid, "out");
  const std::string remote = avio::migration_socket(guest.uuid, "in");
  const std::string what = fmt::format("hpvmmigrate on the VM Host '{}'", r.target);
  avio::RemoteSession session(r.target, {avio::own_executable(), "--receive"},
                              std::vector<avio::SocketForward>{{local, remote}});
  session.send_line(std::string(avio::trim_end(definition, "\n")));
  const json first = first_reply(session, guest, r, what); // a refusal throws
  if (r.check_only) {
    result.report.warnings = texts_of(first, "warnings");
    return result;
  }
  bool commit_sent = false;
  // Taken once the stream is through: from the check that the definition
  // is the one sent until the copy here is marked.
  std::optional<Store::WriteTransaction> tx;
  Guest stored;
  try {
    run_live_migration(run, local, r, result);
    tx.emplace(store);
    stored = recheck_source(store, guest, record, r, result.target_name, identities);
    // From here until the copy here is marked (or the target undid its
    // own), a killed hpvmmigrate leaves the guest possibly on the target.
    avio::record_handover(run, r.target);
    commit_sent = session.send_line("commit");
    const auto done = session.read_line(k_handover_timeout, what);
    if (!done) {
      throw hpvm::Error(
          fmt::format("The VM Host '{}' did not confirm it runs the guest.", r.target));
    }
    const json reply = target_reply({0, *done, session.errors()}, guest.name);
    take_target_reply(reply, result);
  } catch (const std::exception& e) { // a busy database too: the guest must run on here
    tx.reset();
    avio::remove_socket_file(local);
    // The target is told to drop its copy whether or not "commit" got there:
    // an incoming QEMU it started waits there otherwise.
    const bool target_clean = undo_target(session, r.target, guest.uuid, what);
    const bool target_may_run = commit_sent && !target_clean;
    if (!target_may_run) {
      avio::forget_handover(run); // before the guest runs again: it is only here
    }
    recover_source(run, target_may_run);
    if (target_may_run) {
      throw hpvm::Error(fmt::format("{} The guest is paused here and may run on '{}': check "
                                    "that host before resuming it here.",
                                    e.what(), r.target),
                        guest.name);
    }
    throw hpvm::Error(fmt::format("{} The guest runs on this host as before.", e.what()),
                      guest.name);
  }
  avio::remove_socket_file(local);
  commit_migrated(*tx, store, stored, r.target, identities);
  avio::forget_handover(run);
  lock.reset(); // stop_guest takes it itself
  stop_guest(store, StopRequest{guest.name});
  if (r.remove_source) {
    remove_source_copy(store, stored.name, result.report);
  }
  return result;
}

// What a failure after -d's stop adds: the guest is Off here now.
std::string stopped_note(const std::string& name) {
  return fmt::format("-d stopped it: it is Off on this host ('hpvmstart -P {}' starts it again).",
                     name);
}

// The exception in flight, rethrown with `note` after its message (a
// refusal's last problem).
[[noreturn]] void rethrow_noting(const std::string& note) {
  try {
    throw;
  } catch (const hpvm::Refused& e) {
    std::vector<std::string> problems = e.problems();
    problems.push_back(note);
    throw hpvm::Refused(std::move(problems), e.summary(), e.guest());
  } catch (const hpvm::Error& e) {
    throw hpvm::Error(fmt::format("{} {}", e.what(), note), e.guest());
  }
}

// -d: the running guest stopped as hpvmstop -P stops it (hard), now that
// both hosts' checks passed. stop_guest takes the guest's runtime lock
// itself: `lock` is let go for it and taken again after, and the recheck
// under the write lock then finds the guest Off and unchanged, or refuses
// (started or changed in between). Returns the stop's warnings; throws
// hpvm::Error saying the guest was not migrated.
Report stop_for_migration(Store& store, const Guest& guest, const avio::RunDir& run,
                          std::optional<avio::RuntimeLock>& lock) {
  lock.reset();
  Report stopped;
  try {
    stopped = stop_guest(store, StopRequest{guest.name});
  } catch (const hpvm::Error& e) {
    // The stop can fail before QEMU is gone (the guest's runtime lock held
    // by another command) or after (the database busy as it is recorded).
    if (!run_state(store.root(), guest.uuid).on) {
      throw hpvm::Error(fmt::format("The guest was stopped, then this failed: {} It was not "
                                    "migrated; {}",
                                    e.what(), stopped_note(guest.name)),
                        guest.name);
    }
    if (dynamic_cast<const hpvm::Busy*>(&e) != nullptr) {
      throw hpvm::Error("The guest could not be stopped: another command is starting, stopping "
                        "or changing it. It was not migrated; it runs on this host as before.",
                        guest.name);
    }
    throw hpvm::Error(fmt::format("The guest could not be stopped: {}. It was not migrated; it "
                                  "runs on this host as before.",
                                  avio::trim(e.what(), " .")),
                      guest.name);
  }
  try {
    lock.emplace(run, avio::k_runtime_lock_wait, guest.name);
  } catch (const hpvm::Error&) {
    throw hpvm::Error(fmt::format("The guest was stopped, but another command took it before it "
                                  "could be migrated. It was not migrated; {}",
                                  stopped_note(guest.name)),
                      guest.name);
  }
  return stopped;
}

// Offline: checked and sent without the database's write lock (the target
// may take k_migrate_remote_timeout, and other commands here must not wait
// for it); the guest's runtime lock keeps it from being started meanwhile.
// The target creates the guest not runnable and waits; the write lock is
// taken only to check that the definition sent is still the guest's and to
// mark the copy here, around the target's "commit".
MigrateResult migrate_offline(Store& store, const MigrateRequest& r) {
  MigrateResult result;
  const Guest guest = requested_guest(store, r);
  result.name = guest.name;
  result.target_name = r.new_name.value_or(guest.name);
  const avio::RunDir run = run_dir(store.root(), guest.uuid);
  avio::create_run_dir(run);
  std::optional<avio::RuntimeLock> lock(std::in_place, run, avio::k_runtime_lock_wait, guest.name);
  std::vector<std::string> identities;
  check_source(store, guest, r, result.target_name, identities, r.stop);
  const bool stop = r.stop && run_state(store.root(), guest.uuid).on;
  const auto record = store.config_export(guest.id);
  const std::string definition =
      export_definition(as_sent(guest, r), identities, held_ports(store, guest), result.target_name,
                        r.check_only, r.force);
  const std::string what = fmt::format("hpvmmigrate on the VM Host '{}'", r.target);
  avio::RemoteSession session(r.target, {avio::own_executable(), "--receive"});
  session.send_line(std::string(avio::trim_end(definition, "\n")));
  const json first = first_reply(session, guest, r, what); // a refusal throws
  if (r.check_only) {
    result.report.warnings = texts_of(first, "warnings");
    return result;
  }
  // Taken in the try: a busy database also tells the target to drop its copy.
  std::optional<Store::WriteTransaction> tx;
  bool commit_sent = false;
  Guest stored;
  Report stopped; // -d's
  bool stopped_here = false;
  try {
    if (stop) {
      stopped = stop_for_migration(store, guest, run, lock); // says itself what it left
      stopped_here = true;
    }
    tx.emplace(store);
    stored = recheck_source(store, guest, record, r, result.target_name, identities);
    avio::record_handover(run, r.target); // as online: until the copy here is marked
    commit_sent = session.send_line("commit");
    const auto done = session.read_line(k_handover_timeout, what);
    if (!done) {
      throw hpvm::Error(
          fmt::format("The VM Host '{}' did not confirm it has the guest.", r.target));
    }
    const json reply = target_reply({0, *done, session.errors()}, guest.name);
    take_target_reply(reply, result);
  } catch (const hpvm::Error&) {
    tx.reset();
    const bool target_clean = undo_target(session, r.target, guest.uuid, what);
    if (target_clean || !commit_sent) {
      avio::forget_handover(run);
    } else {
      throw hpvm::Error(fmt::format("The VM Host '{}' may have the guest now: check there before "
                                    "using this host's copy, which stays as it was.{}",
                                    r.target, stopped_here ? " (-d stopped it: it is Off.)" : ""),
                        guest.name);
    }
    if (stopped_here && !run_state(store.root(), guest.uuid).on) { // not started again
      rethrow_noting(stopped_note(guest.name));
    }
    throw;
  }
  commit_migrated(*tx, store, stored, r.target, identities);
  avio::forget_handover(run);
  result.report.warnings.insert(result.report.warnings.begin(), stopped.warnings.begin(),
                                stopped.warnings.end());
  if (r.remove_source) {
    remove_source_copy(store, stored.name, result.report);
  }
  if (r.boot) {
    if (auto why = boot_on_target(r, result)) {
      result.boot_failure = fmt::format(
          "The guest was migrated to '{}', but it did not start there: {}", r.target, *why);
    }
  }
  return result;
}

} // namespace

MigrateResult migrate_guest(Store& store, const MigrateRequest& r) {
  if (auto problem = avio::host_problem(r.target)) {
    throw hpvm::UsageError(fmt::format("Invalid target: {}.", *problem));
  }
  if (r.online && r.boot) {
    throw hpvm::UsageError("-b starts the guest after an offline migration; with -o it runs on.");
  }
  if (r.online && r.stop) {
    throw hpvm::UsageError("-d stops the guest for an offline migration; with -o it runs on.");
  }
  const auto& c = r.changes;
  if (r.online && (c.vcpus || c.memory || c.entitlement || c.cycles)) {
    throw hpvm::UsageError(
        "-c, -e, -E and -r change the guest's virtual hardware: not with -o (a live migration "
        "keeps the running guest's).");
  }
  return r.online ? migrate_online(store, r) : migrate_offline(store, r);
}

} // namespace vmconfig

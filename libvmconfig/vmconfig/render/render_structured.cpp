// hpvmstatus -X (XML, libxml2) and -J (JSON, nlohmann-json).
#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/model/grammar.hpp"
#include "vmconfig/render/render.hpp"

#include <fmt/format.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <nlohmann/json.hpp>

#include <memory>

namespace vmconfig {

namespace {

// An MHz entitlement given without a maximum (-E cycles) stores 0.
bool no_maximum(const Entitlement& e) {
  return e.cycles && e.maximum == 0.0;
}

const xmlChar* x(const char* s) {
  return reinterpret_cast<const xmlChar*>(s);
}

xmlNodePtr text_child(xmlNodePtr parent, const char* name, const std::string& value) {
  return xmlNewTextChild(parent, nullptr, x(name), x(value.c_str()));
}

void attr(xmlNodePtr node, const char* name, const std::string& value) {
  xmlNewProp(node, x(name), x(value.c_str()));
}

// Memory as XML shows it: whole gigabytes in GB, anything else in MB.
std::pair<std::string, std::string> memory_amount(std::uint64_t mb) {
  return mb % 1024 == 0 ? std::pair{std::to_string(mb / 1024), std::string("GB")}
                        : std::pair{std::to_string(mb), std::string("MB")};
}

} // namespace

std::string render_xml(const std::vector<GuestStatus>& guests) {
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(xmlNewDoc(x("1.0")), &xmlFreeDoc);
  xmlNodePtr root = xmlNewNode(nullptr, x("hpvm"));
  xmlDocSetRootElement(doc.get(), root);
  attr(root, "version", "1.0");
  xmlNodePtr pman = xmlNewChild(root, nullptr, x("pman"), nullptr);
  for (const auto& gs : guests) {
    const auto& [g, state, live, counts] = gs;
    xmlNodePtr vm = xmlNewChild(pman, nullptr, x("virtual_machine"), nullptr);
    attr(vm, "name", g.name);
    text_child(vm, "local_id", std::to_string(g.vm_number));
    text_child(vm, "uuid", g.uuid);
    text_child(vm, "vm_state", state.token());
    text_child(vm, "os_type", g.os_type);
    text_child(vm, "os_version", g.os_version);
    text_child(vm, "label", g.label);
    text_child(vm, "start_type", g.start == StartAttr::automatic ? "Auto" : "Manual");
    text_child(vm, "runnable_status", g.runnable ? "enabled" : "disabled");
    text_child(vm, "modify_status", g.modifiable ? "enabled" : "disabled");
    text_child(vm, "visible_status", g.visible ? "enabled" : "disabled");
    text_child(vm, "vcpu_number", std::to_string(g.vcpus));
    xmlNodePtr ent = xmlNewChild(vm, nullptr, x("entitlement"), nullptr);
    attr(ent, "unit", g.entitlement.cycles ? "MHz" : "percent");
    attr(ent, "minimum", fmt::format("{:.1f}", g.entitlement.minimum));
    if (!no_maximum(g.entitlement)) {
      attr(ent, "maximum", fmt::format("{:.1f}", g.entitlement.maximum));
    }
    xmlNodePtr mem = xmlNewChild(vm, nullptr, x("memory"), nullptr);
    const auto [total, unit] = memory_amount(g.memory_mb);
    attr(text_child(mem, "total", total), "unit", unit);
    attr(text_child(mem, "reserved", std::to_string(k_reserved_memory_mb)), "unit", "MB");
    if (const auto m = dynamic_memory(g)) {
      xmlNodePtr dynamic = xmlNewChild(mem, nullptr, x("dynamic"), nullptr);
      attr(dynamic, "type", m->type);
      attr(dynamic, "unit", "MB");
      attr(dynamic, "minimum", std::to_string(m->minimum_mb));
      attr(dynamic, "target_start", std::to_string(m->target_start_mb));
      attr(dynamic, "maximum", std::to_string(m->maximum_mb));
      if (state.on && live && live->balloon_mb) { // the running guest's size now
        attr(dynamic, "current", std::to_string(*live->balloon_mb));
      }
    }
    xmlNodePtr storage = xmlNewChild(vm, nullptr, x("storage"), nullptr);
    for (const auto& d : g.storage) {
      xmlNodePtr dev = text_child(storage, "device", format(d));
      attr(dev, "type", std::string(to_string(d.device)));
      attr(dev, "adapter", std::string(to_string(d.adapter)));
      attr(dev, "bus", std::to_string(d.address.bus));
      attr(dev, "slot", std::to_string(d.address.slot));
      attr(dev, "target", std::to_string(d.address.target));
      attr(dev, "storage", std::string(to_string(d.storage)));
      attr(dev, "location", d.location);
    }
    xmlNodePtr network = xmlNewChild(vm, nullptr, x("network"), nullptr);
    for (const auto& n : g.networks) {
      xmlNodePtr nic = text_child(network, "nic", format(n));
      attr(nic, "adapter", std::string(to_string(n.adapter)));
      attr(nic, "bus", std::to_string(n.address.bus));
      attr(nic, "slot", std::to_string(n.address.slot));
      attr(nic, "mac", n.mac.canonical());
      attr(nic, "vswitch", n.vswitch);
      if (n.port) {
        attr(nic, "port", std::to_string(*n.port));
      }
    }
    if (live) { // a running guest (or one QEMU left run files of), as in -J
      xmlNodePtr runtime = xmlNewChild(vm, nullptr, x("runtime"), nullptr);
      attr(runtime, "qemu_state", live->qemu_status);
      if (!live->unknown.empty()) {
        attr(runtime, "unknown", live->unknown);
      }
      if (!live->problem.empty()) {
        text_child(runtime, "problem", live->problem);
      }
      for (const auto& d : live->differences) {
        text_child(runtime, "difference", d);
      }
      for (const auto& p : live->pending) {
        text_child(runtime, "pending", p);
      }
      if (!live->repair.empty()) {
        text_child(runtime, "repair", live->repair);
      }
    }
  }
  xmlChar* buffer = nullptr;
  int size = 0;
  xmlDocDumpFormatMemoryEnc(doc.get(), &buffer, &size, "UTF-8", 1);
  std::string out(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(size));
  xmlFree(buffer);
  return out;
}

std::string render_json(const std::vector<GuestStatus>& guests) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto& gs : guests) {
    const auto& [g, state, live, counts] = gs;
    nlohmann::ordered_json j;
    j["name"] = g.name;
    j["vm_number"] = g.vm_number;
    j["uuid"] = g.uuid;
    j["state"] = state.token();
    j["os_type"] = g.os_type;
    j["os_version"] = g.os_version;
    j["label"] = g.label;
    j["start_type"] = g.start == StartAttr::automatic ? "auto" : "manual";
    j["runnable_status"] = g.runnable ? "enabled" : "disabled";
    j["modify_status"] = g.modifiable ? "enabled" : "disabled";
    j["visible_status"] = g.visible ? "enabled" : "disabled";
    j["vcpus"] = g.vcpus;
    j["entitlement"] = {{"unit", g.entitlement.cycles ? "MHz" : "percent"},
                        {"minimum", g.entitlement.minimum},
                        {"maximum", no_maximum(g.entitlement)
                                        ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json(g.entitlement.maximum)}};
    j["memory_mb"] = g.memory_mb;
    j["reserved_memory_mb"] = k_reserved_memory_mb;
    j["dynamic_memory"] = nullptr;
    if (const auto m = dynamic_memory(g)) {
      nlohmann::ordered_json current = nullptr; // off, or QEMU did not say
      if (state.on && live && live->balloon_mb) {
        current = *live->balloon_mb;
      }
      j["dynamic_memory"] = {{"type", m->type},
                             {"minimum_mb", m->minimum_mb},
                             {"target_mb", shown_target_mb(gs, *m)},
                             {"target_start_mb", m->target_start_mb},
                             {"maximum_mb", m->maximum_mb},
                             {"current_mb", current}};
    }
    j["extended"] = nlohmann::ordered_json::object();
    for (const auto& [key, value] : g.extended) {
      j["extended"][key] = value;
    }
    j["console_access"] = nlohmann::ordered_json::array();
    for (const auto& a : g.access) {
      j["console_access"].push_back(
          {{"kind", a.kind == ConsoleAccess::Kind::user ? "user" : "group"},
           {"name", a.name},
           {"role", a.admin ? "admin" : "oper"}});
    }
    j["storage"] = nlohmann::ordered_json::array();
    for (const auto& d : g.storage) {
      j["storage"].push_back({{"statement", format(d)},
                              {"device", to_string(d.device)},
                              {"adapter", to_string(d.adapter)},
                              {"bus", d.address.bus},
                              {"slot", d.address.slot},
                              {"target", d.address.target},
                              {"storage", to_string(d.storage)},
                              {"location", d.location}});
    }
    j["network"] = nlohmann::ordered_json::array();
    for (const auto& n : g.networks) {
      nlohmann::ordered_json nic = {{"statement", format(n)},   {"adapter", to_string(n.adapter)},
                                    {"bus", n.address.bus},     {"slot", n.address.slot},
                                    {"mac", n.mac.canonical()}, {"vswitch", n.vswitch}};
      nic["port"] = n.port ? nlohmann::ordered_json(*n.port) : nlohmann::ordered_json(nullptr);
      j["network"].push_back(std::move(nic));
    }
    if (live) { // a running guest (or one QEMU left run files of)
      const auto text_or_null = [](const std::string& s) {
        return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s);
      };
      j["runtime"] = {{"qemu_state", live->qemu_status},
                      {"unknown", text_or_null(live->unknown)},
                      {"problem", text_or_null(live->problem)},
                      {"differences", live->differences},
                      {"pending", live->pending},
                      {"repair", text_or_null(live->repair)}};
    }
    list.push_back(std::move(j));
  }
  return nlohmann::ordered_json{{"guests", list}}.dump(2) + "\n";
}

} // namespace vmconfig

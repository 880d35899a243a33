// Tests for libavio/avio/machine.cpp and the QEMU command line of
// guest_process.cpp: the HPVM address -> QEMU topology rule, device models,
// and that user paths reach QEMU only inside JSON.
#include <avio/guest_process.hpp>
#include <avio/machine.hpp>

#include <doctest/doctest.h>

#include <algorithm>

using namespace avio;

TEST_CASE(
    "machine: HPVM bus b is bridge hpvm.bus<b> in root slot 0x10+b, slot s is bridge slot s") {
  for (int bus = 0; bus <= k_max_bus; ++bus) {
    const Json bridge = bridge_device(bus);
    CHECK(bridge["driver"] == "pci-bridge");
    CHECK(bridge["id"] == "hpvm.bus" + std::to_string(bus));
    CHECK(bridge["bus"] == "pci.0");
    CHECK(bridge["chassis_nr"] == bus + 1);
    CHECK(pci_location(bus, 5).root_slot == 0x10 + bus);
    CHECK(pci_location(bus, 5).bridge_slot == 5);
  }
  CHECK(bridge_device(7)["addr"] == "0x17");
  const Json hba = adapter_device(StorageAdapter::avio_stor, 2, 6);
  CHECK(hba == Json{{"driver", "virtio-scsi-pci"},
                    {"id", "hpvm.hba.b2s6"},
                    {"bus", "hpvm.bus2"},
                    {"addr", "0x6"}});
  CHECK(adapter_device(StorageAdapter::scsi, 0, 0)["driver"] == "megasas");
}

TEST_CASE("machine: targets are SCSI ids on their adapter, backed by a raw node") {
  const GuestDisk disk{
      DeviceType::disk, StorageAdapter::scsi, {1, 2, 14}, StorageType::file, "/vm/a,b\"c.img"};
  CHECK(target_device(disk) == Json{{"driver", "scsi-hd"},
                                    {"id", "hpvm.tgt.b1s2t14"},
                                    {"bus", "hpvm.hba.b1s2.0"},
                                    {"channel", 0},
                                    {"scsi-id", 14},
                                    {"lun", 0},
                                    {"drive", "hpvm-b1s2t14"},
                                    {"serial", "hpvm-b1s2t14"}});
  // The serial names the target again, wherever a guest's tools put it.
  CHECK(avio::serial_address_of("hpvm-b1s2t14") == avio::StorageAddress{1, 2, 14});
  CHECK(avio::serial_address_of("0QEMU_QEMU_HARDDISK_hpvm-b0s1t3") ==
        avio::StorageAddress{0, 1, 3});
  CHECK_FALSE(avio::serial_address_of("hpvm-b0s1"));
  CHECK_FALSE(avio::serial_address_of("XYZ1"));
  const auto node = blockdev(disk);
  REQUIRE(node);
  CHECK((*node)["driver"] == "raw");
  CHECK((*node)["read-only"] == false);
  CHECK((*node)["file"] == Json{{"driver", "file"}, {"filename", "/vm/a,b\"c.img"}});

  GuestDisk dvd{DeviceType::dvd, StorageAdapter::avio_stor, {0, 1, 3}, StorageType::null, ""};
  CHECK(target_model(dvd) == std::string("scsi-cd"));
  CHECK_FALSE(blockdev(dvd));
  CHECK_FALSE(target_device(dvd).contains("drive"));
  dvd.location = "/iso/x.iso";
  dvd.storage = StorageType::file;
  CHECK((*blockdev(dvd))["read-only"] == true);

  const GuestDisk tape{
      DeviceType::tape, StorageAdapter::scsi, {0, 0, 1}, StorageType::attach, "/dev/null"};
  CHECK(target_model(tape) == std::string("scsi-generic"));
  CHECK_FALSE(target_device(tape).contains("serial")); // the device's own serial passes through
  // Pass-through talks to the host device itself: no raw layer.
  CHECK((*blockdev(tape)) ==
        Json{{"driver", "host_device"}, {"filename", "/dev/null"}, {"node-name", "hpvm-b0s0t1"}});
}

TEST_CASE("machine: vNICs are virtio-net or e1000 on a tap QEMU opens by name") {
  const GuestNic nic{NetAdapter::lan, {3, 4}, *MacAddress::parse("0x02AABBCCDDEE"), "hpv7n34"};
  CHECK(nic_device(nic) == Json{{"driver", "e1000"},
                                {"id", "hpvm.nic.b3s4"},
                                {"bus", "hpvm.bus3"},
                                {"addr", "0x4"},
                                {"netdev", "hpvm.net.b3s4"},
                                {"mac", "02:aa:bb:cc:dd:ee"}});
  CHECK(tap_netdev(nic) == Json{{"type", "tap"},
                                {"id", "hpvm.net.b3s4"},
                                {"ifname", "hpv7n34"},
                                {"script", "no"},
                                {"downscript", "no"}});
  CHECK(nic_model(NetAdapter::avio_lan) == std::string("virtio-net-pci"));
}

TEST_CASE("machine: QemuOpts escaping doubles commas") {
  CHECK(qemu_opt_escape("a,b,,c") == "a,,b,,,,c");
  CHECK(qemu_opt_escape("plain") == "plain");
}

TEST_CASE("qemu command: one adapter per slot, all bridges, paths only inside JSON") {
  MachineSpec spec;
  spec.name = "g1";
  spec.uuid = "3b1d3f6e-0000-4000-8000-000000000001";
  spec.vcpus = 2;
  spec.memory_mb = 512;
  spec.host_name = "host,1";
  const std::string odd = "/vm/disk,file=/etc/shadow.img";
  spec.storage = {
      {DeviceType::disk, StorageAdapter::avio_stor, {0, 1, 0}, StorageType::file, odd},
      {DeviceType::disk, StorageAdapter::avio_stor, {0, 1, 1}, StorageType::file, "/vm/b.img"},
  };
  const auto argv = qemu_command(spec, Accelerator::tcg);
  CHECK(argv.front() == "qemu-system-x86_64");
  const auto after = [&](const std::string& option) {
    const auto it = std::find(argv.begin(), argv.end(), option);
    REQUIRE(it != argv.end());
    return *(it + 1);
  };
  CHECK(after("-machine") == "pc,accel=tcg");
  CHECK(after("-smp") == "2");
  CHECK(after("-m") == "512M");
  CHECK(after("-uuid") == spec.uuid);
  CHECK(std::count(argv.begin(), argv.end(), "-daemonize") == 1);
  CHECK(std::find(argv.begin(), argv.end(), "type=1,manufacturer=HPVM,product=HPVM Guest") !=
        argv.end());
  CHECK(std::find(argv.begin(), argv.end(), "type=11,value=hpvm.host=host,,1") != argv.end());
  int bridges = 0, adapters = 0;
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == "-device") {
      const Json device = Json::parse(argv[i + 1]);
      bridges += device["driver"] == "pci-bridge";
      adapters += device["driver"] == "virtio-scsi-pci";
    }
    if (argv[i + 1].find(odd) != std::string::npos) {
      CHECK(argv[i] == "-blockdev");
      CHECK(Json::parse(argv[i + 1])["file"]["filename"] == odd);
    }
  }
  CHECK(bridges == 8);
  CHECK(adapters == 1);
}

TEST_CASE("qemu command: a balloon in root slot 9 only with dynamic memory") {
  MachineSpec spec;
  spec.name = "g1";
  spec.uuid = "3b1d3f6e-0000-4000-8000-000000000001";
  const auto balloons = [](const std::vector<std::string>& argv) {
    std::vector<Json> found;
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
      if (argv[i] == "-device" && Json::parse(argv[i + 1])["driver"] == "virtio-balloon-pci") {
        found.push_back(Json::parse(argv[i + 1]));
      }
    }
    return found;
  };
  CHECK(balloons(qemu_command(spec, Accelerator::tcg)).empty());
  spec.balloon = true;
  const auto found = balloons(qemu_command(spec, Accelerator::tcg));
  REQUIRE(found.size() == 1);
  CHECK(found.front() == balloon_device());
  CHECK(balloon_device() == Json{{"driver", "virtio-balloon-pci"},
                                 {"id", "hpvm.balloon"},
                                 {"bus", "pci.0"},
                                 {"addr", "0x9"}});
  // Outside the bridges' slots and beside the agent's, so no statement reaches it.
  CHECK(k_balloon_root_slot != k_agent_root_slot);
  CHECK(k_balloon_root_slot < k_bridge_root_slot);
  CHECK(fixed_device_id(k_balloon_id));
}

TEST_CASE("machine: QEMU ids read back into the addresses they were made from") {
  CHECK(avio::target_address_of(avio::target_id({0, 2, 5})) == avio::StorageAddress{0, 2, 5});
  CHECK(avio::target_address_of("hpvm.tgt.b12s31t14") == avio::StorageAddress{12, 31, 14});
  CHECK(avio::adapter_address_of(avio::adapter_id(3, 4)) == avio::NicAddress{3, 4});
  CHECK(avio::nic_address_of(avio::nic_id({0, 7})) == avio::NicAddress{0, 7});
  CHECK(avio::netdev_address_of(avio::netdev_id({1, 3})) == avio::NicAddress{1, 3});
  // Another kind of id, trailing text, missing numbers or other devices: none.
  CHECK_FALSE(avio::nic_address_of(avio::netdev_id({0, 7})));
  CHECK_FALSE(avio::adapter_address_of(avio::nic_id({0, 7})));
  CHECK_FALSE(avio::target_address_of("hpvm.tgt.b0s2t5x"));
  CHECK_FALSE(avio::target_address_of("hpvm.tgt.b0s2"));
  CHECK_FALSE(avio::nic_address_of("hpvm.nic.b0s07"));
  CHECK_FALSE(avio::nic_address_of("hpvm.bus5"));
  CHECK_FALSE(avio::nic_address_of("net0"));
}

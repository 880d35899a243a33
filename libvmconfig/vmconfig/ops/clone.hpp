// hpvmclone: a new guest made from an existing one, with its own UUID, VM
// number, MAC addresses and vswitch ports, optionally changed (-a/-d/-m and
// the characteristic options) and with copies of the source's storage (-b).
#pragma once

#include "vmconfig/model/characteristics.hpp"
#include "vmconfig/ops/guests.hpp"
#include "vmconfig/ops/modify.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace vmconfig {

// Told about each -b copy as it runs (the command shows progress).
class CopyObserver {
public:
  virtual ~CopyObserver() = default;
  virtual void started(const std::string& from, const std::string& to, std::uint64_t bytes) = 0;
  virtual void progress(std::uint64_t done, std::uint64_t total) = 0;
  virtual void finished(const std::string& from, const std::string& to) = 0;
};

struct CloneRequest {
  std::string source; // -P
  std::string name;   // -N
  CharacteristicsRequest characteristics;
  std::vector<std::string> copies;   // -b: the source device's address, the new backing store
  std::vector<DeviceChange> changes; // -a -d -m on the clone, in command-line order
  bool check_only = false;           // -s
  bool force = false;                // -F
  CopyObserver* observer = nullptr;
};

// Clones a guest, or with check_only checks everything and changes nothing.
// -b copies run outside the database transaction (other commands need not
// wait for them) and the clone is checked again before it is written; new
// target files are removed again when the clone fails. Throws hpvm::Refused
// listing every problem.
Report clone_guest(Store& store, const CloneRequest& request);

} // namespace vmconfig

// The SQL that hpvmmodify and hpvmclone need beyond Store's own: rewriting a
// stored guest, keeping its device-database dependencies in step, and the
// questions clone asks about who else uses a backing store.
#pragma once

#include "vmconfig/model/guest.hpp"

#include <optional>
#include <string>
#include <vector>

namespace vmconfig {

class Store;

// Writes `guest` (found by guest.id) over its stored row, `stored` being what
// the database holds now: only what differs is written. Storage devices are
// matched by address, so a kept device keeps its row (and row id); vNICs, -x
// keywords and console access rows are written again when they changed.
void update_guest(Store& store, const Guest& stored, const Guest& guest,
                  const std::vector<std::string>& storage_identities);

// A guest other than `except` with a storage device on the host entity
// `identity`, if any.
std::optional<std::string> storage_user(Store& store, const std::string& identity,
                                        const std::string& except);

} // namespace vmconfig

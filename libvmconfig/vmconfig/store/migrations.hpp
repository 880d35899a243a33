// The schema's forward migrations, which Store::migrate() applies.
#pragma once

#include <span>

namespace vmconfig {

// How many there are: the schema version this program writes
// (Store::k_schema_version). Add one with each new migration.
inline constexpr int k_migration_count = 8;

// Entry i takes the schema from version i to i+1. Append only; never edit an
// entry that has been released.
std::span<const char* const> schema_migrations();

} // namespace vmconfig

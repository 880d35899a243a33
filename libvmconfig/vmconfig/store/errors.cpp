#include "vmconfig/store/errors.hpp"

#include "vmconfig/store/store.hpp"

#include <avio/error.hpp>
#include <avio/layout.hpp>

#include <SQLiteCpp/Exception.h>
#include <fmt/format.h>

#include <sqlite3.h>

#include <cerrno>

namespace vmconfig {

void rethrow_as_project_error() {
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    const int code = e.getErrorCode();
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
      throw hpvm::Error(
          fmt::format("Configuration database error: {}. {}", e.what(),
                      damaged_database_advice(avio::layout::root_from_environment())));
    }
    if (code == SQLITE_FULL) {
      throw full_root_error(avio::layout::root_from_environment(), ENOSPC);
    }
    throw hpvm::Error(fmt::format("Configuration database error: {}", e.what()));
  }
}

} // namespace vmconfig

#include "vmconfig/store/errors.hpp"

#include <avio/error.hpp>

#include <SQLiteCpp/Exception.h>
#include <fmt/format.h>

namespace vmconfig {

void rethrow_as_project_error() {
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    throw hpvm::Error(fmt::format("Configuration database error: {}", e.what()));
  }
}

} // namespace vmconfig

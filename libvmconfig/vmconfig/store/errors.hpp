// The store's failures as the project's own error types: the one place
// outside the store's own calls where SQLite's exception type is known.
#pragma once

namespace vmconfig {

// Rethrows the exception being handled; a SQLite error becomes
// hpvm::Error("Configuration database error: ...") (a full file system: the
// message of full_root_error()), anything else is
// rethrown unchanged. Call only inside a catch block.
[[noreturn]] void rethrow_as_project_error();

} // namespace vmconfig

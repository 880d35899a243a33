// The suite's one exception hierarchy. Every layer throws these; cmd/cli maps
// them to messages and exit codes in one place (cli/runner.cpp).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace hpvm {

// An operation failed. Exit status 1. `guest` names the guest the message is
// about (printed as "cmd: ERROR (guest): ..."), empty when there is none.
class Error : public std::runtime_error {
public:
  explicit Error(const std::string& message, std::string guest = {})
      : std::runtime_error(message), m_guest(std::move(guest)) {}
  const std::string& guest() const { return m_guest; }

private:
  std::string m_guest;
};

// The command line itself is wrong. Exit status 2.
class UsageError : public Error {
public:
  using Error::Error;
};

// A request was checked and refused; carries every problem found (each
// printed as its own ERROR line) and a closing summary line.
class Refused : public Error {
public:
  Refused(std::vector<std::string> problems, std::string summary, std::string guest)
      : Error(problems.empty() ? summary : problems.front(), std::move(guest)),
        m_problems(std::move(problems)), m_summary(std::move(summary)) {}
  const std::vector<std::string>& problems() const { return m_problems; }
  const std::string& summary() const { return m_summary; }

private:
  std::vector<std::string> m_problems;
  std::string m_summary;
};

// A file could not be written whole: its file system is full (ENOSPC, or a
// quota: EDQUOT, which error() says). what() names the file; the store
// words it as the full file system it is (vmconfig::full_root_error).
class NoSpace : public Error {
public:
  NoSpace(const std::string& message, int error) : Error(message), m_error(error) {}
  int error() const { return m_error; }

private:
  int m_error;
};

// Another command holds the database or the guest; nothing was changed.
class Busy : public Error {
public:
  using Error::Error;
};

} // namespace hpvm

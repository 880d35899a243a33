// Tests for libavio/avio/exec.cpp: host programs by argv, with bounded waits.
#include <avio/error.hpp>
#include <avio/exec.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace avio;
using namespace std::chrono_literals;

TEST_CASE("exec: run_with_input feeds stdin and reads both outputs and the status") {
  const auto r = run_with_input({"sh", "-c", "cat; echo oops >&2; exit 3"}, "hello\n", 10s, "sh");
  CHECK(r.status == 3);
  CHECK(r.out == "hello\n");
  CHECK(r.err == "oops\n");
}

TEST_CASE("exec: run_with_input writes input larger than a pipe's buffer") {
  const std::string big(1 << 20, 'x');
  const auto r = run_with_input({"wc", "-c"}, big, 10s, "wc");
  CHECK(r.status == 0);
  CHECK(r.out == "1048576\n");
}

TEST_CASE("exec: a program that does not read its input still finishes") {
  const std::string big(1 << 20, 'x');
  const auto r = run_with_input({"true"}, big, 10s, "true");
  CHECK(r.status == 0);
}

TEST_CASE(
    "exec: run_with_input stops a program that outlives its time, naming what it waited for") {
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH_AS(run_with_input({"sleep", "30"}, "", 300ms, "a sleeper"),
                       doctest::Contains("waiting for a sleeper"), hpvm::Error);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("exec: a program that cannot be started") {
  CHECK_THROWS_AS(run_with_input({"/nonexistent/program"}, "", 1s, "nothing"), hpvm::Error);
}

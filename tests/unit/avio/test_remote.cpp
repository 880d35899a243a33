// Tests for libavio/avio/remote.cpp: what reaches the remote shell.
#include <avio/error.hpp>
#include <avio/remote.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace avio;

TEST_CASE("remote: shell_word quotes every word, and refuses control characters") {
  CHECK(shell_word("plain") == "'plain'");
  CHECK(shell_word("") == "''");
  CHECK(shell_word("a b;$(rm -rf /)`x`") == "'a b;$(rm -rf /)`x`'");
  CHECK(shell_word("it's") == "'it'\\''s'");
  CHECK_THROWS_AS(shell_word("a\nb"), hpvm::Error);
  CHECK_THROWS_AS(shell_word(std::string("a\0b", 3)), hpvm::Error);
}

TEST_CASE("remote: host names ssh takes as a destination, never as an option") {
  CHECK_FALSE(host_problem("host2"));
  CHECK_FALSE(host_problem("10.0.0.2"));
  CHECK_FALSE(host_problem("fe80::1"));
  CHECK_FALSE(host_problem("vm-host_3.example.com"));
  CHECK(host_problem(""));
  CHECK(host_problem("-oProxyCommand=x"));
  CHECK(host_problem("a b"));
  CHECK(host_problem("root@host"));
  CHECK(host_problem("host;id"));
}

TEST_CASE("remote: the ssh command line") {
  const auto argv = ssh_command("host2", {"/opt/hpvm/bin/hpvmmigrate", "--receive"});
  REQUIRE(argv.size() >= 4);
  CHECK(argv.front() == "ssh");
  CHECK(argv[argv.size() - 2] == "host2");
  CHECK(argv[argv.size() - 3] == "--");
  CHECK(argv.back() == "'/opt/hpvm/bin/hpvmmigrate' '--receive'");
  CHECK(std::find(argv.begin(), argv.end(), "BatchMode=yes") != argv.end());
  CHECK_THROWS_AS(ssh_command("-x", {"true"}), hpvm::UsageError);
}

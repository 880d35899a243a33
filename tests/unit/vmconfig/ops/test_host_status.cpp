// Tests for libvmconfig/vmconfig/ops/host_status.cpp: command-log records as
// hpvmstatus -e events, and which records name a guest.
#include <vmconfig/ops/host_status.hpp>

#include <doctest/doctest.h>

using namespace vmconfig;

TEST_CASE("parse_command_record: the command log's records") {
  const auto ok = parse_command_record("2026-12-05T16:14:01Z root SUCCESS hpvmcreate -P g1 -c 2");
  REQUIRE(ok);
  CHECK(ok->time == "2026-12-05T16:14:01Z");
  CHECK(ok->source == "command");
  CHECK(ok->user == "root");
  CHECK(ok->outcome == "SUCCESS");
  CHECK(ok->text == "hpvmcreate -P g1 -c 2");
  const auto failed = parse_command_record("2026-12-05T16:14:01Z 1000 FAILURE(1) hpvmremove -P x");
  REQUIRE(failed);
  CHECK(failed->user == "1000");
  CHECK(failed->outcome == "FAILURE(1)");
  CHECK_FALSE(parse_command_record(""));
  CHECK_FALSE(parse_command_record("garbage"));
  CHECK_FALSE(parse_command_record("2026-12-05 root SUCCESS x"));
  CHECK_FALSE(parse_command_record("2026-12-05T16:14:01Z root MAYBE x"));
}

TEST_CASE("record_names_guest: -P name, quoted or joined") {
  CHECK(record_names_guest("hpvmcreate -P g1 -c 2", "g1"));
  CHECK(record_names_guest("hpvmstart -Pg1", "g1"));
  CHECK(record_names_guest("hpvmmodify -P 'g 1' -c 2", "g 1") == false); // split on blanks
  CHECK(record_names_guest("hpvmcreate -P 'g1' -c 2", "g1"));
  CHECK_FALSE(record_names_guest("hpvmcreate -P g10", "g1"));
  CHECK_FALSE(record_names_guest("hpvmclone -P g2 -N g1", "g1"));
  CHECK_FALSE(record_names_guest("hpvmnet -S g1", "g1"));
}
